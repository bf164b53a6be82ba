/**
 * A fast path for the requests that make up the event loop: `plugin.HandleEvent`
 * and the `plugin.Step*` family, read straight from the bytes.
 *
 * The general decoder builds the whole envelope `[0, msgid, method, [arg]]`
 * (two arrays, the method string, a DataView per message) before the server
 * looks at it. Here the envelope is walked in place, the method is matched
 * against the known names (so its string is a shared constant), and the
 * argument map is built directly when its values are scalars. Anything else
 * (another method, a nested Data value, an unexpected key, a str that is not
 * valid UTF-8) is declined, and the caller decodes the message the general
 * way: the fast path never changes what a message means, only what it costs.
 *
 * @module
 */
import * as envelope from './envelope.ts';
import { skipValue } from './framer.ts';

// Module-local copies, which V8 compiles as the literals they stand for (see envelope.ts).
const { ENVELOPE_HEAD, EVENT_METHODS, MSGID_AT } = envelope;
const REQUEST = envelope.MessageType.request;
const { fixmap: FIXMAP, fixarray: FIXARRAY, fixstr: FIXSTR, nil: NIL, false: FALSE, true: TRUE } = envelope.Marker;
const { uint8: UINT8, uint16: UINT16, uint32: UINT32, uint64: UINT64, str8: STR8, str16: STR16, negativeFixint: NEGATIVE_FIXINT } = envelope.Marker;
const { map16: MAP16 } = envelope.Marker;

/** Methods read here: the ones Kong sends for every event, the most frequent first. */
const METHOD_BYTES = EVENT_METHODS.map((name) => Buffer.from(name, 'latin1'));

/** Map keys of their arguments. */
const KEYS = ['EventId', 'Data', 'InstanceId', 'EventName'] as const;
const KEY_BYTES = KEYS.map((name) => Buffer.from(name, 'latin1'));

/** Longest str decoded here; longer ones go through the general decoder. */
const MAX_STR = 256;

const DECLINE = Symbol('decline');

/** Reads one request at a time into its fields (no object per message). */
export class RequestReader {
  /** The request's msgid, after {@link RequestReader.read} returned true. */
  msgid = 0;
  /** Its method: one of the shared constant names. */
  method = '';
  /** Its only parameter: a plain object, as the general decoder builds it. */
  arg: Record<string, unknown> = {};

  #bytes: Uint8Array = new Uint8Array(0);
  #pos = 0;

  /**
   * Reads `bytes` (one whole message, all str valid UTF-8) when it is a
   * request of the event loop with scalar arguments. Returns false to
   * decline: decode the message the general way then.
   */
  read(bytes: Uint8Array): boolean {
    if (bytes.length < 4 || bytes[0] !== ENVELOPE_HEAD || bytes[1] !== REQUEST) return false;
    this.#bytes = bytes;
    this.#pos = MSGID_AT;
    const msgid = this.#uint();
    if (msgid === DECLINE) return false;
    const method = this.#method();
    if (method === undefined || bytes[this.#pos] !== (FIXARRAY | 1)) return false;
    this.#pos++;
    const head = bytes[this.#pos++] as number;
    if (head < FIXMAP || head >= FIXARRAY) return false;
    const arg: Record<string, unknown> = {};
    for (let i = head - FIXMAP; i > 0; i--) {
      const key = this.#key();
      if (key === undefined) return false;
      const value = this.#scalar();
      if (value === DECLINE) return false;
      arg[key] = value;
    }
    if (this.#pos !== bytes.length) return false;
    this.msgid = msgid;
    this.method = method;
    this.arg = arg;
    this.#bytes = EMPTY;
    return true;
  }

  /** The unsigned integer at `pos` of `bytes`, as this reader reads ids; `undefined` when there is none. */
  readUintAt(bytes: Uint8Array, pos: number): number | undefined {
    this.#bytes = bytes;
    this.#pos = pos;
    const value = this.#uint();
    this.#bytes = EMPTY;
    return value === DECLINE ? undefined : value;
  }

  /** An unsigned integer (how Kong sends msgids and ids). */
  #uint(): number | typeof DECLINE {
    const bytes = this.#bytes;
    const at = this.#pos;
    const type = bytes[at] as number;
    if (type < FIXMAP) {
      this.#pos = at + 1;
      return type;
    }
    if (type === UINT8) {
      this.#pos = at + 2;
      return bytes[at + 1] ?? DECLINE;
    }
    if (type === UINT16) {
      if (at + 3 > bytes.length) return DECLINE;
      this.#pos = at + 3;
      return (bytes[at + 1] as number) * 0x100 + (bytes[at + 2] as number);
    }
    if (type === UINT32 || type === UINT64) {
      const width = type === UINT32 ? 4 : 8;
      if (at + 1 + width > bytes.length) return DECLINE;
      let n = 0;
      for (let i = 1; i <= width; i++) n = n * 0x100 + (bytes[at + i] as number);
      // Above 2^53 the general decoder's rounding applies: leave it to it.
      if (!Number.isSafeInteger(n)) return DECLINE;
      this.#pos = at + 1 + width;
      return n;
    }
    return DECLINE;
  }

  #method(): string | undefined {
    const index = this.#match(METHOD_BYTES);
    return index === undefined ? undefined : EVENT_METHODS[index];
  }

  #key(): string | undefined {
    const index = this.#match(KEY_BYTES);
    return index === undefined ? undefined : KEYS[index];
  }

  /** Matches a fixstr against `names`; returns its index and moves past it. */
  #match(names: readonly Uint8Array[]): number | undefined {
    const bytes = this.#bytes;
    const at = this.#pos;
    const type = bytes[at] as number;
    if (type < FIXSTR || type >= NIL) return undefined;
    const length = type - FIXSTR;
    if (at + 1 + length > bytes.length) return undefined;
    outer: for (let n = 0; n < names.length; n++) {
      const name = names[n] as Uint8Array;
      if (name.length !== length) continue;
      for (let i = 0; i < length; i++) if (name[i] !== bytes[at + 1 + i]) continue outer;
      this.#pos = at + 1 + length;
      return n;
    }
    return undefined;
  }

  /** nil, a boolean, an integer or a short str; anything else declines. */
  #scalar(): unknown {
    const bytes = this.#bytes;
    const at = this.#pos;
    const type = bytes[at];
    if (type === undefined) return DECLINE;
    if (type < FIXMAP || (type >= UINT8 && type <= UINT64)) return this.#uint();
    if (type >= NEGATIVE_FIXINT) {
      this.#pos = at + 1;
      return type - 0x100;
    }
    if (type === NIL || type === FALSE || type === TRUE) {
      this.#pos = at + 1;
      return type === NIL ? null : type === TRUE;
    }
    let start: number;
    let length: number;
    if (type >= FIXSTR && type < NIL) {
      start = at + 1;
      length = type - FIXSTR;
    } else if (type === STR8) {
      start = at + 2;
      length = bytes[at + 1] ?? MAX_STR + 1;
    } else if (type === STR16) {
      start = at + 3;
      length = (bytes[at + 1] ?? 0xff) * 0x100 + (bytes[at + 2] ?? 0xff);
    } else return DECLINE;
    if (length > MAX_STR || start + length > bytes.length) return DECLINE;
    this.#pos = start + length;
    return utf8(bytes, start, start + length);
  }
}

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

/** Valid UTF-8 (the framer checked) to a string; ASCII without a decoder call. */
function utf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 24) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if ((bytes[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  return decoder.decode(bytes.subarray(start, end));
}

/**
 * The Step method and the `EventId` of a request that is not decoded (it
 * breaks a decoding limit, see framer.ts): `[0, msgid, "plugin.Step…",
 * [{EventId: id, Data: …}]]` read in place, `Data` skipped whatever it holds.
 * `undefined` when `bytes` is not such a request.
 */
export function readStepTarget(bytes: Uint8Array): { method: string; eventId: number } | undefined {
  let pos = envelope.msgidEnd(bytes, REQUEST);
  if (pos < 0) return undefined;
  const method = readShortString(bytes, pos);
  if (method === undefined || !envelope.isStepMethod(method.value)) return undefined;
  pos = method.end;
  if (bytes[pos] !== (FIXARRAY | 1)) return undefined;
  pos++;
  const head = bytes[pos] as number;
  let entries: number;
  if (head >= FIXMAP && head < FIXARRAY) {
    entries = head - FIXMAP;
    pos += 1;
  } else if (head === MAP16 && pos + 3 <= bytes.length) {
    entries = (bytes[pos + 1] as number) * 0x100 + (bytes[pos + 2] as number);
    pos += 3;
  } else return undefined;
  for (let i = 0; i < entries && pos < bytes.length; i++) {
    const key = readShortString(bytes, pos);
    if (key === undefined) return undefined;
    pos = key.end;
    if (key.value === 'EventId') {
      const reader = new RequestReader();
      const id = reader.readUintAt(bytes, pos);
      return id === undefined ? undefined : { method: method.value, eventId: id };
    }
    pos = skipValue(bytes, pos);
  }
  return undefined;
}

/** A fixstr, str8 or str16 of ASCII at `pos`, and where it ends. */
function readShortString(bytes: Uint8Array, pos: number): { value: string; end: number } | undefined {
  const type = bytes[pos];
  let start: number;
  let length: number;
  if (type === undefined) return undefined;
  if (type >= FIXSTR && type < NIL) {
    start = pos + 1;
    length = type - FIXSTR;
  } else if (type === STR8) {
    start = pos + 2;
    length = bytes[pos + 1] ?? 0;
  } else if (type === STR16) {
    start = pos + 3;
    length = (bytes[pos + 1] ?? 0) * 0x100 + (bytes[pos + 2] ?? 0);
  } else return undefined;
  if (length > MAX_STR || start + length > bytes.length) return undefined;
  return { value: String.fromCharCode(...bytes.subarray(start, start + length)), end: start + length };
}
