/**
 * rate-limit: at most `limit` requests per `window_seconds` for each
 * consumer (or client IP), counted in `tspdk/shared`: one count for every
 * instance of the plugin and, with `--workers N`, for every worker of the
 * server. Every response carries the standard `RateLimit-*` headers and
 * Kong's `X-RateLimit-*` ones; over the limit the client gets a 429 with
 * `Retry-After`.
 *
 * The counters live in the plugin server (in its primary with several
 * workers): several Kong nodes, or several separate plugin servers, each
 * count on their own. A limit across nodes needs a store such as Redis.
 *
 * When the shared store cannot answer (with several workers: the primary is
 * gone; or it is full), `fault_tolerant` (the default) lets the request
 * through without rate-limit headers and logs why; otherwise the request
 * fails with a 500.
 *
 *   node dist/examples/rate-limit.js -dump
 *
 * @module
 */
import { Config, field, ifAvailable, serve, type HeaderMap, type Kong } from 'tspdk';
import { shared, SharedErrorCodes, SharedStoreError } from 'tspdk/shared';

/** A fixed window: when it started and how many requests it counted. */
interface Window {
  start: number;
  count: number;
}

/**
 * Counts one request at `now` (ms) in the window of `windowMs` it falls in.
 * The key names the window, so the counter expires with it (`incr` sets the
 * TTL only when it creates the key) and a new window counts from 0.
 */
async function count(who: string, windowMs: number, now: number): Promise<Window> {
  const start = now - (now % windowMs);
  const counted = await shared.incr(`rate-limit-ts:${who}:${windowMs / 1000}:${start}`, 1, { ttlMs: windowMs });
  return { start, count: counted };
}

/**
 * When Kong started the request, in ms: `kong.request.get_start_time` (Kong
 * 3.0+), else, on Kong 2.x, which lacks it (rejected at once under
 * `--kong-version`, answered with nil without), `kong.nginx.req_start_time`
 * in seconds.
 */
async function startTimeMs(kong: Kong): Promise<number> {
  return (await ifAvailable(kong.request.getStartTime())) ?? Math.round((await kong.nginx.reqStartTime()) * 1000);
}

/** Errors of the store itself, as opposed to a bug in this plugin. */
function storeUnavailable(error: unknown): error is SharedStoreError {
  return error instanceof SharedStoreError && (error.code === SharedErrorCodes.Unavailable || error.code === SharedErrorCodes.Full);
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
  fault_tolerant: field.boolean({
    default: true,
    description: 'When the shared counters cannot be reached, let requests through (and log why) instead of failing them.',
  }),
}) {
  async access(kong: Kong): Promise<void> {
    const who = await this.#identify(kong);
    const windowMs = this.window_seconds * 1000;
    const now = await startTimeMs(kong);
    let window: Window;
    try {
      window = await count(who, windowMs, now);
    } catch (error) {
      if (!this.fault_tolerant || !storeUnavailable(error)) throw error;
      return kong.log.err(`rate-limit-ts: request not counted: ${error.message}`);
    }
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
