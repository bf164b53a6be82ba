/**
 * The `kong` object a kong-pdk plugin's phase method receives, built over
 * the bridge of the event's typed {@link Kong}, so its calls take the same
 * path as a tspdk plugin's (argument checks, the event loop, fail-closed
 * handling, any check the server puts on the bridge).
 *
 * As in kong-pdk, any property path is a function: `kong.request.getHeader(
 * 'host')` calls Kong's `kong.request.get_header('host')` (names: names.ts)
 * and resolves with what Kong answered:
 * - nil is `undefined` (a missing header, an unset value);
 * - bytes (a raw body, which Kong 3.x sends as MessagePack bin) are a
 *   Node `Buffer`, as kong-pdk's decoder gives them, so `body.toString()`
 *   is the text; Kong 2.x sends text bodies as strings;
 * - a failure Kong reports (`plugin.StepError`, Kong 2.x) rejects with a
 *   `PdkError` named `PDKError` whose message reads as kong-pdk's
 *   (`PDK method kong.x.y failed:  <error>`), code `PDK_CALL_FAILED`.
 *
 * Where tspdk does better, it does: `kong.response.exit`/`error` resolve
 * once the exit is sent (code after them runs, as in kong-pdk) but keep the
 * headers of `exit(status, null, headers)`; `kong.log.*` turn arguments into
 * text locally; a nil between arguments, which Kong would stop at, is
 * treated as Kong treats it and logged once; values MessagePack cannot carry
 * reject with `PDK_BAD_ARGUMENT` instead of stranding the event; the object
 * is not a thenable and survives `util.inspect`.
 *
 * @module
 */
import type { Bridge } from '../../pdk/bridge.ts';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { bridgeOf, type Kong } from '../../pdk/kong.ts';
import type { LogArg } from '../../pdk/log.ts';
import { Response, type ResponseBody } from '../../pdk/response.ts';
import { ask, type MethodTable, type Signature } from '../../pdk/signature.ts';
import type { HeaderMap } from '../../pdk/values.ts';
import { luaName } from './names.ts';

/** Where the kong object reports what a plugin should know (each message once per process). */
export type CompatWarn = (message: string, details: Readonly<Record<string, unknown>>) => void;

/** Options of {@link kongPdkObject}. */
export interface KongObjectOptions {
  /** The plugin's name, for messages. */
  readonly plugin: string;
  /** Receives one-time notes (a nil between arguments, a name Kong has in no release). */
  readonly warn?: CompatWarn;
  /** Whether Kong has a PDK function of this Lua name in some release (else a note is given once). */
  readonly known?: (luaName: string) => boolean;
}

const LOG_LEVELS: ReadonlySet<string> = new Set(['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug']);

/** A kong-pdk error: a tspdk {@link PdkError} whose name and message read as kong-pdk's `PDKError`. */
class KongPdkCallError extends PdkError {
  constructor(method: string, reason: string, cause: unknown) {
    super(ErrorCodes.PdkCallFailed, method, reason, { cause });
    Object.defineProperty(this, 'name', { value: 'PDKError', enumerable: false, configurable: true });
    Object.defineProperty(this, 'message', { value: `PDK method ${method} failed:  ${reason}`, enumerable: false, writable: true, configurable: true });
  }
}

/** Bytes become Buffers (without a copy), in the value and in its maps and arrays. */
function toBuffers(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toBuffers(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = toBuffers(record[key]);
  return value;
}

/** Every raw call shares one signature: arguments as given, the answer with bytes as Buffers. */
const RAW: Signature<readonly unknown[], unknown> = { shape: (raw) => toBuffers(raw), noReturn: false };

const notified = new Set<string>();

/** The calls of one event, in kong-pdk's dialect. */
class CompatCalls {
  readonly #kong: Kong;
  readonly #bridge: Bridge;
  readonly #options: KongObjectOptions;

  constructor(kong: Kong, options: KongObjectOptions) {
    this.#kong = kong;
    this.#bridge = bridgeOf(kong);
    this.#options = options;
  }

  call(name: string, args: readonly unknown[]): Promise<unknown> {
    if (name === 'kong.response.exit' || name === 'kong.response.error') return this.#exit(name, args);
    const level = name.startsWith('kong.log.') ? name.slice(9) : undefined;
    if (level !== undefined && LOG_LEVELS.has(level)) {
      return this.#kong.log[level as 'err'](...(args as LogArg[]));
    }
    if (this.#options.known?.(name) === false) {
      this.#noteOnce(`unknown:${name}`, `${name} is not a PDK function of any Kong release; Kong will log "could not find pdk method" and answer nil`, { method: name });
    }
    const table: MethodTable = { [name]: RAW };
    return ask(this.#bridge, table, name, ...this.#wireArgs(name, args)).catch((error: unknown) => {
      if (error instanceof PdkError && error.code === ErrorCodes.PdkCallFailed && !(error instanceof KongPdkCallError)) {
        throw new KongPdkCallError(name, error.message.slice(name.length + 2), error);
      }
      throw error;
    });
  }

  /**
   * The arguments Kong would use: it calls the Lua function with
   * `unpack(args)`, which stops at the first nil when later arguments are
   * set, so those are dropped here too (and the plugin's author told once).
   */
  #wireArgs(name: string, args: readonly unknown[]): readonly unknown[] {
    let end = args.length;
    while (end > 0 && args[end - 1] == null) end--;
    const hole = args.findIndex((arg, index) => index < end && arg == null);
    if (hole < 0) return end === args.length ? args : args.slice(0, end);
    this.#noteOnce(
      `hole:${name}`,
      `${name}: argument ${hole + 1} is ${String(args[hole])} but later arguments are set; Kong stops at the first nil, so they are dropped (as under kong-pdk)`,
      { method: name },
    );
    return args.slice(0, hole);
  }

  /**
   * `kong.response.exit(status, body?, headers?)` and `error(...)` through
   * tspdk's bindings (which keep the headers of a nil body), resolving once
   * the exit is on its way to Kong, as kong-pdk's do.
   */
  #exit(name: 'kong.response.exit' | 'kong.response.error', args: readonly unknown[]): Promise<unknown> {
    const [status, body, headers] = args.map((arg) => (arg === null ? undefined : arg));
    return new Promise((resolve, reject) => {
      const bridge = this.#bridge;
      // The event's bridge, telling when the exit itself goes out (a nil body with headers sends set_headers first).
      const sent: Bridge = {
        call: (method, callArgs) => bridge.call(method, callArgs),
        exit: (method, exitArgs) => {
          const ended = bridge.exit(method, exitArgs);
          resolve(undefined);
          return ended;
        },
      };
      const response = new Response(sent);
      const done = name === 'kong.response.exit'
        ? response.exit(status as number, body as ResponseBody, headers as HeaderMap)
        : response.error(status as number, body as string, headers as HeaderMap);
      // Rejects only when nothing was sent (a bad argument, set_headers failing, the event over).
      done.catch(reject);
    });
  }

  #noteOnce(key: string, message: string, details: Readonly<Record<string, unknown>>): void {
    const warn = this.#options.warn;
    const full = `${this.#options.plugin}:${key}`;
    // Bounded: a plugin that makes up method names cannot grow it without end.
    if (warn === undefined || notified.has(full) || notified.size >= 1000) return;
    notified.add(full);
    warn(message, { plugin: this.#options.plugin, ...details });
  }
}

/**
 * Property names that never become PDK calls: no Kong function has them, and
 * as calls they would make the object a thenable or break `fn.apply(...)`.
 */
const RESERVED: ReadonlySet<string> = new Set(['then', 'toJSON', 'constructor', 'call', 'apply', 'bind']);

/** Whether a property is a symbol or one of {@link RESERVED}. */
function isReserved(property: string | symbol): boolean {
  return typeof property === 'symbol' || RESERVED.has(property);
}

/** One node of the kong object: callable as the Lua function `path`, indexable for `path.<child>`. */
function node(calls: CompatCalls, path: string, children: Map<string, unknown>): unknown {
  const target = (...args: unknown[]): Promise<unknown> => calls.call(path, args);
  return new Proxy(target, {
    get(self, property) {
      if (property === Symbol.toStringTag) return 'KongPDK';
      if (isReserved(property)) return Reflect.get(self, property) as unknown;
      const child = `${path}.${luaName(property as string)}`;
      let found = children.get(child);
      if (found === undefined) {
        found = node(calls, child, children);
        children.set(child, found);
      }
      return found;
    },
  });
}

/**
 * The kong-pdk `kong` object of one event, sending its calls through the
 * bridge of `kong` (the event's typed PDK object).
 */
export function kongPdkObject(kong: Kong, options: KongObjectOptions): unknown {
  return node(new CompatCalls(kong, options), 'kong', new Map());
}
