/**
 * The event-loop watchdog: a worker thread that ends the process when the
 * main thread's event loop stays blocked (a plugin's `for (;;) {}`), since
 * nothing on that thread can run then (timers, the event timeout, the
 * orphan check). The main thread advances a heartbeat in shared memory from
 * a timer; the thread (watchdog-thread.ts) looks at it. See
 * docs/reliability.md for the timeout, the log line and the exit status.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { beat, shareActivity } from '../rpc/activity.ts';

/** What the watchdog's thread is started with. */
export interface WatchdogData {
  readonly buffer: SharedArrayBuffer;
  /** Plugin names by index known so far (later ones are posted). */
  readonly names: readonly string[];
  /** 0: the heartbeat is not checked (only the parent is). */
  readonly blockTimeoutMs: number;
  /** How often the heartbeat moves, and how often the thread looks. */
  readonly beatMs: number;
  /** The process this one must not outlive: its pid, and/or the parent it was started by. */
  readonly parent?: { readonly pid?: number; readonly startParent?: number };
  /** The worker slot (logged), in a worker of `--workers`. */
  readonly worker?: number;
}

/** Options of {@link startWatchdog}. */
export interface WatchdogOptions {
  readonly logger: Logger;
  /** `--block-timeout`; 0 checks the parent only. */
  readonly blockTimeoutMs: number;
  readonly parent?: WatchdogData['parent'];
  readonly worker?: number;
}

/** The heartbeat's period: a fifth of the timeout, within 20 … 1,000 ms. */
function beatPeriod(blockTimeoutMs: number): number {
  if (blockTimeoutMs === 0) return 1000;
  return Math.min(1000, Math.max(20, Math.floor(blockTimeoutMs / 5)));
}

/** How long {@link startWatchdog} waits for its thread to be ready. */
const READY_WAIT_MS = 5000;

/**
 * Starts the watchdog's thread and the heartbeat, unless there is nothing
 * to watch; resolves once the thread runs (call it before listening: a
 * thread that loads while Kong's connections use up the file descriptors
 * cannot load). Neither keeps the process alive. A thread that cannot start
 * is logged, and the server runs on without it.
 */
export async function startWatchdog(options: WatchdogOptions): Promise<void> {
  if (options.blockTimeoutMs === 0 && options.parent === undefined) return;
  const beatMs = beatPeriod(options.blockTimeoutMs);
  let worker: Worker | undefined;
  const shared = shareActivity((name, index) => worker?.postMessage({ name, index }));
  const data: WatchdogData = { ...shared, blockTimeoutMs: options.blockTimeoutMs, beatMs, parent: options.parent, worker: options.worker };
  // The thread runs the compiled module next to this one (.js), or the source (.ts) when run from source.
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  try {
    // The thread takes the process's flags (a loader of .ts files, say), but `--input-type` is for a main script alone.
    const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
    worker = new Worker(new URL(`./watchdog-thread${extension}`, import.meta.url), { workerData: data, execArgv, stdout: false, stderr: false });
  } catch (error) {
    options.logger.error({ err: error }, 'the event-loop watchdog cannot start; a blocked event loop will not be ended');
    return;
  }
  const started = worker;
  worker.unref();
  beat();
  setInterval(beat, beatMs).unref();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, READY_WAIT_MS).unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    started.once('message', done);
    started.once('exit', done);
    started.on('error', (error) => {
      options.logger.error({ err: error }, 'the event-loop watchdog failed; a blocked event loop will not be ended');
      done();
    });
  });
}
