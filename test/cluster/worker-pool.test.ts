/**
 * The primary's worker pool without processes: starting, readiness, a
 * worker that dies, respawn delays and their reset, a first start that
 * fails, stopping. Processes are stand-ins launched in place of fork; time
 * is node:test's mock clock.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Backoff } from '../../server/cluster/backoff.ts';
import type { PrimaryMessage } from '../../server/cluster/messages.ts';
import { WorkerPool, type PoolEvents, type WorkerLauncher, type WorkerProcess, type WorkerProcessEvents } from '../../server/cluster/worker-pool.ts';
import { createLogger } from '../../server/process/logger.ts';

/** A worker process stand-in: records what it is sent, dies when told. */
class StandIn implements WorkerProcess {
  readonly slot: number;
  readonly pid: number;
  readonly events: WorkerProcessEvents;
  connected = true;
  running = true;
  readonly sent: PrimaryMessage[] = [];
  readonly signals: NodeJS.Signals[] = [];
  constructor(slot: number, pid: number, events: WorkerProcessEvents) {
    this.slot = slot;
    this.pid = pid;
    this.events = events;
  }
  send(message: PrimaryMessage, _socket: Socket | undefined, done: (error: Error | null) => void): void {
    if (!this.connected) return done(new Error('channel closed'));
    this.sent.push(message);
    done(null);
  }
  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
  }
  ready(): void {
    this.events.message({ t: 'ready' });
  }
  /** Dies as a process does: the channel closes, then the exit is seen. */
  die(code: number | null = null, signal: NodeJS.Signals | null = 'SIGKILL'): void {
    this.connected = false;
    this.events.disconnect();
    this.running = false;
    this.events.exit(code, signal);
  }
}

/** Launches stand-ins; fails the next `failures` launches as fork does when out of processes. */
class Launcher implements WorkerLauncher {
  readonly launched: StandIn[] = [];
  failures = 0;
  launch(slot: number, events: WorkerProcessEvents): StandIn {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('spawn EAGAIN');
    }
    const process = new StandIn(slot, 1000 + this.launched.length, events);
    this.launched.push(process);
    return process;
  }
  /** The newest process of `slot`. */
  of(slot: number): StandIn {
    const found = this.launched.filter((process) => process.slot === slot).at(-1);
    assert.ok(found !== undefined, `no process in slot ${slot}`);
    return found;
  }
}

type Reported = [keyof PoolEvents, ...unknown[]];

interface Setup {
  readonly pool: WorkerPool;
  readonly launcher: Launcher;
  readonly reported: Reported[];
  readonly logs: Array<Record<string, unknown>>;
  /** Reports of one kind, without their name. */
  readonly only: (kind: keyof PoolEvents) => unknown[][];
}

function setup(t: TestContext, size: number): Setup {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const reported: Reported[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const launcher = new Launcher();
  const pool = new WorkerPool({
    size,
    launcher,
    logger: createLogger('debug', {}, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
    events: {
      started: (slot) => reported.push(['started', slot]),
      ready: (slot) => reported.push(['ready', slot]),
      lost: (slot, respawnInMs) => reported.push(['lost', slot, respawnInMs]),
      message: (slot, message) => reported.push(['message', slot, message]),
      failedToStart: (slot, code, signal) => reported.push(['failedToStart', slot, code, signal]),
    },
  });
  return { pool, launcher, reported, logs, only: (kind) => reported.filter(([name]) => name === kind).map(([, ...rest]) => rest) };
}

describe('respawn backoff', () => {
  it('doubles from 100 ms to 10 s, starts from 100 ms again after a stable minute, and peeks without taking', () => {
    const backoff = new Backoff();
    assert.equal(backoff.peek(), 100);
    assert.deepEqual(Array.from({ length: 9 }, () => backoff.next(5)), [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    assert.equal(backoff.peek(5), 10_000);
    assert.equal(backoff.peek(60_001), 100, 'a stable run resets');
    assert.equal(backoff.next(60_000), 10_000, 'a run of exactly a minute is not stable yet');
    assert.deepEqual([backoff.next(60_001), backoff.next(), backoff.next()], [100, 200, 400]);
  });
});

describe('worker pool', () => {
  it('starts every worker, serves one once it says it is ready, and passes its other messages on', (t) => {
    const { pool, launcher, only } = setup(t, 2);
    pool.start();
    assert.deepEqual(only('started'), [[0], [1]]);
    assert.equal(pool.live, 2);
    assert.equal(pool.serving(0), false, 'not before it is ready');
    launcher.of(0).ready();
    launcher.of(0).ready();
    assert.deepEqual(only('ready'), [[0]], 'ready is reported once');
    assert.equal(pool.serving(0), true);
    assert.equal(pool.serving(1), false);
    launcher.of(1).events.message({ t: 'conn-closed' });
    assert.deepEqual(only('message'), [[1, { t: 'conn-closed' }]]);
    const passed: boolean[] = [];
    pool.pass(0, {} as Socket, (sent) => passed.push(sent));
    pool.send(1, { t: 'forget', id: 7 });
    assert.deepEqual(launcher.of(0).sent, [{ t: 'conn' }]);
    assert.deepEqual(launcher.of(1).sent, [{ t: 'forget', id: 7 }]);
    assert.deepEqual(passed, [true]);
  });

  it('takes a dying worker out at once, and starts it again with growing delays that reset after a stable minute', (t) => {
    const { pool, launcher, only, logs } = setup(t, 1);
    pool.start();
    launcher.of(0).ready();
    // The channel closes first: no more connections, and the replacement is expected in 100 ms.
    const first = launcher.of(0);
    first.connected = false;
    assert.equal(pool.serving(0), false);
    first.events.disconnect();
    assert.deepEqual(only('lost'), [[0, 100]]);
    first.running = false;
    first.events.exit(null, 'SIGKILL');
    assert.deepEqual(only('lost'), [[0, 100], [0, 100]]);
    assert.equal(pool.live, 0);
    const passed: boolean[] = [];
    pool.pass(0, {} as Socket, (sent) => passed.push(sent));
    assert.deepEqual(passed, [false], 'a connection is never sent to a dead worker');
    const exited = logs.find((line) => line['msg'] === 'worker exited; starting a new one');
    assert.deepEqual([exited?.['worker'], exited?.['workerPid'], exited?.['signal'], exited?.['restartInMs']], [0, first.pid, 'SIGKILL', 100]);
    // Replacements that die before they are ready wait twice as long each time, up to 10 s.
    const delays: number[] = [100];
    for (let i = 0; i < 8; i++) {
      const before = launcher.launched.length;
      t.mock.timers.tick((delays.at(-1) ?? 0) - 1);
      assert.equal(launcher.launched.length, before, 'not before its delay');
      t.mock.timers.tick(1);
      assert.equal(launcher.launched.length, before + 1);
      launcher.of(0).die(1, null);
      delays.push(only('lost').at(-1)?.[1] as number);
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    // A replacement that serves for more than a minute starts the delays over.
    t.mock.timers.tick(10_000);
    launcher.of(0).ready();
    t.mock.timers.tick(60_001);
    launcher.of(0).die();
    assert.deepEqual(only('lost').slice(-2), [[0, 100], [0, 100]]);
    assert.equal(only('failedToStart').length, 0, 'only a first start can fail the server');
  });

  it('retries with the same backoff when a worker process cannot even be started', (t) => {
    const { pool, launcher, only, logs } = setup(t, 1);
    pool.start();
    launcher.of(0).ready();
    launcher.of(0).die();
    launcher.failures = 2;
    t.mock.timers.tick(100);
    t.mock.timers.tick(200);
    assert.equal(launcher.launched.length, 1);
    assert.deepEqual(only('lost').slice(-2), [[0, 200], [0, 400]]);
    assert.deepEqual(
      logs.filter((line) => line['msg'] === 'cannot start a worker process').map((line) => line['retryInMs']),
      [200, 400],
    );
    t.mock.timers.tick(400);
    assert.equal(launcher.launched.length, 2);
    assert.deepEqual(only('started'), [[0], [0]]);
  });

  it('reports a worker whose first process exits before it is ready as a server that cannot start', (t) => {
    const { pool, launcher, only } = setup(t, 2);
    pool.start();
    launcher.of(0).ready();
    launcher.of(1).die(1, null);
    assert.deepEqual(only('failedToStart'), [[1, 1, null]]);
    t.mock.timers.tick(20_000);
    assert.equal(launcher.launched.length, 2, 'not started again');
  });

  it('ignores what a replaced process still reports', (t) => {
    const { pool, launcher, reported } = setup(t, 1);
    pool.start();
    const old = launcher.of(0);
    old.ready();
    old.die();
    t.mock.timers.tick(100);
    const count = reported.length;
    old.events.message({ t: 'ready' });
    old.events.message({ t: 'conn-closed' });
    old.events.exit(0, null);
    assert.equal(reported.length, count);
    assert.equal(pool.serving(0), false);
  });

  it('starts nothing again once stopping, and signals and tells only the live workers', (t) => {
    const { pool, launcher, only } = setup(t, 3);
    pool.start();
    for (const slot of [0, 1, 2]) launcher.of(slot).ready();
    launcher.of(2).die();
    pool.stop();
    launcher.of(0).die(0, null);
    assert.deepEqual(only('lost').slice(-2), [[0, undefined], [0, undefined]]);
    t.mock.timers.tick(20_000);
    assert.equal(launcher.launched.length, 3, 'no replacement while stopping');
    pool.signalAll('SIGHUP');
    pool.sendAll({ t: 'exit' });
    assert.deepEqual(launcher.launched.map((process) => process.signals), [[], ['SIGHUP'], []]);
    assert.deepEqual(launcher.launched.map((process) => process.sent), [[], [{ t: 'exit' }], []]);
    assert.equal(pool.live, 1);
  });
});
