/**
 * Steps that reach the wrong worker (`--workers N`).
 *
 * Kong sends each Step over whichever pooled connection is free, and the
 * primary hands each connection to one worker. When a PDK call yields inside
 * Kong, the next Step may arrive on a connection of another worker than the
 * one running the event (docs/multicore.md §1). That worker forwards the
 * request, as received, to the event's owner (named by the event id's slot)
 * over the owner's private peer socket, and writes the owner's answer back
 * to Kong under Kong's own msgid. The relay runs no plugin code.
 *
 * @module
 */
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Connection, RequestRouter } from '../wire/connection.ts';
import { FrameError, Framer } from '../wire/framer.ts';
import { ownerSlot } from '../rpc/ids.ts';

/** A forwarded request waiting for its owner's answer. */
interface Pending {
  readonly from: Connection;
  readonly msgid: number;
  /** Kong's msgid as it was encoded, written back as it came. */
  readonly msgidBytes: Uint8Array;
  readonly eventId: number;
}

/** Forwards Steps of other workers' events to their owners. */
export class StepForwarder {
  readonly #slot: number;
  readonly #workers: number;
  readonly #peerPath: (slot: number) => string;
  readonly #logger: Logger;
  readonly #maxMessageBytes: number | undefined;
  readonly #links = new Map<number, PeerLink>();
  #forwarded = 0;

  /** `workers`: how many slots exist; a Step naming another slot is not forwarded and gets the usual unknown-event answer. */
  constructor(slot: number, workers: number, peerPath: (slot: number) => string, logger: Logger, maxMessageBytes?: number) {
    this.#slot = slot;
    this.#workers = workers;
    this.#peerPath = peerPath;
    this.#logger = logger;
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Steps forwarded so far. */
  get forwarded(): number {
    return this.#forwarded;
  }

  /** The {@link RequestRouter} of Kong's connections. */
  readonly route: RequestRouter = (frame, method, arg, from) => {
    if (!method.startsWith('plugin.Step')) return false;
    const id = typeof arg === 'object' && arg !== null ? (arg as { EventId?: unknown }).EventId : undefined;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return false;
    const owner = ownerSlot(id);
    if (owner === this.#slot || owner >= this.#workers) return false;
    const header = readMsgid(frame, 0x00);
    if (header === undefined) return false;
    this.#link(owner).send(frame, header, { from, msgid: header.msgid, msgidBytes: frame.slice(2, header.end), eventId: id });
    this.#forwarded++;
    return true;
  };

  /** Worker `slot` is gone: fail what waits on it now rather than at the socket's close. */
  drop(slot: number): void {
    this.#links.get(slot)?.close();
  }

  /** Closes every peer link. */
  close(): void {
    for (const link of this.#links.values()) link.close();
  }

  #link(slot: number): PeerLink {
    let link = this.#links.get(slot);
    if (link === undefined) {
      const created = new PeerLink(this.#peerPath(slot), this.#logger, this.#maxMessageBytes, () => {
        if (this.#links.get(slot) === created) this.#links.delete(slot);
      });
      this.#links.set(slot, created);
      link = created;
    }
    return link;
  }
}

/** One socket to a sibling's peer listener, multiplexing forwarded requests by sequence number. */
class PeerLink {
  readonly #socket: Socket;
  readonly #framer: Framer;
  readonly #pending = new Map<number, Pending>();
  readonly #logger: Logger;
  readonly #onClose: () => void;
  #seq = 0;
  #closed = false;

  constructor(path: string, logger: Logger, maxMessageBytes: number | undefined, onClose: () => void) {
    this.#logger = logger;
    this.#onClose = onClose;
    this.#framer = new Framer({ maxMessageBytes });
    this.#socket = connect(path);
    this.#socket.setNoDelay?.(true);
    this.#socket.on('data', (chunk: Buffer) => this.#data(chunk));
    this.#socket.on('error', (error: Error) => this.#logger.debug({ err: error, path }, 'peer link error'));
    this.#socket.on('close', () => this.close());
  }

  send(frame: Uint8Array, header: MsgidHeader, pending: Pending): void {
    if (this.#closed) return lost(pending);
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    this.#pending.set(seq, pending);
    this.#socket.write(withMsgid(frame, header, 0x00, uint32(seq)));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#onClose();
    for (const pending of this.#pending.values()) lost(pending);
    this.#pending.clear();
  }

  #data(chunk: Buffer): void {
    try {
      this.#framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), (bytes) => this.#answer(bytes));
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.#logger.error({ err: error }, 'unreadable answer from a sibling worker; closing the link');
      this.close();
    }
  }

  #answer(bytes: Uint8Array): void {
    const header = readMsgid(bytes, 0x01);
    const pending = header === undefined ? undefined : this.#pending.get(header.msgid);
    if (header === undefined || pending === undefined) {
      this.#logger.warn('a sibling worker answered a request that was not forwarded to it; ignored');
      return;
    }
    this.#pending.delete(header.msgid);
    pending.from.writeFrame(withMsgid(bytes, header, 0x01, pending.msgidBytes));
  }
}

/** Kong's answer when the worker running an event cannot be reached. */
function lost(pending: Pending): void {
  pending.from.reply(pending.msgid, `event ${pending.eventId} is gone: the worker running it exited`, null);
}

/** Where a message's msgid ends, and its value. */
interface MsgidHeader {
  readonly msgid: number;
  /** Offset of the byte after the msgid. */
  readonly end: number;
}

/** Reads the msgid of `[type, msgid, …]` (a request when `type` is 0, a response when 1). */
function readMsgid(bytes: Uint8Array, type: number): MsgidHeader | undefined {
  if (bytes[0] !== 0x94 || bytes[1] !== type) return undefined;
  const marker = bytes[2];
  if (marker === undefined) return undefined;
  if (marker <= 0x7f) return { msgid: marker, end: 3 };
  const size = marker === 0xcc ? 1 : marker === 0xcd ? 2 : marker === 0xce ? 4 : marker === 0xcf ? 8 : 0;
  if (size === 0 || bytes.length < 3 + size) return undefined;
  let msgid = 0;
  for (let i = 0; i < size; i++) msgid = msgid * 256 + (bytes[3 + i] ?? 0);
  return { msgid, end: 3 + size };
}

/** `bytes` with its msgid replaced by the encoded `msgid`. */
function withMsgid(bytes: Uint8Array, header: MsgidHeader, type: number, msgid: Uint8Array): Uint8Array {
  const rest = bytes.subarray(header.end);
  const out = new Uint8Array(2 + msgid.length + rest.length);
  out[0] = 0x94;
  out[1] = type;
  out.set(msgid, 2);
  out.set(rest, 2 + msgid.length);
  return out;
}

/** `value` encoded as a MessagePack uint32. */
function uint32(value: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = 0xce;
  new DataView(out.buffer).setUint32(1, value);
  return out;
}
