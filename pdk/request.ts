/**
 * `kong.request`: the client's request as Kong received it.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { asMultiMap, asOptionalString } from './shape.ts';
import { ask, sig } from './signature.ts';

/** The Lua functions of `kong.request` and how they travel over MsgPack. */
export const requestMethods = {
  'kong.request.get_header': sig<[name: string], string | undefined>(asOptionalString),
  'kong.request.get_headers': sig<[maxHeaders?: number], Record<string, string[]>>(asMultiMap),
} as const;

/** `kong.request`: read the client's request. */
export class Request {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.request.get_header(name)`: the first value of the request header
   * `name` (case-insensitive, `_` matches `-`), or `undefined` when the
   * header is absent. In the `log` phase Kong reads the headers it saved
   * before the response was sent.
   */
  getHeader(name: string): Promise<string | undefined> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_header', name);
  }

  /**
   * `kong.request.get_headers(max_headers?)`: all request headers, lower-cased
   * names mapped to every value. Kong reads at most `maxHeaders` headers
   * (default 100, at most 1000).
   */
  getHeaders(maxHeaders?: number): Promise<Record<string, string[]>> {
    return ask(this.#bridge, requestMethods, 'kong.request.get_headers', maxHeaders);
  }
}
