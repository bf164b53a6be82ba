/**
 * Process behaviour Kong expects from a plugin server: survive plugin bugs,
 * exit on SIGTERM after in-flight events finish (bounded), and exit when the
 * Kong worker that started the server is gone.
 *
 * @module
 */
import type { Logger } from 'pino';
import { failureDetails } from '../../pdk/failure.ts';
import { START_PARENT, isAlive } from './parent.ts';

/** Options of {@link manageProcess}. */
interface LifecycleOptions {
  readonly logger: Logger;
  /** Events still running; SIGTERM waits until this is 0 or the grace period ends. */
  readonly liveEvents: () => number;
  /** How long SIGTERM waits for running events (the server setting). Defaults to 5,000 ms. */
  readonly shutdownGraceMs?: number;
  /** Exit when the parent process changes (Kong's worker died; the server setting). Defaults to `true`. */
  readonly watchParent?: boolean;
  /** Exit when this process is gone too (`--parent-pid`). */
  readonly parentPid?: number;
  /** How often the parent is checked. Defaults to 1,000 ms. */
  readonly parentCheckMs?: number;
  /** Called before exiting; must not throw. */
  readonly beforeExit?: () => void;
  /** What {@link liveEvents} counts, as named in the logs. Defaults to `liveEvents`. */
  readonly liveName?: string;
  /** Called once when stopping starts (a primary passes the signal on to its workers). */
  readonly onStop?: (reason: string) => void;
}

/** Lets the owner stop the process the way a signal would. */
interface ProcessControl {
  /** Waits for running events (bounded by the grace period), then exits 0. */
  stop(reason: string): void;
}

let guardsInstalled = false;

/** What removes secrets from failures outside phases (set once the plugin server exists). */
let strayRedactor: (text: string) => string = (text) => text;

/**
 * Failures the crash guards log are passed through `redact` (the plugin
 * server's known secret config values) from now on.
 */
export function redactStrayFailures(redact: (text: string) => string): void {
  strayRedactor = redact;
}

/** A failure outside phases as the log may hold it; a redactor that throws leaves the description only. */
function strayDetails(value: unknown): ReturnType<typeof failureDetails> {
  try {
    return failureDetails(value, strayRedactor);
  } catch {
    return failureDetails(value, () => '[not shown: it could not be checked for secrets]');
  }
}


/**
 * Keeps a plugin's stray exception or unhandled rejection (a floating promise,
 * a throw in a timer callback) from killing the server: it is logged instead.
 */
export function installCrashGuards(logger: Logger): void {
  if (guardsInstalled) return;
  guardsInstalled = true;
  // What a plugin throws can be anything (a Proxy whose traps throw): only
  // its description reaches the logger, as a handler that throws here would
  // end the process.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: strayDetails(reason) }, 'unhandled promise rejection (a plugin did not await or catch a promise)');
  });
  process.on('uncaughtException', (error) => {
    logger.error({ err: strayDetails(error) }, 'uncaught exception (thrown outside a phase method)');
  });
}

/**
 * Keeps a server that cannot reload (a standalone plugin file) running on
 * SIGHUP, which would otherwise end the process (Node's default): a
 * terminal hang-up, or a `kill -HUP` meant for `tspdk serve`, must not take
 * plugins out of Kong's request path. Says so unless something else in the
 * process handles SIGHUP too.
 */
export function ignoreHangups(logger: Logger): void {
  process.on('SIGHUP', () => {
    if (process.listenerCount('SIGHUP') > 1) return;
    logger.warn('SIGHUP ignored: this server does not reload its plugins (`tspdk serve` does); restart it to load new code');
  });
}

/** Installs SIGTERM/SIGINT handling and the orphan watchdog. */
export function manageProcess(options: LifecycleOptions): ProcessControl {
  const { logger } = options;
  const shutdownGraceMs = options.shutdownGraceMs ?? 5000;
  let stopping = false;
  const exit = (code: number): void => {
    options.beforeExit?.();
    // Never close the listener: that would unlink a socket path that a new
    // server may already own.
    process.exit(code);
  };
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    options.onStop?.(signal);
    const live = options.liveEvents();
    const name = options.liveName ?? 'liveEvents';
    logger.info({ signal, [name]: live }, 'stopping');
    if (live === 0) return exit(0);
    const deadline = Date.now() + shutdownGraceMs;
    const timer = setInterval(() => {
      const left = options.liveEvents();
      if (left === 0 || Date.now() >= deadline) {
        if (left > 0) logger.warn({ [name]: left }, 'grace period over; exiting with events still running');
        clearInterval(timer);
        exit(0);
      }
    }, 20);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (options.watchParent !== false) {
    const parent = START_PARENT;
    const { parentPid } = options;
    const watchdog = setInterval(() => {
      if (process.ppid !== parent || (parentPid !== undefined && !isAlive(parentPid))) {
        logger.warn({ parent, now: process.ppid, parentPid }, 'the process that started this server is gone; exiting');
        clearInterval(watchdog);
        exit(0);
      }
    }, options.parentCheckMs ?? 1000);
    watchdog.unref();
  }
  return { stop };
}
