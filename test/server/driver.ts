/**
 * Drives a {@link PluginServer} in-process, as Kong would over a socket, and
 * records every answer: for tests of what the server answers and when.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../server/process/logger.ts';
import { PluginServer, type PluginServerOptions } from '../../server/rpc/plugin-server.ts';
import type { Replier } from '../../server/rpc/event.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';

/** One answer the server gave. */
export interface Answer {
  readonly msgid: number;
  readonly error: string | null;
  /** `{EventId, Data}` for the event loop's answers. */
  readonly result: unknown;
}

/** A PDK call the server sent, or `"ret"`. */
export interface SentCall {
  readonly msgid: number;
  readonly eventId: number;
  readonly method: string | undefined;
  readonly args: readonly unknown[];
}

/** A plugin server, a replier that records, and the server's log lines. */
export class ServerDriver {
  readonly server: PluginServer;
  readonly answers: Answer[] = [];
  readonly logger: Logger;
  readonly #lines: string[] = [];
  #msgid = 0;
  readonly replier: Replier = {
    reply: (msgid, error, result) => {
      this.answers.push({ msgid, error, result });
      return true;
    },
  };

  constructor(plugins: readonly PluginDefinition[], options: Omit<PluginServerOptions, 'logger'> = {}, level: 'info' | 'debug' = 'info') {
    this.logger = createLogger(
      level,
      {},
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          this.#lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
          done();
        },
      }),
    );
    this.server = new PluginServer(plugins, { logger: this.logger, ...options });
  }

  /** The log lines so far, parsed. */
  get log(): Array<Record<string, unknown>> {
    return this.#lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Sends a request; returns its msgid. */
  send(method: string, arg: unknown): number {
    const msgid = ++this.#msgid;
    this.server.handle(this.replier, msgid, method, [arg]);
    return msgid;
  }

  /** Starts an instance of `name` and returns its id. */
  start(name: string, config: Record<string, unknown> = {}): number {
    const msgid = this.send('plugin.StartInstance', { Name: name, Config: JSON.stringify(config) });
    const answer = this.answers.find((a) => a.msgid === msgid);
    if (answer?.error !== null) throw new Error(`StartInstance failed: ${String(answer?.error)}`);
    return (answer.result as { Id: number }).Id;
  }

  /** Waits for the answer to `msgid` (turning the event loop), and returns it as a PDK call. */
  async answer(msgid: number, turns = 200): Promise<SentCall> {
    for (let i = 0; i < turns; i++) {
      const found = this.answers.find((a) => a.msgid === msgid);
      if (found !== undefined) {
        if (found.error !== null) throw new Error(`the server answered msgid ${msgid} with an error: ${found.error}`);
        return asCall(found);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`no answer to msgid ${msgid}`);
  }

  /** Every answer given to `msgid`. */
  answersTo(msgid: number): Answer[] {
    return this.answers.filter((a) => a.msgid === msgid);
  }

  close(): void {
    this.server.close();
  }
}

function asCall(answer: Answer): SentCall {
  const result = answer.result as { EventId: number; Data: 'ret' | { Method: string; Args: unknown[] } };
  if (result.Data === 'ret') return { msgid: answer.msgid, eventId: result.EventId, method: undefined, args: [] };
  return { msgid: answer.msgid, eventId: result.EventId, method: result.Data.Method, args: result.Data.Args };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
