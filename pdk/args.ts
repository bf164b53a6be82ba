/**
 * Checks the arguments of a PDK call before they go on the wire.
 *
 * Kong calls the Lua function with `unpack(Args)`, which stops at the first
 * nil when more values follow it, so a `null` or `undefined` in the middle of
 * the arguments would silently drop every later argument. Values that
 * MessagePack cannot carry (functions, symbols, bigints) would make the
 * encoder throw and leave the event stuck, and values that it carries in a
 * form Lua cannot use (dates become an extension type that Kong decodes as
 * nil, `Map` and `Set` encode as empty maps) would be lost. This module
 * rejects all of these locally, naming the method and the argument.
 *
 * Primitives are accepted without further work; only objects and arrays are
 * walked.
 *
 * @module
 */
import { ErrorCodes, PdkError } from './errors.ts';
import { describeFailure } from './failure.ts';

/** Deepest nesting accepted; @msgpack/msgpack refuses deeper values too (and a cycle ends here). */
const MAX_DEPTH = 100;

/**
 * Returns the arguments to send for `method`: `args` without its trailing
 * `undefined`s. Returns a {@link PdkError} with code `PDK_BAD_ARGUMENT` when
 * an argument cannot be sent.
 */
export function cleanArgs(method: string, args: readonly unknown[]): readonly unknown[] | PdkError {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  for (let i = 0; i < end; i++) {
    const value = args[i];
    if (value == null) {
      if (i < end - 1) return bad(method, `argument ${i + 1} is ${String(value)} but a later argument is set (Kong would drop every argument after it)`);
      continue;
    }
    const type = typeof value;
    if (type === 'string' || type === 'number' || type === 'boolean') continue;
    let problem: string | undefined;
    try {
      problem = describeProblem(value, 0);
    } catch (error) {
      // A Proxy, or a getter, that throws while the value is read.
      problem = ` cannot be read: ${describeFailure(error)}`;
    }
    if (problem !== undefined) return bad(method, `argument ${i + 1}${problem}`);
  }
  return end === args.length ? args : args.slice(0, end);
}

function bad(method: string, message: string): PdkError {
  return new PdkError(ErrorCodes.BadArgument, method, message);
}

/** Why `value` cannot be sent, as a path suffix and reason, or `undefined` when it can. */
function describeProblem(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'bigint':
      return ' is a bigint, which MessagePack cannot carry to Kong (use a number or a string)';
    case 'symbol':
      return ' is a symbol, which MessagePack cannot carry';
    case 'function':
      return ' is a function, which cannot be sent to Kong';
    default:
      break;
  }
  if (value === null || ArrayBuffer.isView(value)) return undefined;
  if (depth >= MAX_DEPTH) return ` is nested more than ${MAX_DEPTH} levels deep (is it circular?)`;
  if (value instanceof Date) return ' is a Date, which Kong would receive as nil (send a string or a number)';
  if (value instanceof Map || value instanceof Set) return ` is a ${value instanceof Map ? 'Map' : 'Set'}, which would arrive empty (send a plain object or an array)`;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === undefined) return `[${i}] is undefined, which would leave a hole in a Lua array`;
      if (item !== null && typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
        const problem = describeProblem(item, depth + 1);
        if (problem !== undefined) return `[${i}]${problem}`;
      }
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item == null || typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') continue;
    const problem = describeProblem(item, depth + 1);
    if (problem !== undefined) return `.${key}${problem}`;
  }
  return undefined;
}
