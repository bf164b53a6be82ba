/**
 * `kong.log`: write to Kong's error log.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { asVoid } from './shape.ts';
import { ask, sig } from './signature.ts';

/** A value `kong.log.*` can print (Kong converts each argument with `tostring`). */
export type LogArg = string | number | boolean | null | undefined | Uint8Array | object;

/** The Lua functions of `kong.log` and how they travel over MsgPack. */
export const logMethods = {
  'kong.log.alert': sig<LogArg[], void>(asVoid),
  'kong.log.crit': sig<LogArg[], void>(asVoid),
  'kong.log.err': sig<LogArg[], void>(asVoid),
  'kong.log.warn': sig<LogArg[], void>(asVoid),
  'kong.log.notice': sig<LogArg[], void>(asVoid),
  'kong.log.info': sig<LogArg[], void>(asVoid),
  'kong.log.debug': sig<LogArg[], void>(asVoid),
} as const;

/** `kong.log`: log lines go to Kong's error log, prefixed with the plugin's name. */
export class Log {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** `kong.log.alert(...)`: logs at `alert` level. */
  alert(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.alert', ...printable(args));
  }
  /** `kong.log.crit(...)`: logs at `crit` level. */
  crit(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.crit', ...printable(args));
  }
  /** `kong.log.err(...)`: logs at `error` level. */
  err(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.err', ...printable(args));
  }
  /** `kong.log.warn(...)`: logs at `warn` level. */
  warn(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.warn', ...printable(args));
  }
  /** `kong.log.notice(...)`: logs at `notice` level. */
  notice(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.notice', ...printable(args));
  }
  /** `kong.log.info(...)`: logs at `info` level (hidden at Kong's default `notice`). */
  info(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.info', ...printable(args));
  }
  /** `kong.log.debug(...)`: logs at `debug` level. */
  debug(...args: LogArg[]): Promise<void> {
    return ask(this.#bridge, logMethods, 'kong.log.debug', ...printable(args));
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
  if (typeof arg === 'string') return arg;
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  if (arg instanceof Uint8Array) return new TextDecoder().decode(arg);
  if (arg === null || arg === undefined || typeof arg !== 'object') return String(arg);
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}
