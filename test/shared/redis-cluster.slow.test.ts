/**
 * `tspdk/shared` on a Redis Cluster of three real redis-servers: the whole
 * semantic suite (keys spread over the three primaries, each operation
 * routed by its key), the settings that select it, and a node killed and
 * restarted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sharedStore, SharedStoreError } from 'tspdk/shared';
import { retireRedisConnections } from '../../server/shared/redis-pool.ts';
import { REDIS_SKIP, startRedisCluster, type TestRedisCluster } from '../support/redis.ts';
import { contract } from './contract.ts';

let cluster: TestRedisCluster | undefined;

contract({
  name: 'Redis Cluster (three real redis-servers)',
  skip: REDIS_SKIP,
  setUp: async () => {
    cluster = await startRedisCluster(3);
    const [first, ...others] = cluster.nodes;
    return sharedStore({ redis: { cluster_nodes: [{ ip: '127.0.0.1', port: first?.port }], timeout: 2000 }, prefix: `c${others.length}:` });
  },
  tearDown: async () => {
    await retireRedisConnections();
  },
});

describe('tspdk/shared on Redis Cluster', { skip: REDIS_SKIP }, () => {
  before(async () => {
    cluster ??= await startRedisCluster(3);
  });
  after(async () => {
    await retireRedisConnections();
    await cluster?.stop();
  });

  it('keys land on every primary, and a URL with cluster=true reaches the same cluster', async () => {
    const nodes = cluster?.nodes ?? [];
    const url = `redis://127.0.0.1:${nodes[0]?.port}?cluster=true&nodes=127.0.0.1:${nodes[1]?.port}&prefix=u:`;
    const store = sharedStore({ redis: url });
    const keys = Array.from({ length: 30 }, (_, i) => `spread-${i}`);
    await Promise.all(keys.map((key, i) => store.set(key, i)));
    const perNode = await Promise.all(nodes.map(async (node) => Number(await node.cli('DBSIZE'))));
    assert.ok(perNode.every((count) => count > 0), `keys on every primary: ${perNode.join(', ')}`);
    assert.deepEqual(await Promise.all(keys.map((key) => store.get(key))), keys.map((_, i) => i));
    assert.equal(await store.incr('spread-0', 2), 2);
  });

  it('a primary killed: its keys fail with SHARED_UNAVAILABLE within the timeout; restarted, they work again', async () => {
    const nodes = cluster?.nodes ?? [];
    const store = sharedStore({ redis: { cluster_nodes: nodes.map((node) => ({ ip: '127.0.0.1', port: node.port })), timeout: 1000 }, prefix: 'k:' });
    const keys = Array.from({ length: 12 }, (_, i) => `node-${i}`);
    await Promise.all(keys.map((key) => store.set(key, 1)));
    const victim = nodes[2];
    assert.ok(victim !== undefined);
    await victim.kill();
    const outcomes = await Promise.all(keys.map((key) => store.get(key).then(() => 'ok', (error: unknown) => (error instanceof SharedStoreError ? error.code : String(error)))));
    assert.ok(outcomes.every((outcome) => outcome === 'ok' || outcome === 'SHARED_UNAVAILABLE'), outcomes.join(', '));
    assert.ok(outcomes.includes('SHARED_UNAVAILABLE'), 'the killed primary held some of the keys');
    await victim.restart();
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await Promise.all(keys.map((key) => store.set(key, 2)));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.deepEqual(await Promise.all(keys.map((key) => store.get(key))), keys.map(() => 2));
  });

  it('refuses a database other than 0, which a cluster does not have', () => {
    assert.throws(() => sharedStore({ redis: { cluster_nodes: [{ ip: '127.0.0.1' }], database: 1 } }), /redis\.database must be 0 with redis\.cluster_nodes/);
    assert.throws(() => sharedStore({ redis: 'redis://h:1/0?nodes=h:2' }), /nodes= lists more nodes of a cluster or more Sentinels; add cluster=true or sentinel_master=/);
  });
});
