/**
 * One pooled connection of the Kong host stand-in: one request in flight at a
 * time, as Kong's cosockets work; notifications before a response are passed
 * on; anything the server sends while no request is out is recorded as a
 * protocol violation (nginx would close such a pooled connection).
 *
 * @module
 */
import { connect, type Socket } from 'node:net';
import { decodeMultiStream } from '@msgpack/msgpack';
import { luaPack } from './lua-msgpack.ts';
import { MessageType } from '../../server/wire/envelope.ts';

/** What came back for one call. */
export interface CallResult {
  readonly error: unknown;
  readonly result: unknown;
  /** The id of the connection that carried the call. */
  readonly via: number;
}

let connectionIds = 0;

/** The server closed the connection or sent something Kong would reject. */
export class HostCallError extends Error {}

interface Waiter {
  readonly msgid: number;
  readonly resolve: (result: CallResult) => void;
  readonly reject: (error: Error) => void;
}

/** A connection of the host stand-in. */
export class HostConnection {
  /** Distinguishes connections in tests. */
  readonly id = ++connectionIds;
  readonly socket: Socket;
  /** Messages the server sent while no call was out. */
  readonly unsolicited: unknown[] = [];
  /** Notifications `[2, label, arg]` received, in order. */
  readonly notifications: Array<[string, unknown]> = [];
  #waiter: Waiter | undefined;
  #closed = false;
  readonly #onNotify: (label: string, arg: unknown) => void;
  readonly #timeoutMs: number;

  private constructor(socket: Socket, onNotify: (label: string, arg: unknown) => void, timeoutMs: number) {
    this.socket = socket;
    this.#onNotify = onNotify;
    this.#timeoutMs = timeoutMs;
    void this.#read();
    socket.on('close', () => this.#close(new HostCallError('no data: the server closed the connection')));
    socket.on('error', (error) => this.#close(new HostCallError(`connection error: ${error.message}`)));
  }

  /**
   * Connects to the server's socket. A call that gets no answer within
   * `timeoutMs` (Kong's cosocket timeout, 60 s by default) fails and closes
   * the connection, as Kong's does.
   */
  static open(path: string, onNotify: (label: string, arg: unknown) => void = () => undefined, timeoutMs = 60_000): Promise<HostConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new HostConnection(socket, onNotify, timeoutMs));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `[0, msgid, method, [arg]]` and waits for `[1, msgid, error, result]`. */
  call(msgid: number, method: string, arg: unknown): Promise<CallResult> {
    if (this.#closed) return Promise.reject(new HostCallError('connection closed'));
    if (this.#waiter !== undefined) return Promise.reject(new Error('one call at a time per connection'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#close(new HostCallError(`timeout: no answer to ${method} within ${this.#timeoutMs} ms`));
        this.socket.destroy();
      }, this.#timeoutMs);
      const settle = <T>(done: (value: T) => void) => (value: T): void => {
        clearTimeout(timer);
        done(value);
      };
      this.#waiter = { msgid, resolve: settle(resolve), reject: settle(reject) };
      this.socket.write(luaPack([MessageType.request, msgid, method, [arg]]));
    });
  }

  /** Sends raw bytes (for hostile-input tests). */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits for the next response to any msgid (after writeRaw). */
  nextResponse(): Promise<CallResult> {
    return new Promise((resolve, reject) => {
      this.#waiter = { msgid: -1, resolve, reject };
    });
  }

  close(): void {
    this.socket.destroy();
  }

  async #read(): Promise<void> {
    try {
      for await (const message of decodeMultiStream(this.socket as AsyncIterable<Uint8Array>)) this.#message(message);
    } catch (error) {
      this.#close(new HostCallError(`undecodable data from the server: ${(error as Error).message}`));
      this.socket.destroy();
    }
  }

  #message(message: unknown): void {
    if (!Array.isArray(message)) {
      this.unsolicited.push(message);
      return;
    }
    if (message[0] === MessageType.notification) {
      this.notifications.push([String(message[1]), message[2]]);
      this.#onNotify(String(message[1]), message[2]);
      return;
    }
    const waiter = this.#waiter;
    if (waiter === undefined || message[0] !== MessageType.response) {
      this.unsolicited.push(message);
      return;
    }
    this.#waiter = undefined;
    if (waiter.msgid !== -1 && message[1] !== waiter.msgid) {
      waiter.reject(new HostCallError(`response msgid ${String(message[1])} does not match request ${waiter.msgid}`));
      return;
    }
    waiter.resolve({ error: message[2], result: message[3], via: this.id });
  }

  #close(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }
}
