/**
 * `tspdk/shared` on Redis when Redis misbehaves, against real redis-server
 * processes: down at start, killed under load and restarted, stopped
 * (SIGSTOP: connections accepted, nothing answered), a wrong password, a
 * read-only replica, a full server (maxmemory, noeviction). Each has one
 * defined outcome: an error with a code and a message that says what is
 * wrong (never the password), within the timeout, and service again once
 * Redis is back, without restarting anything.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sharedStore, SharedStoreError, type SharedStoreApi } from 'tspdk/shared';
import { createLogger } from '../../server/process/logger.ts';
import { redisConnectionCount, retireRedisConnections, setRedisLogger } from '../../server/shared/redis-pool.ts';
import { freePort, REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.ts';

const servers: TestRedis[] = [];
async function redis(options?: Parameters<typeof startRedis>[0]): Promise<TestRedis> {
  const server = await startRedis(options);
  servers.push(server);
  return server;
}

/** The log lines of tspdk/shared's connections during a test. */
let logs: string[] = [];
setRedisLogger(createLogger('debug', {}, { write: (line: string) => void logs.push(line) }));

afterEach(async () => {
  await retireRedisConnections();
  logs = [];
});
after(async () => {
  setRedisLogger(undefined);
  await Promise.all(servers.map((server) => server.stop()));
});

/** The error `promise` rejects with, which must be a SharedStoreError. */
async function failure(promise: Promise<unknown>): Promise<SharedStoreError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SharedStoreError, String(error));
    return error;
  }
  return assert.fail('the operation succeeded');
}

/** Retries `operation` until it succeeds (Redis is coming back), for at most `ms`. */
async function eventually<T>(operation: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

const store = (port: number, extra: Record<string, unknown> = {}): SharedStoreApi =>
  sharedStore({ redis: { host: '127.0.0.1', port, timeout: 500, ...extra }, prefix: 'failures:' });

describe('tspdk/shared on Redis, failures', { skip: REDIS_SKIP }, () => {
  it('down at start: the first operation says so at once; once Redis is up, operations work (no restart)', async () => {
    const port = await freePort();
    const s = store(port, { timeout: 3000 });
    const error = await failure(s.incr('k'));
    assert.equal(error.code, 'SHARED_UNAVAILABLE');
    assert.match(error.message, new RegExp(`^shared\\.incr: cannot reach Redis at 127\\.0\\.0\\.1:${port}/0: .*ECONNREFUSED`));
    // A second process-wide first use (node-redis is imported by now): a refused connection is said at once.
    const other = store(await freePort(), { timeout: 3000 });
    const started = Date.now();
    assert.equal((await failure(other.get('k'))).code, 'SHARED_UNAVAILABLE');
    assert.ok(Date.now() - started < 2000, 'a refused connection is reported without waiting for the 3 s timeout');
    assert.equal((await failure(s.get('k'))).code, 'SHARED_UNAVAILABLE', 'still down');
    await redis({ port });
    assert.equal(await eventually(() => s.incr('k')), 1);
    assert.ok(logs.some((line) => line.includes('cannot connect to Redis')), 'the failure was logged');
    assert.ok(logs.some((line) => line.includes('connected to Redis again')), 'and the recovery');
  });

  it('killed under load, then restarted: every operation settles, none hangs, and counting resumes', async () => {
    const server = await redis();
    const s = store(server.port);
    let stop = false;
    const outcomes = { ok: 0, unavailable: 0, other: [] as string[] };
    const loop = async (): Promise<void> => {
      while (!stop) {
        try {
          await s.incr('load', 1, { ttlMs: 60_000 });
          outcomes.ok++;
        } catch (error) {
          if (error instanceof SharedStoreError && error.code === 'SHARED_UNAVAILABLE') outcomes.unavailable++;
          else outcomes.other.push(String(error));
          await sleep(5);
        }
      }
    };
    const loops = Array.from({ length: 16 }, loop);
    await sleep(300);
    const before = outcomes.ok;
    await server.kill();
    await sleep(300);
    const unavailable = outcomes.unavailable;
    await server.restart();
    const countAfter = await eventually(() => s.incr('after-restart'));
    await sleep(200);
    stop = true;
    await Promise.all(loops);
    assert.ok(before > 0, 'counted before the kill');
    assert.ok(unavailable > 0, 'operations failed while Redis was gone');
    assert.deepEqual(outcomes.other, [], 'only SHARED_UNAVAILABLE');
    assert.equal(countAfter, 1, 'a fresh Redis (no persistence) counts from 0');
    assert.ok(logs.some((line) => line.includes('lost the connection to Redis')), 'the loss was logged');
  });

  it('stopped (SIGSTOP): an operation fails once the timeout is over, later ones at once, and all works after SIGCONT', async () => {
    const server = await redis();
    const s = store(server.port);
    await s.set('k', 1);
    server.pause();
    try {
      const started = Date.now();
      const error = await failure(s.incr('k'));
      const waited = Date.now() - started;
      assert.equal(error.code, 'SHARED_UNAVAILABLE');
      assert.match(error.message, /did not answer within 500 ms/);
      assert.ok(waited >= 450 && waited < 2500, `waited ${waited} ms for a timeout of 500 ms`);
      const next = Date.now();
      assert.equal((await failure(s.get('k'))).code, 'SHARED_UNAVAILABLE');
      assert.ok(Date.now() - next < 450, 'a stalled connection is dropped: the next operation does not wait again');
    } finally {
      server.resume();
    }
    const after = await eventually(() => s.incr('k'));
    assert.ok(after === 2 || after === 3, `the increment that timed out may or may not have been applied (outcome unknown, as documented): ${after}`);
  });

  it('wrong password: a clear error, which the logs and the message never spell out', async () => {
    const password = 'correct-horse-battery';
    const server = await redis({ password });
    const wrong = 'wrong-staple-9f27';
    const s = store(server.port, { password: wrong });
    const error = await failure(s.set('k', 1));
    assert.equal(error.code, 'SHARED_UNAVAILABLE');
    assert.match(error.message, /cannot reach Redis at 127\.0\.0\.1:\d+\/0: WRONGPASS/);
    const withUser = await failure(store(server.port, { username: 'default', password: `${wrong}-2` }).get('k'));
    assert.match(withUser.message, /as user "default": WRONGPASS/);
    const none = await failure(store(server.port).get('k'));
    assert.match(none.message, /NOAUTH/);
    for (const text of [error.message, withUser.message, none.message, String(error.cause), ...logs]) {
      assert.ok(!text.includes(wrong) && !text.includes(password), text);
    }
    assert.ok(logs.some((line) => line.includes('WRONGPASS')), 'the refusal was logged');
    await store(server.port, { password }).set('k', 1);
    assert.equal(await store(server.port, { password }).get('k'), 1, 'the right password works');
  });

  it('an ACL user allowed only the commands docs/shared.md lists, on its prefix, can do every operation', async () => {
    const server = await redis();
    const rule = ['on', '>acl-pass', '~failures:*', '+get', '+set', '+del', '+eval', '+evalsha', '+ping'];
    assert.equal(await server.cli('ACL', 'SETUSER', 'tspdk', ...rule), 'OK');
    const s = store(server.port, { username: 'tspdk', password: 'acl-pass' });
    await s.set('k', 'v');
    assert.equal(await s.incr('n', 2, { ttlMs: 60_000 }), 2);
    assert.equal(await s.compareAndSet('k', 'v', 'w'), true);
    assert.equal(await s.get('k'), 'w');
    assert.equal(await s.delete('k'), true);
    const outside = sharedStore({ redis: { host: '127.0.0.1', port: server.port, username: 'tspdk', password: 'acl-pass' }, prefix: 'other:' });
    const error = await failure(outside.set('k', 1));
    assert.equal(error.code, 'SHARED_UNAVAILABLE');
    assert.match(error.message, /refused the credentials or the command .*NOPERM/);
  });

  it('a read-only replica: reads work, writes fail with SHARED_UNAVAILABLE naming it', async () => {
    const primary = await redis({ config: { 'repl-diskless-sync-delay': '0' } });
    const replica = await redis({ replicaOf: primary.port });
    await store(primary.port).set('k', 'from the primary');
    const s = store(replica.port);
    assert.equal(await eventually(async () => (await s.get('k')) ?? Promise.reject(new Error('not replicated yet'))), 'from the primary');
    for (const write of [() => s.set('k', 1), () => s.incr('n'), () => s.compareAndSet('k', 'from the primary', 'x'), () => s.delete('k')]) {
      const error = await failure(write());
      assert.equal(error.code, 'SHARED_UNAVAILABLE');
      assert.match(error.message, /is a read-only replica and refuses writes \(point tspdk at the primary\): READONLY/);
    }
  });

  it('full (maxmemory, noeviction): every write fails with SHARED_FULL, reads and deletes work, nothing is evicted', async () => {
    const server = await redis({ config: { maxmemory: '4mb', 'maxmemory-policy': 'noeviction' } });
    const s = store(server.port);
    await s.incr('counter');
    const value = 'x'.repeat(60_000);
    for (let i = 0; i < 20; i++) await s.set(`fill:${i}`, value);
    // Now above the limit, as a server that filled up is.
    assert.equal(await server.cli('CONFIG', 'SET', 'maxmemory', '1mb'), 'OK');
    const writes: Array<() => Promise<unknown>> = [() => s.set('new', 1), () => s.incr('counter'), () => s.incr('new'), () => s.compareAndSet('counter', 1, 2)];
    for (const write of writes) {
      const error = await failure(write());
      assert.equal(error.code, 'SHARED_FULL');
      assert.match(error.message, /is full \(maxmemory reached\) and refuses writes: OOM/);
    }
    assert.equal(await s.get('counter'), 1, 'the counter was neither evicted nor changed');
    assert.equal(await s.get('fill:0'), value);
    assert.equal(await s.delete('fill:0'), true, 'deletes work, and free memory');
  });

  it('one connection per distinct settings, whatever the prefix; retired connections are made again on use', async () => {
    const server = await redis();
    const a = sharedStore({ redis: { host: '127.0.0.1', port: server.port }, prefix: 'a:' });
    const b = sharedStore({ redis: `redis://127.0.0.1:${server.port}/0`, prefix: 'b:' });
    const c = sharedStore({ redis: { host: '127.0.0.1', port: server.port, database: 1 }, prefix: 'a:' });
    await Promise.all([a.set('k', 'a'), b.set('k', 'b'), c.set('k', 'c')]);
    assert.deepEqual([await a.get('k'), await b.get('k'), await c.get('k')], ['a', 'b', 'c']);
    assert.equal(redisConnectionCount(), 2, 'db 0 twice (one connection), db 1 once');
    const clients = (await server.cli('CLIENT', 'LIST')).split('\n').filter((line) => !line.includes('cmd=client'));
    assert.equal(clients.length, 2, clients.join('\n'));
    await retireRedisConnections();
    assert.equal(redisConnectionCount(), 0);
    assert.equal(await a.get('k'), 'a', 'made again on use');
  });

  it('refuses settings it cannot use, naming the field and never the password', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /redis\.host is required/],
      [{ host: 'h', port: 0 }, /redis\.port must be an integer from 1 to 65535, got 0/],
      [{ host: 'h', timeout: 0 }, /redis\.timeout \(ms\) must be an integer from 1/],
      [{ host: 'h', databse: 1 }, /redis\.databse is not a Redis setting/],
      [{ host: 'h', password: 42 }, /redis\.password must be a string, got number/],
      ['redis://u:s3cret@h/x', /"redis:\/\/u:\*\*\*@h\/x": the path must be a database number/],
    ];
    for (const [redis, message] of cases) {
      assert.throws(
        () => sharedStore({ redis: redis as never }),
        (error: unknown) => error instanceof SharedStoreError && error.code === 'SHARED_BAD_ARGUMENT' && message.test(error.message) && !error.message.includes('s3cret'),
      );
    }
  });
});
