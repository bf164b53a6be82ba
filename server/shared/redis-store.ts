/**
 * The operations of `tspdk/shared` on Redis, with the semantics of the
 * in-process store (store.ts): one round trip each, atomic on the server.
 *
 * - `get`, `set`, `delete` are single commands (`GET`, `SET … [PX ttl]`, `DEL`).
 * - `incr` and `compareAndSet` are Lua scripts run with `EVALSHA`; when
 *   Redis does not know the script yet (first use, a restart, `SCRIPT
 *   FLUSH`) it answers `NOSCRIPT` and the script is sent once with `EVAL`,
 *   which also caches it. Each script touches one key, passed as `KEYS[1]`,
 *   so they also suit Redis Cluster.
 *
 * Values keep their type: a number is stored as its decimal text (what
 * `INCRBYFLOAT` or `redis-cli GET` understand), a string as `s` + the string,
 * `true` and `false` as `t` and `f`. `incr` adds in Lua, whose numbers are
 * doubles like JavaScript's, and stores the shortest text that reads back as
 * the same double; `compareAndSet` compares numbers as numbers.
 *
 * Expiry is Redis's: `PX` on creation, `KEEPTTL` (Redis 6.0+) when `incr`
 * changes a live key, so later increments never extend a counter's TTL.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { checkRequest, SharedErrorCodes, type SharedErrorCode, type SharedResult, type SharedValue } from './store.ts';
import { isErrorReply, RedisUnavailableError, type RedisConnection } from './redis-connection.ts';

/** The number `text` holds, when it is a value tspdk stored as a number. */
function decodeNumber(text: string): number | undefined {
  if (!/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

/** A value as stored in Redis. */
export function encodeValue(value: SharedValue): string {
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value === 0 ? 0 : value);
}

/** A stored value back; text that tspdk did not write reads as a string. */
export function decodeValue(text: string): SharedValue {
  if (text.startsWith('s')) return text.slice(1);
  if (text === 't') return true;
  if (text === 'f') return false;
  return decodeNumber(text) ?? text;
}

/** Lua: the number in a stored value, or nil when it is a string or a boolean. */
const LUA_NUMBER = `
local function number_of(text)
  local tag = string.sub(text, 1, 1)
  if tag == 's' or tag == 't' or tag == 'f' then return nil end
  return tonumber(text)
end`;

/**
 * incr: KEYS[1], ARGV[1] = by, ARGV[2] = ttl in ms or ''.
 * Returns {0, sum}, {1, type} when the value is not a number, {2, ''} when the sum is not finite.
 */
const INCR = `${LUA_NUMBER}
local current = redis.call('GET', KEYS[1])
local sum = tonumber(ARGV[1])
if current then
  local number = number_of(current)
  if number == nil then
    local tag = string.sub(current, 1, 1)
    return {1, (tag == 't' or tag == 'f') and 'boolean' or 'string'}
  end
  sum = number + sum
end
if sum ~= sum or sum == math.huge or sum == -math.huge then return {2, ''} end
if sum == 0 then sum = 0 end
local text = string.format('%.17g', sum)
for digits = 15, 16 do
  local shorter = string.format('%.' .. digits .. 'g', sum)
  if tonumber(shorter) == sum then text = shorter break end
end
if current then
  redis.call('SET', KEYS[1], text, 'KEEPTTL')
elseif ARGV[2] == '' then
  redis.call('SET', KEYS[1], text)
else
  redis.call('SET', KEYS[1], text, 'PX', ARGV[2])
end
return {0, text}`;

/**
 * compareAndSet: KEYS[1], ARGV[1] = the expected value or '' for missing,
 * ARGV[2] = the next value, ARGV[3] = ttl in ms or ''. Returns 1 when it stored.
 */
const CAS = `${LUA_NUMBER}
local current = redis.call('GET', KEYS[1])
local expected = ARGV[1]
if expected == '' then
  if current then return 0 end
elseif not current then
  return 0
elseif current ~= expected then
  local a, b = number_of(current), number_of(expected)
  if a == nil or b == nil or a ~= b then return 0 end
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });
const SCRIPTS = { incr: script(INCR), cas: script(CAS) };

/** Runs a script by its digest, sending its source once when Redis does not have it. */
async function evalScript(connection: RedisConnection, { source, sha }: Script, key: string, args: readonly string[]): Promise<unknown> {
  try {
    return await connection.send(['EVALSHA', sha, '1', key, ...args]);
  } catch (error) {
    if (!isErrorReply(error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await connection.send(['EVAL', source, '1', key, ...args]);
  }
}

/** A failure as the client of `tspdk/shared` reports it. */
function failure(code: SharedErrorCode, message: string): SharedResult {
  return { ok: false, code, message };
}

/** Turns what went wrong talking to Redis into a result with a code, saying what to do. */
function redisFailure(error: unknown, connection: RedisConnection, op: string): SharedResult {
  if (error instanceof RedisUnavailableError) return failure(SharedErrorCodes.Unavailable, error.message);
  const reason = error instanceof Error ? error.message : String(error);
  const at = `Redis at ${connection.where}`;
  if (!isErrorReply(error)) return failure(SharedErrorCodes.Unavailable, `${at} failed: ${reason}`);
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(reason)) {
    return failure(SharedErrorCodes.Unavailable, `${at} refused the credentials or the command (check redis.username and redis.password, or the ACL): ${reason}`);
  }
  if (reason.startsWith('READONLY')) {
    return failure(SharedErrorCodes.Unavailable, `${at} is a read-only replica and refuses writes (point tspdk at the primary): ${reason}`);
  }
  if (reason.startsWith('OOM')) return failure(SharedErrorCodes.Full, `${at} is full (maxmemory reached) and refuses writes: ${reason}`);
  if (reason.startsWith('WRONGTYPE')) {
    const code = op === 'incr' ? SharedErrorCodes.NotANumber : SharedErrorCodes.BadArgument;
    return failure(code, `the key holds a Redis data structure that tspdk did not write: ${reason}`);
  }
  return failure(SharedErrorCodes.Unavailable, `${at} answered with an error: ${reason}`);
}

/** A reply that is not what the command answers: Redis (or what stands in for it) is not behaving. */
function malformed(connection: RedisConnection, op: string): SharedResult {
  return failure(SharedErrorCodes.Unavailable, `Redis at ${connection.where} gave an unexpected reply to ${op}`);
}

/**
 * Applies one request of `tspdk/shared` on Redis, keys prefixed with
 * `prefix`. Never rejects: everything that goes wrong is a failed result.
 */
export async function applyOnRedis(connection: RedisConnection, prefix: string, request: unknown): Promise<SharedResult> {
  const checked = checkRequest(request);
  if (!checked.ok) return checked;
  const r = checked.request;
  const key = prefix + r.key;
  const ttl = (ttlMs: number | undefined): string => (ttlMs === undefined ? '' : String(ttlMs));
  try {
    switch (r.op) {
      case 'get': {
        const reply = await connection.send(['GET', key]);
        if (reply === null) return { ok: true, value: null };
        return typeof reply === 'string' ? { ok: true, value: decodeValue(reply) } : malformed(connection, 'GET');
      }
      case 'set': {
        const args = ['SET', key, encodeValue(r.value)];
        if (r.ttlMs !== undefined) args.push('PX', String(r.ttlMs));
        await connection.send(args);
        return { ok: true, value: null };
      }
      case 'delete': {
        const reply = await connection.send(['DEL', key]);
        return typeof reply === 'number' ? { ok: true, value: reply > 0 } : malformed(connection, 'DEL');
      }
      case 'incr':
        return incrResult(await evalScript(connection, SCRIPTS.incr, key, [String(r.by === 0 ? 0 : r.by), ttl(r.ttlMs)]), connection);
      case 'cas': {
        const expected = r.expected === undefined ? '' : encodeValue(r.expected);
        const reply = await evalScript(connection, SCRIPTS.cas, key, [expected, encodeValue(r.next), ttl(r.ttlMs)]);
        return reply === 0 || reply === 1 ? { ok: true, value: reply === 1 } : malformed(connection, 'compareAndSet');
      }
    }
  } catch (error) {
    return redisFailure(error, connection, r.op);
  }
}

function incrResult(reply: unknown, connection: RedisConnection): SharedResult {
  if (!Array.isArray(reply) || reply.length !== 2) return malformed(connection, 'incr');
  const [status, text] = reply as [unknown, unknown];
  if (status === 1) return failure(SharedErrorCodes.NotANumber, `the value of the key is ${String(text)}, not a number`);
  if (status === 2) return failure(SharedErrorCodes.BadArgument, 'the sum would not be a finite number');
  const value = typeof text === 'string' ? decodeNumber(text) : undefined;
  return status === 0 && value !== undefined ? { ok: true, value } : malformed(connection, 'incr');
}
