/**
 * `tspdk/kong-pdk`: plugins written for Kong's JavaScript plugin server
 * (npm `kong-pdk`, `kong-js-pluginserver`), served and tested by tspdk
 * without changes to their code.
 *
 * - {@link kongPdkPlugin}: a kong-pdk module's exports (`Plugin`, `Schema`,
 *   `Version`, `Priority`, `Name`) as a tspdk `PluginDefinition`, which
 *   `tspdk/testing` (`startPluginServer`) and `tspdk/server` accept.
 * - {@link loadKongPdkPlugins}: every plugin of a kong-pdk plugins directory,
 *   as `tspdk js-pluginserver` loads them.
 *
 * @module
 */
export { kongPdkPlugin, type KongPdkModule, type KongPdkPluginOptions } from './plugin.ts';
export { loadKongPdkPlugins, type KongPdkLoadOptions } from './loader.ts';
export { kongPdkConfigSchema, KongPdkSchemaError } from './schema.ts';
export type { CompatWarn } from './kong-object.ts';
