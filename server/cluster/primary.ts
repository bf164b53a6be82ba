/**
 * The primary of a multi-process plugin server (`--workers N`): it listens
 * on Kong's sockets, hands every accepted connection to a worker process
 * (round-robin over the ready ones; it never reads a byte), relays the rare
 * control messages between workers, replaces a worker that exits, and
 * passes SIGTERM and SIGHUP on. See docs/multicore.md.
 *
 * Workers run this same program with the same arguments: the program's own
 * code (a standalone plugin file, `tspdk serve`) finds out that it is a
 * worker through role.ts.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { manageProcess } from '../lifecycle.ts';
import { listenUnix, type ListenOptions } from '../listener.ts';
import { hostSharedStore } from '../shared-transport.ts';
import { Hub } from './hub.ts';
import type { PrimaryMessage } from './messages.ts';
import { WORKER_ENV, type WorkerIdentity } from './role.ts';

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  readonly workers: number;
  readonly sockets: readonly string[];
  /** Names of the plugins served, for the logs. */
  readonly plugins: readonly string[];
  readonly logger: Logger;
  readonly listen: ListenOptions;
  /** How long SIGTERM waits for the events running in every worker. */
  readonly graceMs: number;
  readonly watchParent: boolean;
  /** Pass SIGHUP on to the workers (they reload their plugin code). */
  readonly reloadable: boolean;
  readonly beforeExit?: () => void;
  /** How long a connection waits for a ready worker before it is closed. Defaults to 10,000 ms. */
  readonly connectionWaitMs?: number;
}

/** Respawn delays: doubling from the first to the last, reset after a minute of uptime. */
const FIRST_RESPAWN_MS = 100;
const LAST_RESPAWN_MS = 10_000;
const STABLE_AFTER_MS = 60_000;

interface WorkerState {
  readonly slot: number;
  child: ChildProcess | undefined;
  ready: boolean;
  startedAt: number;
  respawnMs: number;
  everReady: boolean;
}

/** A connection waiting for a ready worker. */
interface Waiting {
  readonly socket: Socket;
  readonly since: number;
}

/** Listens, starts the workers and runs until a signal ends the process. */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const program = process.argv[1];
  if (program === undefined) throw new Error('--workers needs a program file to start the workers from');
  const { logger } = options;
  const peers = mkdtempSync(join(tmpdir(), 'tspdk-'));
  const hub = new Hub(logger, hostSharedStore());
  const workers: WorkerState[] = Array.from({ length: options.workers }, (_, slot) => ({
    slot,
    child: undefined,
    ready: false,
    startedAt: 0,
    respawnMs: FIRST_RESPAWN_MS,
    everReady: false,
  }));
  const waiting: Waiting[] = [];
  const waitMs = options.connectionWaitMs ?? 10_000;
  let next = 0;
  let stopping = false;
  let announced = false;

  const removePeers = (): void => rmSync(peers, { recursive: true, force: true });

  const nextReady = (): WorkerState | undefined => {
    for (let i = 0; i < workers.length; i++) {
      const worker = workers[(next + i) % workers.length];
      if (worker?.ready === true && worker.child?.connected === true) {
        next = (worker.slot + 1) % workers.length;
        return worker;
      }
    }
    return undefined;
  };

  const handOver = (socket: Socket, attempts = 0): void => {
    if (socket.destroyed) return;
    const worker = nextReady();
    if (worker === undefined || worker.child === undefined) {
      waiting.push({ socket, since: Date.now() });
      return;
    }
    worker.child.send({ t: 'conn' } satisfies PrimaryMessage, socket, { keepOpen: false }, (error) => {
      if (error === null || error === undefined) return;
      if (attempts + 1 >= workers.length) socket.destroy();
      else handOver(socket, attempts + 1);
    });
  };

  const flush = (): void => {
    const now = Date.now();
    for (const entry of waiting.splice(0)) {
      if (now - entry.since > waitMs) entry.socket.destroy();
      else handOver(entry.socket);
    }
  };
  const waitingSweep = setInterval(() => {
    const now = Date.now();
    for (let i = waiting.length - 1; i >= 0; i--) {
      const entry = waiting[i];
      if (entry !== undefined && now - entry.since > waitMs) {
        waiting.splice(i, 1);
        entry.socket.destroy();
        logger.warn({ waitedMs: now - entry.since }, 'no worker was ready for a connection from Kong; closed it');
      }
    }
  }, 1000);
  waitingSweep.unref();

  const spawn = (worker: WorkerState): void => {
    const identity: WorkerIdentity = { slot: worker.slot, workers: workers.length, peers, primary: process.pid };
    const child = fork(program, process.argv.slice(2), {
      execArgv: process.execArgv,
      env: { ...process.env, [WORKER_ENV]: JSON.stringify(identity) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    worker.child = child;
    worker.ready = false;
    worker.startedAt = Date.now();
    const port = {
      send(message: PrimaryMessage): void {
        if (child.connected) child.send(message, undefined, {}, () => undefined);
      },
    };
    child.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'ready') {
        if (worker.child !== child || worker.ready) return;
        worker.ready = true;
        worker.everReady = true;
        hub.attach(worker.slot, port);
        logger.debug({ worker: worker.slot, workerPid: child.pid }, 'worker ready');
        if (!announced && workers.every((each) => each.everReady)) {
          announced = true;
          logger.info({ sockets: options.sockets, plugins: options.plugins, workers: workers.length }, 'listening');
        }
        flush();
        return;
      }
      hub.receive(worker.slot, message);
    });
    child.on('error', (error) => logger.error({ err: error, worker: worker.slot }, 'worker process error'));
    child.once('exit', (code, signal) => {
      if (worker.child !== child) return;
      worker.child = undefined;
      worker.ready = false;
      hub.detach(worker.slot);
      if (stopping) return;
      if (!worker.everReady) {
        // The first start failed (the plugin code or the peer socket): as a single server that cannot start.
        logger.fatal({ worker: worker.slot, code, signal }, 'a worker failed to start; exiting');
        stopping = true;
        for (const other of live()) other.child?.kill('SIGKILL');
        removePeers();
        options.beforeExit?.();
        process.exit(1);
      }
      const uptime = Date.now() - worker.startedAt;
      if (uptime > STABLE_AFTER_MS) worker.respawnMs = FIRST_RESPAWN_MS;
      const delay = worker.respawnMs;
      worker.respawnMs = Math.min(LAST_RESPAWN_MS, worker.respawnMs * 2);
      logger.error({ worker: worker.slot, workerPid: child.pid, code, signal, restartInMs: delay }, 'worker exited; starting a new one');
      setTimeout(() => {
        if (!stopping) spawn(worker);
      }, delay).unref();
    });
  };

  const listeners: Server[] = [];
  try {
    for (const path of options.sockets) listeners.push(await listenUnix(path, handOver, { ...options.listen, pauseOnConnect: true }));
  } catch (error) {
    removePeers();
    throw error;
  }

  const live = (): WorkerState[] => workers.filter((worker) => worker.child !== undefined && worker.child.exitCode === null && worker.child.signalCode === null);
  // Stopping drains the whole server, not each worker on its own: a worker
  // with no event left still carries Kong's connections, on which Steps of
  // its siblings' events may arrive. When no event runs anywhere the workers
  // are told to exit; the primary exits once they are gone (or when the
  // grace period ends, killing what is left).
  const drain = (): void => {
    void hub.gatherStatuses().then((statuses) => {
      const events = statuses.reduce((sum, status) => sum + (typeof status['Events'] === 'number' ? status['Events'] : 0), 0);
      if (events > 0) return void setTimeout(drain, 20);
      for (const worker of live()) if (worker.child?.connected === true) worker.child.send({ t: 'exit' } satisfies PrimaryMessage, () => undefined);
    });
  };
  manageProcess({
    logger,
    liveEvents: () => live().length,
    liveName: 'liveWorkers',
    graceMs: options.graceMs,
    watchParent: options.watchParent,
    onStop: () => {
      stopping = true;
      drain();
    },
    beforeExit: () => {
      // Workers still running after the grace period (or an orphaned primary): none outlives it.
      for (const worker of live()) worker.child?.kill('SIGKILL');
      removePeers();
      options.beforeExit?.();
    },
  });
  if (options.reloadable) {
    process.on('SIGHUP', () => {
      logger.info({ workers: live().length }, 'SIGHUP: passing it on to the workers');
      for (const worker of live()) worker.child?.kill('SIGHUP');
    });
  }
  for (const worker of workers) spawn(worker);
}
