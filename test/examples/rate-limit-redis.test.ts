/**
 * The rate-limit example with `policy: redis`, in the test kit against a
 * real redis-server: counting in Redis, one limit for every instance,
 * config errors, and `fault_tolerant` when Redis is gone (requests let
 * through and logged once per 10 s of requests, or failed with a 500),
 * for each way Redis can fail: gone, stopped (the timeout holds), a wrong
 * password (never shown), a read-only replica, full.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sharedStore, SharedStoreError } from 'tspdk/shared';
import { PluginInstance, runPlugin } from 'tspdk/testing';
import { RateLimit } from '../../examples/rate-limit.ts';
import { retireRedisConnections } from '../../server/shared/redis-pool.ts';
import { freePort, REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.ts';

const T0 = 1_700_000_080_000; // 40 s into a minute
const MINUTE = 1_700_000_040_000;

describe('rate-limit example, policy redis', { skip: REDIS_SKIP }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await retireRedisConnections();
    await redis.stop();
  });

  it('counts in Redis: one limit for every instance, a key per window that expires with it', async () => {
    const config = { limit: 2, limit_by: 'ip', policy: 'redis', redis: { host: '127.0.0.1', port: redis.port } } as const;
    const nodeA = new PluginInstance(RateLimit, config);
    const nodeB = new PluginInstance(RateLimit, { ...config, hide_client_headers: true });
    const first = await nodeA.run({ clientIp: '10.0.0.1' }, { startedAt: T0 });
    assert.equal(first.response.status, 200);
    assert.equal(first.response.header('RateLimit-Remaining'), '1');
    assert.equal(first.response.header('RateLimit-Reset'), '20');
    assert.equal((await nodeB.run({ clientIp: '10.0.0.1' }, { startedAt: T0 })).response.status, 200);
    const third = await nodeA.run({ clientIp: '10.0.0.1' }, { startedAt: T0 });
    assert.equal(third.response.status, 429, 'the second instance counted in the same Redis');
    assert.equal(third.response.header('Retry-After'), '20');
    const key = `tspdk:rate-limit-ts:ip:10.0.0.1:60:${MINUTE}`;
    assert.equal(await redis.cli('GET', key), '3');
    const ttl = Number(await redis.cli('PTTL', key));
    assert.ok(ttl > 50_000 && ttl <= 60_000, `the counter lives one window: ${ttl} ms`);
    assert.equal((await nodeB.run({ clientIp: '10.0.0.2' }, { startedAt: T0 })).response.status, 200, 'another IP has its own counter');
  });

  it('a redis policy without a usable config.redis fails the request (500) and says why, fault_tolerant or not', async () => {
    for (const [redisConfig, message] of [
      [{}, /redis\.host is required/],
      [{ host: '127.0.0.1', timeout: 0 }, /redis\.timeout \(ms\) must be an integer from 1/],
    ] as const) {
      const run = await runPlugin(RateLimit, { limit: 1, policy: 'redis', redis: redisConfig }, {}, { startedAt: T0 });
      assert.equal(run.response.status, 500);
      assert.ok(run.errors[0] instanceof SharedStoreError);
      assert.equal(run.errors[0].code, 'SHARED_BAD_ARGUMENT');
      assert.match(run.errors[0].message, message);
    }
  });

  it('fault_tolerant: with Redis gone, requests go through uncounted, logged once per 10 s of requests', async () => {
    const gone = { host: '127.0.0.1', port: await freePort(), timeout: 300 };
    const plugin = new PluginInstance(RateLimit, { limit: 1, limit_by: 'ip', policy: 'redis', redis: gone });
    const logged: string[] = [];
    for (const offset of [0, 1000, 5000, 9999, 10_000, 12_000, 20_000]) {
      const run = await plugin.run({ clientIp: '10.0.0.9' }, { startedAt: T0 + offset });
      assert.equal(run.response.status, 200, `request at +${offset} ms went through`);
      assert.notEqual(run.serviceRequest, undefined);
      assert.equal(run.response.header('RateLimit-Limit'), undefined, 'no headers without a count');
      assert.deepEqual(run.errors, []);
      logged.push(...run.logs.filter((line) => line.level === 'err').map((line) => `+${offset}: ${line.message}`));
    }
    assert.equal(logged.length, 3, logged.join('\n'));
    assert.match(logged[0] ?? '', /^\+0: rate-limit-ts: request not counted: shared\.incr: cannot reach Redis at 127\.0\.0\.1:\d+\/0: .*ECONNREFUSED/);
    assert.match(logged[1] ?? '', /^\+10000: rate-limit-ts: request not counted \(and 3 more since the last message\): shared\.incr: cannot reach Redis/);
    assert.match(logged[2] ?? '', /^\+20000: rate-limit-ts: request not counted \(and 1 more since the last message\)/);
  });

  it('fault_tolerant false: with Redis gone, requests fail with a 500', async () => {
    const gone = { host: '127.0.0.1', port: await freePort(), timeout: 300 };
    const run = await runPlugin(RateLimit, { limit: 1, policy: 'redis', redis: gone, fault_tolerant: false }, {}, { startedAt: T0 });
    assert.equal(run.response.status, 500);
    assert.equal(run.serviceRequest, undefined);
    assert.ok(run.errors[0] instanceof SharedStoreError);
    assert.equal(run.errors[0].code, 'SHARED_UNAVAILABLE');
  });

  it('each failure of Redis: fault_tolerant lets the request through within the timeout, false fails it with a 500', async () => {
    const password = 'rl-secret-7a1';
    const locked = await startRedis({ password });
    const primary = await startRedis({ config: { 'repl-diskless-sync-delay': '0' } });
    const replica = await startRedis({ replicaOf: primary.port });
    const full = await startRedis({ config: { maxmemory: '4mb', 'maxmemory-policy': 'noeviction' } });
    const filler = sharedStore({ redis: { host: '127.0.0.1', port: full.port }, prefix: 'tspdk:' });
    for (let i = 0; i < 20; i++) await filler.set(`fill:${i}`, 'x'.repeat(60_000));
    assert.equal(await full.cli('CONFIG', 'SET', 'maxmemory', '1mb'), 'OK');
    const at = (port: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ host: '127.0.0.1', port, timeout: 400, ...extra });
    const cases: Array<{ name: string; redis: Record<string, unknown>; code: string; message: RegExp; before?: () => void; after?: () => void }> = [
      { name: 'stopped (SIGSTOP)', redis: at(redis.port), code: 'SHARED_UNAVAILABLE', message: /(did not answer|no answer) within 400 ms/, before: () => redis.pause(), after: () => redis.resume() },
      { name: 'wrong password', redis: at(locked.port, { password: 'not-the-one-3c9' }), code: 'SHARED_UNAVAILABLE', message: /WRONGPASS/ },
      { name: 'read-only replica', redis: at(replica.port), code: 'SHARED_UNAVAILABLE', message: /is a read-only replica and refuses writes/ },
      { name: 'full', redis: at(full.port), code: 'SHARED_FULL', message: /is full \(maxmemory reached\)/ },
    ];
    try {
      for (const failure of cases) {
        failure.before?.();
        try {
          const config = { limit: 1, limit_by: 'ip', policy: 'redis', redis: failure.redis } as const;
          const started = Date.now();
          const tolerant = await runPlugin(RateLimit, config, { clientIp: '10.0.1.1' }, { startedAt: T0 });
          assert.ok(Date.now() - started < 1500, `${failure.name}: answered within the timeout (${Date.now() - started} ms)`);
          assert.equal(tolerant.response.status, 200, `${failure.name}: let through`);
          assert.notEqual(tolerant.serviceRequest, undefined);
          const logged = tolerant.logs.filter((line) => line.level === 'err').map((line) => line.message);
          assert.equal(logged.length, 1, `${failure.name}: ${logged.join('\n')}`);
          assert.match(logged[0] ?? '', failure.message);
          const strict = await runPlugin(RateLimit, { ...config, fault_tolerant: false }, { clientIp: '10.0.1.1' }, { startedAt: T0 });
          assert.equal(strict.response.status, 500, `${failure.name}: failed`);
          assert.equal(strict.serviceRequest, undefined);
          const error = strict.errors[0];
          assert.ok(error instanceof SharedStoreError, `${failure.name}: ${String(error)}`);
          assert.equal(error.code, failure.code);
          assert.match(error.message, failure.message);
          for (const text of [...logged, error.message, ...strict.logs.map((line) => line.message)]) {
            assert.ok(!text.includes('not-the-one-3c9') && !text.includes(password), `${failure.name}: a password shown in ${text}`);
          }
        } finally {
          failure.after?.();
        }
      }
    } finally {
      await retireRedisConnections();
      await Promise.all([locked.stop(), replica.stop(), primary.stop(), full.stop()]);
    }
  });
});
