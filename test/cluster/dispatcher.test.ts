/**
 * The primary's connection dispatcher without processes: which worker gets
 * each connection, the waits at start and after a crash, and the
 * connections that wait too long or that Kong drops while they wait.
 * Workers are a stand-in target; time is node:test's mock clock.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ConnectionDispatcher, type DispatchTarget, type HeldSocket } from '../../server/cluster/dispatcher.ts';
import { createLogger } from '../../server/process/logger.ts';

/** A connection from Kong as the dispatcher holds it. */
class Held implements HeldSocket {
  readonly name: string;
  destroyed = false;
  constructor(name: string) {
    this.name = name;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/** Workers that serve when told to, and record what they were handed. */
class Workers implements DispatchTarget<Held> {
  readonly up = new Set<number>();
  /** Slots whose hand-over fails (the process died as it was sent). */
  readonly refusing = new Set<number>();
  readonly handed: Array<[string, number]> = [];
  readonly size: number;
  constructor(size: number) {
    this.size = size;
  }
  serving(slot: number): boolean {
    return this.up.has(slot);
  }
  pass(slot: number, socket: Held, done: (sent: boolean) => void): void {
    if (this.refusing.has(slot)) return done(false);
    this.handed.push([socket.name, slot]);
    done(true);
  }
  /** Which worker got each named connection. */
  slotsOf(names: readonly string[]): Array<number | undefined> {
    return names.map((name) => this.handed.find(([handed]) => handed === name)?.[1]);
  }
}

interface Setup {
  readonly workers: Workers;
  readonly dispatcher: ConnectionDispatcher<Held>;
  readonly logs: Array<Record<string, unknown>>;
  announced: number;
  /** Worker `slot` (a new process) starts serving. */
  readonly ready: (slot: number) => void;
  readonly accept: (...names: string[]) => Held[];
}

/** A dispatcher over `size` workers, on the mock clock. */
function setup(t: TestContext, size: number): Setup {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', {}, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const workers = new Workers(size);
  const state: Setup = {
    workers,
    logs,
    announced: 0,
    dispatcher: new ConnectionDispatcher<Held>(workers, { logger, onAllReady: () => state.announced++ }),
    ready: (slot) => {
      state.dispatcher.workerStarted(slot);
      workers.up.add(slot);
      state.dispatcher.workerReady(slot);
    },
    accept: (...names) =>
      names.map((name) => {
        const socket = new Held(name);
        state.dispatcher.accept(socket);
        return socket;
      }),
  };
  t.after(() => state.dispatcher.close());
  return state;
}

describe('connection dispatcher', () => {
  it('gives each connection to the serving worker with the fewest open connections, ties in turn', (t) => {
    const { workers, dispatcher, ready, accept } = setup(t, 3);
    for (const slot of [0, 1, 2]) ready(slot);
    accept('a', 'b', 'c', 'd');
    assert.deepEqual(workers.slotsOf(['a', 'b', 'c', 'd']), [0, 1, 2, 0]);
    // Worker 2's connection closes: it has the fewest and gets the next one.
    dispatcher.connectionClosed(2);
    accept('e');
    assert.deepEqual(workers.slotsOf(['e']), [2]);
    assert.deepEqual([0, 1, 2].map((slot) => dispatcher.connectionsOf(slot)), [2, 1, 1]);
    // A worker that does not serve is skipped whatever its count.
    workers.up.delete(1);
    accept('f', 'g');
    assert.deepEqual(workers.slotsOf(['f', 'g']), [2, 0]);
    // A new process in slot 1 starts with no connection and takes the next ones until the counts even out.
    ready(1);
    accept('h', 'i', 'j');
    assert.deepEqual(workers.slotsOf(['h', 'i', 'j']), [1, 1, 2]);
    assert.deepEqual([0, 1, 2].map((slot) => dispatcher.connectionsOf(slot)), [3, 2, 3]);
    // A close reported more often than connections were handed never counts below zero.
    for (let i = 0; i < 5; i++) dispatcher.connectionClosed(2);
    assert.equal(dispatcher.connectionsOf(2), 0);
  });

  it('holds connections until every worker is ready, then releases them evenly', (t) => {
    const setup2 = setup(t, 2);
    const { workers, dispatcher, ready, accept } = setup2;
    accept('a', 'b', 'c');
    assert.equal(dispatcher.waiting, 3);
    ready(0);
    assert.equal(dispatcher.waiting, 3, 'the first worker up does not take them all');
    assert.equal(setup2.announced, 0);
    ready(1);
    assert.equal(dispatcher.waiting, 0);
    assert.deepEqual(workers.slotsOf(['a', 'b', 'c']), [0, 1, 0]);
    assert.equal(setup2.announced, 1, 'listening is announced once every worker is ready');
  });

  it('opens the start gate 3 s after the first worker is ready when another never is', (t) => {
    const setup2 = setup(t, 2);
    const { workers, dispatcher, ready, accept } = setup2;
    ready(0);
    accept('a', 'b');
    t.mock.timers.tick(2999);
    assert.equal(dispatcher.waiting, 2);
    t.mock.timers.tick(1);
    assert.equal(dispatcher.waiting, 0);
    assert.deepEqual(workers.slotsOf(['a', 'b']), [0, 0]);
    accept('c');
    assert.deepEqual(workers.slotsOf(['c']), [0], 'once open, connections go at once');
    assert.equal(setup2.announced, 0);
    ready(1);
    assert.equal(setup2.announced, 1, 'listening is announced when the last worker is ready');
  });

  it('closes a connection that waited 10 s for a worker, and skips one that Kong dropped while it waited', (t) => {
    const { workers, dispatcher, logs, ready, accept } = setup(t, 2);
    const [early] = accept('early');
    t.mock.timers.tick(5000);
    const [dropped, late] = accept('dropped', 'late');
    dropped?.destroy();
    t.mock.timers.tick(5100);
    assert.equal(early?.destroyed, true, 'closed after waiting more than 10 s');
    assert.equal(dispatcher.waiting, 2);
    const warnings = logs.filter((line) => line['msg'] === 'no worker was ready for a connection from Kong; closed it');
    assert.equal(warnings.length, 1);
    assert.ok(Number(warnings[0]?.['waitedMs']) > 10_000);
    ready(0);
    ready(1);
    assert.equal(dispatcher.waiting, 0);
    assert.deepEqual(workers.handed, [['late', 0]], 'only the live connection is handed over');
    assert.equal(late?.destroyed, false);
  });

  it('takes a dying worker out and holds new connections for its replacement, but not for a crash loop', (t) => {
    const { workers, dispatcher, ready, accept } = setup(t, 2);
    ready(0);
    ready(1);
    accept('w', 'x', 'y', 'z');
    // Worker 0 dies with its two connections; its replacement starts in 100 ms.
    workers.up.delete(0);
    dispatcher.workerLost(0, 100);
    accept('a', 'b');
    assert.equal(dispatcher.waiting, 2, 'held for the replacement, not given to the survivor');
    t.mock.timers.tick(500);
    assert.equal(dispatcher.waiting, 2);
    ready(0);
    assert.deepEqual(workers.slotsOf(['a', 'b']), [0, 0], 'the replacement takes its share back');
    // A replacement that never comes is waited for until its respawn delay plus 1.5 s.
    workers.up.delete(0);
    dispatcher.workerLost(0, 200);
    accept('c');
    t.mock.timers.tick(1600);
    assert.equal(dispatcher.waiting, 1);
    t.mock.timers.tick(200);
    assert.deepEqual(workers.slotsOf(['c']), [1]);
    // A respawn delay above a second (a crash loop) is not waited for.
    dispatcher.workerLost(0, 1600);
    accept('d');
    assert.deepEqual(workers.slotsOf(['d']), [1]);
    // Nor is a worker lost while the server stops.
    dispatcher.workerLost(0, undefined);
    accept('e');
    assert.deepEqual(workers.slotsOf(['e']), [1]);
  });

  it('hands a connection to another worker when sending it fails, and closes it when every worker fails', (t) => {
    const { workers, dispatcher, ready, accept } = setup(t, 3);
    for (const slot of [0, 1, 2]) ready(slot);
    workers.refusing.add(0);
    accept('a');
    assert.deepEqual(workers.slotsOf(['a']), [1]);
    assert.equal(dispatcher.connectionsOf(0), 0, 'the failed hand-over is not counted');
    workers.refusing.add(1);
    workers.refusing.add(2);
    const [lost] = accept('b');
    assert.equal(lost?.destroyed, true);
    assert.equal(dispatcher.waiting, 0);
    assert.deepEqual([0, 1, 2].map((slot) => dispatcher.connectionsOf(slot)), [0, 1, 0]);
  });
});
