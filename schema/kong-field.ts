/**
 * The JSON form of Kong schema fields: what `-dump` carries and what Kong's
 * MetaSubSchema validates (`kong/db/schema/metaschema.lua`).
 *
 * @module
 */

/** A JSON value (no `null`: Kong decodes JSON null to `cjson.null` userdata). */
export type JsonValue = string | number | boolean | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Kong field types that a plugin config can use. */
export type KongFieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'set' | 'map' | 'record';

/** One entry of `match_all` / `match_none`: a Lua pattern and the error to report. */
export interface MatchRule {
  /** A Lua pattern (not a regex). */
  readonly pattern: string;
  /** The error message when the rule fails. */
  readonly err?: string;
}

/** The argument of `match_any`: the value must match at least one pattern. */
export interface MatchAny {
  /** Lua patterns (not regexes). */
  readonly patterns: readonly string[];
  /** The error message when none matches. */
  readonly err?: string;
}

/** A field definition, as a table in Kong's schema (`{ type = "string", … }`). */
export interface KongField {
  /** The field type. */
  readonly type: KongFieldType | 'foreign';
  /** Kong rejects an entity without a value for it; makes the TS type of a config field non-optional. */
  readonly required?: boolean;
  /** The value Kong fills in when the field is missing. */
  readonly default?: JsonValue;
  /** Shown in Kong Manager and Konnect (10 to 500 characters, per the metaschema). */
  readonly description?: string;
  /** Replaces the message of any failing validator of this field. */
  readonly err?: string;
  /** The string may be a vault reference (`{vault://env/secret}`), resolved by Kong. */
  readonly referenceable?: boolean;
  /** Kong Enterprise encrypts the value at rest (keyring). */
  readonly encrypted?: boolean;
  /** Foreign fields: the referenced entity. */
  readonly reference?: string;
  /** The value must be one of these. */
  readonly one_of?: readonly (string | number)[];
  /** The value must not be one of these. */
  readonly not_one_of?: readonly (string | number)[];
  /** Inclusive bounds `[min, max]`. */
  readonly between?: readonly [number, number];
  /** The value must be greater than this. */
  readonly gt?: number;
  /** Exact length (bytes for strings, entries for aggregates). */
  readonly len_eq?: number;
  /** Minimum length. Strings default to 1: Kong rejects empty strings unless `len_min: 0`. */
  readonly len_min?: number;
  /** Maximum length. */
  readonly len_max?: number;
  /** A Lua pattern (not a regex) the string must match, e.g. `'^%u+$'`. */
  readonly match?: string;
  /** A Lua pattern the string must not match. */
  readonly not_match?: string;
  /** Lua patterns the string must all match. */
  readonly match_all?: readonly MatchRule[];
  /** Lua patterns the string must not match. */
  readonly match_none?: readonly MatchRule[];
  /** Lua patterns of which the string must match one. */
  readonly match_any?: MatchAny;
  /** A prefix the string must start with. */
  readonly starts_with?: string;
  /** The string must be a UUID. */
  readonly uuid?: boolean;
  /** Array and set elements. */
  readonly elements?: KongField;
  /** Map keys. */
  readonly keys?: KongField;
  /** Map values. */
  readonly values?: KongField;
  /** Record fields, in order, one `{name: field}` table each. */
  readonly fields?: readonly KongFieldEntry[];
}

/** One entry of a `fields` array: a single-key table `{name: field}`. */
export type KongFieldEntry = Readonly<Record<string, KongField>>;

/** The order in which attributes are written (Kong reads them in any order). */
export const ATTRIBUTE_ORDER: readonly (keyof KongField)[] = [
  'type', 'reference', 'required', 'default', 'description', 'err', 'referenceable', 'encrypted',
  'one_of', 'not_one_of', 'between', 'gt', 'len_eq', 'len_min', 'len_max',
  'starts_with', 'match', 'not_match', 'match_all', 'match_none', 'match_any', 'uuid',
  'elements', 'keys', 'values', 'fields',
];

/** The name and definition of a single-key `{name: field}` entry. */
export function entryOf(entry: KongFieldEntry): [string, KongField] | undefined {
  const names = Object.keys(entry);
  const name = names[0];
  if (names.length !== 1 || name === undefined) return undefined;
  const def = entry[name];
  return def === undefined ? undefined : [name, def];
}

/** A deep copy of a JSON value made of plain own properties only. */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((v: JsonValue) => cloneJson(v)) as unknown as T;
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) defineOwn(out, key, cloneJson((value as Record<string, JsonValue>)[key] as JsonValue));
    return out as T;
  }
  return value;
}

/** Sets an own, enumerable data property; never triggers `__proto__` setters. */
export function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Whether `value` is a plain (JSON) object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
