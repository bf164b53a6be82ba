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
import { rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { manageProcess } from '../process/lifecycle.ts';
import type { ServerSettings } from '../settings.ts';
import { listenUnix } from '../wire/listener.ts';
import { hostSharedStore } from '../shared/transport.ts';
import { Hub } from './hub.ts';
import type { PrimaryMessage } from './messages.ts';
import { createPeerDirectory } from './peer-directory.ts';
import { WORKER_ENV, type WorkerIdentity } from './role.ts';

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  /** The server's settings: `settings.workers` workers, each run with these settings. */
  readonly settings: ServerSettings;
  readonly sockets: readonly string[];
  /** Names of the plugins served, for the logs. */
  readonly plugins: readonly string[];
  readonly logger: Logger;
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
/** At start, how long connections wait for the slowest worker once the first is ready. */
const START_GATE_MS = 3000;
/** After a crash, how long new connections wait for the replacement, beyond its respawn delay. */
const RESPAWN_HOLD_MS = 1500;

interface WorkerState {
  readonly slot: number;
  child: ChildProcess | undefined;
  ready: boolean;
  startedAt: number;
  respawnMs: number;
  everReady: boolean;
  /** Kong's connections handed to this worker and not closed yet (the worker reports closes). */
  connections: number;
  /** After a crash: until when new connections wait for this worker's replacement. */
  holdUntil: number;
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
  const { logger, settings } = options;
  const peers = createPeerDirectory(logger);
  const hub = new Hub(logger, hostSharedStore());
  const workers: WorkerState[] = Array.from({ length: settings.workers }, (_, slot) => ({
    slot,
    child: undefined,
    ready: false,
    startedAt: 0,
    respawnMs: FIRST_RESPAWN_MS,
    everReady: false,
    connections: 0,
    holdUntil: 0,
  }));
  const waiting: Waiting[] = [];
  const waitMs = options.connectionWaitMs ?? 10_000;
  let next = 0;
  let stopping = false;
  let announced = false;
  let startGate: NodeJS.Timeout | undefined;

  const removePeers = (): void => rmSync(peers, { recursive: true, force: true });

  /**
   * The ready worker with the fewest open connections (ties in turn). Kong
   * keeps its pooled connections for as long as they are busy, so the spread
   * chosen here lasts: a worker that was starting or respawning while others
   * took connections gets the next ones until the counts even out.
   */
  const nextReady = (): WorkerState | undefined => {
    let best: WorkerState | undefined;
    for (let i = 0; i < workers.length; i++) {
      const worker = workers[(next + i) % workers.length];
      if (worker?.ready !== true || worker.child?.connected !== true) continue;
      if (best === undefined || worker.connections < best.connections) best = worker;
    }
    if (best !== undefined) next = (best.slot + 1) % workers.length;
    return best;
  };
  // At start, connections wait (up to START_GATE_MS) until every worker is ready, so that the first ones do not all go to the first worker up.
  let gateOpen = false;
  /**
   * Whether new connections wait for a worker that is coming back: after a
   * crash Kong reconnects at once, and without the wait every new connection
   * would go to the survivors and stay there. Bounded: the respawn delay plus
   * RESPAWN_HOLD_MS, and only while that delay is short.
   */
  const holding = (): boolean => {
    const now = Date.now();
    return workers.some((worker) => !worker.ready && now < worker.holdUntil);
  };

  const handOver = (socket: Socket, since = Date.now(), attempts = 0): void => {
    if (socket.destroyed) return;
    const worker = gateOpen && !holding() ? nextReady() : undefined;
    if (worker === undefined || worker.child === undefined) {
      waiting.push({ socket, since });
      return;
    }
    worker.connections++;
    const child = worker.child;
    child.send({ t: 'conn' } satisfies PrimaryMessage, socket, { keepOpen: false }, (error) => {
      if (error === null || error === undefined) return;
      if (worker.child === child) worker.connections--;
      if (attempts + 1 >= workers.length) socket.destroy();
      else handOver(socket, since, attempts + 1);
    });
  };

  const flush = (): void => {
    const now = Date.now();
    for (const entry of waiting.splice(0)) {
      if (now - entry.since > waitMs) entry.socket.destroy();
      else handOver(entry.socket, entry.since);
    }
  };
  const waitingSweep = setInterval(() => {
    if (waiting.length > 0 && gateOpen && !holding()) flush();
    const now = Date.now();
    for (let i = waiting.length - 1; i >= 0; i--) {
      const entry = waiting[i];
      if (entry !== undefined && now - entry.since > waitMs) {
        waiting.splice(i, 1);
        entry.socket.destroy();
        logger.warn({ waitedMs: now - entry.since }, 'no worker was ready for a connection from Kong; closed it');
      }
    }
  }, 100);
  waitingSweep.unref();

  const spawn = (worker: WorkerState): void => {
    const identity: WorkerIdentity = { slot: worker.slot, peers, primary: process.pid, settings };
    const child = fork(program, process.argv.slice(2), {
      execArgv: process.execArgv,
      env: { ...process.env, [WORKER_ENV]: JSON.stringify(identity) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    worker.child = child;
    worker.ready = false;
    worker.connections = 0;
    worker.startedAt = Date.now();
    const port = {
      send(message: PrimaryMessage): void {
        if (child.connected) child.send(message, undefined, {}, () => undefined);
      },
    };
    child.on('message', (message: unknown) => {
      const type = typeof message === 'object' && message !== null ? (message as { t?: unknown }).t : undefined;
      if (type === 'conn-closed') {
        if (worker.child === child && worker.connections > 0) worker.connections--;
        return;
      }
      if (type !== 'ready') return hub.receive(worker.slot, message);
      if (worker.child !== child || worker.ready) return;
      worker.ready = true;
      worker.everReady = true;
      hub.attach(worker.slot, port);
      logger.debug({ worker: worker.slot, workerPid: child.pid }, 'worker ready');
      if (!announced && workers.every((each) => each.everReady)) {
        announced = true;
        gateOpen = true;
        logger.info({ sockets: options.sockets, plugins: options.plugins, workers: workers.length }, 'listening');
      } else if (!gateOpen && startGate === undefined) {
        startGate = setTimeout(() => {
          gateOpen = true;
          flush();
        }, START_GATE_MS);
        startGate.unref();
      }
      if (gateOpen) flush();
    });
    child.on('error', (error) => logger.error({ err: error, worker: worker.slot }, 'worker process error'));
    // The IPC channel closes as the worker dies, often before 'exit' is seen:
    // from then on it gets no connection, and new ones wait for its replacement.
    child.once('disconnect', () => {
      if (worker.child !== child || !worker.ready) return;
      worker.ready = false;
      hub.detach(worker.slot);
      const uptime = Date.now() - worker.startedAt;
      const delay = uptime > STABLE_AFTER_MS ? FIRST_RESPAWN_MS : worker.respawnMs;
      // Hold new connections for a replacement that comes soon; a worker in a crash loop is not waited for.
      worker.holdUntil = !stopping && delay <= 1000 ? Date.now() + delay + RESPAWN_HOLD_MS : 0;
    });
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
      worker.holdUntil = delay <= 1000 ? Math.max(worker.holdUntil, Date.now() + delay + RESPAWN_HOLD_MS) : 0;
      logger.error({ worker: worker.slot, workerPid: child.pid, code, signal, restartInMs: delay }, 'worker exited; starting a new one');
      setTimeout(() => {
        if (!stopping) respawn(worker);
      }, delay).unref();
    });
  };

  /** Spawns again, retrying later when even fork fails (out of processes or memory). */
  const respawn = (worker: WorkerState): void => {
    try {
      spawn(worker);
    } catch (error) {
      const delay = worker.respawnMs;
      worker.respawnMs = Math.min(LAST_RESPAWN_MS, worker.respawnMs * 2);
      worker.holdUntil = delay <= 1000 ? Math.max(worker.holdUntil, Date.now() + delay + RESPAWN_HOLD_MS) : 0;
      logger.error({ err: error, worker: worker.slot, retryInMs: delay }, 'cannot start a worker process');
      setTimeout(() => {
        if (!stopping) respawn(worker);
      }, delay).unref();
    }
  };

  const listeners: Server[] = [];
  try {
    const accept = (socket: Socket): void => {
      // A connection Kong drops while it waits here must not raise an unhandled 'error'.
      socket.on('error', () => undefined);
      handOver(socket);
    };
    for (const path of options.sockets) listeners.push(await listenUnix(path, accept, { socketMode: settings.socketMode, allowInsecureSocketDir: settings.allowInsecureSocketDir, pauseOnConnect: true }));
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
    shutdownGraceMs: settings.shutdownGraceMs,
    watchParent: settings.watchParent,
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
