/**
 * Starting a server from its settings (or the shared command-line options)
 * and running the process the way Kong expects (crash guards, SIGTERM,
 * orphan watchdog): one process, or a primary and its workers.
 *
 * @module
 */
import type { Logger } from 'pino';
import { workerIdentity } from '../cluster/role.ts';
import { ignoreHangups, installCrashGuards, manageProcess, redactStrayFailures } from './lifecycle.ts';
import { watchDescriptors } from './descriptors.ts';
import { START_PARENT, orphanedAtStart, parentFacts } from './parent.ts';
import { startWatchdog } from './watchdog.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { toServerSettings, type ServerCliOptions } from './options.ts';
import type { ServerSettings } from '../settings.ts';
import { startWithSettings, type RunningServer } from '../start.ts';
import { announceKongVersion } from '../rpc/kong-version.ts';
import { useServerSharedStore } from '../shared/redis-pool.ts';
import { setSharedTransport } from '../shared/transport.ts';

/** What {@link serveOrExit} needs besides the settings. */
export interface ServeRequest {
  readonly plugins: readonly PluginDefinition[];
  readonly sockets: readonly string[];
  readonly logger: Logger;
  /** Called before the process exits (SIGTERM, orphaned, failed to listen). Not in workers. */
  readonly beforeExit?: () => void;
  /**
   * The program reloads its plugins on SIGHUP (a primary passes SIGHUP on to
   * its workers). Otherwise SIGHUP is logged and ignored.
   */
  readonly reloadable?: boolean;
}

/**
 * Starts serving and manages the process (crash guards, SIGTERM, orphan
 * watchdog). Logs and exits with status 1 when the sockets cannot be
 * listened on, so Kong respawns the server.
 *
 * `options` are the shared command-line options as `addServerOptions`
 * parses them, or server settings (those left out take their defaults).
 * With `workers` above 1 this process becomes the primary, which resolves
 * `undefined`, and each worker it starts (this same program) resolves its
 * own plugin server, run with the primary's settings.
 * @throws {@link TypeError} (as a rejection) when a setting has a value it cannot take.
 */
export async function serveOrExit(request: ServeRequest, options: ServerCliOptions | Partial<ServerSettings>): Promise<RunningServer | undefined> {
  if (request.reloadable !== true) ignoreHangups(request.logger);
  const identity = workerIdentity();
  if (identity !== undefined) {
    const { runWorker } = await import('../cluster/worker-process.ts');
    return runWorker(identity, request.plugins, request.logger);
  }
  const settings = toServerSettings(options);
  installCrashGuards(request.logger);
  const orphaned = settings.watchParent ? orphanedAtStart(parentFacts(settings.parentPid)) : undefined;
  if (orphaned !== undefined) {
    // Listening now would take Kong's socket path from the server that replaced this one.
    request.logger.warn({ reason: orphaned }, 'the process that started this server is already gone; exiting without serving');
    request.beforeExit?.();
    process.exit(0);
  }
  try {
    announceKongVersion(request.logger, settings.kongVersion);
  } catch (error) {
    request.logger.fatal({ kongVersion: settings.kongVersion }, `cannot start: --kong-version ${settings.kongVersion ?? ''}: ${(error as Error).message}`);
    request.beforeExit?.();
    process.exit(1);
  }
  if (settings.workers > 1) return servePrimary(request, settings);
  return serveSingle(request, settings);
}

/** One process serves: the plugin server and the process management, here. */
async function serveSingle(request: ServeRequest, settings: ServerSettings): Promise<RunningServer> {
  const { plugins, sockets, logger } = request;
  useServerSharedStore(settings.sharedStore, logger, setSharedTransport);
  // Before listening: see startWatchdog.
  await startWatchdog({
    logger,
    blockTimeoutMs: settings.blockTimeoutMs,
    parent: settings.watchParent ? { startParent: START_PARENT, pid: settings.parentPid } : undefined,
  });
  let running: RunningServer | undefined;
  // SIGTERM is handled from before the server listens: Kong (or a test) may
  // send it as soon as the socket answers, or as soon as 'listening' is logged.
  manageProcess({
    logger,
    liveEvents: () => running?.server.liveEvents ?? 0,
    watchParent: settings.watchParent,
    parentPid: settings.parentPid,
    shutdownGraceMs: settings.shutdownGraceMs,
    beforeExit: request.beforeExit,
  });
  try {
    running = await startWithSettings({ plugins, sockets, logger }, settings);
  } catch (error) {
    return exitUnlistened(request, error);
  }
  const server = running.server;
  redactStrayFailures((text) => server.redactKnownSecrets(text));
  watchDescriptors(logger);
  return running;
}

/** This process becomes the primary of `settings.workers` workers. */
async function servePrimary(request: ServeRequest, settings: ServerSettings): Promise<undefined> {
  const { logger, sockets } = request;
  const single = request.plugins.filter((plugin) => plugin.singleProcess).map((plugin) => plugin.name);
  if (single.length > 0) {
    logger.fatal(
      { plugins: single, workers: settings.workers },
      `cannot run with --workers ${settings.workers}: ${single.join(', ')} declared singleProcess (its state must live in one process)`,
    );
    request.beforeExit?.();
    process.exit(1);
  }
  const { runPrimary } = await import('../cluster/primary.ts');
  try {
    await runPrimary({
      settings,
      sockets,
      plugins: request.plugins.map((plugin) => plugin.name),
      logger,
      reloadable: request.reloadable === true,
      beforeExit: request.beforeExit,
    });
  } catch (error) {
    exitUnlistened(request, error);
  }
  return undefined;
}

/** The sockets cannot be listened on: as a server that cannot start, so that Kong starts it again. */
function exitUnlistened(request: ServeRequest, error: unknown): never {
  request.logger.fatal({ err: error, sockets: request.sockets }, 'cannot listen');
  request.beforeExit?.();
  process.exit(1);
}
