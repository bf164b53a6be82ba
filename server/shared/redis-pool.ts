/**
 * The Redis connections of a process: one per distinct settings (host,
 * port, credentials, database, TLS, timeout), whoever asks for it, so that
 * a thousand plugin instances with the same `config.redis` share one
 * connection, and the server-wide store (`--shared-store redis://…`) shares
 * it too when the settings are the same. The key prefix is not part of a
 * connection's identity.
 *
 * Connections are made on first use. They are dropped when the process
 * exits (after the SIGTERM drain, or any other exit), and retired on a
 * reload (SIGHUP): closed once their pending commands are answered, and made
 * again by the next operation, so that settings the reloaded code no longer
 * uses do not keep a connection open.
 *
 * The registry lives on a `globalThis` symbol, like the transport's, so two
 * copies of tspdk in one process share the connections.
 *
 * @module
 */
import type { Logger } from 'pino';
import { preloadRedisClient, RedisConnection } from './redis-connection.ts';
import { applyOnRedis } from './redis-store.ts';
import { describeRedis, redisSettingsFromUrl, redisSettingsKey, type RedisSettings } from './redis-settings.ts';
import type { SharedTransport } from './transport.ts';

interface Pool {
  readonly connections: Map<string, RedisConnection>;
  /** The server's logger, for connection state changes. */
  logger: Logger | undefined;
  /** The process 'exit' hook is installed. */
  hooked: boolean;
}

const KEY = Symbol.for('tspdk.shared.redis');

function pool(): Pool {
  const holder = globalThis as typeof globalThis & { [KEY]?: Pool };
  return (holder[KEY] ??= { connections: new Map(), logger: undefined, hooked: false });
}

/** Where connection state changes are logged (the server calls this at start). */
export function setRedisLogger(logger: Logger | undefined): void {
  pool().logger = logger;
}

/** The connection for `settings` (its identity: {@link redisSettingsKey}), made on first use. */
function connectionFor(settings: RedisSettings, key: string): RedisConnection {
  const state = pool();
  let connection = state.connections.get(key);
  if (connection === undefined) {
    connection = new RedisConnection(settings, { logger: () => pool().logger });
    state.connections.set(key, connection);
    if (!state.hooked) {
      state.hooked = true;
      process.once('exit', destroyRedisConnections);
    }
  }
  return connection;
}

/** A transport that applies `tspdk/shared` requests on the Redis of `settings`. */
export function redisTransport(settings: RedisSettings): SharedTransport {
  const key = redisSettingsKey(settings);
  preloadRedisClient();
  return (request) => applyOnRedis(connectionFor(settings, key), settings.prefix, request);
}

/** How many connections are open or being made (for tests and diagnostics). */
export function redisConnectionCount(): number {
  return pool().connections.size;
}

/**
 * Retires every connection: later operations make new ones, and each old
 * one closes once its pending commands are answered (a reload: events that
 * still run the old code finish their operations).
 */
export async function retireRedisConnections(): Promise<void> {
  const state = pool();
  const retired = [...state.connections.values()];
  state.connections.clear();
  await Promise.all(retired.map((connection) => connection.close()));
}

/** Drops every connection at once (the process is exiting). */
export function destroyRedisConnections(): void {
  const state = pool();
  for (const connection of state.connections.values()) connection.destroy();
  state.connections.clear();
}

/**
 * Sets up the server-wide store of this process from the `sharedStore`
 * server setting: with a Redis URL, every `shared` operation goes to that
 * Redis (each process, each worker, on its own connection); with `local`,
 * nothing changes. Either way Redis connection state changes are logged
 * through `logger`. Returns whether the store is Redis.
 * @throws {@link RedisSettingsError} when the URL is not acceptable (its password never shown).
 */
export function useServerSharedStore(sharedStore: string, logger: Logger, install: (transport: SharedTransport) => void): boolean {
  setRedisLogger(logger);
  if (sharedStore === 'local') return false;
  const settings = redisSettingsFromUrl(sharedStore);
  install(redisTransport(settings));
  logger.debug({ redis: describeRedis(settings), prefix: settings.prefix }, 'tspdk/shared keeps its keys in Redis');
  return true;
}
