/**
 * A kong-pdk plugin module as a tspdk {@link PluginDefinition}: what its
 * exports mean, checked the way tspdk checks its own plugins.
 *
 * kong-pdk's module format: `module.exports = { Plugin, Schema, Version,
 * Priority, Name? }` (or the same names as ES exports). `Plugin` is a class
 * constructed with the instance's config, exactly as Kong sent it; its
 * methods named after phases (`certificate`, `rewrite`, `access`,
 * `response`, `preread`, `log`) run with kong-pdk's `kong` object.
 * `Priority` defaults to 0 and `Name` to the file or directory name, lower
 * cased, as in kong-pdk.
 *
 * @module
 */
import { Config, type ConfigSchema } from '../../schema/config.ts';
import { pdkTable } from '../../pdk/availability.ts';
import type { Kong } from '../../pdk/kong.ts';
import { definePlugin, PluginDefinitionError, type PluginClass, type PluginDefinition } from '../../plugin/definition.ts';
import { PHASES, type Phase } from '../../plugin/phases.ts';
import { kongPdkObject, type CompatWarn } from './kong-object.ts';
import { kongPdkConfigSchema } from './schema.ts';

/** What a kong-pdk module exports (`module.exports` or its ES exports). */
export interface KongPdkModule {
  /** The plugin class: `new Plugin(config)` per instance; methods named after phases. */
  readonly Plugin: unknown;
  /** Kong's field syntax in JSON: `[{ message: { type: 'string' } }, …]`. */
  readonly Schema?: unknown;
  /** `x`, `x.y` or `x.y.z`. */
  readonly Version?: unknown;
  /** An integer; defaults to 0. */
  readonly Priority?: unknown;
  /** The plugin's name; defaults to the file or directory name. */
  readonly Name?: unknown;
}

/** Options of {@link kongPdkPlugin}. */
export interface KongPdkPluginOptions {
  /** The name to use when the module exports no `Name` (kong-pdk: the file's name without extension). */
  readonly defaultName?: string;
  /** Where one-time notes about the plugin's PDK calls go (see kong-object.ts). */
  readonly warn?: CompatWarn;
}

/** Whether a Lua name is a PDK function of some Kong release. */
function knownToKong(luaName: string): boolean {
  return Object.hasOwn(pdkTable.functions, luaName);
}

/** The class tspdk runs (its phases call the kong-pdk object's), and how an instance of it is made. */
interface Adapter {
  readonly pluginClass: PluginClass;
  readonly instantiate: (config: unknown) => object;
}

/** Wraps a kong-pdk class: each instance holds one object of it, constructed with Kong's config. */
function adapt(plugin: new (config: unknown) => object, schema: ConfigSchema, phases: readonly Phase[], name: string, warn: CompatWarn | undefined): Adapter {
  const target = Symbol('kong-pdk plugin object');
  class KongPdkPlugin extends Config(schema.fields) {
    [target]: Record<string, unknown> | undefined;
  }
  for (const phase of phases) {
    const run = function (this: KongPdkPlugin, kong: Kong): unknown {
      const object = this[target];
      if (object === undefined) throw new Error(`the ${name} plugin object was not constructed`);
      return (object[phase] as (kong: unknown) => unknown).call(object, kongPdkObject(kong, { plugin: name, warn, known: knownToKong }));
    };
    Object.defineProperty(run, 'name', { value: phase });
    Object.defineProperty(KongPdkPlugin.prototype, phase, { value: run, writable: true, configurable: true });
  }
  const instantiate = (config: unknown): object => {
    const object = new KongPdkPlugin();
    object[target] = new plugin(config) as Record<string, unknown>;
    return object;
  };
  return { pluginClass: KongPdkPlugin, instantiate };
}

/**
 * The tspdk definition of a kong-pdk plugin module.
 * @throws {@link PluginDefinitionError} when the exports break kong-pdk's
 *   format or Kong's rules (no `Plugin` class, no phase method, a bad name,
 *   version or priority), naming what is wrong.
 * @throws {@link KongPdkSchemaError} or {@link TypeError} for a `Schema` tspdk
 *   cannot serve as declared (see schema.ts).
 */
export function kongPdkPlugin(exports: KongPdkModule, options: KongPdkPluginOptions = {}): PluginDefinition {
  const { Plugin: plugin } = exports;
  const declared = exports.Name;
  if (declared !== undefined && declared !== null && typeof declared !== 'string') {
    throw new PluginDefinitionError(`Name must be a string, got ${typeof declared}`);
  }
  const name = (declared || options.defaultName || '').toLowerCase();
  if (name === '') throw new PluginDefinitionError('the module exports no Name and no file name was given to name it');
  if (typeof plugin !== 'function' || typeof (plugin as { prototype?: unknown }).prototype !== 'object') {
    throw new PluginDefinitionError(`plugin ${name}: the module must export Plugin, a class (module.exports = { Plugin, Schema, Version, Priority })`);
  }
  const prototype = (plugin as { prototype: Record<string, unknown> }).prototype;
  const phases = PHASES.filter((phase) => typeof prototype[phase] === 'function');
  const schema = kongPdkConfigSchema(exports.Schema);
  const adapter = adapt(plugin as new (config: unknown) => object, schema, phases, name, options.warn);
  // kong-pdk: `Priority || 0`.
  const priority = exports.Priority === undefined || exports.Priority === null ? 0 : exports.Priority;
  const definition = definePlugin(adapter.pluginClass, { name, version: exports.Version as string, priority: priority as number });
  return { ...definition, instantiate: adapter.instantiate };
}
