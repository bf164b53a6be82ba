/**
 * A plugin: its config class, its identity for Kong, and what `-dump` prints.
 *
 * @module
 */
import { schemaOf, type ConfigSchema } from '../schema/config.ts';
import { kongPluginSchema, type KongPluginSchema, type PluginScope } from '../schema/kong.ts';
import { PHASES, type Phase, type PhaseMethod } from './phases.ts';

/** A plugin class: fields are its config, methods named after phases are its phases. */
export type PluginClass = new () => object;

/** What Kong needs to know about a plugin, besides its class. */
export interface PluginInfo {
  /** The plugin's name in Kong (`plugins = bundled,<name>`); lower case, digits, `-` and `_`. */
  readonly name: string;
  /** The plugin's version, `x`, `x.y` or `x.y.z` (Kong 3.0+ rejects anything else). */
  readonly version: string;
  /** Kong runs plugins with a higher priority first; an integer. */
  readonly priority: number;
  /**
   * When a phase method throws or the config is invalid, let the request go
   * on as if the plugin had not run. Defaults to `false`: in `rewrite`,
   * `access`, `response` and `preread` the request then ends with a 500.
   */
  readonly failOpen?: boolean;
  /** Plugin-level schema settings (protocols, scoping). */
  readonly scope?: PluginScope;
  /**
   * The plugin keeps state in memory that must live in one process (and
   * cannot use `tspdk/shared`): a server with `--workers` above 1 then
   * refuses to start, naming the plugin. Defaults to `false`.
   */
  readonly singleProcess?: boolean;
}

/** The object `-dump` prints for a plugin (one element of the JSON array). */
export interface PluginDump {
  readonly Name: string;
  readonly Version: string;
  readonly Priority: number;
  readonly Phases: readonly Phase[];
  readonly Schema: KongPluginSchema;
}

/** A plugin checked and ready to serve. */
export interface PluginDefinition {
  readonly name: string;
  readonly version: string;
  readonly priority: number;
  readonly failOpen: boolean;
  /** Phases the class implements, in Kong's order. */
  readonly phases: readonly Phase[];
  readonly configSchema: ConfigSchema;
  readonly pluginClass: PluginClass;
  /** The plugin-level schema settings it was declared with (for `schema.lua`). */
  readonly scope?: PluginScope;
  /** The dump entry Kong reads with its query command. */
  readonly dump: PluginDump;
  /** See {@link PluginInfo.singleProcess}. */
  readonly singleProcess: boolean;
  /**
   * Builds the plugin object of an instance from the config exactly as Kong
   * sent it (parsed JSON, meta keys included), instead of `new pluginClass()`
   * with the validated fields assigned. Plugins written for another server's
   * format use it (compat/kong-pdk: kong-pdk constructs `new Plugin(config)`).
   * The config is still validated against `configSchema` first.
   */
  readonly instantiate?: (config: unknown) => object;
}

/** The plugin definition is not acceptable to Kong. */
export class PluginDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'PluginDefinitionError', enumerable: false, configurable: true });
  }
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const VERSION = /^\d+(\.\d+){0,2}$/;

/**
 * Checks a plugin class and its info against Kong's rules and builds its definition.
 * @throws {@link PluginDefinitionError} naming what is wrong.
 */
export function definePlugin(pluginClass: PluginClass, info: PluginInfo): PluginDefinition {
  if (typeof pluginClass !== 'function') throw new PluginDefinitionError('the plugin must be a class');
  const { name, version, priority } = info;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new PluginDefinitionError(
      `plugin name ${JSON.stringify(name)} must be lower case letters, digits, "-" and "_" (Kong 2.4+ lower-cases plugin server names)`,
    );
  }
  if (typeof version !== 'string' || !VERSION.test(version)) {
    throw new PluginDefinitionError(`plugin ${name}: version ${JSON.stringify(version)} must look like 1, 1.2 or 1.2.3 (Kong 3.0+)`);
  }
  if (typeof priority !== 'number' || !Number.isSafeInteger(priority)) {
    throw new PluginDefinitionError(`plugin ${name}: priority must be an integer (Kong 3.0+), got ${String(priority)}`);
  }
  const phases = phasesOf(pluginClass);
  if (phases.length === 0) {
    throw new PluginDefinitionError(`plugin ${name}: the class has none of the phase methods ${PHASES.join(', ')}`);
  }
  const configSchema = schemaOf(pluginClass);
  const dump: PluginDump = {
    Name: name,
    Version: version,
    Priority: priority,
    Phases: phases,
    Schema: kongPluginSchema(name, configSchema, info.scope),
  };
  return {
    name,
    version,
    priority,
    failOpen: info.failOpen === true,
    phases,
    configSchema,
    pluginClass,
    scope: info.scope ?? {},
    dump,
    singleProcess: info.singleProcess === true,
  };
}

function phasesOf(pluginClass: PluginClass): Phase[] {
  const prototype = pluginClass.prototype as Partial<Record<Phase, PhaseMethod>>;
  return PHASES.filter((phase) => typeof prototype[phase] === 'function');
}
