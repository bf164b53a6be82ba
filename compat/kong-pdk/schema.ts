/**
 * kong-pdk's `Schema` export (an array of `{ name: { type, ... } }` entries,
 * Kong's own field syntax in JSON) as tspdk field specs, so a kong-pdk plugin
 * gets the dump Kong reads, validation at StartInstance and `schema.lua` from
 * the same declaration as a tspdk plugin.
 *
 * Every type and attribute tspdk validates maps one to one, and the dump of
 * the mapped schema is the declared one (attribute order aside). What tspdk
 * cannot validate is refused with an error naming the field and the
 * attribute, rather than served with a check silently missing.
 *
 * @module
 */
import { configSchema, type ConfigSchema } from '../../schema/config.ts';
import type { FieldSpec, FieldSpecs, FieldType } from '../../schema/field.ts';

/** A kong-pdk `Schema` that tspdk cannot serve as declared. */
export class KongPdkSchemaError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'KongPdkSchemaError', enumerable: false, configurable: true });
  }
}

const TYPES: ReadonlySet<string> = new Set<FieldType>(['string', 'number', 'integer', 'boolean', 'array', 'set', 'map', 'record']);

/** Attributes that map to tspdk's field options as they are. */
const OPTIONS: ReadonlySet<string> = new Set([
  'required', 'default', 'description', 'err', 'referenceable', 'encrypted', 'one_of', 'not_one_of', 'between', 'gt',
  'len_eq', 'len_min', 'len_max', 'starts_with', 'match', 'not_match', 'match_all', 'match_none', 'match_any', 'uuid',
]);

/** Attributes that hold nested fields, by the types that may have them. */
const NESTED: Readonly<Record<string, readonly FieldType[]>> = {
  elements: ['array', 'set'],
  keys: ['map'],
  values: ['map'],
  fields: ['record'],
};

/** Kong attributes tspdk does not validate (yet), and what to do instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  eq: 'use one_of with a single value',
  ne: 'use not_one_of with a single value',
  contains: 'check the value in the plugin',
  is_regex: 'check the value in the plugin',
  timestamp: 'check the value in the plugin',
  custom_validator: 'a Lua function cannot travel in the JSON dump',
  mutually_exclusive_subsets: 'check the value in the plugin',
};

function fail(path: string, message: string): never {
  throw new KongPdkSchemaError(`Schema ${path}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The one `[name, definition]` of a `{ name: definition }` entry. */
function entryOf(entry: unknown, path: string): [string, unknown] {
  if (!isRecord(entry)) fail(path, `each entry must be an object { <field name>: { type: ... } }, got ${describe(entry)}`);
  const names = Object.keys(entry);
  if (names.length !== 1) {
    fail(path, `each entry must name exactly one field (Kong reads one key per entry), got ${names.length === 0 ? 'none' : names.join(', ')}`);
  }
  const name = names[0] as string;
  return [name, entry[name]];
}

/** A field definition as a tspdk field spec. */
function toSpec(definition: unknown, path: string): FieldSpec {
  if (!isRecord(definition)) fail(path, `a field definition must be an object such as { type: 'string' }, got ${describe(definition)}`);
  const type = definition['type'];
  if (typeof type !== 'string' || !TYPES.has(type)) {
    fail(path, `type ${describe(type)} is not one of ${[...TYPES].join(', ')} (the types tspdk validates)`);
  }
  const options: Record<string, unknown> = {};
  const spec: { -readonly [K in keyof FieldSpec]: FieldSpec[K] } = { type: type as FieldType, options };
  for (const [attribute, value] of Object.entries(definition)) {
    if (attribute === 'type' || value === null || value === undefined) continue;
    if (OPTIONS.has(attribute)) {
      options[attribute] = value;
      continue;
    }
    const holders = NESTED[attribute];
    if (holders !== undefined) {
      if (!holders.includes(type as FieldType)) fail(path, `'${attribute}' belongs to ${holders.join(' and ')} fields, not to a ${type}`);
      if (attribute === 'fields') spec.fields = toSpecs(value, path);
      else spec[attribute as 'elements' | 'keys' | 'values'] = toSpec(value, `${path}${attribute === 'elements' ? '[]' : `{${attribute}}`}`);
      continue;
    }
    const instead = UNSUPPORTED[attribute];
    fail(
      path,
      instead === undefined
        ? `attribute '${attribute}' is not a Kong field attribute tspdk knows`
        : `attribute '${attribute}' is not supported by tspdk (${instead}), so it cannot validate this field as Kong would`,
    );
  }
  if ((type === 'array' || type === 'set') && spec.elements === undefined) fail(path, `a ${type} needs 'elements' (Kong's metaschema requires it)`);
  if (type === 'map' && spec.values === undefined) fail(path, "a map needs 'values' (Kong's metaschema requires it)");
  if (type === 'map' && spec.keys === undefined) spec.keys = { type: 'string', options: {} };
  if (type === 'record' && spec.fields === undefined) fail(path, "a record needs 'fields' (Kong's metaschema requires it)");
  return spec;
}

/** A `fields` array (`[{ name: definition }, …]`) as a record of specs. */
function toSpecs(entries: unknown, path: string): FieldSpecs {
  if (!Array.isArray(entries)) fail(path, `expected an array of { <field name>: { type: ... } } entries, got ${describe(entries)}`);
  const specs: Record<string, FieldSpec> = {};
  entries.forEach((entry: unknown, index) => {
    const [name, definition] = entryOf(entry, `${path}[${index}]`);
    if (Object.hasOwn(specs, name)) fail(`${path}.${name}`, 'declared twice');
    Object.defineProperty(specs, name, { value: toSpec(definition, `${path}.${name}`), enumerable: true, writable: true, configurable: true });
  });
  return specs;
}

/**
 * The config schema of a kong-pdk `Schema` export (`undefined` or missing:
 * no fields, as kong-pdk treats it).
 * @throws {@link KongPdkSchemaError} naming the field and the attribute that
 *   cannot be served, or {@link TypeError} for a declaration Kong's
 *   metaschema would reject (a short description, a bad Lua pattern, a
 *   default that fails its own validators).
 */
export function kongPdkConfigSchema(schema: unknown): ConfigSchema {
  if (schema === undefined || schema === null) return configSchema({});
  return configSchema(toSpecs(schema, 'config'));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
