/**
 * Two Kong nodes, each with its own plugin server process (the rate-limit
 * example, started as Kong starts it), against one real redis-server:
 * exact totals under concurrency with `policy: redis`, and a server that
 * starts while Redis is down and says so on first use, never logging the
 * password. (Redis killed and restarted, and `--shared-store` with workers:
 * rate-limit-nodes.slow.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { burst, node, plugin, stop, stopAllNodes, tally } from './nodes.ts';
import { freePort, REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.ts';

describe('rate-limit on two Kong nodes, one Redis', { skip: REDIS_SKIP }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await stopAllNodes();
    await redis.stop();
  });
  it('policy redis: 2 servers × 200 concurrent requests against a limit of 150 let exactly 150 through', async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const configured = plugin({ limit: 150, limit_by: 'ip', policy: 'redis', redis: { host: '127.0.0.1', port: redis.port } });
    const statuses = (await Promise.all([burst(a, configured, 200, '10.1.0.1'), burst(b, configured, 200, '10.1.0.1')])).flat();
    assert.deepEqual(tally(statuses), { 200: 150, 429: 250 });
    await Promise.all([stop(a), stop(b)]);
  });

  it('a server starts while Redis is down, and the first use says why, without the password in any log', async () => {
    const password = 'pa55-never-logged';
    const started = await node('--shared-store', `redis://tspdk:${password}@127.0.0.1:${await freePort()}/3`, '--log-level', 'debug');
    const response = await started.host.request([plugin({ limit: 5, fault_tolerant: false }, 'plugins:rate-limit-ts:down')], { clientIp: '10.4.0.1' });
    assert.equal(response.status, 500);
    const logs = started.server.stderr();
    assert.match(logs, /cannot connect to Redis: connect ECONNREFUSED/);
    assert.match(logs, /127\.0\.0\.1:\d+\/3 as user \\"tspdk\\"/);
    assert.ok(!logs.includes(password), 'the password is never logged');
    await stop(started);
  });
});
