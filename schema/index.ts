/**
 * Plugin configuration schemas: one declaration gives the TypeScript type of
 * the config fields, the Kong schema in `-dump`, validation and defaults.
 *
 * @module
 */
export { Config, field, schemaOf, type ConfigClass, type ConfigSchema, type FieldSpec, type InferConfig } from './config.ts';
export { kongPluginSchema, type KongPluginSchema, type PluginScope } from './kong.ts';
