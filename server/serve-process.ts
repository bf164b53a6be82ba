/**
 * Starting a server from the shared command-line options and running the
 * process the way Kong expects (crash guards, SIGTERM, orphan watchdog).
 *
 * @module
 */
import type { Logger } from 'pino';
import { installCrashGuards, manageProcess } from './lifecycle.ts';
import type { PluginDefinition } from './plugin.ts';
import type { ServerCliOptions } from './server-options.ts';
import { startServer, type RunningServer } from './start.ts';

/** What {@link serveOrExit} needs besides the parsed options. */
export interface ServeRequest {
  readonly plugins: readonly PluginDefinition[];
  readonly sockets: readonly string[];
  readonly logger: Logger;
  /** Called before the process exits (SIGTERM, orphaned, failed to listen). */
  readonly beforeExit?: () => void;
}

/**
 * Starts serving with the shared options and manages the process (crash
 * guards, SIGTERM, orphan watchdog). Logs and exits with status 1 when the
 * sockets cannot be listened on, so Kong respawns the server.
 */
export async function serveOrExit(request: ServeRequest, options: ServerCliOptions): Promise<RunningServer> {
  const { logger, sockets } = request;
  installCrashGuards(logger);
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
