/**
 * rate-limit: at most `limit` requests per `window_seconds` for each
 * consumer (or client IP), counted in `tspdk/shared`: one count for every
 * instance of the plugin and, with `--workers N`, for every worker of the
 * server. Every response carries the standard `RateLimit-*` headers and
 * Kong's `X-RateLimit-*` ones; over the limit the client gets a 429 with
 * `Retry-After`.
 *
 * `policy` says where the counters live, as in Kong's rate-limiting plugin:
 * `local` (the default) in the server's `tspdk/shared` store (in the
 * process, in its primary with several workers, or the Redis of
 * `--shared-store`); `redis` in the Redis of `config.redis` (Kong's field
 * names: host, port, username, password, database, ssl, ssl_verify,
 * server_name, timeout), so that every plugin server using it, on every Kong
 * node, counts one limit.
 *
 * When the store cannot answer (Redis down, slow, refusing the password, a
 * read-only replica, full; with several workers, the primary gone),
 * `fault_tolerant` (the default) lets the request through without
 * rate-limit headers and logs why, once per 10 s of requests per instance;
 * otherwise the request fails with a 500.
 *
 *   node dist/examples/rate-limit.js -dump
 *
 * @module
 */
import { Config, field, ifAvailable, serve, type HeaderMap, type Kong } from 'tspdk';
import { shared, sharedStore, SharedErrorCodes, SharedStoreError, type SharedStoreApi } from 'tspdk/shared';

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
async function count(store: SharedStoreApi, who: string, windowMs: number, now: number): Promise<Window> {
  const start = now - (now % windowMs);
  const counted = await store.incr(`rate-limit-ts:${who}:${windowMs / 1000}:${start}`, 1, { ttlMs: windowMs });
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

/** How often a store failure let through by `fault_tolerant` is logged (ms of request time). */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** `config.redis`: the fields, defaults and limits of Kong's rate-limiting plugin (kong/tools/redis/schema.lua). */
const redisSettings = field.record(
  {
    host: field.string({ description: 'Host name or address of the Redis server; required with the redis policy.' }),
    port: field.integer({ default: 6379, between: [0, 65_535], description: 'Port of the Redis server.' }),
    timeout: field.integer({ default: 2000, between: [0, 2 ** 31 - 2], description: 'Longest wait for Redis per operation, connecting included, in ms.' }),
    username: field.string({ referenceable: true, description: 'Redis ACL user (Redis 6+); without it the password is the requirepass one.' }),
    password: field.string({ encrypted: true, referenceable: true, len_min: 0, description: 'Password for Redis; none when unset or empty.' }),
    database: field.integer({ default: 0, description: 'Redis database index to count in.' }),
    ssl: field.boolean({ default: false, description: 'Connect to Redis over TLS.' }),
    ssl_verify: field.boolean({ default: false, description: "Verify the Redis server's TLS certificate." }),
    server_name: field.string({ description: 'Server name for SNI and the certificate check; the host by default.' }),
  },
  { required: true, description: 'The Redis of the redis policy, with the field names of Kong rate-limiting.' },
);

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
  policy: field.string({
    one_of: ['local', 'redis'],
    default: 'local',
    description: "Where the counters live: local (this server's tspdk/shared store) or redis (config.redis, shared by every node).",
  }),
  redis: redisSettings,
}) {
  /** The store of the redis policy, made on first use (its connection is shared by every instance with the same settings). */
  #redis: SharedStoreApi | undefined;
  /** When a failure was last logged (request time), and how many were not logged since. */
  #loggedAt = -Infinity;
  #unlogged = 0;

  async access(kong: Kong): Promise<void> {
    const who = await this.#identify(kong);
    const windowMs = this.window_seconds * 1000;
    const now = await startTimeMs(kong);
    let window: Window;
    try {
      window = await count(this.#store(), who, windowMs, now);
    } catch (error) {
      if (!this.fault_tolerant || !storeUnavailable(error)) throw error;
      return this.#logFailure(kong, error, now);
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

  /** The store of the policy; a redis policy without a usable config.redis throws SHARED_BAD_ARGUMENT, never hidden by fault_tolerant. */
  #store(): SharedStoreApi {
    if (this.policy === 'local') return shared;
    this.#redis ??= sharedStore({ redis: this.redis, prefix: 'tspdk:' });
    return this.#redis;
  }

  /** Logs a request let through uncounted, at most once per interval of request time. */
  async #logFailure(kong: Kong, error: SharedStoreError, now: number): Promise<void> {
    if (now - this.#loggedAt < FAILURE_LOG_INTERVAL_MS) {
      this.#unlogged++;
      return;
    }
    const more = this.#unlogged === 0 ? '' : ` (and ${this.#unlogged} more since the last message)`;
    this.#loggedAt = now;
    this.#unlogged = 0;
    await kong.log.err(`rate-limit-ts: request not counted${more}: ${error.message}`);
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
