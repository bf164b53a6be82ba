/**
 * One connection to a Redis server for `tspdk/shared`, over node-redis
 * (`@redis/client`, loaded on first use only: a server that never uses
 * Redis never pays for importing it).
 *
 * What it guarantees, whatever Redis does:
 * - every {@link RedisConnection.send} settles within the timeout of the
 *   settings, connecting included;
 * - while Redis cannot be reached, operations fail at once with the last
 *   reason (no queue that grows while Redis is down), and the connection is
 *   tried again in the background, 100 ms after the failure and doubling up
 *   to 2 s; the first operation after the server started waits for the first
 *   attempt, so "Redis down at start" is reported by that operation;
 * - a connection is ready only once Redis answered a `PING` (a stopped
 *   process accepts TCP connections but answers nothing);
 * - when no reply at all came from Redis within the timeout, the connection
 *   is dropped (its pending operations fail) and made again: a stalled Redis
 *   cannot pile up unanswered commands;
 * - state changes are logged once each (lost, failing, back), never per
 *   operation, and never with the password.
 *
 * node-redis does not reconnect by itself here (`reconnectStrategy: false`):
 * this class owns the retry loop, so that connecting, a lost connection and
 * a stall all take the same path.
 *
 * @module
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type * as RedisModule from '@redis/client';
import { describeRedis, type RedisSettings } from './redis-settings.ts';

/** What this class uses of a node-redis client. */
interface Client {
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** Redis could not be asked, or did not answer: the operation's outcome is unknown. */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: 'RedisUnavailableError', enumerable: false, configurable: true });
  }
}

/** Where a connection is. */
export type RedisConnectionState = 'idle' | 'connecting' | 'ready' | 'failing' | 'closed';

/** Options of a {@link RedisConnection}. */
export interface RedisConnectionOptions {
  /** The logger of state changes, looked up when one happens (none: not logged). */
  readonly logger?: () => Logger | undefined;
  /** First and longest delay between connection attempts (ms). Default 100 and 2,000. */
  readonly retryFirstMs?: number;
  readonly retryLastMs?: number;
}

/** Makes a client from its options: a single server's, or a cluster's (`rootNodes`, `defaults`). */
interface ClientMakers {
  readonly client: (options: Record<string, unknown>) => Client;
  readonly cluster: (options: Record<string, unknown>) => Client;
}

let clientModule: Promise<ClientMakers> | undefined;
/** node-redis, once imported. */
let loaded: typeof RedisModule | undefined;

/**
 * Imports node-redis once per process, on first use, and builds its client
 * class once. (`createClient` would build that class again, some 200 ms,
 * whenever its options differ from the previous call's, host and password
 * included; the class depends only on the protocol version.)
 */
function loadClientModule(): Promise<ClientMakers> {
  clientModule ??= import('@redis/client').then((module) => {
    const redis = (loaded = (module as unknown as { default?: typeof RedisModule }).default ?? module);
    const makeClient = redis.RedisClient.factory({ RESP: 2 });
    const makeCluster = redis.RedisCluster.factory({ RESP: 2 });
    return {
      client: (options) => makeClient({ ...options, RESP: 2 } as never),
      cluster: (options) => {
        const cluster = makeCluster(options as never);
        // A cluster routes each command by its key: the key of every command tspdk sends is known.
        return {
          connect: () => cluster.connect(),
          sendCommand: (args) => cluster.sendCommand(keyOf(args), args[0] === 'GET', args),
          close: () => cluster.close(),
          destroy: () => cluster.destroy(),
          on: (event, listener) => cluster.on(event, listener),
        };
      },
    };
  });
  return clientModule;
}

/** The key of a command tspdk sends (`GET key`, `SET key …`, `DEL key`, `EVALSHA sha 1 key …`); none for `PING`. */
function keyOf(args: readonly string[]): string | undefined {
  if (args[0] === 'EVALSHA' || args[0] === 'EVAL') return args[3];
  return args[0] === 'PING' ? undefined : args[1];
}

/** Starts importing node-redis in the background, so that the first operation does not wait for it. */
export function preloadRedisClient(): void {
  loadClientModule().catch(() => undefined);
}

/** The message of an error, without a stack. */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}

/** Runs `promise` for at most `ms`; `onTimeout` then gives the error. */
function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Drops `client`'s socket at once; one already closed is left as it is. */
function dropClient(client: Client): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

/** A connection to one Redis server, made on first use, made again after every failure. */
export class RedisConnection {
  readonly settings: RedisSettings;
  /** `host:port/db`, for messages. */
  readonly where: string;
  readonly #options: RedisConnectionOptions;
  #state: RedisConnectionState = 'idle';
  #client: Client | undefined;
  /** Settles when the attempt under way ends (ready or failed). */
  #attempt: Promise<void> | undefined;
  #lastError: Error | undefined;
  /** The last reason logged, so that a retry failing the same way is not logged again. */
  #loggedReason: string | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs: number;
  /** When Redis last answered anything on this connection. */
  #lastAnswerAt = 0;

  constructor(settings: RedisSettings, options: RedisConnectionOptions = {}) {
    this.settings = settings;
    this.where = describeRedis(settings);
    this.#options = options;
    this.#retryDelayMs = options.retryFirstMs ?? 100;
  }

  get state(): RedisConnectionState {
    return this.#state;
  }

  /**
   * Sends one command (its arguments, the name first) and resolves with the
   * reply. Rejects with a {@link RedisUnavailableError} when Redis cannot be
   * asked or does not answer within the timeout, and with node-redis's
   * `ErrorReply` when Redis answers with an error.
   */
  async send(args: readonly string[]): Promise<unknown> {
    const { timeoutMs } = this.settings;
    if (this.#state === 'idle') this.#connect(false);
    // Importing node-redis (once per process) is not Redis's time: the deadline starts after it.
    if (this.#state === 'connecting') await loadClientModule().catch(() => undefined);
    const started = Date.now();
    if (this.#state === 'connecting') {
      await withDeadline(this.#attempt ?? Promise.resolve(), timeoutMs, () => this.#noAnswer('connecting'));
    }
    const client = this.#client;
    if (this.#state !== 'ready' || client === undefined) throw this.#unavailable();
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    try {
      const reply = await withDeadline(client.sendCommand([...args]), left, () => this.#noAnswer('waiting for a reply'));
      this.#lastAnswerAt = Date.now();
      return reply;
    } catch (error) {
      if (error instanceof RedisUnavailableError) {
        // No reply of any kind within the timeout: the connection is stalled, not just this command slow.
        if (Date.now() - this.#lastAnswerAt >= timeoutMs) this.#failed(client, error);
        throw error;
      }
      if (isErrorReply(error)) {
        this.#lastAnswerAt = Date.now();
        this.#refusedWrite(client, error);
        throw error;
      }
      // The socket closed under the command: node-redis rejects what was pending.
      this.#failed(client, error);
      const cause = this.#lastError ?? error;
      throw new RedisUnavailableError(`lost the connection to Redis at ${this.where}: ${reasonOf(cause)}`, { cause });
    }
  }

  /**
   * Closes the connection once its pending commands are answered, waiting
   * at most the connection's timeout; later operations fail. A connection
   * that is not ready (still connecting, or failing) is dropped at once:
   * node-redis's graceful close can wait forever for a socket that never
   * finished connecting.
   */
  async close(): Promise<void> {
    const ready = this.#state === 'ready';
    const client = this.#stop();
    if (client === undefined) return;
    if (!ready) return dropClient(client);
    await withDeadline(client.close(), this.settings.timeoutMs, () => new Error('no answer while closing')).catch(() => dropClient(client));
  }

  /** Drops the connection at once (pending operations fail); later operations fail. */
  destroy(): void {
    const client = this.#stop();
    if (client !== undefined) dropClient(client);
  }

  #stop(): Client | undefined {
    this.#state = 'closed';
    this.#lastError = new Error('the connection was closed (the server is stopping or reloading)');
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    return client;
  }

  #noAnswer(what: string): RedisUnavailableError {
    return new RedisUnavailableError(`Redis at ${this.where} did not answer within ${this.settings.timeoutMs} ms (${what})`);
  }

  #unavailable(): RedisUnavailableError {
    const reason = this.#lastError === undefined ? 'not connected' : reasonOf(this.#lastError);
    return new RedisUnavailableError(`cannot reach Redis at ${this.where}: ${reason}`, { cause: this.#lastError });
  }

  /**
   * Starts an attempt to connect. The first one (`background` false) makes
   * operations wait for it; a retry after a failure keeps them failing fast
   * until it succeeds.
   */
  #connect(background: boolean): void {
    if (!background) this.#state = 'connecting';
    this.#attempt = this.#open().then(
      (client) => {
        if (this.#state === 'closed' || client !== this.#client) {
          // Closed while connecting: this client must not stay open.
          dropClient(client);
          return;
        }
        this.#state = 'ready';
        this.#lastError = undefined;
        this.#lastAnswerAt = Date.now();
        this.#retryDelayMs = this.#options.retryFirstMs ?? 100;
        if (this.#loggedReason !== undefined) this.#log('info', 'tspdk/shared: connected to Redis again');
        this.#loggedReason = undefined;
      },
      (error: unknown) => this.#failed(this.#client, error),
    );
  }

  /**
   * Creates a client, connects it and waits for a PONG, all within the
   * timeout; with Sentinel, asks the Sentinels for the primary's address
   * first and checks that the server there is a primary.
   */
  async #open(): Promise<Client> {
    const { settings } = this;
    const makers = await loadClientModule();
    if (this.#state === 'closed') throw new Error('closed');
    const deadline = Date.now() + settings.timeoutMs;
    const primary = settings.sentinelMaster === undefined ? undefined : await askSentinels(makers, settings, deadline);
    // Closed while the Sentinels were asked (the state changes across the await).
    if ((this.#state as RedisConnectionState) === 'closed') throw new Error('closed');
    const left = Math.max(1, deadline - Date.now());
    const cluster = settings.clusterNodes.length > 0;
    const { host, port } = primary ?? settings;
    const options = { username: settings.username, password: settings.password, disableOfflineQueue: true, disableClientInfo: true };
    const socket = socketOptions(settings, cluster ? undefined : host, left);
    const client = cluster
      ? makers.cluster({
          rootNodes: settings.clusterNodes.map((node) => ({ socket: { ...socket, host: node.host, port: node.port } })),
          defaults: { ...options, socket },
        })
      : makers.client({ ...options, database: settings.database, socket: { ...socket, host, port } });
    this.#client = client;
    // Without a listener an 'error' event would end the process; failures reach #failed through the promises.
    client.on('error', (error: unknown) => {
      if (client === this.#client && this.#state === 'ready') this.#failed(client, error);
    });
    const ready = (async () => {
      await client.connect();
      await client.sendCommand(['PING']);
      if (primary !== undefined) await checkPrimary(client, settings, primary);
    })();
    await withDeadline(ready, left, () => new Error(`no answer within ${settings.timeoutMs} ms while connecting`));
    return client;
  }

  /**
   * Redis refused a write as a read-only replica. Through Sentinel, the
   * primary this connection reached was demoted: drop the connection, so
   * that the next attempt asks the Sentinels again.
   */
  #refusedWrite(client: Client, error: Error): void {
    if (this.settings.sentinelMaster !== undefined && error.message.startsWith('READONLY')) this.#failed(client, error);
  }

  /** The connection `client` failed: drop it, fail what waits, and try again later. */
  #failed(client: Client | undefined, error: unknown): void {
    if (this.#state === 'closed' || client !== this.#client) return;
    const wasReady = this.#state === 'ready';
    this.#state = 'failing';
    this.#lastError = error instanceof Error ? error : new Error(String(error));
    this.#client = undefined;
    if (client !== undefined) dropClient(client);
    const reason = reasonOf(error);
    if (wasReady) this.#log('warn', `tspdk/shared: lost the connection to Redis: ${reason}`, reason);
    else if (reason !== this.#loggedReason) this.#log('error', `tspdk/shared: cannot connect to Redis: ${reason}`, reason);
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#options.retryLastMs ?? 2000, delay * 2);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#state === 'failing') this.#connect(true);
    }, delay);
    this.#retryTimer.unref();
  }

  #log(level: 'info' | 'warn' | 'error', message: string, reason?: string): void {
    if (reason !== undefined) this.#loggedReason = reason;
    this.#options.logger?.()?.[level]({ redis: this.where }, message);
  }
}

/** Socket options of a client: the connect timeout, no reconnection of node-redis's own, TLS. */
function socketOptions(settings: RedisSettings, host: string | undefined, connectTimeout: number): Record<string, unknown> {
  // SNI carries names only (RFC 6066): without server_name, an IP address is checked against the certificate's IPs.
  const servername = settings.serverName ?? (host === undefined || isIP(host) !== 0 ? undefined : host);
  return {
    connectTimeout,
    reconnectStrategy: false as const,
    ...(settings.tls ? { tls: true as const, rejectUnauthorized: settings.tlsVerify, ...(servername === undefined ? {} : { servername }) } : {}),
  };
}

/**
 * Asks the Sentinels, in order, for the address of the primary
 * `settings.sentinelMaster`; the first that knows it answers. Each Sentinel
 * has an equal share of the time left (the primary one share too), so that
 * a stalled Sentinel does not use up the whole timeout.
 */
async function askSentinels(makers: ClientMakers, settings: RedisSettings, deadline: number): Promise<{ host: string; port: number }> {
  const reasons: string[] = [];
  const nodes = settings.sentinelNodes;
  for (const [index, node] of nodes.entries()) {
    const share = Math.max(1, Math.floor((deadline - Date.now()) / (nodes.length - index + 1)));
    const options = { username: settings.sentinelUsername, password: settings.sentinelPassword, disableOfflineQueue: true, disableClientInfo: true };
    const sentinel = makers.client({ ...options, socket: { ...socketOptions(settings, node.host, share), host: node.host, port: node.port } });
    sentinel.on('error', () => undefined);
    const at = `${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`;
    try {
      const asked = (async () => {
        await sentinel.connect();
        return sentinel.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', settings.sentinelMaster ?? '']);
      })();
      const reply = await withDeadline(asked, share, () => new Error(`no answer within ${share} ms`));
      if (Array.isArray(reply) && typeof reply[0] === 'string' && /^\d{1,5}$/.test(String(reply[1]))) return { host: reply[0], port: Number(reply[1]) };
      reasons.push(`Sentinel ${at} knows no primary named ${JSON.stringify(settings.sentinelMaster)}`);
    } catch (error) {
      reasons.push(`Sentinel ${at}: ${reasonOf(error)}`);
    } finally {
      dropClient(sentinel);
    }
  }
  throw new Error(`no Sentinel gave the address of the primary: ${reasons.join('; ')}`);
}

/** Fails unless the server a Sentinel named is a primary (during a failover, it may not be yet or any more). */
async function checkPrimary(client: Client, settings: RedisSettings, primary: { host: string; port: number }): Promise<void> {
  const role = await client.sendCommand(['ROLE']);
  if (Array.isArray(role) && role[0] === 'master') return;
  const name = JSON.stringify(settings.sentinelMaster);
  throw new Error(`${primary.host}:${primary.port}, named primary ${name} by Sentinel, is a ${String(Array.isArray(role) ? role[0] : role)} (a failover is under way)`);
}

/** Whether `error` is an error reply of Redis (node-redis `ErrorReply`), as opposed to a connection failure. */
export function isErrorReply(error: unknown): error is Error {
  return loaded !== undefined && error instanceof loaded.ErrorReply;
}
