/**
 * The contract of a fake PDK function: it gets the request state, the phase
 * and the arguments as Lua would (after MsgPack), and returns the Lua value
 * Kong's host would send back, a {@link Fail} for a Lua `nil, err`, or an
 * {@link ExitSignal} for a call that ends the request.
 *
 * @module
 */
import { LuaError } from './errors.ts';
import type { FakeState } from './state.ts';
import type { HostVersion } from './version.ts';

/** One PDK call as the fake Kong runs it. */
export interface CallContext {
  readonly state: FakeState;
  readonly phase: string;
  readonly method: string;
  readonly version: HostVersion;
}

/** A fake PDK function. */
export type Handler = (call: CallContext, args: readonly unknown[]) => unknown;

/** A Lua function that returned `nil, err`: 3.x sends nil, 2.x sends `plugin.StepError`. */
export class Fail {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** `kong.response.exit`/`error` ran: the request ends, no step comes back. */
export class ExitSignal {}

/** Phases of the http subsystem where the request is still being decided. */
export const REQUEST_PHASES = ['rewrite', 'access', 'response'] as const;

/**
 * Raises Kong's phase-check error unless the call runs in one of `allowed`.
 * @throws {@link LuaError}
 */
export function allowIn(call: CallContext, allowed: readonly string[]): void {
  if (allowed.includes(call.phase)) return;
  if (call.phase === 'log') {
    throw new LuaError(
      `${call.method}: not available in the log phase (Kong runs it in a timer after the response was sent; allowed in: ${allowed.join(', ')})`,
    );
  }
  throw new LuaError(`${call.method}: function cannot be called in ${call.phase} phase (only in: ${allowed.join(', ')})`);
}

/** A string argument, or Kong's "bad argument" error. */
export function stringArg(call: CallContext, args: readonly unknown[], index: number, what = 'string'): string {
  const value = args[index];
  if (typeof value === 'string') return value;
  throw new LuaError(`${call.method}: ${what} must be a string (argument #${index + 1}, got ${luaType(value)})`);
}

/** An optional number argument, or Kong's error. */
export function optionalNumber(call: CallContext, args: readonly unknown[], index: number, what: string): number | undefined {
  const value = args[index];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  throw new LuaError(`${call.method}: ${what} must be a number`);
}

/** The Lua type name of a value as it arrived. */
export function luaType(value: unknown): string {
  if (value === undefined || value === null) return 'nil';
  if (typeof value === 'object') return value instanceof Uint8Array ? 'string' : 'table';
  return typeof value;
}
