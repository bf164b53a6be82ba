/**
 * `kong.response`: the response Kong sends to the client.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { asMultiMap, asOptionalString, asVoid } from './shape.ts';
import { ask, exitSig, sig } from './signature.ts';

/** A JSON value, as Kong's `cjson` encodes it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Headers to set: one value or several values per name. */
export type HeaderMap = Record<string, string | number | boolean | readonly (string | number | boolean)[]>;

/**
 * A response body: text, raw bytes, or a table that Kong encodes as JSON
 * (and then sets `Content-Type: application/json; charset=utf-8`).
 */
export type ResponseBody = string | Uint8Array | { [key: string]: JsonValue } | JsonValue[];

/** The Lua functions of `kong.response` and how they travel over MsgPack. */
export const responseMethods = {
  'kong.response.get_header': sig<[name: string], string | undefined>(asOptionalString),
  'kong.response.get_headers': sig<[maxHeaders?: number], Record<string, string[]>>(asMultiMap),
  'kong.response.set_header': sig<[name: string, value: string | number | boolean], void>(asVoid),
  'kong.response.add_header': sig<[name: string, value: string | number | boolean], void>(asVoid),
  'kong.response.exit': exitSig<[status: number, body?: ResponseBody, headers?: HeaderMap]>(),
  'kong.response.error': exitSig<[status: number, message?: string, headers?: HeaderMap]>(),
} as const;

/** `kong.response`: shape the response sent to the client. */
export class Response {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** `kong.response.get_header(name)`: the first value of a response header, or `undefined`. */
  getHeader(name: string): Promise<string | undefined> {
    return ask(this.#bridge, responseMethods, 'kong.response.get_header', name);
  }

  /** `kong.response.get_headers(max_headers?)`: every response header with all its values. */
  getHeaders(maxHeaders?: number): Promise<Record<string, string[]>> {
    return ask(this.#bridge, responseMethods, 'kong.response.get_headers', maxHeaders);
  }

  /**
   * `kong.response.set_header(name, value)`: sets a response header, replacing
   * any previous value. Phases: rewrite, access, header_filter, response, admin_api.
   */
  setHeader(name: string, value: string | number | boolean): Promise<void> {
    return ask(this.#bridge, responseMethods, 'kong.response.set_header', name, value);
  }

  /** `kong.response.add_header(name, value)`: adds one more value to a response header. */
  addHeader(name: string, value: string | number | boolean): Promise<void> {
    return ask(this.#bridge, responseMethods, 'kong.response.add_header', name, value);
  }

  /**
   * `kong.response.exit(status, body?, headers?)`: ends the request with this
   * response; Kong does not proxy it. A table body is encoded as JSON by
   * Kong. The call never returns: Kong sends no further step for the event, so
   * code after `await kong.response.exit(...)` does not run.
   * Phases: rewrite, access, admin_api, header_filter (only without body), response, preread.
   */
  exit(status: number, body?: ResponseBody, headers?: HeaderMap): Promise<never> {
    if (body === undefined && headers !== undefined) body = '';
    return ask(this.#bridge, responseMethods, 'kong.response.exit', status, body, headers);
  }

  /**
   * `kong.response.error(status, message?, headers?)`: ends the request with
   * Kong's error response for `status` (JSON, XML, HTML or text, following the
   * client's `Accept` header). Never returns, like {@link Response.exit}.
   */
  error(status: number, message?: string, headers?: HeaderMap): Promise<never> {
    return ask(this.#bridge, responseMethods, 'kong.response.error', status, message, headers);
  }
}
