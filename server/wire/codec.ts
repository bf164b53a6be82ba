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
import * as envelope from './envelope.ts';

// Module-local copies, which V8 compiles as the literals they stand for (see envelope.ts).
const { ENVELOPE_HEAD } = envelope;
const RESPONSE = envelope.MessageType.response;
const { array: FIXARRAY_MAX, str: FIXSTR_MAX } = envelope.FixCapacity;
const { fixmap: FIXMAP, fixarray: FIXARRAY, fixstr: FIXSTR, nil: NIL, false: FALSE, true: TRUE } = envelope.Marker;
const { uint8: UINT8, uint16: UINT16, uint32: UINT32, uint64: UINT64, str8: STR8 } = envelope.Marker;

/**
 * Limits on decoded values. The framer has bounded the message's size and
 * its entries in total (server/wire/framer.ts); these only keep the
 * decoder's own per-container checks from refusing less than that.
 */
export interface DecodeLimits {
  /** Most entries in one map. Defaults to 1,048,576. */
  readonly maxMapEntries?: number;
  /** Most elements in one array. Defaults to 1,048,576. */
  readonly maxArrayEntries?: number;
}

const utf8 = new TextDecoder();

/** Decodes complete messages, one at a time. Not re-entrant. */
export class MessageDecoder {
  readonly #strict: Decoder;
  readonly #raw: Decoder;

  constructor(limits: DecodeLimits = {}) {
    const options = { maxArrayLength: limits.maxArrayEntries ?? 1024 * 1024, maxMapLength: limits.maxMapEntries ?? 1024 * 1024 };
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
 * Encodes the replies of the event loop, `[1, msgid, nil, {EventId, Data}]`,
 * straight into one pooled Buffer per reply, without building the
 * four-level object graph and without a second copy.
 *
 * Only `Args` goes through the general encoder; the envelope is written by
 * hand and the `Data: {Method: …, Args: ` part is encoded once per method
 * name. The bytes equal what {@link MessageEncoder} writes for the same
 * object (the same key order, integers in their smallest form).
 */
export class ReplyEncoder {
  /** For arguments that are not simple; created on first need (most connections never need it). */
  #encoder: Encoder | undefined;

  /**
   * The reply that sends PDK call `method(args)` for event `eventId`, or
   * `"ret"` when `method` is undefined. `undefined` when `msgid` or `eventId`
   * is not an unsigned safe integer (use the general encoder then).
   * @throws {@link Error} when an argument cannot be encoded.
   */
  step(msgid: number, eventId: number, method: string | undefined, args: readonly unknown[]): Buffer | undefined {
    if (!isUint(msgid) || !isUint(eventId)) return undefined;
    let head: Uint8Array;
    let body: Uint8Array | undefined;
    // Most PDK calls take a few short ASCII strings and small integers
    // (header names and values, status codes): those are written by hand.
    let simple = -1;
    if (method === undefined) head = DATA_RET;
    else {
      head = this.#head(method);
      simple = simpleArgsSize(args);
      // A view of the encoder's buffer: copied below before the next encode.
      if (simple < 0) body = (this.#encoder ??= new Encoder({ ignoreUndefined: true })).encodeSharedRef(args);
    }
    const argsSize = simple >= 0 ? simple : (body?.length ?? 0);
    const size = ENVELOPE + uintSize(msgid) + uintSize(eventId) + head.length + argsSize;
    // allocUnsafe takes small buffers from Node's shared slab: no allocation per reply.
    const out = Buffer.allocUnsafe(size);
    out[0] = ENVELOPE_HEAD;
    out[1] = RESPONSE;
    let at = writeUint(out, 2, msgid);
    out[at++] = NIL;
    out[at++] = FIXMAP | 2;
    out.set(EVENT_ID_KEY, at);
    at = writeUint(out, at + EVENT_ID_KEY.length, eventId);
    out.set(head, at);
    if (body !== undefined) out.set(body, at + head.length);
    else if (simple >= 0) writeSimpleArgs(out, at + head.length, args);
    return out;
  }

  #head(method: string): Uint8Array {
    let head = HEADS.get(method);
    if (head === undefined) {
      // {Method: m} is 81 A6 "Method" <m>: keep the key and value, add Args.
      const encoded = headEncoder.encode({ Method: method });
      head = concat(DATA_KEY, [FIXMAP | 2], encoded.subarray(1), ARGS_KEY);
      if (HEADS.size < 4096) HEADS.set(method, head);
    }
    return head;
  }
}

/**
 * Encoded `"Data": {"Method": <name>, "Args":` per method name, shared by
 * every connection (the bytes never change); bounded, as a plugin could
 * call made-up names through the bridge.
 */
const HEADS = new Map<string, Uint8Array>();
const headEncoder = new Encoder();

const EVENT_ID_KEY = fixstr('EventId');
/** Bytes of `[1, msgid, nil, {EventId: id, Data: …}]` other than the two ints and Data: 94 01 C0 82 "EventId". */
const ENVELOPE = 4 + EVENT_ID_KEY.length;
const DATA_KEY = fixstr('Data');
const ARGS_KEY = fixstr('Args');
const DATA_RET = concat(DATA_KEY, fixstr('ret'));

/** An ASCII string of at most 31 characters, encoded. */
function fixstr(text: string): Uint8Array {
  return new Uint8Array([FIXSTR | text.length, ...Buffer.from(text, 'latin1')]);
}

function concat(...parts: readonly ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Encoded size of `args` when it holds at most 15 values, each an ASCII
 * string shorter than 256 characters, an integer in [-32, 65535], a boolean
 * or nil; -1 otherwise (the general encoder takes it then).
 */
function simpleArgsSize(args: readonly unknown[]): number {
  if (args.length > FIXARRAY_MAX) return -1;
  let size = 1;
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    if (typeof value === 'string') {
      const n = value.length;
      if (n > 255) return -1;
      for (let c = 0; c < n; c++) if (value.charCodeAt(c) >= 0x80) return -1;
      size += n + (n <= FIXSTR_MAX ? 1 : 2);
    } else if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < -32 || value > 0xffff) return -1;
      size += value < 0 || value < 0x80 ? 1 : value < 0x100 ? 2 : 3;
    } else if (value == null || typeof value === 'boolean') size += 1;
    else return -1;
  }
  return size;
}

/** Writes `args` checked by {@link simpleArgsSize}, byte for byte as @msgpack/msgpack would. */
function writeSimpleArgs(out: Buffer, at: number, args: readonly unknown[]): void {
  out[at++] = FIXARRAY | args.length;
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    if (typeof value === 'string') {
      const n = value.length;
      if (n <= FIXSTR_MAX) out[at++] = FIXSTR | n;
      else {
        out[at++] = STR8;
        out[at++] = n;
      }
      for (let c = 0; c < n; c++) out[at++] = value.charCodeAt(c);
    } else if (typeof value === 'number') {
      if (value < 0) out[at++] = value & 0xff;
      else at = writeUint(out, at, value);
    } else out[at++] = value === true ? TRUE : value === false ? FALSE : NIL;
  }
}

/** Whether `n` is an unsigned integer a number holds exactly (as every msgid and id Kong sends is). */
export function isUint(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Size of `n` encoded as @msgpack/msgpack encodes an unsigned integer. */
function uintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}

function writeUint(out: Buffer, at: number, n: number): number {
  if (n < 0x80) {
    out[at] = n;
    return at + 1;
  }
  if (n < 0x100) {
    out[at] = UINT8;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    out[at] = UINT16;
    out.writeUInt16BE(n, at + 1);
    return at + 3;
  }
  if (n < 0x100000000) {
    out[at] = UINT32;
    out.writeUInt32BE(n, at + 1);
    return at + 5;
  }
  out[at] = UINT64;
  out.writeUInt32BE(Math.floor(n / 0x100000000), at + 1);
  out.writeUInt32BE(n >>> 0, at + 5);
  return at + 9;
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
