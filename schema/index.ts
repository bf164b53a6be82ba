/**
 * Plugin configuration schemas: one declaration gives the TypeScript type of
 * the config fields, the Kong schema in `-dump`, validation with Kong's
 * semantics and defaults, Konnect's `schema.lua`, and a schema-change checker.
 *
 * @module
 */
export { Config, configSchema, schemaOf, type AppliedConfig, type ConfigClass, type ConfigSchema } from './config.ts';
export {
  field,
  type BooleanOptions,
  type FieldOptions,
  type FieldSpec,
  type FieldSpecs,
  type FieldType,
  type InferConfig,
  type LengthOptions,
  type ListOptions,
  type MapOptions,
  type NumberOptions,
  type RecordOptions,
  type StringOptions,
  type ValueOf,
} from './field.ts';
export type { JsonValue, KongField, KongFieldEntry, KongFieldType, MatchAny, MatchRule } from './kong-field.ts';
export {
  KONG_PROTOCOLS,
  kongPluginSchema,
  type KongPluginSchema,
  type PluginScope,
  type Protocol,
} from './kong.ts';
export { luaMatch, LuaPatternError } from './lua-pattern.ts';
export { luaPluginSchema, luaSchema } from './lua.ts';
export {
  classify,
  diffSchemas,
  diffToJson,
  diffToText,
  needsMaintenanceWindow,
  type ChangeKind,
  type SchemaChange,
  type SchemaDiff,
  type UpgradePath,
} from './diff.ts';
export {
  parsePluginSchema,
  schemaDiffCommand,
  schemaJsonCommand,
  schemaLuaCommand,
  type CommandResult,
  type DiffCommandOptions,
  type PluginSchemaSource,
} from './cli.ts';
