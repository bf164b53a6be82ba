/**
 * `kong.service.request`: the request Kong sends to the Service.
 *
 * Lua source: `kong/pdk/service/request.lua`.
 *
 * @module
 */
import type { Bridge } from '../bridge.ts';
import type { BodyMimeType } from '../request.ts';
import { asSuccess, asVoid } from '../shape.ts';
import { ask, sig } from '../signature.ts';
import type { HeaderMap, HeaderValue, JsonObject, JsonValue, QueryArgs } from '../values.ts';

/** The methods `kong.service.request.set_method` accepts. */
export type UpstreamMethod =
  | 'GET'
  | 'HEAD'
  | 'PUT'
  | 'POST'
  | 'DELETE'
  | 'OPTIONS'
  | 'MKCOL'
  | 'COPY'
  | 'MOVE'
  | 'PROPFIND'
  | 'PROPPATCH'
  | 'LOCK'
  | 'UNLOCK'
  | 'PATCH'
  | 'TRACE';

/**
 * A body for `kong.service.request.set_body`: a JSON object or array for
 * `application/json`; for the form types an object whose values are strings,
 * numbers or booleans (urlencoded forms also take arrays, as {@link QueryArgs}).
 */
export type BodyArgs = JsonObject | JsonValue[] | QueryArgs;

/** The Lua functions of `kong.service.request` and how they travel over MsgPack. */
export const serviceRequestMethods = {
  'kong.service.request.enable_buffering': sig<[], void>(asVoid),
  'kong.service.request.set_scheme': sig<[scheme: 'http' | 'https'], void>(asVoid),
  'kong.service.request.set_path': sig<[path: string], void>(asVoid),
  'kong.service.request.set_raw_query': sig<[query: string], void>(asVoid),
  'kong.service.request.set_method': sig<[method: UpstreamMethod], void>(asVoid),
  'kong.service.request.set_query': sig<[args: QueryArgs], void>(asVoid),
  'kong.service.request.clear_query_arg': sig<[name: string], void>(asVoid),
  'kong.service.request.set_header': sig<[name: string, value: HeaderValue], void>(asVoid),
  'kong.service.request.add_header': sig<[name: string, value: HeaderValue], void>(asVoid),
  'kong.service.request.clear_header': sig<[name: string], void>(asVoid),
  'kong.service.request.set_headers': sig<[headers: HeaderMap], void>(asVoid),
  'kong.service.request.set_raw_body': sig<[body: string | Uint8Array], void>(asVoid),
  'kong.service.request.set_body': sig<[args: BodyArgs, mimetype?: BodyMimeType | (string & {})], boolean>(asSuccess),
  'kong.service.request.disable_tls': sig<[], boolean>(asSuccess),
  'kong.service.request.enable_tls': sig<[], boolean>(asSuccess),
} as const;

/** `kong.service.request`: change the request proxied to the Service. */
export class ServiceRequest {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.service.request.enable_buffering()`: turns on buffered proxying
   * for this request: Kong reads the whole Service response before sending
   * it, so that `kong.service.response.getRawBody()`/`getBody()` work.
   * Declaring a `response` phase handler has the same effect for every
   * request.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  enableBuffering(): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.enable_buffering');
  }

  /**
   * `kong.service.request.set_scheme(scheme)`: connect to the Service over
   * `http` or `https`.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setScheme(scheme: 'http' | 'https'): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_scheme', scheme);
  }

  /**
   * `kong.service.request.set_path(path)`: the path (starting with `/`,
   * without query string) sent to the Service. Kong percent-encodes what
   * needs it; UTF-8 is allowed.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setPath(path: string): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_path', path);
  }

  /**
   * `kong.service.request.set_raw_query(query)`: the query string (without
   * `?`) sent to the Service, used as is.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setRawQuery(query: string): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_raw_query', query);
  }

  /**
   * `kong.service.request.set_method(method)`: the HTTP method sent to the
   * Service (upper case; one of the methods nginx can proxy).
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setMethod(method: UpstreamMethod): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_method', method);
  }

  /**
   * `kong.service.request.set_query(args)`: replaces the query string with
   * `args`, URL-encoded, names in lexicographical order (`true` gives a
   * flag without value, an array repeats the name).
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setQuery(args: QueryArgs): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_query', args);
  }

  /**
   * `kong.service.request.clear_query_arg(name)`: removes every occurrence
   * of a query argument, keeping the order of the others.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 3.9.0
   */
  clearQueryArg(name: string): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.clear_query_arg', name);
  }

  /**
   * `kong.service.request.set_header(name, value)`: sets a request header,
   * replacing earlier values. Setting `Host` also sets the upstream host
   * and SNI; `:authority` works only for gRPC Services (elsewhere Kong
   * refuses it: nothing happens from Kong 3.0, and on Kong 2.x the promise
   * rejects with `PDK_CALL_FAILED`).
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setHeader(name: string, value: HeaderValue): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_header', name, value);
  }

  /**
   * `kong.service.request.add_header(name, value)`: adds one more occurrence
   * of a request header, keeping the existing ones.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  addHeader(name: string, value: HeaderValue): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.add_header', name, value);
  }

  /**
   * `kong.service.request.clear_header(name)`: removes every occurrence of a
   * request header (no error when there is none).
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  clearHeader(name: string): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.clear_header', name);
  }

  /**
   * `kong.service.request.set_headers(headers)`: sets several request
   * headers, each replacing earlier values of the same name; other headers
   * stay. `Host` also sets the upstream host.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setHeaders(headers: HeaderMap): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_headers', headers);
  }

  /**
   * `kong.service.request.set_raw_body(body)`: the body sent to the Service,
   * as is (`""` for an empty body); Kong sets `Content-Length`. Bytes travel
   * as msgpack bin, so binary bodies arrive intact.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setRawBody(body: string | Uint8Array): Promise<void> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_raw_body', body);
  }

  /**
   * `kong.service.request.set_body(args, mimetype?)`: encodes `args` as the
   * body sent to the Service, as `mimetype` or else the client request's
   * `Content-Type`: urlencoded form (names sorted), JSON, or multipart (a
   * boundary is kept from `mimetype` or generated). `true` on success;
   * `false` when no type is known (Kong's reason is lost on 3.x; 2.x rejects
   * with `PDK_CALL_FAILED`). An unsupported type is a Lua error, which
   * aborts the event.
   *
   * Phases: rewrite, access.
   *
   * @since Kong 2.3.0
   */
  setBody(args: BodyArgs, mimetype?: BodyMimeType | (string & {})): Promise<boolean> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.set_body', args, mimetype);
  }

  /**
   * `kong.service.request.disable_tls()`: no TLS handshake with the Service
   * for this session (stream subsystem; overrides `proxy_ssl`). `true` on
   * success.
   *
   * Phases: preread. Kong also allows `balancer`, which external plugins do
   * not run in; for http requests the call therefore always fails (and no
   * Kong release defines it for http: only master after 3.9.3 does).
   *
   * @since Kong master (http), 2.3.0 (stream)
   */
  disableTls(): Promise<boolean> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.disable_tls');
  }

  /**
   * `kong.service.request.enable_tls()` (undocumented by Kong; http only).
   *
   * **Master only: no Kong release has it.** It exists only on Kong's
   * development branch after 3.9.3. On every release Kong logs "could not
   * find pdk method" and the promise resolves with `undefined`; a server
   * started with `--kong-version` of a release rejects the call at once with
   * `PDK_UNAVAILABLE`. Where it exists Kong allows it only in `balancer`
   * (and `preread`, which http has not), phases no external plugin runs in,
   * so over RPC it fails there too: use {@link ServiceRequest.setScheme}
   * with `https` instead. Kept so that the binding table covers Kong's names.
   *
   * @since Kong master (http only)
   */
  enableTls(): Promise<boolean> {
    return ask(this.#bridge, serviceRequestMethods, 'kong.service.request.enable_tls');
  }
}
