/**
 * `kong.service.response`: the response the Service sent back to Kong.
 *
 * Lua source: `kong/pdk/service/response.lua`. External plugins see the
 * Service's response in the `response` phase, which turns on buffered
 * proxying (Kong reads the whole response before running it), or after
 * `kong.service.request.enable_buffering()`. Without buffered proxying the
 * body functions raise a Lua error, which aborts the event.
 *
 * @module
 */
import type { Bridge } from '../bridge.ts';
import type { BodyMimeType, DecodedBody } from '../request.ts';
import { asMultiMap, asOptionalBodyTable, asOptionalBytes, asOptionalNumber, asOptionalString } from '../shape.ts';
import { ask, sig } from '../signature.ts';
import type { MultiMap } from '../values.ts';

/** The Lua functions of `kong.service.response` and how they travel over MsgPack. */
export const serviceResponseMethods = {
  'kong.service.response.get_status': sig<[], number | undefined>(asOptionalNumber),
  'kong.service.response.get_headers': sig<[maxHeaders?: number], MultiMap>(asMultiMap),
  'kong.service.response.get_header': sig<[name: string], string | undefined>(asOptionalString),
  'kong.service.response.get_raw_body': sig<[], Uint8Array | undefined>(asOptionalBytes),
  'kong.service.response.get_body': sig<[mimetype?: BodyMimeType | (string & {}), maxArgs?: number], DecodedBody | undefined>(asOptionalBodyTable),
} as const;

/** `kong.service.response`: read the Service's response. */
export class ServiceResponse {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.service.response.get_status()`: the Service's status code, or
   * `undefined` when the request was not proxied.
   *
   * Phases: response, log (in `log` only with buffered proxying; otherwise
   * it reads an nginx variable the log timer does not have).
   *
   * @since Kong 2.3.0
   */
  getStatus(): Promise<number | undefined> {
    return ask(this.#bridge, serviceResponseMethods, 'kong.service.response.get_status');
  }

  /**
   * `kong.service.response.get_headers(max_headers?)`: the Service's
   * response headers (without those Kong added).
   *
   * Caveat: with buffered proxying, i.e. in the `response` phase, Kong
   * returns a lookup-only proxy table that cannot be iterated, so the map
   * arrives EMPTY over RPC. Read single headers with
   * {@link ServiceResponse.getHeader}, or list them with
   * `kong.response.getHeaders()`, which in `response` holds the Service's
   * headers plus Kong's. Without buffering it reads nginx state, which the
   * `log` timer does not have.
   *
   * Phases: response (see caveat).
   *
   * @since Kong 2.3.0
   */
  getHeaders(maxHeaders?: number): Promise<MultiMap> {
    return ask(this.#bridge, serviceResponseMethods, 'kong.service.response.get_headers', maxHeaders);
  }

  /**
   * `kong.service.response.get_header(name)`: the first value of a header
   * of the Service's response (case-insensitive, `_` matches `-`), or
   * `undefined`.
   *
   * Phases: response, log (in `log` only with buffered proxying).
   *
   * @since Kong 2.3.0
   */
  getHeader(name: string): Promise<string | undefined> {
    return ask(this.#bridge, serviceResponseMethods, 'kong.service.response.get_header', name);
  }

  /**
   * `kong.service.response.get_raw_body()`: the Service's whole response
   * body as bytes (Kong 2.x sends a string; the result is a `Uint8Array`
   * either way). Needs buffered proxying.
   *
   * Phases: response, log (Kong keeps the buffered body in the request
   * context the log timer copies).
   *
   * @since Kong 2.3.0
   */
  getRawBody(): Promise<Uint8Array | undefined> {
    return ask(this.#bridge, serviceResponseMethods, 'kong.service.response.get_raw_body');
  }

  /**
   * `kong.service.response.get_body(mimetype?, max_args?)`: the Service's
   * body decoded as `mimetype`, or else its `Content-Type`: form fields (at
   * most `maxArgs`, default 100), JSON, or multipart fields. `undefined`
   * when the type is missing or unsupported or decoding fails (Kong's
   * message is lost on 3.x; 2.x rejects with `PDK_CALL_FAILED`). Needs
   * buffered proxying.
   *
   * `maxArgs` without `mimetype`: the binding first reads the Service's
   * `Content-Type` (one more call) and sends it, as Kong would have used it,
   * since a nil cannot precede `maxArgs` on the wire.
   *
   * Phases: response, log.
   *
   * @since Kong 2.3.0
   */
  getBody(mimetype?: BodyMimeType | (string & {}), maxArgs?: number): Promise<DecodedBody | undefined> {
    if (mimetype !== undefined || maxArgs === undefined) {
      return ask(this.#bridge, serviceResponseMethods, 'kong.service.response.get_body', mimetype, maxArgs);
    }
    return this.getHeader('Content-Type').then((contentType) =>
      contentType === undefined ? undefined : ask(this.#bridge, serviceResponseMethods, 'kong.service.response.get_body', contentType, maxArgs),
    );
  }
}
