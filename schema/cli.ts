/**
 * The `tspdk schema lua|json|diff` commands as pure functions: they take
 * already-loaded inputs and return what to print and the exit code. Wiring
 * them to argv and to module loading is the CLI's job.
 *
 * Exit codes: 0 success (for `diff`: no maintenance window needed),
 * 1 (`diff` only) a maintenance window is needed, 2 bad input.
 *
 * @module
 */
import type { ConfigSchema } from './config.ts';
import { diffSchemas, diffToJson, diffToText } from './diff.ts';
import { isPlainObject } from './kong-field.ts';
import { kongPluginSchema, type KongPluginSchema, type PluginScope } from './kong.ts';
import { luaSchema } from './lua.ts';

/** What a command prints and how it exits. */
export interface CommandResult {
  /** Text for standard output. */
  readonly stdout: string;
  /** Text for standard error, if any. */
  readonly stderr?: string;
  /** The process exit code. */
  readonly exitCode: number;
}

/** A loaded plugin: its name, config schema and scope (what `serve` options give). */
export interface PluginSchemaSource {
  /** The plugin's name. */
  readonly name: string;
  /** Its config schema (`schemaOf(cls)`). */
  readonly config: ConfigSchema;
  /** Its protocols and consumer/route/service scoping. */
  readonly scope?: PluginScope;
}

/** Exit code: success / no maintenance window needed. */
const EXIT_OK = 0;
/** Exit code of `diff`: the change needs a maintenance window. */
const EXIT_MAINTENANCE = 1;
/** Exit code: the input could not be read. */
const EXIT_BAD_INPUT = 2;

function fail(message: string): CommandResult {
  return { stdout: '', stderr: `tspdk schema: ${message}\n`, exitCode: EXIT_BAD_INPUT };
}

function isKongPluginSchema(value: unknown): value is KongPluginSchema {
  return isPlainObject(value) && typeof value['name'] === 'string' && Array.isArray(value['fields']);
}

/**
 * Reads a plugin schema from JSON text: a `-dump` output (an array of plugin
 * infos, or `{"Plugins": […]}`), one plugin info (`{"Name", "Schema"}`) or a
 * bare schema (`{"name", "fields"}`). With several plugins, `plugin` picks one
 * by name (the first one otherwise, as Kong ≥ 3.9 does).
 *
 * @throws {@link Error} when the text holds no plugin schema.
 */
export function parsePluginSchema(text: string, plugin?: string): KongPluginSchema {
  const data = JSON.parse(text) as unknown;
  if (isKongPluginSchema(data)) return data;
  const infos: unknown[] = Array.isArray(data)
    ? data
    : isPlainObject(data) && Array.isArray(data['Plugins'])
      ? (data['Plugins'] as unknown[])
      : [data];
  const schemas = infos
    .map((info) => (isPlainObject(info) ? info['Schema'] : undefined))
    .filter(isKongPluginSchema);
  const found = plugin === undefined ? schemas[0] : schemas.find((s) => s.name === plugin);
  if (found === undefined) throw new Error(plugin === undefined ? 'no plugin schema found' : `no schema for plugin "${plugin}"`);
  return found;
}

function toSchema(input: PluginSchemaSource | KongPluginSchema): KongPluginSchema {
  return 'config' in input ? kongPluginSchema(input.name, input.config, input.scope) : input;
}

/** `tspdk schema lua`: the Konnect-ready `schema.lua` of a plugin. */
export function schemaLuaCommand(input: PluginSchemaSource | KongPluginSchema, scope?: PluginScope): CommandResult {
  try {
    const s = scope ?? ('config' in input ? input.scope : undefined);
    return { stdout: luaSchema(toSchema(input), s), exitCode: EXIT_OK };
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

/** `tspdk schema json`: the schema that `-dump` carries, pretty-printed. */
export function schemaJsonCommand(input: PluginSchemaSource | KongPluginSchema): CommandResult {
  try {
    return { stdout: `${JSON.stringify(toSchema(input), null, 2)}\n`, exitCode: EXIT_OK };
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

/** Options of `tspdk schema diff`. */
export interface DiffCommandOptions {
  /** Print JSON for pipelines instead of text. */
  readonly json?: boolean;
  /** Which plugin to compare when a dump holds several. */
  readonly plugin?: string;
}

/**
 * `tspdk schema diff <old> <new>`: classifies every change as Konnect's table
 * does. Each side is JSON text (a dump, a plugin info or a schema) or a
 * loaded schema. Exits 1 when the change needs a maintenance window.
 */
export function schemaDiffCommand(
  before: string | KongPluginSchema | PluginSchemaSource,
  after: string | KongPluginSchema | PluginSchemaSource,
  options: DiffCommandOptions = {},
): CommandResult {
  let a: KongPluginSchema;
  let b: KongPluginSchema;
  try {
    a = typeof before === 'string' ? parsePluginSchema(before, options.plugin) : toSchema(before);
  } catch (err) {
    return fail(`old schema: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    b = typeof after === 'string' ? parsePluginSchema(after, options.plugin) : toSchema(after);
  } catch (err) {
    return fail(`new schema: ${err instanceof Error ? err.message : String(err)}`);
  }
  const diff = diffSchemas(a, b);
  return {
    stdout: options.json === true ? diffToJson(diff) : diffToText(diff),
    exitCode: diff.maintenanceWindow ? EXIT_MAINTENANCE : EXIT_OK,
  };
}
