/**
 * The primary of a multi-process plugin server (`--workers N`): it listens
 * on Kong's sockets and wires together the parts that do the work:
 * - the worker pool (worker-pool.ts) starts the workers (forks of this
 *   program, forked-worker.ts), and starts them again when they exit;
 * - the connection dispatcher (dispatcher.ts) hands every accepted
 *   connection to a worker (the primary never reads a byte of it);
 * - the hub (hub.ts) relays the rare control messages between workers.
 * It also drains the whole server on SIGTERM and passes SIGHUP on.
 * See docs/multicore.md.
 *
 * Workers run this same program with the same arguments: the program's own
 * code (a standalone plugin file, `tspdk serve`) finds out that it is a
 * worker through role.ts, which also gives it the primary's settings.
 *
 * @module
 */
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { manageProcess } from '../process/lifecycle.ts';
import type { ServerSettings } from '../settings.ts';
import { listenUnix } from '../wire/listener.ts';
import { modeWarning } from '../start.ts';
import { watchDescriptors } from '../process/descriptors.ts';
import { hostSharedStore } from '../shared/transport.ts';
import { ConnectionDispatcher } from './dispatcher.ts';
import { Hub } from './hub.ts';
import { isControlMessage } from './messages.ts';
import { forkWorkers } from './forked-worker.ts';
import { createPeerDirectory } from './peer-directory.ts';
import { WORKER_ENV, type WorkerIdentity } from './role.ts';
import { WorkerPool } from './worker-pool.ts';
import type { ClusterMetrics } from '../observe/cluster-metrics.ts';

/** Options of {@link runPrimary}. */
interface PrimaryOptions {
  /** The server's settings: `settings.workers` workers, each run with these settings. */
  readonly settings: ServerSettings;
  readonly sockets: readonly string[];
  /** Names of the plugins served, for the logs. */
  readonly plugins: readonly string[];
  readonly logger: Logger;
  /** Pass SIGHUP on to the workers (they reload their plugin code). */
  readonly reloadable: boolean;
  readonly beforeExit?: () => void;
  /** How long a connection waits for a ready worker before it is closed. Defaults to 10,000 ms. */
  readonly connectionWaitMs?: number;
}

/** Listens, starts the workers and runs until a signal ends the process. */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const program = process.argv[1];
  if (program === undefined) throw new Error('--workers needs a program file to start the workers from');
  const { logger, settings } = options;
  const peers = createPeerDirectory(logger);
  const removePeers = (): void => rmSync(peers, { recursive: true, force: true });
  const hub = new Hub(logger, hostSharedStore());
  // `--metrics`: the primary serves /metrics with the sums over its workers (loaded only when asked for).
  let metrics: ClusterMetrics | undefined;
  try {
    if (settings.metrics !== undefined) {
      const { observePrimary } = await import('../observe/setup.ts');
      metrics = (await observePrimary(settings, logger, (slot, message) => pool.send(slot, message))).metrics;
    }
  } catch (error) {
    removePeers();
    throw error;
  }
  const pool: WorkerPool = new WorkerPool({
    size: settings.workers,
    // Each worker runs this program with the same arguments, told who it is through the environment.
    launcher: forkWorkers({
      program,
      args: process.argv.slice(2),
      environment: (slot) => ({ [WORKER_ENV]: JSON.stringify({ slot, peers, primary: process.pid, settings } satisfies WorkerIdentity) }),
    }),
    logger,
    events: {
      started: (slot) => {
        metrics?.started(slot);
        dispatcher.workerStarted(slot);
      },
      ready: (slot) => {
        hub.attach(slot, { send: (message) => pool.send(slot, message) });
        metrics?.ready(slot);
        dispatcher.workerReady(slot);
      },
      lost: (slot, respawnInMs) => {
        hub.detach(slot);
        metrics?.lost(slot);
        dispatcher.workerLost(slot, respawnInMs);
      },
      message: (slot, message) => {
        if (isControlMessage(message) && message.t === 'conn-closed') dispatcher.connectionClosed(slot);
        else if (isControlMessage(message) && message.t === 'metrics') {
          const { gather, metrics: figures } = message as { gather?: unknown; metrics?: unknown };
          metrics?.receive(slot, gather, figures);
        } else hub.receive(slot, message);
      },
      failedToStart: (slot, code, signal) => {
        // The first start failed (the plugin code or the peer socket): as a single server that cannot start.
        logger.fatal({ worker: slot, code, signal }, 'a worker failed to start; exiting');
        pool.stop();
        pool.signalAll('SIGKILL');
        removePeers();
        options.beforeExit?.();
        process.exit(1);
      },
    },
  });
  const dispatcher = new ConnectionDispatcher<Socket>(pool, {
    logger,
    waitMs: options.connectionWaitMs,
    onAllReady: () => logger.info({ sockets: options.sockets, plugins: options.plugins, workers: settings.workers }, 'listening'),
  });
  const accept = (socket: Socket): void => {
    // A connection Kong drops while it waits here must not raise an unhandled 'error'.
    socket.on('error', () => undefined);
    dispatcher.accept(socket);
  };
  try {
    const listen = {
      socketMode: settings.socketMode,
      allowInsecureSocketDir: settings.allowInsecureSocketDir,
      pauseOnConnect: true,
      onModeOpensUmask: (mode: number, umask: number) => logger.warn(modeWarning(mode, umask), 'the socket mode opens the socket to users the umask closes files to'),
    };
    for (const path of options.sockets) await listenUnix(path, accept, listen);
  } catch (error) {
    removePeers();
    throw error;
  }
  manageServer(pool, hub, options, removePeers);
  watchDescriptors(logger);
  pool.start();
}

/**
 * SIGTERM, the orphan watchdog and SIGHUP for the whole server. Stopping
 * drains the whole server, not each worker on its own: a worker with no
 * event left still carries Kong's connections, on which Steps of its
 * siblings' events may arrive. When no event runs anywhere the workers are
 * told to exit; the primary exits once they are gone (or when the grace
 * period ends, killing what is left).
 */
function manageServer(pool: WorkerPool, hub: Hub, options: PrimaryOptions, removePeers: () => void): void {
  const { logger, settings } = options;
  const drain = (): void => {
    void hub.gatherStatuses().then((statuses) => {
      const events = statuses.reduce((sum, status) => sum + (typeof status['Events'] === 'number' ? status['Events'] : 0), 0);
      if (events > 0) return void setTimeout(drain, 20);
      pool.sendAll({ t: 'exit' });
    });
  };
  manageProcess({
    logger,
    liveEvents: () => pool.live,
    liveName: 'liveWorkers',
    shutdownGraceMs: settings.shutdownGraceMs,
    watchParent: settings.watchParent,
    parentPid: settings.parentPid,
    onStop: () => {
      pool.stop();
      drain();
    },
    beforeExit: () => {
      // Workers still running after the grace period (or an orphaned primary): none outlives it.
      pool.signalAll('SIGKILL');
      removePeers();
      options.beforeExit?.();
    },
  });
  if (options.reloadable) {
    process.on('SIGHUP', () => {
      logger.info({ workers: pool.live }, 'SIGHUP: passing it on to the workers');
      pool.signalAll('SIGHUP');
    });
  }
}
