/**
 * A raw connection for the fuzz test: writes frames in batches, reads every
 * answer, and checks each against the protocol (docs/protocol.md §3.2):
 * `[2, "serverPid", pid]` or `[1, msgid, nil | "<non-empty string>", result]`
 * with a nil result after an error, and for answers to frames it sent, a
 * msgid it is owed.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { decode } from '@msgpack/msgpack';
import { Framer } from '../../server/wire/framer.ts';
import type { Frame, FrameGenerator } from './fuzz-frames.ts';

/** One fuzzing connection. */
export class FuzzClient {
  readonly #socket: Socket;
  readonly #generator: FrameGenerator;
  readonly #framer = new Framer({ maxMessageBytes: 64 * 1024 * 1024 });
  /** msgid → answers still owed. */
  readonly #owed = new Map<number, number>();
  #outstanding = 0;
  #closed = false;
  /** When true, answers to msgids not owed are violations (clean connections only). */
  readonly #strict: boolean;
  /** Protocol violations seen. */
  readonly violations: string[] = [];
  /** Answers received (responses, not notifications). */
  answers = 0;

  private constructor(socket: Socket, generator: FrameGenerator, strict: boolean) {
    this.#socket = socket;
    this.#generator = generator;
    this.#strict = strict;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), (bytes) => this.#message(decode(bytes)));
      } catch (error) {
        this.violations.push(`undecodable bytes from the server: ${(error as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('close', () => (this.#closed = true));
    socket.on('error', () => undefined);
  }

  /** Connects; `strict` connections send only frames with a known outcome. */
  static async open(path: string, generator: FrameGenerator, strict: boolean): Promise<FuzzClient> {
    for (let attempt = 0; ; attempt++) {
      try {
        const socket = await connectOnce(path);
        return new FuzzClient(socket, generator, strict);
      } catch (error) {
        // The listen backlog is full while the server chews a big frame: retry, as Kong would on the next request.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || attempt > 500) throw error;
        await sleep(10);
      }
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Answers owed for frames sent. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Sends frames in one write. */
  send(frames: readonly Frame[]): void {
    let total = 0;
    for (const frame of frames) total += frame.bytes.length;
    const merged = new Uint8Array(total);
    let at = 0;
    for (const frame of frames) {
      merged.set(frame.bytes, at);
      at += frame.bytes.length;
      if (frame.expect === 'reply' && frame.msgid !== undefined) {
        this.#owed.set(frame.msgid, (this.#owed.get(frame.msgid) ?? 0) + 1);
        this.#outstanding++;
      }
    }
    if (!this.#closed) this.#socket.write(merged);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #message(message: unknown): void {
    if (!Array.isArray(message)) {
      this.violations.push(`not an array: ${JSON.stringify(message)}`);
      return;
    }
    if (message[0] === 2) {
      if (message[1] !== 'serverPid' || typeof message[2] !== 'number') this.violations.push(`bad notification ${JSON.stringify(message)}`);
      return;
    }
    const [type, msgid, error, result] = message as [unknown, unknown, unknown, unknown];
    if (type !== 1 || message.length !== 4 || typeof msgid !== 'number') {
      this.violations.push(`not a response: ${String(type)}`);
      return;
    }
    this.answers++;
    if (error !== null && (typeof error !== 'string' || error === '')) this.violations.push(`error is not a non-empty string: ${JSON.stringify(error)}`);
    if (error !== null && result !== null) this.violations.push('an error with a result');
    const owed = this.#owed.get(msgid);
    if (owed === undefined) {
      if (this.#strict) this.violations.push(`an answer to msgid ${msgid}, which was not asked`);
    } else {
      if (owed === 1) this.#owed.delete(msgid);
      else this.#owed.set(msgid, owed - 1);
      this.#outstanding--;
    }
    if (result !== null && typeof result === 'object' && !Array.isArray(result)) {
      const record = result as Record<string, unknown>;
      if (typeof record['EventId'] === 'number') this.#generator.sawEvent(record['EventId']);
      if (typeof record['Id'] === 'number' && typeof record['Name'] === 'string') {
        const ids = this.#generator.instanceIds;
        if (ids.length < 32) ids.push(record['Id']);
        else if (this.#generator.startedIds.length < 4096) this.#generator.startedIds.push(record['Id']);
      }
    }
  }
}

function connectOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
