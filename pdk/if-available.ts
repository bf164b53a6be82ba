/**
 * {@link ifAvailable}: the pattern for a fallback on a Kong that lacks a PDK
 * function. Kept apart from the availability table so that importing it
 * loads nothing more (`tspdk` exports it, and `-dump` loads `tspdk`).
 *
 * @module
 */
import { ErrorCodes, PdkError } from './errors.ts';

/**
 * Resolves as `call` does, or with `undefined` when the call rejects with
 * `PDK_UNAVAILABLE`: the Kong the plugin runs under does not have the
 * function (refused at once under `--kong-version`, or told from Kong's nil
 * answer without it). Other failures reject as they are.
 *
 * A function that may answer `undefined` anyway also resolves with
 * `undefined` on a Kong without it (Kong's nil), so `?? fallback` covers both.
 *
 * @example
 * // kong.request.get_start_time exists from Kong 3.0; Kong 2.x has kong.nginx.req_start_time (seconds).
 * const startMs = (await ifAvailable(kong.request.getStartTime())) ?? (await kong.nginx.reqStartTime()) * 1000;
 */
export async function ifAvailable<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof PdkError && error.code === ErrorCodes.Unavailable) return undefined;
    throw error;
  }
}
