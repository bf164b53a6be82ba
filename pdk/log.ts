/**
 * `kong.log`: write to Kong's error log, and read or extend the table that
 * logging plugins write (`serialize`, `set_serialize_value`).
 *
 * Lua source: `kong/pdk/log.lua`. Every level function works in every
 * phase, including the `log` timer, where Kong prefixes lines with the
 * plugin's name.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import type { SerializedLog, SerializedStreamLog } from './entities.ts';
import { asJson, asVoid } from './shape.ts';
import { ask, sig } from './signature.ts';
import type { JsonValue } from './values.ts';

/** A value `kong.log.*` can print (Kong converts each argument with `tostring`). */
export type LogArg = string | number | boolean | null | undefined | Uint8Array | object;

/** Extra facts for `kong.log.deprecation`. */
export interface DeprecationInfo {
  /** The version the feature was deprecated in. */
  readonly after?: string;
  /** The version the feature is to be removed in. */
  readonly removal?: string;
  /** Append a Lua stack trace (of Kong's side of the call). */
  readonly trace?: boolean;
}

/** How `kong.log.set_serialize_value` treats an existing value. */
export type SerializeValueMode = 'set' | 'add' | 'replace';

/** Options of `kong.log.set_serialize_value`. */
export interface SerializeValueOptions {
  /**
   * `set` (default) always writes, `add` writes only if the field is absent,
   * `replace` writes only if it is present.
   */
  readonly mode?: SerializeValueMode;
}

/** A value `kong.log.set_serialize_value` accepts: a JSON value (`null` removes the field). */
export type SerializeValue = JsonValue | undefined;

/** The Lua functions of `kong.log` and how they travel over MsgPack. */
export const logMethods = {
  'kong.log.emerg': sig<LogArg[], void>(asVoid),
  'kong.log.alert': sig<LogArg[], void>(asVoid),
  'kong.log.crit': sig<LogArg[], void>(asVoid),
  'kong.log.err': sig<LogArg[], void>(asVoid),
  'kong.log.warn': sig<LogArg[], void>(asVoid),
  'kong.log.notice': sig<LogArg[], void>(asVoid),
  'kong.log.info': sig<LogArg[], void>(asVoid),
  'kong.log.debug': sig<LogArg[], void>(asVoid),
  'kong.log.deprecation': sig<[message: string, info?: DeprecationInfo], void>(asVoid),
  'kong.log.serialize': sig<[], SerializedLog | SerializedStreamLog>(asJson),
  'kong.log.set_serialize_value': sig<[key: string, value?: JsonValue, options?: SerializeValueOptions], void>(asVoid),
} as const;

/**
 * `kong.log`: log lines go to Kong's error log (`[kong]` and, in the `log`
 * phase, the plugin's name as prefix), at the level of the method. Arguments
 * are turned into text locally (see {@link printable}) and concatenated by
 * Kong without separator, as `kong.log.err("a", 1)` gives `a1`. Lines below
 * Kong's `log_level` (default `notice`) are dropped by Kong.
 *
 * Phases: all.
 */
export class Log {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.log.emerg(...)`: logs at `emerg` level, the most severe.
   *
   * @since Kong 2.3.0
   */
  emerg(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.emerg', ...printable(args));
  }
  /**
   * `kong.log.alert(...)`: logs at `alert` level.
   *
   * @since Kong 2.3.0
   */
  alert(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.alert', ...printable(args));
  }
  /**
   * `kong.log.crit(...)`: logs at `crit` level.
   *
   * @since Kong 2.3.0
   */
  crit(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.crit', ...printable(args));
  }
  /**
   * `kong.log.err(...)`: logs at `error` level.
   *
   * @since Kong 2.3.0
   */
  err(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.err', ...printable(args));
  }
  /**
   * `kong.log.warn(...)`: logs at `warn` level.
   *
   * @since Kong 2.3.0
   */
  warn(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.warn', ...printable(args));
  }
  /**
   * `kong.log.notice(...)`: logs at `notice` level.
   *
   * @since Kong 2.3.0
   */
  notice(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.notice', ...printable(args));
  }
  /**
   * `kong.log.info(...)`: logs at `info` level (hidden at Kong's default `notice`).
   *
   * @since Kong 2.3.0
   */
  info(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.info', ...printable(args));
  }
  /**
   * `kong.log.debug(...)`: logs at `debug` level.
   *
   * @since Kong 2.3.0
   */
  debug(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.debug', ...printable(args));
  }

  /**
   * `kong.log.deprecation(message, {after, removal, trace})`: logs a
   * deprecation warning at `warn` level, with the versions in `info` appended
   * (`(deprecated after 2.5.0, scheduled for removal in 3.0.0)`).
   *
   * Phases: all.
   *
   * @since Kong 2.6.0
   */
  deprecation(message: string, info?: DeprecationInfo): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.deprecation', message, info);
  }

  /**
   * `kong.log.serialize()`: the table Kong's logging plugins write for this
   * request (request, response, latencies, route, service, consumer, …, and
   * what `set_serialize_value` added). The host sends it JSON-encoded and the
   * binding parses it; pass the stream shape as `T` for stream plugins.
   * Beware: it may contain secrets such as API keys in query strings
   * (`authorization` headers are redacted).
   *
   * Phases: log, where the host answers from the table it saved when the
   * request ended. Earlier phases fail: Kong's function only works in `log`.
   *
   * @since Kong 2.3.0
   */
  serialize<T extends SerializedLog | SerializedStreamLog = SerializedLog>(): Promise<T> {
    return ask(this.#bridge, logMethods, 'kong.log.serialize') as Promise<T>;
  }

  /**
   * `kong.log.set_serialize_value(key, value, {mode})`: adds, changes or
   * removes (`null`) a field of the serialized log table; dots in `key`
   * reach into sub-tables (`request.my_field`; `\.` for a literal dot).
   * Kong checks the value only when the table is built.
   *
   * Removing a value (`null` or `undefined`) sends only the key, because a
   * nil cannot precede the options on the wire: with mode `set` or `replace`
   * Kong then removes the field exactly as it would have; with mode `add`,
   * which never changes an existing field, nothing is sent at all.
   *
   * Phases: rewrite, access, response, log. Call it before the `log` phase:
   * the `log` event runs in a timer after Kong saved the serialized table,
   * so a value set there reaches neither `serialize()` nor other plugins.
   *
   * @since Kong 2.3.0
   */
  setSerializeValue(key: string, value: SerializeValue, options?: SerializeValueOptions): Promise<void> {
    if (value == null) {
      if (options?.mode === 'add') return Promise.resolve();
      return ask(this.#bridge, logMethods, 'kong.log.set_serialize_value', key);
    }
    const mode = options?.mode;
    return ask(this.#bridge, logMethods, 'kong.log.set_serialize_value', key, value, mode === undefined ? undefined : { mode });
  }
}

/**
 * Log arguments become strings locally, the way `console.log` would show
 * them, so that nil holes, errors and objects never break the call: Kong would
 * otherwise print `nil`, or lose every argument after a hole.
 */
export function printable(args: readonly LogArg[]): string[] {
  return args.map(toText);
}

function toText(arg: LogArg): string {
  switch (typeof arg) {
    case 'string':
      return arg;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(arg);
    default:
      break;
  }
  if (arg === null) return 'null';
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  if (arg instanceof Uint8Array) return new TextDecoder().decode(arg);
  try {
    return JSON.stringify(arg) ?? Object.prototype.toString.call(arg);
  } catch {
    return Object.prototype.toString.call(arg);
  }
}
