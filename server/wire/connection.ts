/**
 * One connection from Kong: bytes in, framed and decoded into requests for
 * the {@link PluginServer}; replies encoded and written back.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { isUint, MessageDecoder, MessageEncoder, ReplyEncoder } from './codec.ts';
import type { Replier } from '../rpc/event.ts';
import { readInPlace } from './direct-reads.ts';
import * as envelope from './envelope.ts';
import { FrameError, Framer, type FramerLimits } from './framer.ts';
import type { PluginServer } from '../rpc/plugin-server.ts';
import { readStepTarget, RequestReader } from './request-reader.ts';
import { DEFAULT_SERVER_SETTINGS } from '../settings.ts';
import { describeFailure } from '../../pdk/failure.ts';
import { RpcErrorKind } from '../rpc/observer.ts';

// Module-local bindings, which V8 folds into the code (see envelope.ts).
const { MessageType } = envelope;

/** Why reading is held: replies wait to be sent, or the connection gave the event loop a turn. */
const HOLD_UNSENT = 1;
const HOLD_TURN = 2;

/** Options of a connection. */
export interface ConnectionOptions extends FramerLimits {
  /**
   * Send `[2, "serverPid", pid]` as the first bytes of the connection, so that
   * Kong notices a restarted server at once and starts fresh instances.
   * Defaults to `true`.
   */
  readonly announcePid?: boolean;
  /** The pid to announce. Defaults to `process.pid`. */
  readonly pid?: number;
  /**
   * Sees every request before the server does and may take it instead
   * (returns `true`): a worker of a multi-process server forwards the Steps
   * of events another worker runs (see server/cluster/forwarder.ts).
   */
  readonly route?: RequestRouter;
  /**
   * Read straight into the framer's buffers (see direct-reads.ts), which
   * keeps a large body from costing twice its size in spent read buffers.
   * Defaults to `true`; the connection falls back to `'data'` events by
   * itself when the socket does not allow it.
   */
  readonly readInPlace?: boolean;
  /**
   * Back-pressure: while more than this many bytes of replies wait to be
   * sent, nothing more is read from the connection (a peer that sends
   * requests without reading the answers holds one more answer at most).
   * Defaults to 1 MiB.
   */
  readonly maxUnsentBytes?: number;
  /**
   * How long the requests of one read may be handled back to back before the
   * connection lets the event loop serve others and takes up the rest on
   * the next turn (Kong sends one request at a time per connection; a peer
   * that pipelines cannot hold up everyone else). Defaults to 5 ms.
   */
  readonly readBudgetMs?: number;
}

/** See {@link ConnectionOptions.route}. `frame` is only valid during the call. */
export type RequestRouter = (frame: Uint8Array, method: string, arg: unknown, from: Connection) => boolean;

/** Serves Kong's requests on one socket. */
export class Connection implements Replier {
  readonly #socket: Socket;
  readonly #server: PluginServer;
  readonly #logger: Logger;
  readonly #framer: Framer;
  /** The general codec, for what the fast paths leave: created on first need. */
  #decoder: MessageDecoder | undefined;
  readonly #limits: { readonly maxMapEntries: number; readonly maxArrayEntries: number };
  #encoder: MessageEncoder | undefined;
  readonly #replies = new ReplyEncoder();
  readonly #reader = new RequestReader();
  readonly #onMessage = (bytes: Uint8Array, invalidUtf8: boolean, excess?: string): void => this.#message(bytes, invalidUtf8, excess);
  readonly #route: RequestRouter | undefined;
  readonly #maxUnsentBytes: number;
  readonly #readBudgetMs: number;
  #open = true;
  /** Why reading is held ({@link HOLD_UNSENT}, {@link HOLD_TURN}); 0 when it is not. */
  #held = 0;
  /** Requests handled since the current read began, and when the second began. */
  #inRead = 0;
  #readStart = 0;

  /**
   * Serves `accepted`. Listen to {@link socket} afterwards, not to
   * `accepted`: reading in place moves the connection to a new socket.
   */
  constructor(accepted: Socket, server: PluginServer, logger: Logger, options: ConnectionOptions = {}) {
    this.#server = server;
    this.#logger = logger;
    const defaults = DEFAULT_SERVER_SETTINGS;
    this.#limits = { maxMapEntries: options.maxMapEntries ?? defaults.maxMapEntries, maxArrayEntries: options.maxArrayEntries ?? defaults.maxArrayEntries };
    this.#framer = new Framer({
      ...this.#limits,
      maxMessageBytes: options.maxMessageBytes,
      maxValues: options.maxValues,
      maxNesting: options.maxNesting ?? defaults.maxNesting,
    });
    this.#maxUnsentBytes = options.maxUnsentBytes ?? 1024 * 1024;
    this.#readBudgetMs = options.readBudgetMs ?? 5;
    this.#route = options.route;
    const moved =
      options.readInPlace === false ? undefined : readInPlace(accepted, { target: () => this.#readTarget(), filled: (count) => this.#filled(count) });
    const socket = moved ?? accepted;
    this.#socket = socket;
    socket.setNoDelay?.(true);
    if (moved === undefined) socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.on('error', (error: Error) => {
      this.#logger.debug({ err: error }, 'connection error');
    });
    socket.on('close', () => {
      this.#open = false;
    });
    if (options.announcePid !== false) socket.write(pidNotice(options.pid ?? process.pid));
  }

  /** The socket of this connection (not the one given to the constructor when reads go in place). */
  get socket(): Socket {
    return this.#socket;
  }

  /** Whether replies can still be written. */
  get open(): boolean {
    return this.#open;
  }

  reply(msgid: number, error: string | null, result: unknown): boolean {
    if (!this.#open) return false;
    this.#write([MessageType.response, msgid, error, result]);
    return true;
  }

  replyStep(msgid: number, eventId: number, method: string | undefined, args: readonly unknown[]): boolean {
    if (!this.#open) return false;
    const bytes = this.#replies.step(msgid, eventId, method, args);
    if (bytes === undefined) this.#write([MessageType.response, msgid, null, { EventId: eventId, Data: method === undefined ? 'ret' : { Method: method, Args: args } }]);
    else if (!this.#socket.write(bytes)) this.#backlogged();
    return true;
  }

  /** Writes an encoded message as it is. */
  writeFrame(bytes: Uint8Array): boolean {
    if (!this.#open) return false;
    if (!this.#socket.write(bytes)) this.#backlogged();
    return true;
  }

  /** Closes the connection (the peer sent something that cannot be answered). */
  destroy(reason: string): void {
    if (!this.#open) return;
    this.#open = false;
    this.#logger.warn({ reason }, 'closing connection');
    this.#socket.destroy();
  }

  #write(message: unknown): void {
    if (!this.#socket.write((this.#encoder ??= new MessageEncoder()).encode(message))) this.#backlogged();
  }

  /** A write found the socket's buffer above its mark: hold reading while too much waits to be sent. */
  #backlogged(): void {
    if ((this.#held & HOLD_UNSENT) !== 0 || this.#socket.writableLength <= this.#maxUnsentBytes) return;
    this.#hold(HOLD_UNSENT);
    this.#socket.once('drain', () => this.#unhold(HOLD_UNSENT));
  }

  /** Stops handing out messages and reading from the socket. */
  #hold(reason: number): void {
    this.#held |= reason;
    this.#framer.hold();
    this.#socket.pause();
  }

  /** Ends one reason to hold; with none left, hands out what waits and reads on. */
  #unhold(reason: number): void {
    this.#held &= ~reason;
    if (this.#held !== 0 || !this.#open) return;
    this.#inRead = 0;
    try {
      this.#framer.release(this.#onMessage);
    } catch (error) {
      this.#failed(error);
    }
    if (this.#held === 0 && this.#open) this.#socket.resume();
  }

  /** The requests of one read took their budget: let other connections have the event loop. */
  #yieldTurn(): void {
    this.#hold(HOLD_TURN);
    setImmediate(() => this.#unhold(HOLD_TURN));
  }

  #data(chunk: Buffer): void {
    this.#inRead = 0;
    try {
      // A plain view, so bytes reach plugins as Uint8Array whatever read they came in.
      this.#framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), this.#onMessage);
    } catch (error) {
      this.#failed(error);
    }
  }

  #readTarget(): Uint8Array {
    // Node asks for the next buffer even after the read that closed the connection.
    return this.#open ? this.#framer.readTarget() : SPARE;
  }

  #filled(count: number): boolean {
    if (!this.#open) return false;
    this.#inRead = 0;
    try {
      this.#framer.commit(count, this.#onMessage);
    } catch (error) {
      this.#failed(error);
    }
    return this.#open && this.#held === 0;
  }

  #failed(error: unknown): void {
    this.#server.observer?.rpcError(error instanceof FrameError ? RpcErrorKind.unreadable : RpcErrorKind.internal);
    if (error instanceof FrameError) this.destroy(`unreadable stream: ${error.message}`);
    else {
      this.#logger.error({ err: error }, 'failed to process a message');
      this.destroy('internal error');
    }
  }

  #message(bytes: Uint8Array, invalidUtf8: boolean, excess: string | undefined): void {
    if (!this.#open) return;
    // Kong sends one request per read; a burst from one read is timed from its second request.
    const nth = ++this.#inRead;
    if (nth === 2) this.#readStart = performance.now();
    if (excess === undefined) this.#dispatch(bytes, invalidUtf8);
    else this.#undecoded(bytes, excess);
    if (nth >= 2 && this.#held === 0 && performance.now() - this.#readStart > this.#readBudgetMs) this.#yieldTurn();
  }

  /**
   * A message over a decoding limit, framed but not decoded. A Step answers
   * the PDK call it carries with a rejection (the plugin then fails closed,
   * or handles it), as closing the connection would make Kong skip the
   * plugin for that request; another request gets an error answer.
   */
  #undecoded(bytes: Uint8Array, excess: string): void {
    const msgid = envelope.peekMsgid(bytes, MessageType.request);
    if (msgid === undefined) return this.destroy(`message not decoded: ${excess}`);
    this.#logger.warn({ msgid, bytes: bytes.byteLength, reason: excess }, 'a message from Kong breaks the decoding limits; not decoded');
    const step = readStepTarget(bytes);
    if (step !== undefined) {
      if (this.#route?.(bytes, step.method, { EventId: step.eventId }, this) === true) return;
      if (this.#server.refuseResult(this, msgid, step.eventId, `Kong's answer was not decoded: ${excess}`)) return;
    }
    this.reply(msgid, `message not decoded: ${excess}`, null);
  }

  #dispatch(bytes: Uint8Array, invalidUtf8: boolean): void {
    // HandleEvent and Steps with scalar arguments: read in place (see request-reader.ts).
    const reader = this.#reader;
    if (!invalidUtf8 && reader.read(bytes)) {
      if (this.#route?.(bytes, reader.method, reader.arg, this) === true) return;
      this.#server.handle(this, reader.msgid, reader.method, reader.arg);
      return;
    }
    let message: unknown;
    try {
      // Decoded bin values alias the message's bytes; a small message that
      // shares its buffer with others is copied first, so that a value a
      // plugin keeps does not keep the whole read buffer alive.
      const own = bytes.byteLength > SHARED_COPY_LIMIT || bytes.byteLength * 2 >= bytes.buffer.byteLength ? bytes : bytes.slice();
      message = (this.#decoder ??= new MessageDecoder(this.#limits)).decode(own, invalidUtf8);
    } catch (error) {
      this.#server.observer?.rpcError(RpcErrorKind.malformed);
      const msgid = envelope.peekMsgid(bytes, MessageType.request);
      const text = `malformed request: ${describeFailure(error)}`;
      if (msgid === undefined) this.destroy(text);
      else this.reply(msgid, text, null);
      return;
    }
    if (!envelope.isRequest(message)) {
      this.#server.observer?.rpcError(RpcErrorKind.malformed);
      const msgid = Array.isArray(message) && isUint(message[1]) ? message[1] : undefined;
      const text = 'malformed request: expected [0, msgid, method, params]';
      if (msgid === undefined) this.destroy(text);
      else this.reply(msgid, text, null);
      return;
    }
    const msgid = message[1];
    if (!isUint(msgid)) {
      // Kong numbers its requests from 1: there is no msgid to answer a NaN, a fraction or a negative number with.
      this.destroy('malformed request: the msgid must be an unsigned integer');
      return;
    }
    const method: unknown = message[2];
    if (typeof method !== 'string') {
      this.#server.observer?.rpcError(RpcErrorKind.malformed);
      this.reply(msgid, 'malformed request: the method must be a string', null);
      return;
    }
    const params: unknown = message[3];
    if (this.#route?.(bytes, method, Array.isArray(params) ? (params[0] as unknown) : params, this) === true) return;
    this.#server.handle(this, msgid, method, params);
  }
}

/** What Node's in-place reads write to once the connection is closed. */
const SPARE = new Uint8Array(256);

/** Messages up to this size are copied out of a shared read buffer before decoding. */
const SHARED_COPY_LIMIT = 64 * 1024;

let lastNotice: { readonly pid: number; readonly bytes: Uint8Array } | undefined;

/** `[2, "serverPid", pid]`, encoded once (every connection starts with it). */
function pidNotice(pid: number): Uint8Array {
  if (lastNotice?.pid !== pid) lastNotice = { pid, bytes: new MessageEncoder().encode([MessageType.notification, envelope.Notification.serverPid, pid]) };
  return lastNotice.bytes;
}
