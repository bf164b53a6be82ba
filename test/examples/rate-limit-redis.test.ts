/**
 * The rate-limit example with `policy: redis`, in the test kit against a
 * real redis-server: counting in Redis, one limit for every instance,
 * config errors, and `fault_tolerant` when Redis is gone (requests let
 * through and logged once per 10 s of requests, or failed with a 500).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SharedStoreError } from 'tspdk/shared';
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
});
