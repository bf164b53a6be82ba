/**
 * How `tspdk/shared` reaches a Redis server: the settings, read from a URL
 * (`--shared-store redis://…`) or from a config record with the field names
 * of Kong's rate-limiting plugin (`host`, `port`, `username`, `password`,
 * `database`, `ssl`, `ssl_verify`, `server_name`, `timeout`), checked, and
 * described for logs without the password. Light on purpose: no imports,
 * so that the server's option parser and `-dump` can use it.
 *
 * @module
 */

/** Checked settings of one Redis connection. Two equal settings share one connection. */
export interface RedisSettings {
  readonly host: string;
  readonly port: number;
  /** ACL user (Redis 6+); without it, `password` is the `requirepass` password. */
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Database index (`SELECT`). */
  readonly database: number;
  /** Connect over TLS. */
  readonly tls: boolean;
  /** Verify the server's certificate (and its name) when `tls`. */
  readonly tlsVerify: boolean;
  /** The name sent in SNI and checked in the certificate; `host` when unset. */
  readonly serverName: string | undefined;
  /** How long an operation may wait for Redis, connecting included (ms). */
  readonly timeoutMs: number;
  /** Prepended to every key, so that several servers or plugins can share one Redis. */
  readonly prefix: string;
  /**
   * Redis Cluster: the nodes to discover the cluster from (`host` and `port`
   * are the first); empty for a single server.
   */
  readonly clusterNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /**
   * Redis Sentinel: the name of the primary the Sentinels monitor, and the
   * Sentinels to ask for its address (`host` and `port` are the first); no
   * name and no nodes for a server reached directly.
   */
  readonly sentinelMaster: string | undefined;
  readonly sentinelNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** ACL user and password of the Sentinels (none: they accept anyone). */
  readonly sentinelUsername: string | undefined;
  readonly sentinelPassword: string | undefined;
}

/**
 * Redis settings as a plugin config carries them, with the field names and
 * defaults of Kong's rate-limiting plugin (`config.redis`): `port` 6379,
 * `database` 0, `ssl` and `ssl_verify` false, `timeout` 2000 ms. `null`
 * (Kong's unset) is the same as leaving a field out.
 */
export interface RedisConfig {
  readonly host?: string | null;
  readonly port?: number | null;
  readonly username?: string | null;
  /** An empty password is no password, as in Kong. */
  readonly password?: string | null;
  readonly database?: number | null;
  readonly ssl?: boolean | null;
  readonly ssl_verify?: boolean | null;
  readonly server_name?: string | null;
  /** Milliseconds. */
  readonly timeout?: number | null;
  /**
   * Redis Cluster (the field name of Kong Enterprise): the nodes to discover
   * the cluster from, `{ ip, port }` (port 6379 when unset). When given,
   * `host` and `port` are not needed, and `database` must be 0.
   */
  readonly cluster_nodes?: ReadonlyArray<{ readonly ip?: string | null; readonly port?: number | null }> | null;
  /**
   * Redis Sentinel (the field names of Kong Enterprise): the name of the
   * monitored primary, and the Sentinels that know its address, `{ host,
   * port }` (port 26379 when unset). When given, `host` and `port` are not
   * needed; `database`, `username`, `password` and `ssl` apply to the primary.
   */
  readonly sentinel_master?: string | null;
  readonly sentinel_nodes?: ReadonlyArray<{ readonly host?: string | null; readonly port?: number | null }> | null;
  /** Only `master` (the default): every operation of the store may write. */
  readonly sentinel_role?: 'master' | null;
  readonly sentinel_username?: string | null;
  readonly sentinel_password?: string | null;
}

/** Kong's default timeout of its Redis connections (ms). */
export const DEFAULT_REDIS_TIMEOUT_MS = 2000;
/** The key prefix when none is given. */
export const DEFAULT_REDIS_PREFIX = 'tspdk:';
/** Longest key prefix, in UTF-16 code units. */
const MAX_PREFIX_LENGTH = 256;
/** Longest timeout (Kong's `typedefs.timeout`: 2^31 - 2). */
const MAX_TIMEOUT_MS = 2 ** 31 - 2;

const CONFIG_FIELDS = [
  'host',
  'port',
  'username',
  'password',
  'database',
  'ssl',
  'ssl_verify',
  'server_name',
  'timeout',
  'cluster_nodes',
  'sentinel_master',
  'sentinel_nodes',
  'sentinel_role',
  'sentinel_username',
  'sentinel_password',
] as const;
/** The port of a Sentinel when none is given. */
const SENTINEL_PORT = 26_379;

/** Settings that are not acceptable; the message names the field and never holds the password. */
export class RedisSettingsError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'RedisSettingsError', enumerable: false, configurable: true });
  }
}

function fail(message: string): never {
  throw new RedisSettingsError(message);
}

/** A short, safe description of a value for an error message. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}

function checkHost(host: unknown, name: string): string {
  if (typeof host !== 'string' || host === '') fail(`${name} is required: the name or address of the Redis server`);
  if (host.length > 253 || !/^[A-Za-z0-9._:[\]%-]+$/.test(host)) fail(`${name} ${shown(host)} is not a host name or an IP address`);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}, got ${shown(value)}`);
  }
  return value;
}

function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') fail(`${name} must be true or false, got ${shown(value)}`);
  return value;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') fail(`${name} must be a string, got ${name.endsWith('password') ? typeof value : shown(value)}`);
  return value;
}

/** Checks a key prefix: any string of at most 256 characters (it may be empty). */
export function checkPrefix(prefix: unknown): string {
  if (prefix === undefined) return DEFAULT_REDIS_PREFIX;
  if (typeof prefix !== 'string' || prefix.length > MAX_PREFIX_LENGTH) fail(`prefix must be a string of at most ${MAX_PREFIX_LENGTH} characters, got ${shown(prefix)}`);
  return prefix;
}

/**
 * Settings from a config record with Kong's field names (see
 * {@link RedisConfig}); `prefix` is the key prefix.
 * @throws {RedisSettingsError} naming the field (`redis.port must be …`).
 */
export function redisSettingsFromConfig(config: unknown, prefix?: unknown): RedisSettings {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) fail(`redis must be a record of Redis settings, got ${shown(config)}`);
  const record = config as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(name) && record[name] !== undefined && record[name] !== null) {
      fail(`redis.${name} is not a Redis setting (the settings are ${CONFIG_FIELDS.join(', ')})`);
    }
  }
  const given = (name: (typeof CONFIG_FIELDS)[number], fallback: unknown): unknown => record[name] ?? fallback;
  const tls = checkBoolean(given('ssl', false), 'redis.ssl');
  const clusterNodes = checkNodes(record['cluster_nodes'], 'redis.cluster_nodes', 'ip', 6379);
  const sentinel = checkSentinel(record);
  if (clusterNodes.length > 0 && sentinel.sentinelMaster !== undefined) fail('redis.cluster_nodes and redis.sentinel_master cannot be used together: a Redis Cluster is not monitored by Sentinel');
  const first = clusterNodes[0] ?? sentinel.sentinelNodes[0];
  const database = checkInteger(given('database', 0), 'redis.database', 0, 2 ** 31 - 1);
  if (clusterNodes.length > 0 && database !== 0) fail(`redis.database must be 0 with redis.cluster_nodes: Redis Cluster has database 0 only`);
  return Object.freeze({
    host: first?.host ?? checkHost(record['host'], 'redis.host'),
    port: first?.port ?? checkInteger(given('port', 6379), 'redis.port', 1, 65_535),
    username: optionalString(record['username'], 'redis.username'),
    password: optionalString(record['password'], 'redis.password'),
    database,
    tls,
    tlsVerify: checkBoolean(given('ssl_verify', false), 'redis.ssl_verify'),
    serverName: optionalString(record['server_name'], 'redis.server_name'),
    timeoutMs: checkInteger(given('timeout', DEFAULT_REDIS_TIMEOUT_MS), 'redis.timeout (ms)', 1, MAX_TIMEOUT_MS),
    prefix: checkPrefix(prefix),
    clusterNodes,
    ...sentinel,
  });
}

/**
 * Checks a list of nodes, `[{ <hostField>, port }]`: the seeds of a Redis
 * Cluster (`cluster_nodes`, `{ ip, port }`) or the Sentinels
 * (`sentinel_nodes`, `{ host, port }`); none (an empty list) when unset.
 */
function checkNodes(nodes: unknown, name: string, hostField: 'ip' | 'host', defaultPort: number): RedisSettings['clusterNodes'] {
  if (nodes === undefined || nodes === null) return [];
  if (!Array.isArray(nodes)) fail(`${name} must be an array of { ${hostField}, port }, got ${shown(nodes)}`);
  return Object.freeze(
    nodes.map((node: unknown, index) => {
      const where = `${name}[${index + 1}]`;
      if (typeof node !== 'object' || node === null || Array.isArray(node)) fail(`${where} must be a record { ${hostField}, port }, got ${shown(node)}`);
      const record = node as Record<string, unknown>;
      return Object.freeze({ host: checkHost(record[hostField], `${where}.${hostField}`), port: checkInteger(record['port'] ?? defaultPort, `${where}.port`, 1, 65_535) });
    }),
  );
}

/** Checks the Sentinel fields: a primary's name and its Sentinels come together; the role is `master`. */
function checkSentinel(record: Record<string, unknown>): Pick<RedisSettings, 'sentinelMaster' | 'sentinelNodes' | 'sentinelUsername' | 'sentinelPassword'> {
  const sentinelMaster = optionalString(record['sentinel_master'], 'redis.sentinel_master');
  const sentinelNodes = checkNodes(record['sentinel_nodes'], 'redis.sentinel_nodes', 'host', SENTINEL_PORT);
  if (sentinelMaster !== undefined && sentinelNodes.length === 0) fail('redis.sentinel_master needs redis.sentinel_nodes: the Sentinels to ask for its address');
  if (sentinelMaster === undefined && sentinelNodes.length > 0) fail('redis.sentinel_nodes needs redis.sentinel_master: the name of the primary the Sentinels monitor');
  const role = record['sentinel_role'] ?? 'master';
  if (role !== 'master') fail(`redis.sentinel_role must be "master" (tspdk/shared writes on every operation), got ${shown(role)}`);
  return {
    sentinelMaster,
    sentinelNodes,
    sentinelUsername: optionalString(record['sentinel_username'], 'redis.sentinel_username'),
    sentinelPassword: optionalString(record['sentinel_password'], 'redis.sentinel_password'),
  };
}

/** The URL with its password replaced by `***`, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

const URL_PARAMETERS = ['prefix', 'timeout', 'ssl_verify', 'server_name', 'cluster', 'nodes', 'sentinel_master'] as const;

/**
 * Settings from `redis://[user[:password]@]host[:port][/database][?prefix=…&timeout=…]`
 * or `rediss://…` (TLS, the certificate verified unless `ssl_verify=false`;
 * `server_name=` sets SNI). User and password are percent-decoded.
 * @throws {RedisSettingsError} saying what is wrong, with the password left out.
 */
export function redisSettingsFromUrl(text: string): RedisSettings {
  const safe = redactRedisUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`${JSON.stringify(safe)} is not a URL; expected redis://[user:password@]host[:port][/database] or rediss://…`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail(`${JSON.stringify(safe)}: the scheme must be redis:// or rediss:// (TLS)`);
  const database = url.pathname === '' || url.pathname === '/' ? '0' : url.pathname.slice(1);
  if (!/^\d{1,10}$/.test(database)) fail(`${JSON.stringify(safe)}: the path must be a database number, such as /0`);
  for (const name of url.searchParams.keys()) {
    if (!(URL_PARAMETERS as readonly string[]).includes(name)) fail(`${JSON.stringify(safe)}: unknown parameter ${JSON.stringify(name)} (known: ${URL_PARAMETERS.join(', ')})`);
  }
  const timeout = url.searchParams.get('timeout');
  const verify = url.searchParams.get('ssl_verify');
  if (verify !== null && verify !== 'true' && verify !== 'false') fail(`${JSON.stringify(safe)}: ssl_verify must be true or false`);
  if (timeout !== null && !/^\d{1,10}$/.test(timeout)) fail(`${JSON.stringify(safe)}: timeout must be a number of milliseconds`);
  const decode = (part: string): string | undefined => (part === '' ? undefined : decodeURIComponent(part));
  const cluster = url.searchParams.get('cluster');
  if (cluster !== null && cluster !== 'true' && cluster !== 'false') fail(`${JSON.stringify(safe)}: cluster must be true or false`);
  const nodes = url.searchParams.get('nodes');
  const sentinelMaster = url.searchParams.get('sentinel_master') ?? undefined;
  if (nodes !== null && cluster !== 'true' && sentinelMaster === undefined) fail(`${JSON.stringify(safe)}: nodes= lists more nodes of a cluster or more Sentinels; add cluster=true or sentinel_master=`);
  const port = url.port === '' ? (sentinelMaster === undefined ? 6379 : SENTINEL_PORT) : Number(url.port);
  const listed = [{ ip: url.hostname, port }, ...(nodes ?? '').split(',').filter((node) => node !== '').map((node) => parseNode(node, safe, port))];
  return redisSettingsFromConfig(
    {
      host: url.hostname,
      port,
      cluster_nodes: cluster === 'true' ? listed : undefined,
      sentinel_master: sentinelMaster,
      sentinel_nodes: sentinelMaster === undefined ? undefined : listed.map(({ ip, port: at }) => ({ host: ip, port: at })),
      username: decode(url.username),
      password: decode(url.password),
      database: Number(database),
      ssl: url.protocol === 'rediss:',
      ssl_verify: verify === null ? url.protocol === 'rediss:' : verify === 'true',
      server_name: url.searchParams.get('server_name') ?? undefined,
      timeout: timeout === null ? undefined : Number(timeout),
    },
    url.searchParams.get('prefix') ?? undefined,
  );
}

/** `host:port` (or `[v6]:port`) of a `nodes=` list. */
function parseNode(text: string, safe: string, defaultPort: number): { ip: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (match === null) return fail(`${JSON.stringify(safe)}: nodes= takes host:port,host:port`);
  return { ip: match[1] as string, port: match[2] === undefined ? defaultPort : Number(match[2]) };
}

/** `127.0.0.1:6379/0 as user "bob", TLS`: which Redis, never the password. */
export function describeRedis(settings: RedisSettings): string {
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const user = settings.username === undefined ? '' : ` as user ${JSON.stringify(settings.username)}`;
  const list = (nodes: RedisSettings['clusterNodes']): string => nodes.map((node) => `${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`).join(',');
  const where =
    settings.clusterNodes.length > 0
      ? `cluster ${list(settings.clusterNodes)}`
      : settings.sentinelMaster !== undefined
        ? `primary ${JSON.stringify(settings.sentinelMaster)} of Sentinel ${list(settings.sentinelNodes)}, db ${settings.database}`
        : `${host}:${settings.port}/${settings.database}`;
  return `${where}${user}${settings.tls ? ', TLS' : ''}`;
}

/** A string that is equal for equal settings (the password included): the identity of a pooled connection. */
export function redisSettingsKey(settings: RedisSettings): string {
  const { host, port, username, password, database, tls, tlsVerify, serverName, timeoutMs, clusterNodes } = settings;
  const sentinel = [settings.sentinelMaster ?? null, settings.sentinelNodes, settings.sentinelUsername ?? null, settings.sentinelPassword ?? null];
  return JSON.stringify([host, port, username ?? null, password ?? null, database, tls, tlsVerify, serverName ?? null, timeoutMs, clusterNodes, ...sentinel]);
}
