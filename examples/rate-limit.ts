/**
 * rate-limit: at most `limit` requests per `window_seconds` for each
 * consumer (or client IP), counted in memory and shared by every instance
 * of the plugin in this process. Every response carries the standard
 * `RateLimit-*` headers and Kong's `X-RateLimit-*` ones; over the limit the
 * client gets a 429 with `Retry-After`.
 *
 * The counters live in one Node process: with several plugin server
 * processes, or several Kong nodes, each counts on its own.
 *
 *   node dist/examples/rate-limit.js -dump
 *
 * @module
 */
import { Config, field, serve, type HeaderMap, type Kong } from 'tspdk';

/** A fixed window: when it started and how many requests it counted. */
interface Window {
  start: number;
  count: number;
}

/** Counters of every instance in this process, by `limit_by:identifier:window_seconds`. */
const windows = new Map<string, Window>();
/** Windows older than this are dropped when a new one starts. */
const MAX_WINDOW_MS = 86_400_000;

/** Counts one request at `now` (ms) and returns the window it fell in. */
function count(key: string, windowMs: number, now: number): Window {
  const start = now - (now % windowMs);
  let window = windows.get(key);
  if (window === undefined || window.start !== start) {
    if (window === undefined && windows.size > 100_000) {
      for (const [old, value] of windows) if (now - value.start > MAX_WINDOW_MS) windows.delete(old);
    }
    window = { start, count: 0 };
    windows.set(key, window);
  }
  window.count++;
  return window;
}

/** Forgets every counter (for tests). */
export function resetRateLimits(): void {
  windows.clear();
}

export class RateLimit extends Config({
  limit: field.integer({ required: true, between: [1, 1_000_000_000], description: 'Requests allowed in one window.' }),
  window_seconds: field.integer({ default: 60, between: [1, 86_400], description: 'Length of a window in seconds.' }),
  limit_by: field.string({
    one_of: ['consumer', 'ip'],
    default: 'consumer',
    description: 'Count per authenticated consumer (falling back to the IP) or per client IP.',
  }),
  hide_client_headers: field.boolean({ default: false, description: 'Do not send the rate-limit headers to the client.' }),
}) {
  async access(kong: Kong): Promise<void> {
    const who = await this.#identify(kong);
    const windowMs = this.window_seconds * 1000;
    const now = await kong.request.getStartTime();
    const window = count(`${who}:${this.window_seconds}`, windowMs, now);
    const remaining = Math.max(0, this.limit - window.count);
    const reset = Math.ceil((window.start + windowMs - now) / 1000);
    const headers: HeaderMap = this.hide_client_headers
      ? {}
      : {
          'RateLimit-Limit': this.limit,
          'RateLimit-Remaining': remaining,
          'RateLimit-Reset': reset,
          'X-RateLimit-Limit': this.limit,
          'X-RateLimit-Remaining': remaining,
        };
    if (window.count > this.limit) {
      return kong.response.error(429, 'API rate limit exceeded', { ...headers, 'Retry-After': reset });
    }
    if (!this.hide_client_headers) await kong.response.setHeaders(headers);
  }

  /** `consumer:<id>` or `ip:<address>`. */
  async #identify(kong: Kong): Promise<string> {
    if (this.limit_by === 'consumer') {
      const consumer = await kong.client.getConsumer();
      if (consumer !== undefined) return `consumer:${consumer.id}`;
    }
    return `ip:${(await kong.client.getForwardedIp()) ?? 'unknown'}`;
  }
}

export default serve(RateLimit, { name: 'rate-limit-ts', version: '1.0.0', priority: 910 });
