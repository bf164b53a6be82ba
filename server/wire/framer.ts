/**
 * Finds message boundaries in a continuous MessagePack stream.
 *
 * Kong writes plain concatenated MessagePack values with no length prefix, so
 * a read may hold part of a message, several messages, or both. The framer
 * walks the structure of each value without decoding it, remembers where it
 * stopped, and hands out each complete message as one contiguous byte range.
 * Every byte is scanned once and copied at most a constant number of times,
 * so a 32 MB body arriving in 64 KB reads costs linear time.
 *
 * Two ways to feed it, one per framer:
 * - {@link Framer.push} takes reads that Node allocated (`'data'` events) and
 *   copies only the start of an incomplete message;
 * - {@link Framer.readTarget} / {@link Framer.commit} let the kernel write
 *   straight into the framer's buffers (see direct-reads.ts): small messages
 *   share a region that is only ever written past its last byte handed out,
 *   and a large message gets a buffer of its own that grows in place, so a
 *   32 MB body costs one buffer of its size and no garbage read buffers.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer';
import * as envelope from './envelope.ts';

// Module-local copies, which V8 compiles as the literals they stand for (see envelope.ts).
const { fixmap: FIXMAP, fixarray: FIXARRAY, fixstr: FIXSTR, nil: NIL, neverUsed: NEVER_USED, negativeFixint: NEGATIVE_FIXINT } = envelope.Marker;
const { bin8: BIN8, bin16: BIN16, ext8: EXT8, ext16: EXT16, ext32: EXT32, str8: STR8, str16: STR16 } = envelope.Marker;
const { array16: ARRAY16, array32: ARRAY32, map16: MAP16, map32: MAP32 } = envelope.Marker;

/** The stream cannot be framed: it is not MessagePack, or a limit was hit. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'FrameError', enumerable: false, configurable: true });
  }
}

/** Limits that protect the server from hostile or broken peers. */
export interface FramerLimits {
  /** Largest message in bytes. Defaults to 128 MiB. */
  readonly maxMessageBytes?: number;
  /** Most values (scalars, keys and containers) in one message. Defaults to 4,194,304. */
  readonly maxValues?: number;
  /**
   * Decoding limits: map entries (all maps of a message together), array
   * elements (all arrays together), and nesting depth. A message over one
   * of them is still framed, and handed out with the reason
   * ({@link MessageSink}'s `excess`), so that it can be answered without
   * being decoded: decoding a map of a million keys blocks for seconds.
   * Each defaults to no limit.
   */
  readonly maxMapEntries?: number;
  readonly maxArrayEntries?: number;
  readonly maxNesting?: number;
}

/**
 * A complete message: its bytes, whether any str in it is not valid UTF-8,
 * and, when it breaks a decoding limit, which one (do not decode it then).
 */
export type MessageSink = (bytes: Uint8Array, hasInvalidUtf8: boolean, excess?: string) => void;

const EMPTY = new Uint8Array(0);

/**
 * The most a declared length may make the framer reserve beyond twice what
 * has arrived: a hostile 6-byte header claiming a 128 MiB bin must not
 * reserve 128 MiB per connection. Messages up to this size are still copied
 * once; longer ones grow geometrically (about two copies).
 */
const TRUSTED_RESERVE = 8 * 1024 * 1024;

/** Size of a fresh region for messages read in place. */
const REGION = 16 * 1024;

/** Less free space than this left in a region, and the next read goes to a fresh one. */
const MIN_READ = 2 * 1024;

/** Splits one connection's byte stream into MessagePack messages. */
export class Framer {
  readonly #maxMessageBytes: number;
  readonly #maxValues: number;
  readonly #maxMapEntries: number;
  readonly #maxArrayEntries: number;
  readonly #maxNesting: number;

  /**
   * Holds the start of an incomplete message (bytes `#start .. #filled`).
   * With {@link push} the message always starts at 0; with in-place reads
   * the bytes before `#start` belong to messages already handed out.
   */
  #buffer: Uint8Array = EMPTY;
  #start = 0;
  #filled = 0;
  /** Where scanning resumes in `#buffer`: always at a value boundary. */
  #scanned = 0;
  /** Values still to read before the current message is complete. */
  #pending = 0;
  /** Values read so far in the current message. */
  #values = 0;
  /** Map entries, array elements and containers read so far in the current message. */
  #mapEntries = 0;
  #arrayEntries = 0;
  #containers = 0;
  /** Why the message that just ended breaks a decoding limit. */
  #excess: string | undefined;
  /** No message is handed out until {@link release} (set by {@link hold}). */
  #held = false;
  /** Fed by in-place reads ({@link readTarget}/{@link commit}), not by {@link push}. */
  #inPlace = false;
  /** Bytes the current message needs at least, as far as known. */
  #needed = 0;
  #invalidUtf8 = false;

  constructor(limits: FramerLimits = {}) {
    this.#maxMessageBytes = limits.maxMessageBytes ?? 128 * 1024 * 1024;
    this.#maxValues = limits.maxValues ?? 4 * 1024 * 1024;
    this.#maxMapEntries = limits.maxMapEntries ?? Infinity;
    this.#maxArrayEntries = limits.maxArrayEntries ?? Infinity;
    this.#maxNesting = limits.maxNesting ?? Infinity;
  }

  /** Bytes held for an incomplete message. */
  get bufferedBytes(): number {
    return this.#filled - this.#start;
  }

  /**
   * Hands out no further message until {@link release}: the loop that
   * called the sink stops after the message it is handing out, and the
   * bytes after it (and those of later reads) wait here. The owner stops
   * reading meanwhile (back-pressure, or a turn of the event loop for other
   * connections).
   */
  hold(): void {
    this.#held = true;
  }

  /** Whether {@link hold} is in effect. */
  get held(): boolean {
    return this.#held;
  }

  /** Ends {@link hold}: hands out the complete messages waiting, in order (until held again). */
  release(sink: MessageSink): void {
    this.#held = false;
    if (this.#inPlace) {
      this.commit(0, sink);
    } else if (this.#filled > 0) {
      const waiting = this.#buffer.subarray(0, this.#filled);
      this.#reset();
      this.#scanChunk(waiting, sink);
    }
  }

  /**
   * Feeds one read. Calls `sink` once per complete message, in order.
   * @throws {@link FrameError} when the stream is not MessagePack or breaks a limit;
   *   the stream cannot be resynchronised after that.
   */
  push(chunk: Uint8Array, sink: MessageSink): void {
    if (chunk.length === 0) return;
    if (this.#held) {
      // Framed on release, from the message boundary where hold stopped.
      this.#append(chunk);
      return;
    }
    if (this.#filled === 0) {
      this.#scanChunk(chunk, sink);
      return;
    }
    this.#append(chunk);
    if (this.#filled < this.#needed) return;
    const end = this.#scan(this.#buffer, 0, this.#scanned, this.#pending, this.#filled);
    if (end < 0) return;
    const buffer = this.#buffer;
    const filled = this.#filled;
    const invalid = this.#invalidUtf8;
    const excess = this.#excess;
    // The message's bytes stay with the message (decoded bin values alias
    // them), so this buffer is never written again: the rest moves on.
    this.#reset();
    sink(buffer.subarray(0, end), invalid, excess);
    if (end < filled) this.#scanChunk(buffer.subarray(end, filled), sink);
  }

  /**
   * Where the kernel should write the next read (in-place reads): the free
   * tail of the buffer that holds the incomplete message, or a fresh region.
   * Never empty. Call {@link commit} with the number of bytes written to it.
   * The framer never writes to bytes it handed out, so messages may alias
   * its buffers.
   */
  readTarget(): Uint8Array {
    this.#inPlace = true;
    const buffer = this.#buffer;
    const free = buffer.length - this.#filled;
    const partial = this.#filled - this.#start;
    // Small messages go to a region, never to the tail of a large message's
    // buffer, which would stay alive as long as they are read into it.
    if (free >= MIN_READ && (partial > 0 || buffer.length <= REGION)) return buffer.subarray(this.#filled);
    if (partial === 0) {
      this.#buffer = new Uint8Array(REGION);
      this.#start = 0;
      this.#filled = 0;
      return this.#buffer;
    }
    // The incomplete message is known to end within this buffer: read on.
    if (free > 0 && this.#start + this.#needed <= buffer.length) return buffer.subarray(this.#filled);
    this.#makeRoom(partial);
    return this.#buffer.subarray(this.#filled);
  }

  /**
   * Takes `count` bytes the kernel wrote to the last {@link readTarget}.
   * Calls `sink` once per complete message, in order.
   * @throws {@link FrameError} as {@link push} does.
   */
  commit(count: number, sink: MessageSink): void {
    this.#filled += count;
    while (!this.#held) {
      const start = this.#start;
      const available = this.#filled - start;
      if (available === 0 || available < this.#needed) return;
      const end = this.#scan(this.#buffer, start, start + this.#scanned, this.#pending === 0 ? 1 : this.#pending, this.#filled);
      if (end < 0) return;
      const invalid = this.#invalidUtf8;
      const excess = this.#excess;
      this.#resetScan();
      this.#start = end;
      sink(this.#buffer.subarray(start, end), invalid, excess);
    }
  }

  /**
   * Gives the incomplete message (`partial` bytes) a buffer with room to
   * grow, under the same trust rule as {@link push}: at most
   * `TRUSTED_RESERVE` beyond twice what has arrived. A message that will
   * need more than that gets a resizable buffer, which grows in place
   * (address space reserved up to the message limit, memory committed as it
   * grows) instead of being copied at every step.
   */
  #makeRoom(partial: number): void {
    const needed = this.#needed;
    const capacity = Math.min(Math.max(needed, partial * 2, partial + REGION), partial * 2 + TRUSTED_RESERVE, Math.max(needed, this.#maxMessageBytes));
    const old = this.#buffer;
    const backing = old.buffer;
    if (this.#start === 0 && backing instanceof ArrayBuffer && backing.resizable && capacity <= backing.maxByteLength && old.byteOffset === 0) {
      backing.resize(capacity);
      this.#buffer = new Uint8Array(backing, 0, capacity);
      return;
    }
    const grown = capacity < needed ? growable(capacity, this.#maxMessageBytes) : new Uint8Array(capacity);
    grown.set(old.subarray(this.#start, this.#filled));
    this.#buffer = grown;
    this.#filled = partial;
    this.#start = 0;
  }

  #scanChunk(chunk: Uint8Array, sink: MessageSink): void {
    let start = 0;
    while (start < chunk.length) {
      if (this.#held) {
        this.#keep(chunk.subarray(start));
        return;
      }
      const end = this.#scan(chunk, start, start, 1, chunk.length);
      if (end < 0) {
        this.#keep(chunk.subarray(start));
        return;
      }
      const invalid = this.#invalidUtf8;
      const excess = this.#excess;
      this.#reset();
      sink(chunk.subarray(start, end), invalid, excess);
      start = end;
    }
  }

  /** Keeps the start of an incomplete message; the scan state is already relative to it. */
  #keep(part: Uint8Array): void {
    const capacity = Math.min(Math.max(this.#needed, part.length * 2, 4096), this.#maxMessageBytes, part.length * 2 + TRUSTED_RESERVE);
    const buffer = new Uint8Array(Math.max(capacity, part.length));
    buffer.set(part);
    this.#buffer = buffer;
    this.#filled = part.length;
  }

  #append(chunk: Uint8Array): void {
    const total = this.#filled + chunk.length;
    if (total > this.#buffer.length) {
      const capacity = Math.min(Math.max(this.#needed, total * 2), Math.max(this.#maxMessageBytes, total), total * 2 + TRUSTED_RESERVE);
      const grown = new Uint8Array(capacity);
      grown.set(this.#buffer.subarray(0, this.#filled));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#filled);
    this.#filled = total;
  }

  #reset(): void {
    this.#buffer = EMPTY;
    this.#filled = 0;
    this.#resetScan();
  }

  #resetScan(): void {
    this.#scanned = 0;
    this.#pending = 0;
    this.#values = 0;
    this.#mapEntries = 0;
    this.#arrayEntries = 0;
    this.#containers = 0;
    this.#excess = undefined;
    this.#needed = 0;
    this.#invalidUtf8 = false;
  }

  /**
   * Walks values of the message that starts at `messageStart`, from `pos`
   * (a value boundary) with `pending` values still to read. Returns the end
   * offset of the message, or -1 when more bytes are needed; the state to
   * resume from is then saved relative to `messageStart`.
   */
  #scan(bytes: Uint8Array, messageStart: number, pos: number, pending: number, limit: number): number {
    while (pending > 0) {
      if (pos >= limit) return this.#suspend(messageStart, pos, pending, pos + 1);
      const byte = bytes[pos] as number;
      let header = 1;
      let payload = 0;
      let children = 0;
      let isStr = false;
      if (byte < FIXMAP || byte >= NEGATIVE_FIXINT) {
        // positive or negative fixint
      } else if (byte < FIXARRAY) {
        children = (byte - FIXMAP) * 2;
        this.#mapEntries += byte - FIXMAP;
        this.#containers++;
      } else if (byte < FIXSTR) {
        children = byte - FIXARRAY;
        this.#arrayEntries += children;
        this.#containers++;
      } else if (byte < NIL) {
        payload = byte - FIXSTR;
        isStr = true;
      } else {
        const fixed = FIXED_PAYLOAD[byte - NIL] as number;
        if (fixed >= 0) {
          payload = fixed;
        } else if (byte === NEVER_USED) {
          throw new FrameError('byte 0xc1 is never used in MessagePack');
        } else {
          const width = lengthWidth(byte);
          header = 1 + width;
          if (pos + header > limit) return this.#suspend(messageStart, pos, pending, pos + header);
          const length = readLength(bytes, pos + 1, width);
          if (byte === ARRAY16 || byte === ARRAY32) {
            children = length;
            this.#arrayEntries += length;
            this.#containers++;
          } else if (byte === MAP16 || byte === MAP32) {
            children = length * 2;
            this.#mapEntries += length;
            this.#containers++;
          } else {
            payload = byte >= EXT8 && byte <= EXT32 ? length + 1 : length; // ext carries a type byte
            isStr = byte >= STR8;
          }
        }
      }
      const end = pos + header + payload;
      if (end - messageStart > this.#maxMessageBytes) {
        throw new FrameError(`message larger than the limit of ${this.#maxMessageBytes} bytes`);
      }
      if (end > limit) return this.#suspend(messageStart, pos, pending, end);
      if (isStr && payload > 0 && !this.#invalidUtf8 && !validUtf8(bytes, pos + header, end)) {
        this.#invalidUtf8 = true;
      }
      this.#values += children;
      if (this.#values > this.#maxValues) {
        throw new FrameError(`message holds more than ${this.#maxValues} values`);
      }
      pending += children - 1;
      pos = end;
    }
    if (this.#mapEntries > this.#maxMapEntries || this.#arrayEntries > this.#maxArrayEntries || this.#containers > this.#maxNesting) {
      this.#excess = this.#excessOf(bytes, messageStart, pos);
    }
    return pos;
  }

  /** Which decoding limit the message `bytes[start..end]` breaks, if any (nesting is measured only here). */
  #excessOf(bytes: Uint8Array, start: number, end: number): string | undefined {
    if (this.#mapEntries > this.#maxMapEntries) return tooMany(this.#mapEntries, 'map entries', this.#maxMapEntries, '--max-map-entries');
    if (this.#arrayEntries > this.#maxArrayEntries) return tooMany(this.#arrayEntries, 'array elements', this.#maxArrayEntries, '--max-array-entries');
    // At most as deep as it has containers: only a message with more containers than the limit is measured.
    if (nestingDepth(bytes, start, end, this.#maxNesting) > this.#maxNesting) {
      return `it nests maps and arrays more than ${this.#maxNesting} levels deep, the limit (--max-nesting)`;
    }
    return undefined;
  }

  #suspend(messageStart: number, pos: number, pending: number, needed: number): number {
    this.#scanned = pos - messageStart;
    this.#pending = pending;
    this.#needed = needed - messageStart;
    return -1;
  }
}

/**
 * A buffer of `length` bytes that can grow in place up to `max`, or a plain
 * one where the runtime cannot reserve that much (it is then copied to grow).
 */
function growable(length: number, max: number): Uint8Array {
  try {
    return new Uint8Array(new ArrayBuffer(length, { maxByteLength: max }), 0, length);
  } catch {
    return new Uint8Array(length);
  }
}

/**
 * Payload bytes after the type byte for 0xc0 (nil) … 0xdf when
 * fixed; -1 for 0xc1 and for the types that carry a length field.
 */
const FIXED_PAYLOAD = [
  0, -1, 0, 0, // nil, (never used), false, true
  -1, -1, -1, // bin 8/16/32
  -1, -1, -1, // ext 8/16/32
  4, 8, // float 32/64
  1, 2, 4, 8, // uint 8/16/32/64
  1, 2, 4, 8, // int 8/16/32/64
  2, 3, 5, 9, 17, // fixext 1/2/4/8/16 (type byte included)
  -1, -1, -1, // str 8/16/32
  -1, -1, // array 16/32
  -1, -1, // map 16/32
];

/** Width of the length field of bin, ext, str, array and map types. */
function lengthWidth(byte: number): number {
  switch (byte) {
    case BIN8: case EXT8: case STR8: return 1;
    case BIN16: case EXT16: case STR16: case ARRAY16: case MAP16: return 2;
    default: return 4;
  }
}

function readLength(bytes: Uint8Array, at: number, width: number): number {
  const b0 = bytes[at] as number;
  if (width === 1) return b0;
  const b1 = bytes[at + 1] as number;
  if (width === 2) return b0 * 0x100 + b1;
  return b0 * 0x1000000 + b1 * 0x10000 + (bytes[at + 2] as number) * 0x100 + (bytes[at + 3] as number);
}

function validUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start <= 32) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if ((bytes[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return true;
  }
  return isUtf8(bytes.subarray(start, end));
}

function tooMany(count: number, what: string, limit: number, flag: string): string {
  return `it holds ${count.toLocaleString('en-US')} ${what}, more than the limit of ${limit.toLocaleString('en-US')} (${flag})`;
}

/** Bytes of the value at `pos` before its payload or children (its type byte and length field), its payload, and its children. */
interface ValueHead {
  header: number;
  payload: number;
  children: number;
}

/** Reads the head of the value at `pos` of a complete, framed message into `into`. */
function readHead(bytes: Uint8Array, pos: number, into: ValueHead): void {
  const byte = bytes[pos] as number;
  into.header = 1;
  into.payload = 0;
  into.children = 0;
  if (byte < FIXMAP || byte >= NEGATIVE_FIXINT) return;
  if (byte < FIXARRAY) into.children = (byte - FIXMAP) * 2;
  else if (byte < FIXSTR) into.children = byte - FIXARRAY;
  else if (byte < NIL) into.payload = byte - FIXSTR;
  else {
    const fixed = FIXED_PAYLOAD[byte - NIL] as number;
    if (fixed >= 0) {
      into.payload = fixed;
      return;
    }
    const width = lengthWidth(byte);
    into.header = 1 + width;
    const length = readLength(bytes, pos + 1, width);
    if (byte === ARRAY16 || byte === ARRAY32) into.children = length;
    else if (byte === MAP16 || byte === MAP32) into.children = length * 2;
    else into.payload = byte >= EXT8 && byte <= EXT32 ? length + 1 : length;
  }
}

/**
 * How deeply containers nest in the framed message `bytes[start..end]`,
 * counted up to `limit + 1` (the walk stops there).
 */
export function nestingDepth(bytes: Uint8Array, start: number, end: number, limit: number): number {
  const head: ValueHead = { header: 0, payload: 0, children: 0 };
  // Values left to read in each open container; the message itself is one value.
  const left: number[] = [1];
  let deepest = 0;
  let pos = start;
  while (pos < end && left.length > 0) {
    readHead(bytes, pos, head);
    pos += head.header + head.payload;
    (left[left.length - 1] as number)--;
    if (head.children > 0) {
      left.push(head.children);
      if (left.length - 1 > deepest) deepest = left.length - 1;
      if (deepest > limit) return deepest;
    }
    while (left.length > 0 && left[left.length - 1] === 0) left.pop();
  }
  return deepest;
}

/**
 * Where the value that starts at `pos` of a complete, framed message ends
 * (its offset just past it), without decoding it.
 */
export function skipValue(bytes: Uint8Array, pos: number): number {
  const head: ValueHead = { header: 0, payload: 0, children: 0 };
  let pending = 1;
  while (pending > 0 && pos < bytes.length) {
    readHead(bytes, pos, head);
    pos += head.header + head.payload;
    pending += head.children - 1;
  }
  return pos;
}
