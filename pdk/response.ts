/**
 * `kong.response`: the response Kong sends to the client.
 *
 * Lua source: `kong/pdk/response.lua`. `get_raw_body` and `set_raw_body`
 * only work in `body_filter`, a phase external plugins never run in, so they
 * are not bound; a `response` phase handler changes the body with
 * {@link Response.exit} instead.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { defaultErrorMessage } from './http-error-messages.ts';
import { asMultiMap, asNumber, asOptionalString, asVoid } from './shape.ts';
import { ask, exitSig, sig } from './signature.ts';
import type { HeaderMap, HeaderValue, JsonObject, JsonValue, MultiMap } from './values.ts';

export type { HeaderMap, HeaderValue, JsonValue } from './values.ts';

/**
 * A response body: text, raw bytes, or an object or array that Kong encodes
 * as JSON (setting `Content-Type: application/json; charset=utf-8` unless
 * the headers give one). An empty object or array is sent as `{}`.
 */
export type ResponseBody = string | Uint8Array | JsonObject | JsonValue[];

/** An error message for `kong.response.error`: text, or a table that Kong JSON-encodes. */
export type ErrorMessage = string | JsonObject | JsonValue[];

/** Where the response came from (`kong.response.get_source`). */
export type ResponseSource = 'exit' | 'error' | 'service';

/** The Lua functions (and host shims) of `kong.response` and how they travel over MsgPack. */
export const responseMethods = {
  'kong.response.get_status': sig<[], number>(asNumber),
  'kong.response.get_header': sig<[name: string], string | undefined>(asOptionalString),
  'kong.response.get_headers': sig<[maxHeaders?: number], MultiMap>(asMultiMap),
  'kong.response.get_source': sig<[], ResponseSource>(asOptionalString as (raw: unknown, method: string) => ResponseSource),
  'kong.response.set_status': sig<[status: number], void>(asVoid),
  'kong.response.set_header': sig<[name: string, value: HeaderValue], void>(asVoid),
  'kong.response.add_header': sig<[name: string, value: HeaderValue], void>(asVoid),
  'kong.response.clear_header': sig<[name: string], void>(asVoid),
  'kong.response.set_headers': sig<[headers: HeaderMap], void>(asVoid),
  'kong.response.exit': exitSig<[status: number, body?: ResponseBody, headers?: HeaderMap]>(),
  'kong.response.error': exitSig<[status: number, message?: ErrorMessage, headers?: HeaderMap]>(),
} as const;

/** `kong.response`: read and shape the response sent to the client. */
export class Response {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.response.get_status()`: the status code of the response to the
   * client: the Service's, or the one Kong or a plugin set.
   *
   * Phases: response, log (host shim: the saved status in `log`, Kong 2.5+).
   *
   * @since Kong 2.3.0
   */
  getStatus(): Promise<number> {
    return ask(this.#bridge, responseMethods, 'kong.response.get_status');
  }

  /**
   * `kong.response.get_header(name)`: the first value of a response header
   * as the client will see it (the Service's headers and those Kong or
   * plugins added), or `undefined`. Case-insensitive; `_` matches `-`.
   *
   * Phases: response, log (host shim: the saved headers in `log`).
   *
   * @since Kong 2.3.0
   */
  getHeader(name: string): Promise<string | undefined> {
    return ask(this.#bridge, responseMethods, 'kong.response.get_header', name);
  }

  /**
   * `kong.response.get_headers(max_headers?)`: every response header with all
   * its values, names in lower case. At most `maxHeaders` (1 to 1000;
   * default 100) are read.
   *
   * Phases: response, log (host shim: the saved headers in `log`). In the
   * `response` phase this includes the Service's headers, which makes it
   * the way to list them (see {@link ServiceResponse.getHeaders}).
   *
   * @since Kong 2.3.0
   */
  getHeaders(maxHeaders?: number): Promise<MultiMap> {
    return ask(this.#bridge, responseMethods, 'kong.response.get_headers', maxHeaders);
  }

  /**
   * `kong.response.get_source()`: `exit` when Kong or a plugin produced the
   * response (`kong.response.exit`/`error`), `service` when it came from the
   * Service, `error` when proxying failed or Kong hit an error.
   *
   * Phases: response, log (host shim: the saved context in `log`, Kong 2.5+).
   *
   * @since Kong 2.3.0
   */
  getSource(): Promise<ResponseSource> {
    return ask(this.#bridge, responseMethods, 'kong.response.get_source');
  }

  /**
   * `kong.response.set_status(status)`: changes the status code (100 to
   * 599) of the response to the client.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  setStatus(status: number): Promise<void> {
    return ask(this.#bridge, responseMethods, 'kong.response.set_status', status);
  }

  /**
   * `kong.response.set_header(name, value)`: sets a response header,
   * replacing earlier values. Kong turns `_` in names into `-` (unless
   * `lua_transform_underscores_in_response_headers` is off) and ignores
   * `Transfer-Encoding`.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  setHeader(name: string, value: HeaderValue): Promise<void> {
    return ask(this.#bridge, responseMethods, 'kong.response.set_header', name, value);
  }

  /**
   * `kong.response.add_header(name, value)`: adds one more occurrence of a
   * response header, keeping the existing ones.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  addHeader(name: string, value: HeaderValue): Promise<void> {
    return ask(this.#bridge, responseMethods, 'kong.response.add_header', name, value);
  }

  /**
   * `kong.response.clear_header(name)`: removes every occurrence of a
   * response header.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  clearHeader(name: string): Promise<void> {
    return ask(this.#bridge, responseMethods, 'kong.response.clear_header', name);
  }

  /**
   * `kong.response.set_headers(headers)`: sets several response headers,
   * each replacing earlier values of the same name; other headers stay.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  setHeaders(headers: HeaderMap): Promise<void> {
    return ask(this.#bridge, responseMethods, 'kong.response.set_headers', headers);
  }

  /**
   * `kong.response.exit(status, body?, headers?)`: ends the request with
   * this response; Kong does not proxy it (or, in `response`, replaces the
   * Service's response). An object or array body is JSON-encoded by Kong.
   * Kong sets `Content-Length` unless the headers give it.
   *
   * The call never returns: Kong sends no further step for the event, so
   * the promise never settles and code after `await kong.response.exit(…)`
   * does not run. Argument errors reject with `PDK_BAD_ARGUMENT` before
   * anything is sent; errors Kong raises (a status outside 100 to 599, a
   * wrong phase) abort the event on Kong's side.
   *
   * Headers without a body: a nil cannot precede the headers on the wire
   * (Kong's `unpack` would stop at it and drop them), so the binding sends
   * an empty string as the body, which Kong's `exit` treats as it treats
   * nil: the headers are set, `Content-Length` is 0 unless they give one
   * (a caller's `Content-Length` is kept, as Kong's own `exit` keeps it),
   * nothing else is written. One difference: for a gRPC client Kong then
   * sends an empty `grpc-message` instead of its default text. In `preread`
   * (stream) Kong ignores headers, so only the status is sent.
   *
   * For stream (preread) plugins only the status (200, 400, 403, 500, 502,
   * 503) and the body are used: a body is sent to the client below 400,
   * logged by Kong from 400 on, and an object body is JSON-encoded without
   * a `Content-Type`.
   *
   * Phases: rewrite, access, response, preread.
   *
   * @since Kong 2.3.0
   */
  exit(status: number, body?: ResponseBody, headers?: HeaderMap): Promise<never> {
    if (body === undefined && headers !== undefined) {
      if (this.#bridge.phase === 'preread') return ask(this.#bridge, responseMethods, 'kong.response.exit', status);
      return ask(this.#bridge, responseMethods, 'kong.response.exit', status, '', headers);
    }
    return ask(this.#bridge, responseMethods, 'kong.response.exit', status, body, headers);
  }

  /**
   * `kong.response.error(status, message?, headers?)`: ends the request with
   * Kong's error response for `status` (400 to 599), in JSON, XML, HTML or
   * plain text following a `Content-Type` in `headers` (spell it exactly
   * `Content-Type`, Kong looks it up case-sensitively) or else the client's
   * `Accept` header. `message` defaults to Kong's text for the status; a
   * table message is JSON-encoded first. Never returns, like
   * {@link Response.exit}.
   *
   * Headers without a message: the binding sends Kong's default message for
   * the status (for example `Forbidden` for 403) in the message slot, since a
   * nil cannot precede the headers on the wire; the response is the same.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0
   */
  error(status: number, message?: ErrorMessage, headers?: HeaderMap): Promise<never> {
    const text = message === undefined && headers !== undefined ? defaultErrorMessage(status) : message;
    return ask(this.#bridge, responseMethods, 'kong.response.error', status, text, headers);
  }
}
