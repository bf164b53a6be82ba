/**
 * Declaring a plugin's config class, and finding the schema of a config class.
 *
 * @module
 */
import { checkSpecs, field, toKongFields, type FieldSpec, type FieldSpecs, type InferConfig } from './field.ts';
import { isPlainObject, type KongFieldEntry } from './kong-field.ts';
import { applyFields } from './validate.ts';


/** A validated, defaulted config, or the reasons it is not valid. */
export interface AppliedConfig {
  /** The config values, meta keys and unknown keys removed, defaults applied. */
  readonly values: Record<string, unknown>;
  /** Problems found, each naming the field path and the rule (`config.ttl: expected an integer`). */
  readonly errors: readonly string[];
}

/** The schema of a plugin's config record. */
export interface ConfigSchema {
  /** The field specs, by name, in declaration order. */
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** The `fields` array of Kong's `config` record. */
  toKong(): Record<string, unknown>[];
  /**
   * Validates a config that Kong sent and applies defaults; never throws.
   * Kong's meta keys (`__seq__`, `__key__`, `__plugin_id`, `__ws_id`,
   * `route_id`, `service_id`, `consumer_id`, `plugin_instance_name`) are
   * dropped silently, unknown keys are dropped and reported, and a field
   * whose value is invalid keeps its default (or is left out).
   */
  apply(raw: unknown): AppliedConfig;
}

const SCHEMA = Symbol.for('tspdk.schema');

/** A class made by {@link Config}: instances carry the typed config fields. */
export interface ConfigClass<T> {
  new (): T;
  readonly [SCHEMA]: ConfigSchema;
}

/**
 * The schema of a record of field specs. Checks the specs against Kong's
 * metaschema rules first.
 *
 * @throws {@link TypeError} naming the field, for a declaration Kong would reject
 * (a description shorter than 10 characters, a bad Lua pattern, a default that
 * fails its own validators, a field named `__proto__`, …).
 */
export function configSchema(fields: FieldSpecs): ConfigSchema {
  checkSpecs(fields, 'config');
  const kong: readonly KongFieldEntry[] = toKongFields(fields);
  return {
    fields,
    toKong() {
      return toKongFields(fields);
    },
    apply(raw) {
      const errors: string[] = [];
      try {
        if (!isPlainObject(raw)) errors.push('config: expected a record');
        const values = applyFields(kong, isPlainObject(raw) ? raw : {}, 'config', errors, true);
        return { values, errors };
      } catch (err) {
        errors.push(`config: could not be validated: ${String(err)}`);
        return { values: {}, errors };
      }
    },
  };
}

/**
 * Declares a plugin's config fields and returns a base class whose instances
 * carry them, typed:
 *
 * @example
 * class Hello extends Config({ message: field.string({ default: 'hello' }) }) {
 *   async access(kong: Kong) { await kong.response.setHeader('x-msg', this.message); }
 * }
 *
 * @throws {@link TypeError} for a declaration Kong would reject (see {@link configSchema}).
 */
export function Config<const S extends FieldSpecs>(fields: S): ConfigClass<InferConfig<S>> {
  const schema = configSchema(fields);
  class DeclaredConfig {
    static readonly [SCHEMA] = schema;
  }
  return DeclaredConfig as unknown as ConfigClass<InferConfig<S>>;
}

function inferField(value: unknown): FieldSpec | undefined {
  if (typeof value === 'string') return value === '' ? field.string({ default: value, len_min: 0 }) : field.string({ default: value });
  if (typeof value === 'number') return Number.isFinite(value) ? field.number({ default: value }) : undefined;
  if (typeof value === 'boolean') return field.boolean({ default: value });
  if (Array.isArray(value) && value.length > 0) {
    if (value.every((v) => typeof v === 'string' && v !== '')) return field.array(field.string(), { default: value as string[] });
    if (value.every((v) => typeof v === 'number' && Number.isFinite(v))) return field.array(field.number(), { default: value as number[] });
  }
  return undefined;
}

/**
 * The schema of a config class: the one declared with {@link Config}, or,
 * for a plain class, one inferred from the initial values of its fields
 * (string, number and boolean initialisers, and non-empty arrays of strings
 * or of numbers, become fields with that default; other fields are ignored).
 */
export function schemaOf(cls: abstract new () => object): ConfigSchema {
  const declared = (cls as unknown as Partial<Record<typeof SCHEMA, ConfigSchema>>)[SCHEMA];
  if (declared !== undefined) return declared;
  const probe = new (cls as new () => object)() as Record<string, unknown>;
  const fields: Record<string, FieldSpec> = {};
  for (const [name, value] of Object.entries(probe)) {
    const spec = inferField(value);
    if (spec !== undefined) fields[name] = spec;
  }
  return configSchema(fields);
}
