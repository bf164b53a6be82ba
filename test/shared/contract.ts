/**
 * The semantics of `tspdk/shared` as one suite, run against every backend
 * (contract.test.ts; redis-cluster.slow.test.ts for Redis Cluster). Expiry is
 * checked on the real clock, with margins far above scheduling noise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SharedStoreError, type SharedStoreApi } from 'tspdk/shared';

/** A backend under test: a store, fresh keys for each test. */
export interface Backend {
  readonly name: string;
  readonly skip?: string;
  setUp(): Promise<SharedStoreApi>;
  tearDown(): Promise<void>;
}

let serial = 0;
/** A key no other test of the run uses. */
const fresh = (name: string): string => `contract:${process.pid}:${++serial}:${name}`;

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SharedStoreError, String(error));
    assert.equal(error.code, code);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

export function contract(backend: Backend): void {
  describe(`tspdk/shared semantics: ${backend.name}`, { skip: backend.skip, concurrency: true }, () => {
    let store: SharedStoreApi;
    before(async () => {
      store = await backend.setUp();
    });
    after(() => backend.tearDown());

    it('set, get, overwrite and delete keep each type', async () => {
      const key = fresh('kv');
      assert.equal(await store.get(key), undefined);
      for (const value of ['x', '', '42', 't', 's', 'é😀\u0000', 'x'.repeat(65_536), 42, -1.5e-7, 0.1, 2 ** 53, true, false]) {
        await store.set(key, value);
        assert.equal(await store.get(key), value, JSON.stringify(value).slice(0, 40));
      }
      assert.equal(await store.delete(key), true);
      assert.equal(await store.delete(key), false);
      assert.equal(await store.get(key), undefined);
      await store.set(key, -0);
      assert.ok(Object.is(await store.get(key), 0), '-0 is stored as 0');
    });

    it('incr counts from 0, adds any finite amount, and refuses a value that is not a number', async () => {
      const key = fresh('n');
      assert.equal(await store.incr(key), 1);
      assert.equal(await store.incr(key), 2);
      assert.equal(await store.incr(key, -5), -3);
      assert.equal(await store.incr(key, 0.5), -2.5);
      assert.equal(await store.incr(fresh('m'), -2), -2);
      const tenths = fresh('tenths');
      assert.equal(await store.incr(tenths, 0.1), 0.1);
      assert.equal(await store.incr(tenths, 0.2), 0.1 + 0.2, 'double arithmetic, as in JavaScript');
      assert.ok(Object.is(await store.incr(fresh('zero'), -0), 0));
      const text = fresh('text');
      await store.set(text, '7');
      await rejectsWith(store.incr(text), 'SHARED_NOT_A_NUMBER', /string, not a number/);
      assert.equal(await store.get(text), '7');
      const flag = fresh('flag');
      await store.set(flag, true);
      await rejectsWith(store.incr(flag), 'SHARED_NOT_A_NUMBER', /boolean, not a number/);
      const big = fresh('big');
      await store.set(big, Number.MAX_VALUE);
      await rejectsWith(store.incr(big, Number.MAX_VALUE), 'SHARED_BAD_ARGUMENT', /not be a finite number/);
      assert.equal(await store.get(big), Number.MAX_VALUE);
      const exact = fresh('exact');
      await store.set(exact, 2 ** 53 - 2);
      assert.equal(await store.incr(exact), 2 ** 53 - 1);
    });

    it('compareAndSet swaps only on a strictly equal live value, or a missing key for undefined', async () => {
      const key = fresh('cas');
      await store.set(key, 1);
      assert.equal(await store.compareAndSet(key, '1', 2), false, 'no type coercion');
      assert.equal(await store.compareAndSet(key, true, 2), false);
      assert.equal(await store.compareAndSet(key, 2, 3), false);
      assert.equal(await store.get(key), 1);
      assert.equal(await store.compareAndSet(key, 1, 'two'), true);
      assert.equal(await store.compareAndSet(key, 'two', true), true);
      assert.equal(await store.get(key), true);
      const lock = fresh('lock');
      assert.equal(await store.compareAndSet(lock, undefined, 'owner-1'), true);
      assert.equal(await store.compareAndSet(lock, undefined, 'owner-2'), false);
      assert.equal(await store.get(lock), 'owner-1');
      assert.equal(await store.compareAndSet(fresh('absent'), 'x', 'y'), false, 'a missing key matches only undefined');
      const counted = fresh('counted');
      await store.incr(counted, 0.1);
      await store.incr(counted, 0.2);
      assert.equal(await store.compareAndSet(counted, 0.1 + 0.2, 'done'), true, 'a number matches the same number, however it was made');
    });

    it('incr sets the TTL when it creates the key and never extends it; an expired counter counts from 0', async () => {
      const key = fresh('window');
      assert.equal(await store.incr(key, 1, { ttlMs: 1500 }), 1);
      await sleep(700);
      assert.equal(await store.incr(key, 1, { ttlMs: 60_000 }), 2, 'ttlMs of an increment of a live key is ignored');
      await sleep(1100);
      assert.equal(await store.get(key), undefined, 'expired 1.5 s after it was created');
      assert.equal(await store.incr(key, 1, { ttlMs: 60_000 }), 1);
    });

    it('set and a successful compareAndSet replace the expiry; an expired key is missing for all operations', async () => {
      const persistent = fresh('persistent');
      await store.set(persistent, 1, { ttlMs: 800 });
      await store.set(persistent, 2);
      const short = fresh('short');
      await store.set(short, 'old', { ttlMs: 800 });
      const swapped = fresh('swapped');
      await store.set(swapped, 1);
      assert.equal(await store.compareAndSet(swapped, 1, 2, { ttlMs: 800 }), true);
      const deleted = fresh('deleted');
      await store.set(deleted, 1, { ttlMs: 800 });
      await sleep(1200);
      assert.equal(await store.get(persistent), 2, 'set without a TTL makes it persistent');
      assert.equal(await store.get(swapped), undefined);
      assert.equal(await store.compareAndSet(short, 'old', 'x'), false);
      assert.equal(await store.compareAndSet(short, undefined, 'new'), true);
      assert.equal(await store.delete(deleted), false);
    });

    it('200 concurrent increments give exactly 1…200', async () => {
      const key = fresh('race');
      const counts = await Promise.all(Array.from({ length: 200 }, () => store.incr(key, 1, { ttlMs: 60_000 })));
      assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it('keeps "__proto__" and friends as ordinary keys', async () => {
      const base = fresh('');
      await store.set(`${base}__proto__`, 'p');
      await store.incr(`${base}constructor`);
      assert.equal(await store.get(`${base}__proto__`), 'p');
      assert.equal(await store.get(`${base}constructor`), 1);
      assert.equal(({} as Record<string, unknown>)['p'], undefined);
    });

    it('refuses bad arguments before anything is sent', async () => {
      await rejectsWith(store.get(''), 'SHARED_BAD_ARGUMENT', /key must not be empty/);
      await rejectsWith(store.incr(fresh('x'), NaN), 'SHARED_BAD_ARGUMENT', /by must be a finite number/);
      await rejectsWith(store.set(fresh('x'), 'x'.repeat(65_537)), 'SHARED_BAD_ARGUMENT', /longer than 65536/);
      await rejectsWith(store.set(fresh('x'), 1, { ttl: 5 } as never), 'SHARED_BAD_ARGUMENT', /unknown option "ttl"/);
    });
  });
}

