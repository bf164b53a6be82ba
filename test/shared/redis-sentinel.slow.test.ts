/**
 * `tspdk/shared` through Redis Sentinel, against real redis-servers (a
 * primary, its replica and a Sentinel monitoring them): the whole semantic
 * suite on the primary the Sentinel names, a failover (the store follows
 * the new primary without a restart, the count goes on), a Sentinel that
 * does not answer or does not know the name, a primary demoted under an
 * open connection, the ACL rules of docs/shared.md, and the settings that select
 * Sentinel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sharedStore, SharedStoreError, type SharedStoreApi } from 'tspdk/shared';
import { retireRedisConnections } from '../../server/shared/redis-pool.ts';
import { describeRedis, redisSettingsFromConfig, redisSettingsFromUrl } from '../../server/shared/redis-settings.ts';
import { freePort, REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.ts';
import { contract } from './contract.ts';

/** A primary, its replica and one Sentinel that knows both. */
interface Sentinel {
  readonly primary: TestRedis;
  readonly replica: TestRedis;
  readonly sentinel: TestRedis;
  stop(): Promise<void>;
}

async function startSentinel(): Promise<Sentinel> {
  const primary = await startRedis({ config: { 'repl-diskless-sync-delay': '0' } });
  const replica = await startRedis({ replicaOf: primary.port });
  const sentinel = await startRedis({ sentinelOf: primary.port });
  const deadline = Date.now() + 20_000;
  // A failover needs the Sentinel to know the replica (it learns it from the primary's INFO, every 10 s at first).
  while (!(await sentinel.cli('SENTINEL', 'REPLICAS', 'tspdk')).includes(String(replica.port))) {
    if (Date.now() > deadline) throw new Error('the Sentinel did not discover the replica');
    await sleep(100);
  }
  return { primary, replica, sentinel, stop: async () => void (await Promise.all([sentinel.stop(), replica.stop(), primary.stop()])) };
}

/** Retries `operation` until it succeeds, for at most `ms`; every failure must be SHARED_UNAVAILABLE. */
async function eventually<T>(operation: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      assert.ok(error instanceof SharedStoreError && error.code === 'SHARED_UNAVAILABLE', String(error));
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

/**
 * Waits until `replica` holds `value` at `key` (the store's write reached it). Not `WAIT`: that waits for the
 * writes of its own connection, and redis-cli's has none, so it answers at once.
 */
async function replicated(replica: TestRedis, key: string, value: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await replica.cli('GET', key)) !== value) {
    if (Date.now() > deadline) throw new Error(`the replica never received ${key} = ${value}`);
    await sleep(20);
  }
}

let setup: Sentinel | undefined;
const viaSentinel = (port: number, prefix: string, extra: Record<string, unknown> = {}): SharedStoreApi =>
  sharedStore({ redis: { sentinel_master: 'tspdk', sentinel_nodes: [{ host: '127.0.0.1', port }], timeout: 1000, ...extra }, prefix });

contract({
  name: 'Redis through Sentinel (a primary, a replica, a Sentinel)',
  skip: REDIS_SKIP,
  setUp: async () => {
    setup = await startSentinel();
    return viaSentinel(setup.sentinel.port, 'contract:');
  },
  tearDown: () => retireRedisConnections(),
});

describe('tspdk/shared through Redis Sentinel', { skip: REDIS_SKIP }, () => {
  before(async () => {
    setup ??= await startSentinel();
  });
  after(async () => {
    await retireRedisConnections();
    await setup?.stop();
  });

  it('writes land on the primary the Sentinel names; after a failover the store follows the new primary, counting on', async () => {
    const { primary, replica, sentinel } = setup as Sentinel;
    const store = viaSentinel(sentinel.port, 'failover:');
    assert.equal(await store.incr('n', 1, { ttlMs: 600_000 }), 1);
    assert.equal(await primary.cli('GET', 'failover:n'), '1');
    await replicated(replica, 'failover:n', '1');
    assert.equal(await sentinel.cli('SENTINEL', 'FAILOVER', 'tspdk'), 'OK');
    // Until the Sentinel has demoted the old primary, it still takes writes (lost when it resyncs: docs/shared.md).
    const done = Date.now() + 20_000;
    const named = async (): Promise<string> => (await sentinel.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'tspdk')).split('\n')[1] ?? '';
    while ((await named()) !== String(replica.port) || !(await primary.cli('ROLE')).startsWith('slave')) {
      if (Date.now() > done) throw new Error('the failover did not complete');
      await sleep(100);
    }
    assert.equal(await eventually(() => store.incr('n', 1, { ttlMs: 600_000 }), 20_000), 2, 'the count went on on the new primary');
    assert.equal(await replica.cli('GET', 'failover:n'), '2', 'the write went to the promoted replica');
    const ttl = Number(await replica.cli('PTTL', 'failover:n'));
    assert.ok(ttl > 0 && ttl <= 600_000, `the TTL set at creation survived the failover: ${ttl}`);
  });

  it('a Sentinel that is down is skipped for the next one; a name no Sentinel knows is a clear error', async () => {
    const { sentinel } = setup as Sentinel;
    const down = await freePort();
    const store = sharedStore({
      redis: { sentinel_master: 'tspdk', sentinel_nodes: [{ host: '127.0.0.1', port: down }, { host: '127.0.0.1', port: sentinel.port }], timeout: 1000 },
      prefix: 'order:',
    });
    await store.set('k', 'v');
    assert.equal(await store.get('k'), 'v');
    const unknown = sharedStore({ redis: { sentinel_master: 'nope', sentinel_nodes: [{ host: '127.0.0.1', port: sentinel.port }] } });
    try {
      await unknown.get('k');
      assert.fail('no primary is named nope');
    } catch (error) {
      assert.ok(error instanceof SharedStoreError, String(error));
      assert.equal(error.code, 'SHARED_UNAVAILABLE');
      assert.match(error.message, /^shared\.get: cannot reach Redis at primary "nope" of Sentinel 127\.0\.0\.1:\d+, db 0: no Sentinel gave the address of the primary: Sentinel 127\.0\.0\.1:\d+ knows no primary named "nope"$/);
    }
  });

  it('the ACL rules docs/shared.md gives are enough: +role on the primary, +sentinel|get-master-addr-by-name on the Sentinel', async () => {
    const { primary, replica, sentinel } = setup as Sentinel;
    const current = (await sentinel.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'tspdk')).split('\n')[1];
    const server = current === String(primary.port) ? primary : replica;
    const rule = ['on', '>data-pass', '~acl:*', '+get', '+set', '+del', '+eval', '+evalsha', '+ping', '+role'];
    assert.equal(await server.cli('ACL', 'SETUSER', 'tspdk', ...rule), 'OK');
    assert.equal(await sentinel.cli('ACL', 'SETUSER', 'watcher', 'on', '>watch-pass', '+sentinel|get-master-addr-by-name'), 'OK');
    const credentials = { username: 'tspdk', password: 'data-pass', sentinel_username: 'watcher', sentinel_password: 'watch-pass' };
    const store = viaSentinel(sentinel.port, 'acl:', credentials);
    assert.equal(await store.incr('n', 1, { ttlMs: 60_000 }), 1);
    assert.equal(await store.compareAndSet('n', 1, 5), true);
    const refused = viaSentinel(sentinel.port, 'acl:', { ...credentials, sentinel_password: 'wrong-watch' });
    await assert.rejects(refused.get('n'), (error: unknown) => error instanceof SharedStoreError && /Sentinel 127\.0\.0\.1:\d+: WRONGPASS/.test(error.message) && !error.message.includes('wrong-watch'));
  });

  it('a stopped Sentinel (SIGSTOP): the operation fails within the timeout', async () => {
    const { sentinel } = setup as Sentinel;
    const store = viaSentinel(sentinel.port, 'stopped:', { timeout: 500 });
    sentinel.pause();
    try {
      const started = Date.now();
      await assert.rejects(store.get('k'), (error: unknown) => error instanceof SharedStoreError && error.code === 'SHARED_UNAVAILABLE');
      const waited = Date.now() - started;
      assert.ok(waited < 2000, `waited ${waited} ms for a timeout of 500 ms`);
    } finally {
      sentinel.resume();
    }
    assert.equal(await eventually(() => store.incr('k'), 10_000), 1);
  });
});

describe('tspdk/shared through Redis Sentinel, a primary demoted under an open connection', { skip: REDIS_SKIP }, () => {
  it('its READONLY answer drops the connection, and the next attempt asks the Sentinel again', async () => {
    const own = await startSentinel();
    try {
      const { primary, replica, sentinel } = own;
      const store = viaSentinel(sentinel.port, 'demoted:');
      assert.equal(await store.incr('n'), 1);
      await replicated(replica, 'demoted:n', '1');
      // Swap the roles by hand and point the Sentinel at the new primary: the open connection still reaches the old one.
      // The Sentinel forgets the pair first: one that still watched it would turn the promoted replica back into a
      // replica of the old primary, and the two, each replicating the other, could lose the count.
      assert.equal(await sentinel.cli('SENTINEL', 'REMOVE', 'tspdk'), 'OK');
      assert.equal(await replica.cli('REPLICAOF', 'NO', 'ONE'), 'OK');
      assert.equal(await primary.cli('REPLICAOF', '127.0.0.1', String(replica.port)), 'OK');
      assert.equal(await sentinel.cli('SENTINEL', 'MONITOR', 'tspdk', '127.0.0.1', String(replica.port), '1'), 'OK');
      await assert.rejects(store.incr('n'), (error: unknown) => error instanceof SharedStoreError && /READONLY/.test(error.message));
      assert.equal(await eventually(() => store.incr('n'), 10_000), 2, 'counted on the new primary');
      assert.equal(await replica.cli('GET', 'demoted:n'), '2');
    } finally {
      await retireRedisConnections();
      await own.stop();
    }
  });
});

describe('Sentinel settings', () => {
  it('from a config record (Kong Enterprise field names) and from a URL', () => {
    const settings = redisSettingsFromConfig({ sentinel_master: 'm', sentinel_nodes: [{ host: 's1' }, { host: 's2', port: 5000 }], database: 2, sentinel_password: 'x' });
    assert.deepEqual(settings.sentinelNodes, [{ host: 's1', port: 26_379 }, { host: 's2', port: 5000 }]);
    assert.equal(settings.sentinelPassword, 'x');
    assert.equal(describeRedis(settings), 'primary "m" of Sentinel s1:26379,s2:5000, db 2');
    const url = redisSettingsFromUrl('redis://u:p@s1/3?sentinel_master=m&nodes=s2,s3:7000');
    assert.equal(url.sentinelMaster, 'm');
    assert.deepEqual(url.sentinelNodes, [{ host: 's1', port: 26_379 }, { host: 's2', port: 26_379 }, { host: 's3', port: 7000 }]);
    assert.deepEqual([url.username, url.password, url.database], ['u', 'p', 3], 'the credentials and database of the primary');
  });

  it('refuses what cannot work, naming the field and never a password', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ sentinel_master: 'm' }, /redis\.sentinel_master needs redis\.sentinel_nodes/],
      [{ sentinel_nodes: [{ host: 's' }] }, /redis\.sentinel_nodes needs redis\.sentinel_master/],
      [{ sentinel_master: 'm', sentinel_nodes: [{ host: 's' }], sentinel_role: 'slave' }, /redis\.sentinel_role must be "master".*got "slave"/],
      [{ sentinel_master: 'm', sentinel_nodes: [{ ip: 's' }] }, /redis\.sentinel_nodes\[1\]\.host is required/],
      [{ sentinel_master: 'm', sentinel_nodes: [{ host: 's' }], cluster_nodes: [{ ip: 'c' }] }, /cannot be used together/],
      [{ sentinel_master: 'm', sentinel_nodes: [{ host: 's' }], sentinel_password: 1234 }, /redis\.sentinel_password must be a string, got number$/],
    ];
    for (const [config, message] of cases) assert.throws(() => redisSettingsFromConfig(config), message);
    assert.throws(() => redisSettingsFromUrl('redis://u:s3cret@h?nodes=h2'), (error: Error) => /add cluster=true or sentinel_master=/.test(error.message) && !error.message.includes('s3cret'));
  });
});
