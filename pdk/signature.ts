/**
 * The typed method table that every PDK binding is built on.
 *
 * Each Kong namespace file (`request.ts`, `service/request.ts`, …) declares a
 * table that maps the exact Lua name of every function it binds to a
 * {@link Signature}: the argument tuple the Lua function takes and the type of
 * the value that comes back over MsgPack (Kong passes on only the first Lua
 * return value). The binding classes call {@link ask} with a name from their
 * table, so the Lua name, the argument types and the result type cannot drift
 * apart, and a misspelled name does not compile.
 *
 * @module
 */
import { cleanArgs } from './args.ts';
import type { Bridge } from './bridge.ts';
import { PdkError } from './errors.ts';

declare const phantom: unique symbol;

/** How one Lua PDK function is called over MsgPack:1. */
export interface Signature<A extends readonly unknown[], R> {
  /** Carries the argument and result types; never set at run time. */
  readonly [phantom]?: { readonly args: A; readonly result: R };
  /** Turns the raw value that Kong sent into the typed result. */
  readonly shape: ((raw: unknown, method: string) => R) | undefined;
  /** The call never returns: Kong ends the request (`kong.response.exit`/`error`). */
  readonly noReturn: boolean;
}

/** A table of Lua method names to their signatures. */
export type MethodTable = Readonly<Record<string, Signature<readonly unknown[], unknown>>>;

/** The argument tuple of a signature. */
export type ArgsOf<S> = S extends Signature<infer A, unknown> ? A : never;
/** The result type of a signature. */
export type ResultOf<S> = S extends Signature<readonly unknown[], infer R> ? R : never;

/**
 * Declares a PDK function that returns a value.
 * @param shape converts the raw MsgPack value into the result type; without
 *   it the value is passed on as it arrived.
 */
export function sig<A extends readonly unknown[], R>(
  shape?: (raw: unknown, method: string) => R,
): Signature<A, R> {
  return { shape, noReturn: false };
}

/** Declares a PDK function that never returns (Kong ends the request). */
export function exitSig<A extends readonly unknown[]>(): Signature<A, never> {
  return { shape: undefined, noReturn: true };
}

/**
 * Calls the Lua PDK function `name` from `table` through `bridge`, with
 * arguments and result typed by the table. Trailing `undefined` arguments
 * are dropped; arguments that cannot reach Kong intact (a nil in the middle,
 * functions, symbols, bigints, dates, …; see `args.ts`) make the promise
 * reject with a {@link PdkError} of code `PDK_BAD_ARGUMENT` without sending
 * anything.
 */
export function ask<T extends MethodTable, N extends keyof T & string>(
  bridge: Bridge,
  table: T,
  name: N,
  ...args: ArgsOf<T[N]>
): Promise<ResultOf<T[N]>> {
  const signature = table[name] as Signature<readonly unknown[], unknown>;
  const wire = cleanArgs(name, args);
  if (wire instanceof PdkError) return Promise.reject(wire);
  if (signature.noReturn) return bridge.exit(name, wire);
  const shape = signature.shape;
  if (shape === undefined) return bridge.call(name, wire) as Promise<ResultOf<T[N]>>;
  if (bridge.callShaped !== undefined) return bridge.callShaped(name, wire, shape) as Promise<ResultOf<T[N]>>;
  return bridge.call(name, wire).then((value) => shape(value, name)) as Promise<ResultOf<T[N]>>;
}
