/**
 * A worker process of a multi-process server: the program the primary
 * forked, serving what the primary hands over (see primary.ts).
 *
 * @module
 */
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { installCrashGuards, manageProcess, redactStrayFailures } from '../process/lifecycle.ts';
import { watchDescriptors } from '../process/descriptors.ts';
import { startWatchdog } from '../process/watchdog.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { setSharedTransport } from '../shared/transport.ts';
import { useServerSharedStore } from '../shared/redis-pool.ts';
import type { RunningServer } from '../start.ts';
import { isControlMessage, type WorkerMessage } from './messages.ts';
import type { WorkerIdentity } from './role.ts';
import { WorkerNode } from './worker-node.ts';

/** Sends to the primary; dropped when the channel is gone (the primary exited). */
function sendToPrimary(message: WorkerMessage): void {
  if (process.connected) process.send?.(message, undefined, {}, () => undefined);
}

/** Runs this process as worker `identity.slot`, with its primary's settings; resolves once it is ready. */
export async function runWorker(identity: WorkerIdentity, plugins: readonly PluginDefinition[], baseLogger: Logger): Promise<RunningServer> {
  const { settings } = identity;
  const logger = baseLogger.child({ worker: identity.slot });
  installCrashGuards(logger);
  // A blocked worker is ended (the primary starts a new one), and so is a blocked worker whose primary is gone.
  await startWatchdog({ logger, blockTimeoutMs: settings.blockTimeoutMs, parent: { pid: identity.primary, startParent: identity.primary }, worker: identity.slot });
  // Metrics and traces (loaded only when asked for): a worker reports its figures to the primary, which serves /metrics.
  const observation =
    settings.metrics === undefined && settings.otlpEndpoint === undefined
      ? undefined
      : await (await import('../observe/setup.ts')).observeServer(settings, logger, plugins, identity.slot);
  let node: WorkerNode;
  try {
    node = await WorkerNode.start({
      slot: identity.slot,
      workers: settings.workers,
      plugins,
      logger,
      control: { send: sendToPrimary },
      peerDirectory: identity.peers,
      pid: identity.primary,
      announcePid: settings.announcePid,
      maxMessageBytes: settings.maxMessageBytes,
      eventTimeoutMs: settings.eventTimeoutMs,
      kongVersion: settings.kongVersion,
      maxLiveEvents: settings.maxLiveEvents,
      maxMapEntries: settings.maxMapEntries,
      maxArrayEntries: settings.maxArrayEntries,
      maxNesting: settings.maxNesting,
      redactHeaders: settings.redactHeaders,
      observer: observation?.observer,
    });
    await observation?.serve({ server: node.server, connections: () => node.kongConnections }, sendToPrimary);
  } catch (error) {
    // Exiting tells the primary: a first start that fails fails the server, a respawn is retried later.
    logger.fatal({ err: error }, 'the worker cannot start');
    process.exit(1);
  }
  // tspdk/shared: one store for every worker: in the primary, or the Redis of
  // --shared-store, which each worker reaches directly (no hop through the primary).
  if (!useServerSharedStore(settings.sharedStore, logger, setSharedTransport)) setSharedTransport(node.sharedTransport);
  process.on('message', (message: unknown, handle: unknown) => {
    if (isControlMessage(message) && message.t === 'conn') {
      if (handle instanceof Socket) node.accept(handle);
      return;
    }
    if (isControlMessage(message) && message.t === 'exit') process.exit(0);
    if (isControlMessage(message) && message.t === 'metrics-query') {
      const { gather } = message as { gather?: unknown };
      if (typeof gather === 'number') observation?.report(gather);
      return;
    }
    node.receive(message);
  });
  node.announceReady();
  redactStrayFailures((text) => node.server.redactKnownSecrets(text));
  watchDescriptors(logger);
  manageProcess({ logger, liveEvents: () => node.server.liveEvents, shutdownGraceMs: settings.shutdownGraceMs, watchParent: false });
  // The primary is gone without stopping its workers first (killed, crashed, or
  // orphaned and exiting): to Kong the server is one process, so the whole
  // server goes, as a single process would. A SIGTERM to the primary is the
  // graceful way: it drains every worker, then tells them to exit.
  process.once('disconnect', () => {
    logger.error({ liveEvents: node.server.liveEvents }, 'the primary process is gone; exiting');
    process.exit(1);
  });
  return {
    server: node.server,
    sockets: [],
    get connections() {
      return node.connections;
    },
    stop: () => node.stop(),
  };
}
