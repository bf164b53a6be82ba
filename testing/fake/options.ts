/**
 * What a test describes: the client's request, and the world around it
 * (consumers, the matched Route and Service, the upstream, trusted IPs, …).
 *
 * @module
 */
import type { Consumer, Credential, Route, Service } from '../../pdk/entities.ts';
import type { ServiceRequestSnapshot, UpstreamReply } from './upstream.ts';

/** A header value as a test gives it: one value or several. */
export type HeaderInput = string | readonly string[];

/** The client's request. Everything is optional: `GET http://example.com/`. */
export interface RequestInit {
  /** `GET` by default. */
  readonly method?: string;
  /** The path, with an optional query string: `/orders?id=7&debug`. Defaults to `/`. */
  readonly path?: string;
  /** More query arguments, appended to the path's (`true` is a flag without a value). */
  readonly query?: Readonly<Record<string, string | true | readonly (string | true)[]>>;
  /** Request headers; names are case-insensitive, an array repeats the header. */
  readonly headers?: Readonly<Record<string, HeaderInput>>;
  /** The raw body. */
  readonly body?: string | Uint8Array;
  /** A JSON body: sets `body` and, unless given, `Content-Type: application/json`. */
  readonly json?: unknown;
  /** A form body: sets `body` and, unless given, `Content-Type: application/x-www-form-urlencoded`. */
  readonly form?: Readonly<Record<string, string | true | readonly (string | true)[]>>;
  /** `http` (default) or `https`; `https` also runs the `certificate` phase. */
  readonly scheme?: 'http' | 'https';
  /** The `Host` header when `headers` has none. Defaults to `example.com`. */
  readonly host?: string;
  /** Kong's listening port. Defaults to 8000 (http) or 8443 (https). */
  readonly port?: number;
  /** The client's address. Defaults to `127.0.0.1`. */
  readonly clientIp?: string;
  /** The client's port. Defaults to 54321. */
  readonly clientPort?: number;
  /** HTTP version, `1.1` by default. */
  readonly httpVersion?: number;
}

/** TLS details of the client connection (with `scheme: 'https'`). */
export interface TlsInit {
  /** `ngx.ssl.get_tls1_version_str()`. Defaults to `TLSv1.3`. */
  readonly version?: string;
  /** The client's certificate chain in PEM, when it sent one. */
  readonly clientCertificate?: string;
}

/** The world around the request. */
export interface WorldInit {
  /** Consumers `kong.client.load_consumer` can find (by id, or by username when asked). */
  readonly consumers?: readonly Consumer[];
  /** Consumer already authenticated by an earlier plugin. */
  readonly consumer?: Consumer;
  /** Credential already attached by an earlier plugin. */
  readonly credential?: Credential;
  /** The matched Route (`kong.router.get_route`); a plain default otherwise. */
  readonly route?: Route;
  /** The matched Service (`kong.router.get_service`); a plain default otherwise. */
  readonly service?: Service;
  /** Upstream entity names `kong.service.set_upstream` accepts; any name when not given. */
  readonly upstreams?: readonly string[];
  /**
   * The Service: answers the request as it was sent. Defaults to an echo of
   * the service request as JSON (`method`, `path`, `query`, `headers`, `body`).
   */
  readonly upstream?: (request: ServiceRequestSnapshot) => UpstreamReply | Promise<UpstreamReply>;
  /** Values already in `kong.ctx.shared`. */
  readonly shared?: Readonly<Record<string, unknown>>;
  /** Values already in `ngx.ctx`. */
  readonly ngxCtx?: Readonly<Record<string, unknown>>;
  /** What the Route's path regex captured (`kong.request.get_uri_captures`): `unnamed[0]` is the whole match. */
  readonly uriCaptures?: { readonly unnamed?: readonly string[]; readonly named?: Readonly<Record<string, string>> };
  /** nginx variables for `kong.nginx.get_var`, besides the ones derived from the request. */
  readonly vars?: Readonly<Record<string, string>>;
  /** Addresses and CIDR ranges Kong trusts (`trusted_ips`); none by default. */
  readonly trustedIps?: readonly string[];
  /** Secrets by reference for `kong.vault.get`: `{ '{vault://env/token}': 's3cr3t' }`. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** TLS of the client connection. */
  readonly tls?: TlsInit;
  /** `http` (default) or `stream` (then `preread` runs instead of rewrite/access). */
  readonly subsystem?: 'http' | 'stream';
  /**
   * nginx's `client_body_buffer_size`, in bytes: a request body larger than
   * this is buffered to a file, which `kong.request.get_raw_body` and
   * `get_body` read only when given `max_allowed_file_size` (Kong 3.8+).
   * Unset: every body stays in memory.
   */
  readonly clientBodyBufferSize?: number;
  /** When Kong received the request, ms since the epoch. Defaults to 1,700,000,000,000. */
  readonly startedAt?: number;
  /** The request id. Defaults to a fixed 32-hex-digit id. */
  readonly requestId?: string;
  /** `kong.node.get_id`. */
  readonly nodeId?: string;
  /** `kong.node.get_hostname`. */
  readonly hostname?: string;
  /** `kong.plugin.get_id`. */
  readonly pluginId?: string;
  /** `kong.cluster.get_id`. */
  readonly clusterId?: string;
}

/**
 * What a protocol test can change about the Kong that answers the PDK calls
 * (the host stand-in's requests, `KongHost.request`).
 */
export interface HostFixtures {
  /**
   * PDK functions (Lua names) this Kong does not have: a call is logged as
   * `could not find pdk method: <name>` at `err` and answered with nil, as
   * Kong's host does for a name it cannot resolve.
   */
  readonly absent?: readonly string[];
  /**
   * PDK functions that return `nil, err` in this request, Lua name → err:
   * Kong 2.x sends `plugin.StepError` with err, 3.x a `plugin.Step` without
   * `Data`. The function itself does not run.
   */
  readonly failures?: Readonly<Record<string, string>>;
}
