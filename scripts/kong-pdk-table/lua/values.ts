/**
 * The values the Lua evaluator tracks: what is known of a Lua value while a
 * module is loaded and its constructor runs. Anything the evaluator cannot
 * know (a `require`d library, a result of ngx) is `unknown`.
 *
 * @module
 */
import type { FunctionExpr } from './ast.ts';

/** A Lua value as far as the evaluator knows it. */
export type Value =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'nil' }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value?: number }
  | TableValue
  | FunctionValue
  | { readonly kind: 'builtin'; readonly name: string }
  | { readonly kind: 'union'; readonly options: readonly Value[] };

/** A table: string-keyed fields, positional items, and its metatable once set. */
export interface TableValue {
  readonly kind: 'table';
  readonly fields: Map<string, Value>;
  readonly items: Value[];
  /** The metatable: a known table, `opaque` when it came from code the evaluator cannot see, or none. */
  meta: TableValue | 'opaque' | undefined;
}

/** A Lua function with the scope it closes over. */
export interface FunctionValue {
  readonly kind: 'function';
  readonly fn: FunctionExpr;
  readonly scope: Scope;
}

/** A local variable's box, shared by every closure that sees it. */
export interface Binding {
  value: Value;
}

/** A lexical scope: local variables and the enclosing scope. */
export class Scope {
  readonly #vars = new Map<string, Binding>();
  readonly parent: Scope | undefined;

  constructor(parent: Scope | undefined) {
    this.parent = parent;
  }

  /** Declares a local in this scope. */
  declare(name: string, value: Value): void {
    this.#vars.set(name, { value });
  }

  /** The binding a name refers to from here, if it is a local (or a global held by the root scope). */
  lookup(name: string): Binding | undefined {
    return this.#vars.get(name) ?? this.parent?.lookup(name);
  }

  /** The names declared in this very scope, with their values. */
  entries(): IterableIterator<[string, Binding]> {
    return this.#vars.entries();
  }
}

export const UNKNOWN: Value = { kind: 'unknown' };
export const NIL: Value = { kind: 'nil' };

/** A new empty table. */
export function newTable(): TableValue {
  return { kind: 'table', fields: new Map(), items: [], meta: undefined };
}

/** Lua truthiness: true, false, or undefined when the value is not known. */
export function truthy(v: Value): boolean | undefined {
  switch (v.kind) {
    case 'nil':
      return false;
    case 'boolean':
      return v.value;
    case 'unknown':
      return undefined;
    case 'union': {
      const all = v.options.map(truthy);
      return all.every((t) => t === true) ? true : all.every((t) => t === false) ? false : undefined;
    }
    default:
      return true;
  }
}

/** One value that may be any of `options` (duplicates and nested unions flattened). */
export function union(options: readonly Value[]): Value {
  const flat: Value[] = [];
  for (const o of options) for (const x of o.kind === 'union' ? o.options : [o]) if (!flat.includes(x)) flat.push(x);
  if (flat.length === 0) return NIL;
  return flat.length === 1 ? (flat[0] as Value) : { kind: 'union', options: flat };
}

/** A field of a table, following `__index` tables; undefined when not found there. */
export function fieldOf(table: TableValue, key: string, seen = new Set<TableValue>()): Value | undefined {
  if (seen.has(table)) return undefined;
  seen.add(table);
  const own = table.fields.get(key);
  if (own !== undefined) return own;
  const index = metaField(table, '__index');
  return index?.kind === 'table' ? fieldOf(index, key, seen) : undefined;
}

/** A field of a table's metatable, when the metatable is known. */
export function metaField(table: TableValue, key: string): Value | undefined {
  return table.meta === undefined || table.meta === 'opaque' ? undefined : table.meta.fields.get(key);
}
