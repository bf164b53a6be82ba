/**
 * One connection from Kong: bytes in, framed and decoded into requests for
 * the {@link PluginServer}; replies encoded and written back.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { MessageDecoder, MessageEncoder, ReplyEncoder } from './codec.ts';
import type { Replier } from '../rpc/event.ts';
import { readInPlace } from './direct-reads.ts';
import * as envelope from './envelope.ts';
import { FrameError, Framer, type FramerLimits } from './framer.ts';
import type { PluginServer } from '../rpc/plugin-server.ts';
import { RpcErrorKind } from '../rpc/observer.ts';
import { RequestReader } from './request-reader.ts';

// Module-local bindings, which V8 folds into the code (see envelope.ts).
const { MessageType } = envelope;

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
  #encoder: MessageEncoder | undefined;
  readonly #replies = new ReplyEncoder();
  readonly #reader = new RequestReader();
  readonly #onMessage = (bytes: Uint8Array, invalidUtf8: boolean): void => this.#message(bytes, invalidUtf8);
  readonly #route: RequestRouter | undefined;
  #open = true;

  /**
   * Serves `accepted`. Listen to {@link socket} afterwards, not to
   * `accepted`: reading in place moves the connection to a new socket.
   */
  constructor(accepted: Socket, server: PluginServer, logger: Logger, options: ConnectionOptions = {}) {
    this.#server = server;
    this.#logger = logger;
    this.#framer = new Framer(options);
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
    if (bytes !== undefined) this.#socket.write(bytes);
    else this.#write([MessageType.response, msgid, null, { EventId: eventId, Data: method === undefined ? 'ret' : { Method: method, Args: args } }]);
    return true;
  }

  /** Writes an encoded message as it is. */
  writeFrame(bytes: Uint8Array): boolean {
    if (!this.#open) return false;
    this.#socket.write(bytes);
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
    this.#socket.write((this.#encoder ??= new MessageEncoder()).encode(message));
  }

  #data(chunk: Buffer): void {
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
    try {
      this.#framer.commit(count, this.#onMessage);
    } catch (error) {
      this.#failed(error);
    }
    return this.#open;
  }

  #failed(error: unknown): void {
    this.#server.observer?.rpcError(error instanceof FrameError ? RpcErrorKind.unreadable : RpcErrorKind.internal);
    if (error instanceof FrameError) this.destroy(`unreadable stream: ${error.message}`);
    else {
      this.#logger.error({ err: error }, 'failed to process a message');
      this.destroy('internal error');
    }
  }

  #message(bytes: Uint8Array, invalidUtf8: boolean): void {
    if (!this.#open) return;
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
      message = (this.#decoder ??= new MessageDecoder()).decode(own, invalidUtf8);
    } catch (error) {
      this.#server.observer?.rpcError(RpcErrorKind.malformed);
      const msgid = envelope.peekMsgid(bytes, MessageType.request);
      const text = `malformed request: ${(error as Error).message}`;
      if (msgid === undefined) this.destroy(text);
      else this.reply(msgid, text, null);
      return;
    }
    if (!envelope.isRequest(message)) {
      this.#server.observer?.rpcError(RpcErrorKind.malformed);
      const msgid = Array.isArray(message) && typeof message[1] === 'number' ? message[1] : undefined;
      const text = 'malformed request: expected [0, msgid, method, params]';
      if (msgid === undefined) this.destroy(text);
      else this.reply(msgid, text, null);
      return;
    }
    const msgid = message[1];
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
