/**
 * The plugin schema that Kong reads from `-dump`: `{name, fields}` with the
 * `config` record and the plugin-level `protocols` field.
 *
 * Consumer/route/service scoping (Kong's `typedefs.no_consumer` and friends)
 * is `{type = "foreign", reference = "consumers", eq = ngx.null}`: its only
 * meaning is the `eq = null`, which JSON can carry only as a JSON null, and the
 * dump carries no nulls. Scoping is therefore written to the Lua schema
 * (`schema/lua.ts`) only; see {@link scopeFields}.
 *
 * @module
 */
import type { ConfigSchema } from './config.ts';
import type { KongField, KongFieldEntry } from './kong-field.ts';

/** Every protocol Kong knows (`constants.PROTOCOLS`), sorted. */
export const KONG_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp'] as const;

/** A protocol a plugin can be enabled for. */
export type Protocol = (typeof KONG_PROTOCOLS)[number];

/** Plugin-level settings of the schema. */
export interface PluginScope {
  /**
   * Protocols the plugin may be enabled for. When set, the schema gets a
   * `protocols` set field limited to them, defaulting to all of them (like
   * Kong's `typedefs.protocols_http`); when unset, Kong's plugin default
   * applies (grpc, grpcs, http, https).
   */
  readonly protocols?: readonly Protocol[];
  /** `false`: the plugin cannot be applied to a consumer (Kong's `no_consumer`). Lua schema only. */
  readonly consumer?: boolean;
  /** `false`: the plugin cannot be applied to a route (Kong's `no_route`). Lua schema only. */
  readonly route?: boolean;
  /** `false`: the plugin cannot be applied to a service (Kong's `no_service`). Lua schema only. */
  readonly service?: boolean;
}

/** The `Schema` object of a plugin's dump. */
export interface KongPluginSchema {
  /** The plugin's name. */
  readonly name: string;
  /** The plugin-level fields: `protocols` when scoped, then `config`. */
  readonly fields: readonly Record<string, unknown>[];
}

/** Marks Kong's `ngx.null` in a Lua-only field definition. */
export const LUA_NULL: unique symbol = Symbol('ngx.null');

/** A scoping field of the Lua schema: a foreign key that must stay null. */
interface ScopeField {
  /** Always `foreign`. */
  readonly type: 'foreign';
  /** The referenced entity (`consumers`, `routes` or `services`). */
  readonly reference: 'consumers' | 'routes' | 'services';
  /** `ngx.null`: the plugin cannot be scoped to that entity. */
  readonly eq: typeof LUA_NULL;
}

const SCOPES = [
  ['consumer', 'consumers'],
  ['route', 'routes'],
  ['service', 'services'],
] as const;

/** The `no_consumer` / `no_route` / `no_service` fields a scope asks for, in Kong's order. */
export function scopeFields(scope: PluginScope = {}): Record<string, ScopeField>[] {
  const out: Record<string, ScopeField>[] = [];
  for (const [key, reference] of SCOPES) {
    if (scope[key] === false) out.push({ [key]: { type: 'foreign', reference, eq: LUA_NULL } });
  }
  return out;
}

/**
 * The `protocols` field for a scope, or `undefined` when the plugin accepts
 * Kong's default protocols.
 *
 * @throws {@link TypeError} for an unknown or empty protocol list.
 */
function protocolsField(scope: PluginScope = {}): KongField | undefined {
  const list = scope.protocols;
  if (list === undefined) return undefined;
  const unknown = list.filter((p) => !(KONG_PROTOCOLS as readonly string[]).includes(p));
  if (list.length === 0 || unknown.length > 0) {
    throw new TypeError(`tspdk schema: protocols must be a non-empty list of ${KONG_PROTOCOLS.join(', ')}`);
  }
  const sorted = [...new Set(list)].sort();
  return { type: 'set', required: true, default: sorted, elements: { type: 'string', one_of: sorted } };
}

/** Builds `{name, fields: [{protocols: …}?, {config: {type: "record", fields: […]}}]}` for a plugin. */
export function kongPluginSchema(name: string, config: ConfigSchema, scope: PluginScope = {}): KongPluginSchema {
  const fields: KongFieldEntry[] = [];
  const protocols = protocolsField(scope);
  if (protocols !== undefined) fields.push({ protocols });
  fields.push({ config: { type: 'record', fields: config.toKong() as KongFieldEntry[] } });
  return { name, fields };
}
