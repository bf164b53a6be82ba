/**
 * Worker processes made with `child_process.fork`: the {@link WorkerLauncher}
 * of a real primary (the tests of the pool launch stand-ins instead).
 *
 * Passing Kong's connections works around how Node passes handles. Node
 * keeps a passed handle open in the sender until the receiver acknowledges
 * it, and queues every further handle until then; when the receiver dies
 * first, that handle is never closed and the queued ones are never sent nor
 * their callbacks called (nor is `'disconnect'` emitted). Kong's calls on
 * those connections would hang until its socket timeout. So:
 * - a connection is sent with `keepOpen` and closed here once it is written:
 *   from then on the kernel holds it in flight, and a worker that dies before
 *   reading it drops it, so Kong sees the connection close, as it does for
 *   any connection of a worker that dies;
 * - a connection still queued when the process exits fails its send, and
 *   the dispatcher hands it, unread, to another worker.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { PrimaryMessage } from './messages.ts';
import type { WorkerLauncher, WorkerProcess, WorkerProcessEvents } from './worker-pool.ts';

/** What each worker process is started as. */
interface ForkOptions {
  /** The program file (the primary runs its own). */
  readonly program: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Environment variables of worker `slot`, beyond this process's own. */
  readonly environment: (slot: number) => Readonly<Record<string, string>>;
}

/** Starts worker processes with `fork`: Node's own options, stderr and stdout shared, a JSON control channel. */
export function forkWorkers(options: ForkOptions): WorkerLauncher {
  return {
    launch(slot, events) {
      const child = fork(options.program, [...options.args], {
        execArgv: process.execArgv,
        env: { ...process.env, ...options.environment(slot) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      return new ForkedWorker(child, events);
    },
  };
}

/** A forked worker process. */
class ForkedWorker implements WorkerProcess {
  readonly #child: ChildProcess;
  /** Connections whose send has not settled: failed when the process exits. */
  readonly #unsent = new Set<(error: Error) => void>();

  constructor(child: ChildProcess, events: WorkerProcessEvents) {
    this.#child = child;
    child.on('message', (message: unknown) => events.message(message));
    child.on('error', (error) => events.error(error));
    child.once('disconnect', () => events.disconnect());
    child.once('exit', (code, signal) => {
      for (const fail of [...this.#unsent]) fail(new Error('the worker exited before the connection was sent to it'));
      events.exit(code, signal);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get connected(): boolean {
    return this.#child.connected;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  send(message: PrimaryMessage, socket: Socket | undefined, done: (error: Error | null | undefined) => void): void {
    if (socket === undefined) return void this.#child.send(message, undefined, {}, done);
    let settled = false;
    const settle = (error: Error | null | undefined): void => {
      if (settled) return;
      settled = true;
      this.#unsent.delete(settle);
      // Written: the kernel holds the connection in flight to the worker; this copy is not needed.
      if (error === null || error === undefined) socket.destroy();
      done(error);
    };
    this.#unsent.add(settle);
    this.#child.send(message, socket, { keepOpen: true }, settle);
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }
}
