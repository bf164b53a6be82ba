/**
 * Builders for config fields: `field.string({...})`, `field.array(field.integer())`,
 * `field.record({...})`, … Each returns a {@link FieldSpec} whose phantom type
 * is the TypeScript type of the field's value, and which converts to Kong's
 * field definition with {@link toKongField}.
 *
 * @module
 */
import type { JsonValue, KongField, KongFieldEntry } from './kong-field.ts';
import { cloneJson, defineOwn } from './kong-field.ts';
import { luaPatternProblem } from './lua-pattern.ts';
import { defaultProblems } from './validate.ts';

declare const phantom: unique symbol;

/** The Kong field types a config field can have. */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'set' | 'map' | 'record';

// The attributes below are Kong's (`KongField`, with their documentation); the
// builders narrow only what TypeScript can use: the default's type, and the
// value lists of `one_of` that become the field's union type.

/** Attributes common to every field. */
export interface FieldOptions<T> extends Pick<KongField, 'required' | 'description' | 'err'> {
  /** The value Kong uses when the field is not set; makes the TS type non-optional. */
  readonly default?: T;
}

/** Length limits (bytes for strings, entries for arrays, sets and maps). */
export type LengthOptions = Pick<KongField, 'len_eq' | 'len_min' | 'len_max'>;

/** Attributes of a `string` field. */
export interface StringOptions
  extends FieldOptions<string>,
    LengthOptions,
    Pick<KongField, 'match' | 'not_match' | 'match_all' | 'match_none' | 'match_any' | 'starts_with' | 'uuid' | 'referenceable' | 'encrypted'> {
  /** Allowed values; the TS type becomes their union. */
  readonly one_of?: readonly string[];
  /** Forbidden values. */
  readonly not_one_of?: readonly string[];
}

/** Attributes of a `number` or `integer` field. */
export interface NumberOptions extends FieldOptions<number>, Pick<KongField, 'between' | 'gt'> {
  /** Allowed values; the TS type becomes their union. */
  readonly one_of?: readonly number[];
  /** Forbidden values. */
  readonly not_one_of?: readonly number[];
}

/** Attributes of a `boolean` field. */
export type BooleanOptions = FieldOptions<boolean>;

/** Attributes of an `array` or `set` field whose elements have type `E`. */
export interface ListOptions<E> extends FieldOptions<readonly E[]>, LengthOptions, Pick<KongField, 'encrypted'> {}

/** Attributes of a `map` field whose values have type `V`. */
export interface MapOptions<V> extends FieldOptions<Readonly<Record<string, V>>>, LengthOptions {
  /** The spec of the keys; a string by default (Kong requires `keys`). */
  readonly keys?: FieldSpec<string | undefined>;
}

/** Attributes of a `record` field whose value has type `T`. */
export type RecordOptions<T> = FieldOptions<Partial<T>>;

/** One declared config field whose values have type `T`. */
export interface FieldSpec<T = unknown> {
  readonly [phantom]?: T;
  /** The Kong field type. */
  readonly type: FieldType;
  /** The field's attributes (nested specs excluded). */
  readonly options: FieldOptions<unknown>;
  /** Array and set elements. */
  readonly elements?: FieldSpec;
  /** Map keys. */
  readonly keys?: FieldSpec;
  /** Map values. */
  readonly values?: FieldSpec;
  /** Record fields, in declaration order. */
  readonly fields?: Readonly<Record<string, FieldSpec>>;
}

/** A record of field specs: the shape of a config or of a nested record. */
export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

/** The value type of a field spec, `undefined` excluded (elements are always required). */
export type ValueOf<F> = F extends FieldSpec<infer T> ? Exclude<T, undefined> : never;

/** `T`, or `T | undefined` when the options give neither a default nor `required: true`. */
type Resolved<T, O> = O extends { default: unknown } ? T : O extends { required: true } ? T : T | undefined;

/** The object type declared by a record of fields. */
export type InferConfig<S extends FieldSpecs> = {
  -readonly [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never;
};

type OneOf<O, Base> = O extends { one_of: readonly (infer L)[] } ? (L extends Base ? L : Base) : Base;

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

function spec<T>(type: FieldType, options: object | undefined, nested: Partial<FieldSpec> = {}): FieldSpec<T> {
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) if (k !== 'keys' && v !== undefined) opts[k] = v;
  return { ...nested, type, options: opts } as FieldSpec<T>;
}

/** Builders for config fields. */
export const field = {
  /** A Kong `string` field; `one_of` narrows the TS type to the listed literals. */
  string<const O extends StringOptions = Record<never, never>>(options?: O): FieldSpec<Resolved<OneOf<O, string>, O>> {
    return spec('string', options);
  },
  /** A Kong `number` field (any finite number). */
  number<const O extends NumberOptions = Record<never, never>>(options?: O): FieldSpec<Resolved<OneOf<O, number>, O>> {
    return spec('number', options);
  },
  /** A Kong `integer` field. */
  integer<const O extends NumberOptions = Record<never, never>>(options?: O): FieldSpec<Resolved<OneOf<O, number>, O>> {
    return spec('integer', options);
  },
  /** A Kong `boolean` field. */
  boolean<const O extends BooleanOptions = Record<never, never>>(options?: O): FieldSpec<Resolved<boolean, O>> {
    return spec('boolean', options);
  },
  /** A Kong `array` of `elements` (elements are always required). */
  array<E extends FieldSpec, const O extends ListOptions<ValueOf<E>> = Record<never, never>>(
    elements: E,
    options?: O,
  ): FieldSpec<Resolved<ValueOf<E>[], O>> {
    return spec('array', options, { elements });
  },
  /** A Kong `set`: an array whose duplicates Kong removes. */
  set<E extends FieldSpec, const O extends ListOptions<ValueOf<E>> = Record<never, never>>(
    elements: E,
    options?: O,
  ): FieldSpec<Resolved<ValueOf<E>[], O>> {
    return spec('set', options, { elements });
  },
  /** A Kong `map` from string keys (see `options.keys`) to `values`. */
  map<V extends FieldSpec, const O extends MapOptions<ValueOf<V>> = Record<never, never>>(
    values: V,
    options?: O,
  ): FieldSpec<Resolved<Record<string, ValueOf<V>>, O>> {
    return spec('map', options, { keys: options?.keys ?? { type: 'string', options: {} }, values });
  },
  /** A nested Kong `record`; its value is an object typed by its fields. */
  record<const S extends FieldSpecs, const O extends RecordOptions<InferConfig<S>> = Record<never, never>>(
    fields: S,
    options?: O,
  ): FieldSpec<Resolved<InferConfig<S>, O>> {
    return spec('record', options, { fields });
  },
};

function fail(path: string, message: string): never {
  throw new TypeError(`tspdk schema: ${path}: ${message}`);
}

const PATTERN_KEYS = ['match', 'not_match'] as const;

/**
 * Checks a spec (recursively) against Kong's metaschema rules and throws a `TypeError`
 * naming the field: Kong would refuse to load the plugin otherwise.
 */
function checkSpec(s: FieldSpec, path: string): void {
  const o = s.options as Record<string, unknown> & StringOptions & NumberOptions;
  if (o.description !== undefined && (o.description.length < 10 || o.description.length > 500)) {
    fail(path, 'description must be 10 to 500 characters long (Kong metaschema)');
  }
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && !Number.isFinite(v)) fail(path, `${k} must be a finite number`);
  }
  if (o.between !== undefined && (o.between.length !== 2 || o.between.some((n) => !Number.isFinite(n)))) {
    fail(path, 'between must be [min, max]');
  }
  for (const key of ['len_eq', 'len_min', 'len_max'] as const) {
    const n = (o as LengthOptions)[key];
    if (n !== undefined && !Number.isInteger(n)) fail(path, `${key} must be an integer`);
  }
  const patterns: string[] = [];
  for (const key of PATTERN_KEYS) if (o[key] !== undefined) patterns.push(o[key]);
  for (const rule of [...(o.match_all ?? []), ...(o.match_none ?? [])]) patterns.push(rule.pattern);
  patterns.push(...(o.match_any?.patterns ?? []));
  for (const p of patterns) {
    const problem = luaPatternProblem(p);
    if (problem !== undefined) fail(path, `bad Lua pattern '${p}': ${problem}`);
  }
  if (s.elements !== undefined) checkSpec(s.elements, `${path}[]`);
  if (s.keys !== undefined) checkSpec(s.keys, `${path}{key}`);
  if (s.values !== undefined) checkSpec(s.values, `${path}{value}`);
  if (s.fields !== undefined) checkSpecs(s.fields, path);
  if (o.default !== undefined) {
    const problems = defaultProblems(toKongField(s), path);
    if (problems.length > 0) fail(path, `invalid default (${problems.join('; ')})`);
  }
}

/** Checks every field of a record of specs (see {@link checkSpec}); `path` names the record. */
export function checkSpecs(fields: FieldSpecs, path: string): void {
  for (const [name, f] of Object.entries(fields)) {
    if (RESERVED.has(name)) fail(path, `'${name}' cannot be a field name`);
    checkSpec(f, `${path}.${name}`);
  }
}

/** Kong's field definition (the JSON form, no nulls) for a spec. */
function toKongField(s: FieldSpec): KongField {
  const out: Record<string, unknown> = { type: s.type };
  const o = s.options as Record<string, unknown>;
  for (const key of ['required', 'default', 'description', 'err', 'referenceable', 'encrypted', 'one_of', 'not_one_of',
    'between', 'gt', 'len_eq', 'len_min', 'len_max', 'starts_with', 'match', 'not_match', 'match_all', 'match_none',
    'match_any', 'uuid']) {
    const v = o[key];
    if (v !== undefined && v !== null) defineOwn(out, key, cloneJson(v as JsonValue));
  }
  if (s.elements !== undefined) out['elements'] = toKongField(s.elements);
  if (s.keys !== undefined) out['keys'] = toKongField(s.keys);
  if (s.values !== undefined) out['values'] = toKongField(s.values);
  if (s.fields !== undefined) out['fields'] = toKongFields(s.fields);
  return out as unknown as KongField;
}

/** The `fields` array (`[{name: field}, …]`) for a record of specs. */
export function toKongFields(fields: FieldSpecs): KongFieldEntry[] {
  return Object.entries(fields).map(([name, f]) => {
    const entry: Record<string, KongField> = {};
    defineOwn(entry, name, toKongField(f));
    return entry;
  });
}
