/**
 * Running out of file descriptors, made visible.
 *
 * When the process has no descriptor left, the kernel still completes Kong's
 * connects, but accepting them fails; libuv then closes them at once (its
 * "EMFILE trick", which keeps the listener from spinning) and Node is never
 * told, so Kong's calls fail with nothing in the server's log. This watch
 * opens and closes `/dev/null` once a second: when that fails with EMFILE
 * or ENFILE, connections are being dropped, and the log says so (once when
 * it starts, then once every 10 s while it lasts, then when it ends).
 *
 * @module
 */
import { closeSync, openSync } from 'node:fs';
import type { Logger } from 'pino';

/** Options of {@link watchDescriptors}. */
interface WatchOptions {
  /** How often to check. Defaults to 1,000 ms. */
  readonly everyMs?: number;
  /** How often to repeat the warning while it lasts. Defaults to 10,000 ms. */
  readonly repeatMs?: number;
}

/** Starts the watch (an unreferenced timer); returns a function that stops it. */
export function watchDescriptors(logger: Logger, options: WatchOptions = {}): () => void {
  const repeatMs = options.repeatMs ?? 10_000;
  let since: number | undefined;
  let lastLog = 0;
  let checks = 0;
  const timer = setInterval(() => {
    const code = exhausted();
    const now = Date.now();
    if (code !== undefined) {
      checks++;
      if (since === undefined || now - lastLog >= repeatMs) {
        since ??= now;
        lastLog = now;
        logger.error(
          { code, forMs: now - since },
          'out of file descriptors: new connections from Kong are dropped by the kernel until some close; raise the limit (ulimit -n, systemd LimitNOFILE=)',
        );
      }
    } else if (since !== undefined) {
      logger.warn({ forMs: now - since, checks }, 'file descriptors available again: new connections are accepted');
      since = undefined;
      checks = 0;
    }
  }, options.everyMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** `EMFILE` or `ENFILE` when no descriptor can be opened now; `undefined` otherwise. */
function exhausted(): string | undefined {
  try {
    closeSync(openSync('/dev/null', 'r'));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EMFILE' || code === 'ENFILE' ? code : undefined;
  }
}
