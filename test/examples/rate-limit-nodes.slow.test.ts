/**
 * Two Kong nodes against one real redis-server, the longer cases:
 * `--shared-store redis://…` counting once for both nodes, one of them with
 * `--workers 2`, Redis killed and restarted under `fault_tolerant` true
 * and false, and the connection of `tspdk serve` retired on reload and
 * closed on SIGTERM.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { KongHost } from '../../testing/host/kong-host.ts';
import { spawnServer } from '../reliability/spawn.ts';
import { rmSync } from 'node:fs';
import { tempDirectory, waitFor } from '../support/server.ts';
import { burst, node, plugin, RATE_LIMIT, stop, stopAllNodes, tally } from './nodes.ts';
import { REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.ts';

describe('rate-limit on two Kong nodes, one Redis (longer cases)', { skip: REDIS_SKIP }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await stopAllNodes();
    await redis.stop();
  });
  it('--shared-store redis://: the server-wide store counts once for both nodes, one of them with two workers', async () => {
    const url = `redis://127.0.0.1:${redis.port}/0?prefix=eu:`;
    const [a, b] = await Promise.all([node('--shared-store', url), node('--shared-store', url, '--workers', '2')]);
    const configured = plugin({ limit: 150, limit_by: 'ip' }, 'plugins:rate-limit-ts:local');
    const statuses = (await Promise.all([burst(a, configured, 200, '10.2.0.1'), burst(b, configured, 200, '10.2.0.1')])).flat();
    assert.deepEqual(tally(statuses), { 200: 150, 429: 250 });
    assert.equal(await redis.cli('GET', 'eu:rate-limit-ts:ip:10.2.0.1:60:1699999980000'), '400', 'the keys carry the prefix of the URL');
    await Promise.all([stop(a), stop(b)]);
  });

  it('Redis killed and restarted: fault_tolerant lets requests through (true) or fails them (false), then counting resumes', async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const redisConfig = { host: '127.0.0.1', port: redis.port, timeout: 500 };
    const tolerant = plugin({ limit: 1000, limit_by: 'ip', policy: 'redis', redis: redisConfig }, 'plugins:rate-limit-ts:tolerant');
    const strict = plugin({ limit: 1000, limit_by: 'ip', policy: 'redis', redis: redisConfig, fault_tolerant: false }, 'plugins:rate-limit-ts:strict');
    assert.deepEqual(tally(await burst(a, tolerant, 20, '10.3.0.1')), { 200: 20 });
    await redis.kill();
    assert.deepEqual(tally(await burst(a, tolerant, 20, '10.3.0.1')), { 200: 20 }, 'let through');
    const failed = await b.host.request([strict], { clientIp: '10.3.0.1' });
    assert.equal(failed.status, 500, 'failed closed');
    assert.equal(failed.response.header('RateLimit-Limit'), undefined);
    await redis.restart();
    let counted: string | undefined;
    for (let attempt = 0; attempt < 100 && counted === undefined; attempt++) {
      const response = await b.host.request([strict], { clientIp: '10.3.0.2' });
      if (response.status === 200) counted = response.response.header('RateLimit-Remaining');
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(counted, '999', 'the server reconnected by itself and counts again');
    const logged = a.server.stderr();
    assert.ok(logged.includes('lost the connection to Redis'), 'the loss is in the server log');
    await Promise.all([stop(a), stop(b)]);
  });

  it('tspdk serve: its Redis connection is retired on reload (SIGHUP) and made again on use, and closed on SIGTERM', async () => {
    const clients = async (): Promise<number> => (await redis.cli('CLIENT', 'LIST')).split('\n').filter((line) => line !== '' && !line.includes('cmd=client')).length;
    const directory = tempDirectory();
    const socket = join(directory, 'rl.socket');
    const server = await spawnServer([join(RATE_LIMIT, '..', '..', 'cli', 'main.js'), 'serve', RATE_LIMIT, '--socket', socket], 30_000);
    const host = new KongHost({ socket });
    const configured = plugin({ limit: 100, limit_by: 'ip', policy: 'redis', redis: { host: '127.0.0.1', port: redis.port } }, 'plugins:rate-limit-ts:reload');
    try {
      assert.equal((await host.request([configured], { clientIp: '10.6.0.1' })).status, 200);
      assert.equal(await clients(), 1);
      server.child.kill('SIGHUP');
      await waitFor(() => server.stderr().includes('"msg":"reloaded"'), 10_000, 'the reload');
      await waitFor(async () => (await clients()) === 0, 5000, 'the retired connection to close');
      const again = await host.request([configured], { clientIp: '10.6.0.1' });
      assert.equal(again.response.header('RateLimit-Remaining'), '98', 'counting goes on in the same Redis');
      assert.equal(await clients(), 1, 'made again on use');
    } finally {
      host.close();
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(directory, { recursive: true, force: true });
    }
    await waitFor(async () => (await clients()) === 0, 5000, 'the connection to close at exit');
  });
});
