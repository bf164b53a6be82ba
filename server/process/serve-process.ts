/**
 * Starting a server from the shared command-line options and running the
 * process the way Kong expects (crash guards, SIGTERM, orphan watchdog).
 *
 * @module
 */
import type { Logger } from 'pino';
import { workerIdentity } from '../cluster/role.ts';
import { ignoreHangups, installCrashGuards, manageProcess } from './lifecycle.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import type { ServerCliOptions } from './options.ts';
import { startServer, type RunningServer } from '../start.ts';

/** What {@link serveOrExit} needs besides the parsed options. */
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
 * Starts serving with the shared options and manages the process (crash
 * guards, SIGTERM, orphan watchdog). Logs and exits with status 1 when the
 * sockets cannot be listened on, so Kong respawns the server.
 *
 * With `--workers N` (N > 1) this process becomes the primary, which
 * resolves `undefined`, and each worker it starts (this same program)
 * resolves its own plugin server.
 */
export async function serveOrExit(request: ServeRequest, options: ServerCliOptions): Promise<RunningServer | undefined> {
  const { logger, sockets } = request;
  if (request.reloadable !== true) ignoreHangups(logger);
  const identity = workerIdentity();
  if (identity !== undefined) {
    const { runWorker } = await import('../cluster/worker-process.ts');
    return runWorker(identity, request.plugins, logger, options);
  }
  installCrashGuards(logger);
  if (options.workers > 1) {
    const single = request.plugins.filter((plugin) => plugin.singleProcess).map((plugin) => plugin.name);
    if (single.length > 0) {
      logger.fatal(
        { plugins: single, workers: options.workers },
        `cannot run with --workers ${options.workers}: ${single.join(', ')} declared singleProcess (its state must live in one process)`,
      );
      request.beforeExit?.();
      process.exit(1);
    }
    const { runPrimary } = await import('../cluster/primary.ts');
    try {
      await runPrimary({
        workers: options.workers,
        sockets,
        plugins: request.plugins.map((plugin) => plugin.name),
        logger,
        listen: { mode: options.socketMode, allowInsecureDirectory: options.allowInsecureSocketDir },
        graceMs: options.shutdownGrace,
        watchParent: options.watchParent,
        reloadable: request.reloadable === true,
        beforeExit: request.beforeExit,
      });
    } catch (error) {
      logger.fatal({ err: error, sockets }, 'cannot listen');
      request.beforeExit?.();
      process.exit(1);
    }
    return undefined;
  }
  let running: RunningServer;
  try {
    running = await startServer({
      plugins: request.plugins,
      sockets,
      logger,
      eventTimeoutMs: options.eventTimeout,
      maxMessageBytes: options.maxMessageSize,
      mode: options.socketMode,
      allowInsecureDirectory: options.allowInsecureSocketDir,
      announcePid: options.serverPid,
    });
  } catch (error) {
    logger.fatal({ err: error, sockets }, 'cannot listen');
    request.beforeExit?.();
    process.exit(1);
  }
  const server = running.server;
  manageProcess({
    logger,
    liveEvents: () => server.liveEvents,
    watchParent: options.watchParent,
    graceMs: options.shutdownGrace,
    beforeExit: request.beforeExit,
  });
  return running;
}
