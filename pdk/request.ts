/**
 * `kong.request`: the client's request as Kong received it.
 *
 * Lua source: `kong/pdk/request.lua`. In the `log` phase only
 * `get_header`, `get_headers` and `get_uri_captures` (host shims answering
 * from what Kong saved) and `get_start_time` keep working: the others read
 * nginx request state, which Kong's log timer does not have.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import type { UriCaptures } from './entities.ts';
import {
  asMultiMap,
  asNumber,
  asOptionalBodyTable,
  asOptionalBytes,
  asOptionalNumber,
  asOptionalString,
  asQueryArg,
  asString,
  asUriCaptures,
} from './shape.ts';
import { ask, sig } from './signature.ts';
import type { JsonObject, JsonValue, MultiMap } from './values.ts';

/** The MIME types `get_body` can decode. */
export type BodyMimeType = 'application/x-www-form-urlencoded' | 'application/json' | 'multipart/form-data';

/**
 * A decoded request or response body: a JSON object or array, or the
 * fields of a form (a string, `true` for a flag, or an array of those for
 * repeated names). An empty body table arrives as `[]`.
 */
export type DecodedBody = JsonObject | JsonValue[];

/** Kong's default for `lua_max_post_args`, sent when a later argument of `get_body` needs a value before it. */
const DEFAULT_MAX_POST_ARGS = 100;

/** The Lua functions of `kong.request` and how they travel over MsgPack. */
export const requestMethods = {
  'kong.request.get_scheme': sig<[], string>(asString),
  'kong.request.get_host': sig<[], string>(asString),
  'kong.request.get_port': sig<[], number | undefined>(asOptionalNumber),
  'kong.request.get_forwarded_scheme': sig<[], string>(asString),
  'kong.request.get_forwarded_host': sig<[], string>(asString),
  'kong.request.get_forwarded_port': sig<[], number | undefined>(asOptionalNumber),
  'kong.request.get_forwarded_path': sig<[], string>(asString),
  'kong.request.get_forwarded_prefix': sig<[], string | undefined>(asOptionalString),
  'kong.request.get_http_version': sig<[], number | undefined>(asOptionalNumber),
  'kong.request.get_method': sig<[], string>(asString),
  'kong.request.get_path': sig<[], string>(asString),
  'kong.request.get_raw_path': sig<[], string>(asString),
  'kong.request.get_path_with_query': sig<[], string>(asString),
  'kong.request.get_raw_query': sig<[], string>(asString),
  'kong.request.get_query_arg': sig<[name: string], string | undefined>(asQueryArg),
  'kong.request.get_query': sig<[maxArgs?: number], MultiMap>(asMultiMap),
  'kong.request.get_header': sig<[name: string], string | undefined>(asOptionalString),
  'kong.request.get_headers': sig<[maxHeaders?: number], MultiMap>(asMultiMap),
  'kong.request.get_raw_body': sig<[maxAllowedFileSize?: number], Uint8Array | undefined>(asOptionalBytes),
  'kong.request.get_body': sig<[mimetype?: BodyMimeType | (string & {}), maxArgs?: number, maxAllowedFileSize?: number], DecodedBody | undefined>(
    asOptionalBodyTable,
  ),
  'kong.request.get_start_time': sig<[], number>(asNumber),
  'kong.request.get_uri_captures': sig<[], UriCaptures>(asUriCaptures),
} as const;

/** `kong.request`: read the client's request. */
export class Request {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.request.get_scheme()`: the scheme of the request URL, `http` or
   * `https` (lower case).
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getScheme(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_scheme');
  }

  /**
   * `kong.request.get_host()`: the host of the request URL (from the
   * request line or the `Host` header), lower case.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getHost(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_host');
  }

  /**
   * `kong.request.get_port()`: the port the request came in on (Kong's
   * listening port, or the one given by a PROXY protocol header).
   *
   * Phases: certificate, rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getPort(): Promise<number | undefined> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_port');
  }

  /**
   * `kong.request.get_forwarded_scheme()`: the scheme, or
   * `X-Forwarded-Proto` when the peer is trusted (`trusted_ips`).
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getForwardedScheme(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_forwarded_scheme');
  }

  /**
   * `kong.request.get_forwarded_host()`: the host, or `X-Forwarded-Host`
   * (without a port) when the peer is trusted.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getForwardedHost(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_forwarded_host');
  }

  /**
   * `kong.request.get_forwarded_port()`: the port, or `X-Forwarded-Port`
   * (or the port in `X-Forwarded-Host`) when the peer is trusted.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getForwardedPort(): Promise<number | undefined> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_forwarded_port');
  }

  /**
   * `kong.request.get_forwarded_path()`: the path, or `X-Forwarded-Path`
   * when the peer is trusted. Not normalized.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getForwardedPath(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_forwarded_path');
  }

  /**
   * `kong.request.get_forwarded_prefix()`: the path prefix Kong stripped
   * before proxying (a Route with `strip_path`), or a trusted
   * `X-Forwarded-Prefix`; `undefined` when nothing was stripped. Without the
   * header it is only known once the router ran (`access`).
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getForwardedPrefix(): Promise<string | undefined> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_forwarded_prefix');
  }

  /**
   * `kong.request.get_http_version()`: the client's HTTP version as a number
   * (`1`, `1.1`, `2`, `3`), or `undefined` if nginx does not recognize it.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getHttpVersion(): Promise<number | undefined> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_http_version');
  }

  /**
   * `kong.request.get_method()`: the request method in upper case, e.g. `GET`.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getMethod(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_method');
  }

  /**
   * `kong.request.get_path()`: the path of the request URL, normalized
   * (percent-decoding of unreserved characters, `.`/`..` resolved, repeated
   * slashes merged), without the query string. Prefer it to the raw path for
   * any security decision.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getPath(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_path');
  }

  /**
   * `kong.request.get_raw_path()`: the path exactly as the client sent it,
   * without the query string.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 3.0.0
   */
  getRawPath(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_raw_path');
  }

  /**
   * `kong.request.get_path_with_query()`: the raw path followed by the
   * query string, as sent.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getPathWithQuery(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_path_with_query');
  }

  /**
   * `kong.request.get_raw_query()`: the query string without the `?`, not
   * decoded (`""` when there is none).
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getRawQuery(): Promise<string> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_raw_query');
  }

  /**
   * `kong.request.get_query_arg(name)`: the first value of query argument
   * `name`, decoded, or `undefined` when absent. A flag without a value
   * (`?debug`), which Lua returns as `true`, resolves as `""`, the same as
   * in {@link Request.getQuery}.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getQueryArg(name: string): Promise<string | undefined> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_query_arg', name);
  }

  /**
   * `kong.request.get_query(max_args?)`: every query argument with all its
   * values, decoded; flags become `""`. Kong parses at most `maxArgs`
   * arguments (1 to 1000; default 100, or `lua_max_uri_args`).
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getQuery(maxArgs?: number): Promise<MultiMap> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_query', maxArgs);
  }

  /**
   * `kong.request.get_header(name)`: the first value of request header
   * `name` (case-insensitive; `_` matches `-`), or `undefined`.
   *
   * Phases: rewrite, access, response, log (in `log` the host answers from
   * the headers it saved, Kong 2.7+).
   *
   * @since Kong 2.3.0
   */
  getHeader(name: string): Promise<string | undefined> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_header', name);
  }

  /**
   * `kong.request.get_headers(max_headers?)`: all request headers, lower-case
   * names mapped to every value. Kong reads at most `maxHeaders` headers (1
   * to 1000; default 100, or `lua_max_req_headers`).
   *
   * Phases: rewrite, access, response, log (saved headers; the limit is
   * ignored there).
   *
   * @since Kong 2.3.0
   */
  getHeaders(maxHeaders?: number): Promise<MultiMap> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_headers', maxHeaders);
  }

  /**
   * `kong.request.get_raw_body(max_allowed_file_size?)`: the request body as
   * bytes (empty for no body). When the body is larger than
   * `client_body_buffer_size` nginx keeps it in a file, which Kong reads only
   * if `maxAllowedFileSize` is given (`0` = no limit) and the file is not
   * bigger.
   *
   * `maxAllowedFileSize` is a Kong 3.8+ parameter: Kong 2.3 to 3.7 drop it
   * and never read a body nginx buffered to a file.
   *
   * Failure (a body in a file it does not read) differs by version: Kong 3.x
   * cannot send the nil it gets and raises a Lua error, which aborts the
   * event (a 500 in `access`), so on Kong 3.8+ pass `maxAllowedFileSize`
   * when bodies may be large; on Kong 3.0 to 3.7 nothing avoids it but a
   * `client_body_buffer_size` (nginx) larger than the bodies you read. Kong
   * 2.x rejects with `PDK_CALL_FAILED`. Kong 2.x sends the bytes as a
   * string; either way the result is a `Uint8Array`.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getRawBody(maxAllowedFileSize?: number): Promise<Uint8Array | undefined> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_raw_body', maxAllowedFileSize);
  }

  /**
   * `kong.request.get_body(mimetype?, max_args?, max_allowed_file_size?)`:
   * the body decoded according to `mimetype`, or else the request's
   * `Content-Type`: form fields for `application/x-www-form-urlencoded`
   * (at most `maxArgs`), a JSON object or array for `application/json`, or
   * multipart fields for `multipart/form-data` (`maxAllowedFileSize` as for
   * {@link Request.getRawBody}: Kong 3.8+; Kong 2.3 to 3.7 drop it, and a
   * body nginx buffered to a file then decodes to `undefined`, or rejects
   * with `PDK_CALL_FAILED` on 2.x). `undefined` when the type is missing or
   * unsupported or the body cannot be decoded: Kong's error message and the
   * MIME type it used (second and third Lua results) do not travel on 3.x
   * (2.x rejects with `PDK_CALL_FAILED`).
   *
   * A nil cannot precede a later argument on the wire, so when a later
   * argument is given the binding fills the gaps with what Kong would use:
   * the request's `Content-Type` for `mimetype` (read with one more call;
   * without that header the result is `undefined` at once, as Kong would
   * answer), and 100 for `maxArgs` (Kong's default unless
   * `lua_max_post_args` was changed).
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  getBody(mimetype?: BodyMimeType | (string & {}), maxArgs?: number, maxAllowedFileSize?: number): Promise<DecodedBody | undefined> {
    const max = maxArgs ?? (maxAllowedFileSize === undefined ? undefined : DEFAULT_MAX_POST_ARGS);
    if (mimetype !== undefined || max === undefined) {
      return ask(this.#bridge, requestMethods, 'kong.request.get_body', mimetype, max, maxAllowedFileSize);
    }
    return this.getHeader('Content-Type').then((contentType) =>
      contentType === undefined ? undefined : ask(this.#bridge, requestMethods, 'kong.request.get_body', contentType, max, maxAllowedFileSize),
    );
  }

  /**
   * `kong.request.get_start_time()`: when Kong started processing the
   * request, in milliseconds since the epoch.
   *
   * Phases: rewrite, access, response, log.
   *
   * @since Kong 3.0.0
   */
  getStartTime(): Promise<number> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_start_time');
  }

  /**
   * `kong.request.get_uri_captures()`: the groups the matched Route's path
   * regex captured: `unnamed[0]` is the whole match, `unnamed[1]`… the
   * numbered groups, `named` the named ones. Empty when the path had none.
   *
   * Phases: rewrite, access, response, log (host shim, Kong 3.1+; it reads
   * the saved request context in `log`).
   *
   * @since Kong 3.1.0
   */
  getUriCaptures(): Promise<UriCaptures> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_uri_captures');
  }
}
