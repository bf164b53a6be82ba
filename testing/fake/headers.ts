/**
 * Header multi-maps as nginx keeps them: case-insensitive names (stored in
 * lower case), every value in order.
 *
 * @module
 */
import { LuaError } from './errors.ts';

/** Header name → values, names in lower case. */
export type HeaderBag = Map<string, string[]>;

/** A header bag from a record of one or several values per name. */
export function headerBag(record: Readonly<Record<string, string | readonly string[]>> = {}): HeaderBag {
  const bag: HeaderBag = new Map();
  for (const [name, value] of Object.entries(record)) {
    const values = typeof value === 'string' ? [value] : [...value];
    bag.set(name.toLowerCase(), [...(bag.get(name.toLowerCase()) ?? []), ...values]);
  }
  return bag;
}

/** A copy of a bag. */
export function copyBag(bag: HeaderBag): HeaderBag {
  return new Map([...bag].map(([name, values]) => [name, [...values]]));
}

/** A plain record of a bag: every name with all its values. */
export function bagRecord(bag: HeaderBag): Record<string, string[]> {
  return Object.fromEntries([...bag].map(([name, values]) => [name, [...values]]));
}

/**
 * The Lua table `ngx.req.get_headers()` returns: one value as a string,
 * several as an array.
 */
export function luaHeaders(bag: HeaderBag, max = 100): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let count = 0;
  for (const [name, values] of bag) {
    if (max > 0 && count >= max) break;
    count++;
    out[name] = values.length === 1 ? (values[0] as string) : [...values];
  }
  return out;
}

/**
 * A header value as Kong's `validate_header` accepts it: a string, a number
 * or a boolean (turned into text), or an array of strings.
 * @throws {@link LuaError} with Kong's message otherwise.
 */
export function headerValues(method: string, name: unknown, value: unknown): { name: string; values: string[] } {
  if (typeof name !== 'string') {
    throw new LuaError(`${method}: invalid header name "${String(name)}": got ${name === undefined || name === null ? 'nil' : typeof name}, expected string`);
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return { name, values: [String(value)] };
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item !== 'string') {
        throw new LuaError(`${method}: invalid header value in array "${name}": got ${typeof item}, expected string`);
      }
    }
    return { name, values: [...(value as string[])] };
  }
  throw new LuaError(`${method}: invalid header value for "${name}": got ${value === undefined || value === null ? 'nil' : typeof value}, expected array of string, string, number or boolean`);
}

/** `get_header(name)`: the first value, `_` matching `-`. */
export function firstValue(bag: HeaderBag, name: string): string | undefined {
  return bag.get(name.toLowerCase().replaceAll('_', '-'))?.[0];
}
