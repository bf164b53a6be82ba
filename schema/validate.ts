/**
 * Validation and defaults with Kong's semantics (`kong/db/schema/init.lua`):
 * the same type checks, validators, validator order and error messages, and
 * the defaults Kong's `process_auto_fields` fills in. Works on the JSON form
 * of a schema, so it validates what Kong validates.
 *
 * Errors name the field path like Kong's flattened errors, with array
 * elements in brackets and counted from 1 as Kong counts them:
 * `config.ttl: expected an integer`, `config.limits.minute: …`,
 * `config.keys[2]: …`.
 *
 * @module
 */
import { luaMatch, LuaPatternError } from './lua-pattern.ts';
import { luaConcat, luaFormatInteger, luaToString } from './lua-format.ts';
import {
  cloneJson,
  defineOwn,
  entryOf,
  isPlainObject,
  type KongField,
  type KongFieldEntry,
} from './kong-field.ts';

/** Keys Kong adds to a plugin's config before sending it; never config fields. */
const META_KEYS: ReadonlySet<string> = new Set([
  '__seq__', '__key__', '__plugin_id', '__ws_id', 'route_id', 'service_id', 'consumer_id', 'plugin_instance_name',
]);

/** Keys that are never assigned to an output object. */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Kong's messages (`validation_errors` in `kong/db/schema/init.lua`). */
export const MESSAGES = {
  ARRAY: 'expected an array',
  SET: 'expected a set',
  MAP: 'expected a map',
  RECORD: 'expected a record',
  STRING: 'expected a string',
  NUMBER: 'expected a number',
  BOOLEAN: 'expected a boolean',
  INTEGER: 'expected an integer',
  REQUIRED: 'required field missing',
  UNKNOWN: 'unknown field',
  UUID: 'expected a valid UUID',
} as const;

/** The outcome of checking one value. */
interface Checked {
  /** No error was found in the value (nested errors included). */
  readonly ok: boolean;
  /** The value with defaults applied; `undefined` when nothing usable remains. */
  readonly value: unknown;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a vault reference (`is_reference` in `kong/pdk/vault.lua`). */
function isVaultReference(value: string): boolean {
  return value.startsWith('{vault://') && value.endsWith('}');
}

function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

function lengthOf(value: unknown): number {
  if (typeof value === 'string') return byteLength(value);
  if (Array.isArray(value)) return value.length;
  return isPlainObject(value) ? Object.keys(value).length : 0;
}

function patternMatches(value: string, pattern: string): boolean | string {
  try {
    return luaMatch(value, pattern);
  } catch (err) {
    if (err instanceof LuaPatternError) return `invalid pattern '${pattern}': ${err.message}`;
    throw err;
  }
}

/**
 * Kong's validators, in `Schema.validators_order`; the first failure is the
 * field's error (replaced by the field's `err` when it has one).
 */
function runValidators(field: KongField, value: unknown): string | undefined {
  const fail = (msg: string | undefined): string => field.err ?? msg ?? `invalid value: ${String(value)}`;
  const str = typeof value === 'string' ? value : undefined;
  const num = typeof value === 'number' ? value : undefined;
  if (field.not_one_of !== undefined && field.not_one_of.includes(value as string | number)) {
    return fail(`must not be one of: ${luaConcat(field.not_one_of, ', ')}`);
  }
  if (field.one_of !== undefined && !field.one_of.includes(value as string | number)) {
    return fail(`expected one of: ${luaConcat(field.one_of, ', ')}`);
  }
  if (field.gt !== undefined && num !== undefined && !(num > field.gt)) {
    return fail(`value must be greater than ${luaToString(field.gt)}`);
  }
  if (field.uuid === true && str !== undefined && !(str.length === 36 && UUID_RE.test(str))) {
    return fail(MESSAGES.UUID);
  }
  if (field.between !== undefined && num !== undefined) {
    const [min, max] = field.between;
    if (num < min || num > max) {
      return fail(`value should be between ${luaFormatInteger(min)} and ${luaFormatInteger(max)}`);
    }
  }
  const len = lengthOf(value);
  const lenMin = field.len_min ?? (field.type === 'string' ? 1 : undefined);
  if (field.len_eq !== undefined && len !== field.len_eq) return fail(`length must be ${luaFormatInteger(field.len_eq)}`);
  if (lenMin !== undefined && len < lenMin) return fail(`length must be at least ${luaFormatInteger(lenMin)}`);
  if (field.len_max !== undefined && len > field.len_max) return fail(`length must be at most ${luaFormatInteger(field.len_max)}`);
  if (str === undefined) return undefined;
  if (field.starts_with !== undefined && !str.startsWith(field.starts_with)) {
    return fail(`should start with: ${field.starts_with}`);
  }
  if (field.not_match !== undefined) {
    const m = patternMatches(str, field.not_match);
    if (m !== false) return typeof m === 'string' ? m : fail(`invalid value: ${str}`);
  }
  for (const rule of field.match_none ?? []) {
    const m = patternMatches(str, rule.pattern);
    if (m !== false) return typeof m === 'string' ? m : fail(rule.err ?? `invalid value: ${str}`);
  }
  if (field.match !== undefined) {
    const m = patternMatches(str, field.match);
    if (m !== true) return typeof m === 'string' ? m : fail(`invalid value: ${str}`);
  }
  for (const rule of field.match_all ?? []) {
    const m = patternMatches(str, rule.pattern);
    if (m !== true) return typeof m === 'string' ? m : fail(rule.err ?? `invalid value: ${str}`);
  }
  if (field.match_any !== undefined) {
    let any = false;
    for (const pattern of field.match_any.patterns) {
      const m = patternMatches(str, pattern);
      if (typeof m === 'string') return m;
      if (m) {
        any = true;
        break;
      }
    }
    if (!any) return fail(field.match_any.err ?? `invalid value: ${str}`);
  }
  return undefined;
}

/** The value Kong fills in for a missing field (`handle_missing_field`). */
function missingValue(field: KongField): unknown {
  if (field.default !== undefined) return cloneJson(field.default);
  if (field.type === 'record' && field.required === true) return {};
  return undefined;
}

/** An empty JSON object or array, which Lua's cjson cannot tell apart. */
function isEmptyTable(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0);
}

function checkList(field: KongField, value: unknown, path: string, errors: string[]): Checked {
  const isSet = field.type === 'set';
  if (!Array.isArray(value) && !isEmptyTable(value)) {
    errors.push(`${path}: ${isSet ? MESSAGES.SET : MESSAGES.ARRAY}`);
    return { ok: false, value: undefined };
  }
  const items = Array.isArray(value) ? (value as unknown[]) : [];
  const elements = field.elements ?? { type: 'string' };
  const out: unknown[] = [];
  let ok = true;
  items.forEach((item, i) => {
    const at = `${path}[${i + 1}]`;
    if (item === null || item === undefined) {
      errors.push(`${at}: ${MESSAGES.REQUIRED}`);
      ok = false;
      return;
    }
    const checked = checkValue(elements, item, at, errors);
    if (!checked.ok) ok = false;
    out.push(checked.value);
  });
  if (!ok) return { ok, value: undefined };
  const list = isSet ? out.filter((v, i) => typeof v === 'object' || out.indexOf(v) === i) : out;
  return finish(field, list, path, errors);
}

function checkMap(field: KongField, value: unknown, path: string, errors: string[]): Checked {
  if (!isPlainObject(value) && !isEmptyTable(value)) {
    errors.push(`${path}: ${MESSAGES.MAP}`);
    return { ok: false, value: undefined };
  }
  const input = isPlainObject(value) ? value : {};
  const keys = field.keys ?? { type: 'string' };
  const values = field.values ?? { type: 'string' };
  const out: Record<string, unknown> = {};
  // Kong stops at the first bad key or value of a map.
  for (const key of Object.keys(input)) {
    if (UNSAFE_KEYS.has(key)) {
      errors.push(`${path}: key '${key}' is not allowed`);
      return { ok: false, value: undefined };
    }
    const k = checkValue(keys, key, path, errors);
    if (!k.ok) return { ok: false, value: undefined };
    const v = input[key];
    if (v === null || v === undefined) {
      errors.push(`${path}.${key}: ${MESSAGES.REQUIRED}`);
      return { ok: false, value: undefined };
    }
    const checked = checkValue(values, v, `${path}.${key}`, errors);
    if (!checked.ok) return { ok: false, value: undefined };
    defineOwn(out, key, checked.value);
  }
  return finish(field, out, path, errors);
}

function finish(field: KongField, value: unknown, path: string, errors: string[]): Checked {
  const problem = runValidators(field, value);
  if (problem !== undefined) {
    errors.push(`${path}: ${problem}`);
    return { ok: false, value: undefined };
  }
  return { ok: true, value };
}

/**
 * Checks one non-null value against its field (`Schema:validate_field`),
 * applying nested defaults; pushes `path: message` errors.
 */
function checkValue(field: KongField, value: unknown, path: string, errors: string[]): Checked {
  switch (field.type) {
    case 'array':
    case 'set':
      return checkList(field, value, path, errors);
    case 'map':
      return checkMap(field, value, path, errors);
    case 'record': {
      if (!isPlainObject(value) && !isEmptyTable(value)) {
        errors.push(`${path}: ${MESSAGES.RECORD}`);
        return { ok: false, value: undefined };
      }
      const before = errors.length;
      const out = applyFields(field.fields ?? [], isPlainObject(value) ? value : {}, path, errors, false);
      return { ok: errors.length === before, value: out };
    }
    case 'string':
      if (typeof value !== 'string') break;
      if (field.referenceable === true && isVaultReference(value)) return { ok: true, value };
      return finish(field, value, path, errors);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) break;
      return finish(field, value, path, errors);
    case 'number':
      if (typeof value !== 'number') break;
      return finish(field, value, path, errors);
    case 'boolean':
      if (typeof value !== 'boolean') break;
      return finish(field, value, path, errors);
    case 'foreign':
      return { ok: true, value };
  }
  errors.push(`${path}: ${MESSAGES[field.type.toUpperCase() as 'STRING' | 'INTEGER' | 'NUMBER' | 'BOOLEAN']}`);
  return { ok: false, value: undefined };
}

/**
 * Validates a record's input against its fields and returns the defaulted
 * output: Kong's `process_auto_fields` then `validate`, with errors collected
 * instead of thrown. A field whose value is invalid falls back to its default
 * (when it has one) so the output stays usable; unknown keys are reported
 * (null ones are ignored, as Kong's data planes do) and dropped. With
 * `stripMeta`, Kong's meta keys (`__seq__`, `route_id`, …) are dropped silently.
 */
export function applyFields(
  entries: readonly KongFieldEntry[],
  input: Readonly<Record<string, unknown>>,
  path: string,
  errors: string[],
  stripMeta: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const entry of entries) {
    const pair = entryOf(entry);
    if (pair === undefined) continue;
    const [name, field] = pair;
    known.add(name);
    const at = `${path}.${name}`;
    let value = Object.hasOwn(input, name) ? input[name] : undefined;
    if (value === null && field.required === true) {
      errors.push(`${at}: ${MESSAGES.REQUIRED}`);
      value = undefined;
    }
    if (value === null || value === undefined) value = missingValue(field);
    if (value === undefined) {
      if (field.required === true && !Object.hasOwn(input, name)) errors.push(`${at}: ${MESSAGES.REQUIRED}`);
      continue;
    }
    const checked = checkValue(field, value, at, errors);
    let result = checked.value;
    if (!checked.ok && field.type !== 'record' && field.default !== undefined) {
      result = checkValue(field, cloneJson(field.default), at, []).value;
    }
    if (result !== undefined && !UNSAFE_KEYS.has(name)) defineOwn(out, name, result);
  }
  for (const key of Object.keys(input)) {
    if (known.has(key) || (stripMeta && META_KEYS.has(key))) continue;
    if (input[key] === null) continue;
    errors.push(`${path}.${key}: ${MESSAGES.UNKNOWN}`);
  }
  return out;
}

/** Checks a default against its own field, as the metaschema does (`default = { type = "self" }`). */
export function defaultProblems(field: KongField, path: string): string[] {
  if (field.default === undefined) return [];
  const errors: string[] = [];
  checkValue(field, cloneJson(field.default), path, errors);
  return errors;
}
