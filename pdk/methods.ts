/**
 * Every bound Lua PDK function in one table: the union of the namespace
 * tables. Used by tools and tests; the bindings use their own namespace table.
 *
 * @module
 */
import { ctxSharedMethods } from './ctx/shared.ts';
import { logMethods } from './log.ts';
import { requestMethods } from './request.ts';
import { responseMethods } from './response.ts';
import type { MethodTable } from './signature.ts';

/** All bound Lua PDK functions, keyed by their exact Lua name. */
export const pdkMethods = {
  ...ctxSharedMethods,
  ...logMethods,
  ...requestMethods,
  ...responseMethods,
} as const satisfies MethodTable;

/** The exact Lua name of a bound PDK function. */
export type PdkMethodName = keyof typeof pdkMethods;
