/**
 * What the client got back from a simulated request.
 *
 * @module
 */
import { bagRecord, type HeaderBag } from '../fake/headers.ts';
import type { ResponseSource } from '../fake/state.ts';

const utf8 = new TextDecoder();

/** The response the client received. */
export class ClientResponse {
  readonly status: number;
  /** Headers, lower-case names, every value. */
  readonly headers: Readonly<Record<string, string[]>>;
  /** The body as bytes. */
  readonly body: Uint8Array;
  /** Who produced it: the Service, `kong.response.exit`, or `kong.response.error` (also a failed plugin). */
  readonly source: ResponseSource;

  constructor(status: number, headers: HeaderBag, body: Uint8Array, source: ResponseSource) {
    this.status = status;
    this.headers = bagRecord(headers);
    this.body = body;
    this.source = source;
  }

  /** The first value of header `name` (case-insensitive), or `undefined`. */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** The body as UTF-8 text. */
  get text(): string {
    return utf8.decode(this.body);
  }

  /**
   * The body parsed as JSON.
   * @throws {@link SyntaxError} when it is not JSON.
   */
  json<T = unknown>(): T {
    return JSON.parse(this.text) as T;
  }
}
