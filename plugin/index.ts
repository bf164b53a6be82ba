/**
 * tspdk: write Kong Gateway plugins in TypeScript.
 *
 * A plugin is a class whose fields are its configuration and whose methods
 * named after Kong phases (`certificate`, `rewrite`, `access`, `response`,
 * `preread`, `log`) run for each request; {@link serve} turns its file into a
 * plugin server that Kong starts and talks to over a Unix socket.
 *
 * @module
 */
import '../server/process/stdout-guard.ts';

// Writing a plugin
export { serve } from './serve.ts';
export { Config, type ConfigClass } from '../schema/config.ts';
export { field, type InferConfig, type FieldSpec } from '../schema/field.ts';
export type { Kong } from '../pdk/kong.ts';
export { PdkError, ErrorCodes } from '../pdk/errors.ts';
export { ifAvailable } from '../pdk/if-available.ts';
export type { HeaderMap, JsonValue, ResponseBody } from '../pdk/response.ts';
export { PHASES, type Phase, type PhaseMethod } from './phases.ts';
export { PluginDefinitionError, definePlugin, type PluginClass, type PluginDefinition, type PluginDump, type PluginInfo } from './definition.ts';

// Hosting plugins (the server itself is in `tspdk/server`, loaded only by those who serve)
export { hostPlugins, declaredPlugins, clearDeclaredPlugins } from './serve.ts';
export { runStandalone, parseStandaloneArgs, type StandaloneOptions } from '../server/process/standalone.ts';
