/**
 * Plugin instances: one per (Kong worker × plugin entity × config version),
 * created by `plugin.StartInstance` from the config JSON that Kong sends.
 *
 * @module
 */
import { MESSAGES } from '../../schema/validate.ts';
import { describeFailure } from '../../pdk/failure.ts';
import { activityCode, CONSTRUCTOR, recordEntry } from './activity.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import type { Phase, PhaseMethod } from '../../plugin/phases.ts';

/** A running plugin instance. */
export interface Instance {
  readonly id: number;
  readonly plugin: PluginDefinition;
  /** The plugin object: a fresh instance of the class holding the config fields. */
  readonly object: object;
  /** The config as validated (meta keys removed, defaults applied). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Why the config or the construction of the plugin object failed; empty when fine. */
  readonly problems: readonly string[];
  /**
   * Config keys the schema does not know. Kong validated the config against
   * the same schema, so these can only be keys a newer Kong adds (like its meta
   * keys): reported, never fatal.
   */
  readonly warnings: readonly string[];
  /** Seconds since the epoch when Kong started the instance. */
  readonly startTime: number;
  /** The config JSON exactly as Kong sent it (to rebuild the instance on reload). */
  readonly configJson: unknown;
}

/**
 * What the origin of an instance knows of it: enough to build a replica
 * elsewhere (`--workers N` copies instances between workers).
 */
export interface InstanceRecord {
  readonly name: string;
  /** The config JSON exactly as Kong sent it. */
  readonly configJson: unknown;
  /** Seconds since the epoch when Kong started the instance. */
  readonly startTime: number;
  /**
   * Kong closed the instance after the sibling that asks for it received
   * the request naming it: that request is served, and no copy is kept.
   */
  readonly closed?: boolean;
}

/** Parses Kong's config JSON; `__proto__` keys are dropped on the way. */
function parseConfig(text: unknown): { value: unknown; problem?: string } {
  if (typeof text !== 'string') return { value: {}, problem: 'config: Kong sent no config JSON' };
  try {
    return { value: JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value)) };
  } catch (error) {
    // V8's message quotes the text around the error, and a config may hold
    // secrets: keep only the position.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    return { value: {}, problem: `config: not valid JSON${position === undefined ? '' : ` (at position ${position})`}` };
  }
}

/**
 * Builds a plugin object for a config. Never throws: a config that fails
 * validation, or a constructor that throws, is recorded in `problems`.
 */
export function createInstance(
  id: number,
  plugin: PluginDefinition,
  configJson: unknown,
  startTime: number = Math.floor(Date.now() / 1000),
): Instance {
  const parsed = parseConfig(configJson);
  const applied = plugin.configSchema.apply(parsed.value);
  const unknown = `: ${MESSAGES.UNKNOWN}`;
  const warnings = applied.errors.filter((error) => error.endsWith(unknown));
  const problems = applied.errors.filter((error) => !error.endsWith(unknown));
  if (parsed.problem !== undefined) problems.unshift(parsed.problem);
  let object: object;
  recordEntry(activityCode(plugin.name, CONSTRUCTOR), id, 0);
  try {
    object = plugin.instantiate === undefined ? new plugin.pluginClass() : plugin.instantiate(parsed.value);
  } catch (error) {
    object = bareObject(plugin);
    problems.push(`the plugin's constructor threw: ${describeFailure(error)}`);
  }
  // An instantiated object was given the config by its constructor.
  if (plugin.instantiate !== undefined) return { id, plugin, object, config: applied.values, problems, warnings, startTime, configJson };
  try {
    for (const key of Object.keys(applied.values)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
      Object.defineProperty(object, key, { value: applied.values[key], writable: true, enumerable: true, configurable: true });
    }
  } catch (error) {
    // A frozen object, or a Proxy the constructor returned.
    problems.push(`the plugin object does not take its config fields: ${describeFailure(error)}`);
  }
  return { id, plugin, object, config: applied.values, problems, warnings, startTime, configJson };
}

/** An object of the plugin's class made without running its constructor (which threw), or a plain one. */
function bareObject(plugin: PluginDefinition): object {
  try {
    return Object.create(plugin.pluginClass.prototype as object) as object;
  } catch {
    return Object.create(null) as object;
  }
}

/** The phase method of an instance, or `undefined` when its class has none. */
export function phaseMethod(instance: Instance, phase: Phase): PhaseMethod | undefined {
  const method = (instance.object as Partial<Record<Phase, unknown>>)[phase];
  return typeof method === 'function' ? (method as PhaseMethod) : undefined;
}
