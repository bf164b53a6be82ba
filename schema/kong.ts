/**
 * The plugin schema that Kong reads from `-dump`.
 *
 * @module
 */
import type { ConfigSchema } from './config.ts';

/** Plugin-level settings of the schema. */
export interface PluginScope {
  /** Protocols the plugin may be enabled for; Kong's default when unset. */
  readonly protocols?: readonly string[];
}

/** The `Schema` object of a plugin's dump. */
export interface KongPluginSchema {
  readonly name: string;
  readonly fields: readonly Record<string, unknown>[];
}

/** Builds `{name, fields: [{config: {type: "record", fields: […]}}]}` for a plugin. */
export function kongPluginSchema(name: string, config: ConfigSchema, _scope: PluginScope = {}): KongPluginSchema {
  return { name, fields: [{ config: { type: 'record', fields: config.toKong() } }] };
}
