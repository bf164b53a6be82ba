/**
 * Typed shapes of the Kong entities and tables that PDK calls return: Route,
 * Service, Consumer, Credential, memory statistics and the log serializer's
 * table. Field names and types follow Kong's entity schemas
 * (`kong/db/schema/entities/*.lua`); a field is optional when Kong can leave
 * it unset (a Lua `nil` or `ngx.null` field is simply absent on the wire).
 *
 * An empty Lua table arrives as an empty array, whatever it stands for, so
 * an empty `headers` map of a Route, for example, can be `[]` at run time.
 *
 * @module
 */

/** A reference to another entity, as Kong stores foreign keys. */
export interface ForeignKey {
  /** The UUID of the referenced entity. */
  readonly id: string;
}

/** The protocols Kong knows (`kong.constants.PROTOCOLS`). */
export type Protocol = 'grpc' | 'grpcs' | 'http' | 'https' | 'tcp' | 'tls' | 'tls_passthrough' | 'udp';

/** An address a stream Route matches (`sources`, `destinations`): an IP/CIDR, a port, or both. */
export interface RouteEndpoint {
  readonly ip?: string;
  readonly port?: number;
}

/** A Route entity (`kong/db/schema/entities/routes.lua`). */
export interface Route {
  readonly id: string;
  /** Unix time in seconds. */
  readonly created_at: number;
  /** Unix time in seconds. */
  readonly updated_at: number;
  readonly name?: string;
  readonly protocols: Protocol[];
  readonly methods?: string[];
  readonly hosts?: string[];
  readonly paths?: string[];
  /** Header names mapped to the values that match. */
  readonly headers?: Record<string, string[]>;
  /** One of 426, 301, 302, 307, 308. */
  readonly https_redirect_status_code: number;
  readonly regex_priority?: number;
  readonly strip_path: boolean;
  readonly preserve_host: boolean;
  readonly request_buffering: boolean;
  readonly response_buffering: boolean;
  readonly path_handling?: 'v0' | 'v1';
  readonly snis?: string[];
  readonly sources?: RouteEndpoint[];
  readonly destinations?: RouteEndpoint[];
  readonly tags?: string[];
  /** Absent for a Route without a Service. */
  readonly service?: ForeignKey;
  /** Only with `router_flavor = expressions`. */
  readonly expression?: string;
  /** Only with `router_flavor = expressions`. */
  readonly priority?: number;
  /** The workspace the Route belongs to. */
  readonly ws_id?: string;
}

/** A Service entity (`kong/db/schema/entities/services.lua`). */
export interface Service {
  readonly id: string;
  /** Unix time in seconds. */
  readonly created_at: number;
  /** Unix time in seconds. */
  readonly updated_at: number;
  readonly name?: string;
  readonly retries: number;
  readonly protocol: Protocol;
  readonly host: string;
  readonly port: number;
  readonly path?: string;
  /** Milliseconds. */
  readonly connect_timeout: number;
  /** Milliseconds. */
  readonly write_timeout: number;
  /** Milliseconds. */
  readonly read_timeout: number;
  readonly tags?: string[];
  readonly client_certificate?: ForeignKey;
  readonly tls_verify?: boolean;
  readonly tls_verify_depth?: number;
  /** UUIDs of CA certificates. */
  readonly ca_certificates?: string[];
  readonly enabled: boolean;
  readonly ws_id?: string;
}

/** A Consumer entity (`kong/db/schema/entities/consumers.lua`); it has a `username`, a `custom_id`, or both. */
export interface Consumer {
  readonly id: string;
  /** Unix time in seconds. */
  readonly created_at: number;
  /** Unix time in seconds. */
  readonly updated_at?: number;
  readonly username?: string;
  readonly custom_id?: string;
  readonly tags?: string[];
  readonly ws_id?: string;
}

/**
 * The credential an authentication plugin attached to the request. Its
 * shape depends on the plugin: Kong's own auth plugins store their
 * credential row (`key-auth` has `key`, `basic-auth` has `username`, …, and
 * a `consumer` foreign key), external authentication often sets only `id`
 * and `consumer_id`. Plugin-specific fields are reachable by index.
 */
export interface Credential {
  readonly id?: string;
  readonly consumer_id?: string;
  readonly consumer?: ForeignKey;
  readonly created_at?: number;
  readonly tags?: string[];
  readonly [field: string]: unknown;
}

/** What `kong.client.authenticate` accepts: a Consumer, a credential, or any other table. */
export type AuthenticatedEntity = Consumer | Credential | Readonly<Record<string, unknown>>;

/** Allocation of one `lua_shared_dict`. */
export interface SharedDictStats<V extends number | string = number> {
  readonly allocated_slabs: V;
  readonly capacity: V;
}

/** Memory of one worker's Lua VM. */
export interface WorkerLuaVmStats<V extends number | string = number> {
  readonly pid: number;
  /** Absent when Kong could not read it; see `err`. */
  readonly http_allocated_gc?: V;
  readonly err?: string;
}

/**
 * `kong.node.get_memory_stats()`: numbers of bytes, or strings such as
 * `"12.00 KiB"` when a unit other than bytes was asked for.
 */
export interface MemoryStats<V extends number | string = number> {
  /** Every `lua_shared_dict` of the node by name (`kong`, `kong_db_cache`, …). */
  readonly lua_shared_dicts: Record<string, SharedDictStats<V>>;
  /** One entry per worker, ordered by pid. */
  readonly workers_lua_vms: WorkerLuaVmStats<V>[];
  /** Why Kong could not list the workers (it sets `workers_lua_vms.err`); lifted out of the array by the binding. */
  readonly workers_lua_vms_err?: string;
}

/** `kong.nginx.get_statistics()`: nginx connection and request counters. */
export interface NginxStatistics {
  readonly connections_active: number;
  readonly connections_reading: number;
  readonly connections_writing: number;
  readonly connections_waiting: number;
  readonly connections_accepted: number;
  readonly connections_handled: number;
  readonly total_requests: number;
}

/** `kong.request.get_uri_captures()`: what the router's path regex captured. */
export interface UriCaptures {
  /** Index 0 is the whole matched path, 1… the numbered groups; `undefined` for a group that did not take part. */
  readonly unnamed: (string | undefined)[];
  /** Named groups. */
  readonly named: Record<string, string>;
}

/** The pieces of a vault reference (`kong.vault.parse_reference`). */
export interface VaultReference {
  /** The vault entity prefix or vault strategy, e.g. `env`. */
  readonly name: string;
  readonly resource: string;
  readonly key?: string;
  /** Options from the reference's query string. */
  readonly config?: Record<string, string | boolean | (string | boolean)[]>;
  readonly version?: number;
}

/** One balancer try in the serialized log. */
export interface BalancerTry {
  readonly ip?: string;
  readonly port?: number;
  /** Milliseconds since the epoch. */
  readonly balancer_start?: number;
  /** Milliseconds. */
  readonly balancer_latency?: number;
  readonly state?: string;
  readonly code?: number;
  readonly [field: string]: unknown;
}

/** TLS details of the client connection in the serialized log. */
export interface SerializedTls {
  readonly version: string;
  readonly cipher?: string;
  readonly client_verify?: string;
}

/**
 * `kong.log.serialize()` for an http request: the table logging plugins
 * write. Fields added with `kong.log.set_serialize_value` appear as extra
 * keys. Header and query values are a string, or an array for a repeated
 * name; a query flag is `true`.
 */
export interface SerializedLog {
  readonly request: {
    readonly id: string;
    readonly uri: string;
    readonly url: string;
    readonly querystring: Record<string, string | boolean | (string | boolean)[]>;
    readonly method: string;
    /** `authorization` and `proxy-authorization` are `"REDACTED"`. */
    readonly headers: Record<string, string | string[]>;
    readonly size: number | string;
    readonly tls?: SerializedTls;
    readonly [field: string]: unknown;
  };
  readonly upstream_uri: string;
  readonly upstream_status: string;
  readonly response: {
    readonly status: number;
    readonly headers: Record<string, string | string[]>;
    readonly size: number | string;
    readonly [field: string]: unknown;
  };
  /** Milliseconds. `proxy` is -1 when the request was not proxied. */
  readonly latencies: { readonly kong: number; readonly proxy: number; readonly request: number; readonly receive: number };
  readonly tries?: BalancerTry[];
  readonly authenticated_entity?: { readonly id?: string; readonly consumer_id?: string };
  readonly route?: Route;
  readonly service?: Service;
  readonly consumer?: Consumer;
  readonly client_ip: string;
  /** Milliseconds since the epoch. */
  readonly started_at: number;
  /** `kong` when Kong produced the response, `upstream` when the Service did. */
  readonly source?: 'kong' | 'upstream';
  readonly workspace?: string;
  readonly workspace_name?: string;
  /** Only when a tracing plugin ran. */
  readonly trace_id?: unknown;
  /** Only when the correlation-id plugin ran. */
  readonly correlation_id?: string;
  readonly [field: string]: unknown;
}

/** `kong.log.serialize()` for a stream (TCP/TLS/UDP) session. */
export interface SerializedStreamLog {
  readonly session: {
    readonly tls?: SerializedTls;
    readonly received: number | string;
    readonly sent: number | string;
    readonly status: number;
    readonly server_port?: number;
  };
  readonly upstream: { readonly received: number | string; readonly sent: number | string };
  readonly latencies: { readonly kong: number; readonly session: number };
  readonly tries?: BalancerTry[];
  readonly authenticated_entity?: { readonly id?: string; readonly consumer_id?: string };
  readonly route?: Route;
  readonly service?: Service;
  readonly consumer?: Consumer;
  readonly client_ip: string;
  readonly started_at: number;
  readonly workspace?: string;
  readonly workspace_name?: string;
  readonly [field: string]: unknown;
}
