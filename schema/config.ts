/**
 * Declaring config fields, and finding the schema of a config class.
 *
 * @module
 */

declare const phantom: unique symbol;

/** The Kong field types supported so far. */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean';

/** Attributes common to every field. */
export interface FieldOptions<T> {
  /** The value Kong uses when the field is not set. */
  readonly default?: T;
  /** Kong rejects a config without this field. */
  readonly required?: boolean;
  /** Shown in Kong Manager and Konnect. */
  readonly description?: string;
}

/** One declared config field whose values have type `T`. */
export interface FieldSpec<T = unknown> {
  readonly [phantom]?: T;
  readonly type: FieldType;
  readonly options: FieldOptions<unknown>;
}

type Resolved<T, O> = O extends { default: unknown } ? T : O extends { required: true } ? T : T | undefined;

function make<T>(type: FieldType) {
  return <const O extends FieldOptions<T> = FieldOptions<T>>(options?: O): FieldSpec<Resolved<T, O>> => ({
    type,
    options: options ?? {},
  });
}

/** Builders for config fields. */
export const field = {
  /** A Kong `string` field. */
  string: make<string>('string'),
  /** A Kong `number` field. */
  number: make<number>('number'),
  /** A Kong `integer` field. */
  integer: make<number>('integer'),
  /** A Kong `boolean` field. */
  boolean: make<boolean>('boolean'),
};

/** The config object type declared by a record of fields. */
export type InferConfig<S extends Record<string, FieldSpec>> = {
  -readonly [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never;
};

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
  /** Validates a config that Kong sent and applies defaults; never throws. */
  apply(raw: unknown): AppliedConfig;
}

const SCHEMA = Symbol.for('tspdk.schema');

/** A class made by {@link Config}: instances carry the typed config fields. */
export interface ConfigClass<T> {
  new (): T;
  readonly [SCHEMA]: ConfigSchema;
}

function schemaFromFields(fields: Record<string, FieldSpec>): ConfigSchema {
  return {
    fields,
    toKong() {
      return Object.entries(fields).map(([name, spec]) => {
        const attrs: Record<string, unknown> = { type: spec.type };
        if (spec.options.required !== undefined) attrs['required'] = spec.options.required;
        if (spec.options.default !== undefined) attrs['default'] = spec.options.default;
        if (spec.options.description !== undefined) attrs['description'] = spec.options.description;
        return { [name]: attrs };
      });
    },
    apply(raw) {
      const values: Record<string, unknown> = {};
      const errors: string[] = [];
      const input = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
      if (input !== raw) errors.push('config: expected a record');
      for (const [name, spec] of Object.entries(fields)) {
        let value = Object.hasOwn(input, name) ? input[name] : undefined;
        if (value === null) value = undefined;
        if (value === undefined) value = spec.options.default;
        if (value === undefined) {
          if (spec.options.required === true) errors.push(`config.${name}: required field missing`);
          continue;
        }
        const problem = check(spec.type, value);
        if (problem !== undefined) errors.push(`config.${name}: ${problem}`);
        else values[name] = value;
      }
      return { values, errors };
    },
  };
}

function check(type: FieldType, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'expected a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a number';
    case 'integer':
      return Number.isInteger(value) ? undefined : 'expected an integer';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected a boolean';
  }
}

/**
 * Declares a plugin's config fields and returns a base class whose instances
 * carry them, typed:
 *
 * @example
 * class Hello extends Config({ message: field.string({ default: 'hello' }) }) {
 *   async access(kong: Kong) { await kong.response.setHeader('x-msg', this.message); }
 * }
 */
export function Config<const S extends Record<string, FieldSpec>>(fields: S): ConfigClass<InferConfig<S>> {
  const schema = schemaFromFields(fields);
  class DeclaredConfig {
    static readonly [SCHEMA] = schema;
  }
  return DeclaredConfig as unknown as ConfigClass<InferConfig<S>>;
}

/**
 * The schema of a config class: the one declared with {@link Config}, or,
 * for a plain class, one inferred from the initial values of its fields
 * (string, number and boolean initialisers become fields with that default).
 */
export function schemaOf(cls: abstract new () => object): ConfigSchema {
  const declared = (cls as unknown as Partial<Record<typeof SCHEMA, ConfigSchema>>)[SCHEMA];
  if (declared !== undefined) return declared;
  const probe = new (cls as new () => object)() as Record<string, unknown>;
  const fields: Record<string, FieldSpec> = {};
  for (const [name, value] of Object.entries(probe)) {
    if (typeof value === 'string') fields[name] = field.string({ default: value });
    else if (typeof value === 'number') fields[name] = field.number({ default: value });
    else if (typeof value === 'boolean') fields[name] = field.boolean({ default: value });
  }
  return schemaFromFields(fields);
}
