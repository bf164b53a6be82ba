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
import { encodedMsgid, encodeMsgid, isStepMethod, MessageType, peekMsgid, withMsgid } from '../wire/envelope.ts';
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
    if (!isStepMethod(method)) return false;
    const id = typeof arg === 'object' && arg !== null ? (arg as { EventId?: unknown }).EventId : undefined;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return false;
    const owner = ownerSlot(id);
    if (owner === this.#slot || owner >= this.#workers) return false;
    const msgid = peekMsgid(frame, MessageType.request);
    const msgidBytes = encodedMsgid(frame, MessageType.request);
    if (msgid === undefined || msgidBytes === undefined) return false;
    this.#link(owner).send(frame, { from, msgid, msgidBytes, eventId: id });
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

  send(frame: Uint8Array, pending: Pending): void {
    if (this.#closed) return lost(pending);
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    this.#pending.set(seq, pending);
    this.#socket.write(withMsgid(frame, MessageType.request, encodeMsgid(seq)));
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
    const seq = peekMsgid(bytes, MessageType.response);
    const pending = seq === undefined ? undefined : this.#pending.get(seq);
    if (seq === undefined || pending === undefined) {
      this.#logger.warn('a sibling worker answered a request that was not forwarded to it; ignored');
      return;
    }
    this.#pending.delete(seq);
    pending.from.writeFrame(withMsgid(bytes, MessageType.response, pending.msgidBytes));
  }
}

/** Kong's answer when the worker running an event cannot be reached. */
function lost(pending: Pending): void {
  pending.from.reply(pending.msgid, `event ${pending.eventId} is gone: the worker running it exited`, null);
}
