/**
 * Decoding and encoding of whole MessagePack messages.
 *
 * Strings that are valid UTF-8 decode to JS strings. Kong sends Lua strings
 * as msgpack str even when they hold arbitrary bytes (every raw body in Kong
 * 2.x, any header value), and decoding those as UTF-8 would corrupt them; a
 * message in which the framer saw such a str is therefore decoded with its
 * strings as bytes, and only the valid ones are turned back into strings, so
 * binary content reaches the plugin as a `Uint8Array`, byte for byte.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { Decoder, Encoder } from '@msgpack/msgpack';

/** Limits on decoded values (the framer has bounded the message size). */
export interface DecodeLimits {
  /** Most entries in one map or array. Defaults to 1,048,576. */
  readonly maxContainerLength?: number;
}

const utf8 = new TextDecoder();

/** Decodes complete messages, one at a time. Not re-entrant. */
export class MessageDecoder {
  readonly #strict: Decoder;
  readonly #raw: Decoder;

  constructor(limits: DecodeLimits = {}) {
    const max = limits.maxContainerLength ?? 1024 * 1024;
    const options = { maxArrayLength: max, maxMapLength: max };
    this.#strict = new Decoder(options);
    this.#raw = new Decoder({ ...options, rawStrings: true });
  }

  /**
   * Decodes one message.
   * @param hasInvalidUtf8 the framer saw a str that is not valid UTF-8.
   * @throws {@link DecodeError} for a structurally invalid message (e.g. a
   *   `__proto__` map key, a non-string map key).
   */
  decode(bytes: Uint8Array, hasInvalidUtf8: boolean): unknown {
    if (!hasInvalidUtf8) return this.#strict.decode(bytes);
    return restoreStrings(this.#raw.decode(bytes));
  }
}

/**
 * Turns the byte strings of a message decoded with `rawStrings` back into
 * strings where they are valid UTF-8, without recursion.
 */
function restoreStrings(root: unknown): unknown {
  const top = fix(root);
  const stack: unknown[] = [top];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const value = fix(node[i]);
        node[i] = value;
        if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) stack.push(value);
      }
    } else if (node !== null && typeof node === 'object' && !(node instanceof Uint8Array)) {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const value = fix(record[key]);
        record[key] = value;
        if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) stack.push(value);
      }
    }
  }
  return top;
}

function fix(value: unknown): unknown {
  if (value instanceof Uint8Array && isUtf8(value)) return utf8.decode(value);
  return value;
}

/**
 * Encodes outgoing messages into a reused buffer. `undefined` map values are
 * left out, as Lua has no way to hold them; `undefined` elsewhere is nil.
 */
export class MessageEncoder {
  readonly #encoder = new Encoder({ ignoreUndefined: true });

  /**
   * Encodes `value`. The result is a view of an internal buffer that the next
   * call overwrites: write it out (or copy it) before encoding again.
   * @throws {@link Error} when the value holds something MessagePack cannot carry.
   */
  encodeShared(value: unknown): Uint8Array {
    return this.#encoder.encodeSharedRef(value);
  }

  /** Encodes `value` into a fresh buffer. */
  encode(value: unknown): Uint8Array {
    return this.#encoder.encode(value);
  }
}
