/**
 * `tspdk/shared`, the client: the in-process default, argument checks
 * before anything is sent, the exact requests a transport receives, results
 * mapped back, and every way a transport can fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { shared, SharedStoreError, type SharedValue } from 'tspdk/shared';
import { SharedStore, type SharedRequest, type SharedResult } from '../../server/shared/store.ts';
import type * as TransportModule from '../../server/shared/transport.ts';
import {
  hostSharedStore,
  resetSharedTransport,
  setSharedTransport,
  sharedTransport,
  type SharedTransport,
} from '../../server/shared/transport.ts';

/** Asserts that `promise` rejects with a SharedStoreError of `code` whose message matches. */
async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<SharedStoreError> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof SharedStoreError, `not a SharedStoreError: ${String(caught)}`);
  assert.equal(caught.name, 'SharedStoreError');
  assert.equal(caught.code, code);
  assert.match(caught.message, message);
  return caught;
}

/** A transport that records each request and answers from its own store, through JSON as over IPC. */
function recordingTransport(store = new SharedStore()): { requests: SharedRequest[]; transport: SharedTransport } {
  const requests: SharedRequest[] = [];
  const transport: SharedTransport = (request) => {
    requests.push(structuredClone(request));
    const result = store.apply(JSON.parse(JSON.stringify(request)), 1_000);
    return Promise.resolve(JSON.parse(JSON.stringify(result)) as SharedResult);
  };
  return { requests, transport };
}

/** A transport that answers `answer` to everything. */
const answering = (answer: unknown): SharedTransport => () => Promise.resolve(answer as SharedResult);

beforeEach(() => resetSharedTransport());
afterEach(() => resetSharedTransport());

describe('shared, in process (one worker)', () => {
  it('every operation works against the default store', async () => {
    assert.equal(await shared.get('k'), undefined);
    assert.equal(await shared.incr('k'), 1);
    assert.equal(await shared.incr('k', 41), 42);
    assert.equal(await shared.incr('k', -2, { ttlMs: 1000 }), 40);
    assert.equal(await shared.get('k'), 40);
    assert.equal(await shared.set('s', 'v', { ttlMs: 60_000 }), undefined);
    assert.equal(await shared.get('s'), 'v');
    assert.equal(await shared.compareAndSet('s', 'other', 'w'), false);
    assert.equal(await shared.compareAndSet('s', 'v', 'w'), true);
    assert.equal(await shared.get('s'), 'w');
    assert.equal(await shared.compareAndSet('lock', undefined, true), true);
    assert.equal(await shared.compareAndSet('lock', undefined, true), false);
    assert.equal(await shared.delete('lock'), true);
    assert.equal(await shared.delete('lock'), false);
    await shared.set('flag', false);
    assert.equal(await shared.get('flag'), false, 'false is a value, not "missing"');
    await shared.set('zero', 0);
    assert.equal(await shared.get('zero'), 0);
  });

  it('keeps its keys across calls and forgets them on resetSharedTransport', async () => {
    await shared.set('kept', 1);
    assert.equal(await shared.get('kept'), 1);
    resetSharedTransport();
    assert.equal(await shared.get('kept'), undefined);
  });

  it('a store error from the store keeps its code', async () => {
    await shared.set('text', 'abc');
    await rejectsWith(shared.incr('text'), 'SHARED_NOT_A_NUMBER', /^shared\.incr: the value of the key is string, not a number$/);
    assert.equal(await shared.get('text'), 'abc');
  });

  it('is the same store for two copies of the module (dist and an installed package)', async () => {
    const url = new URL('../../server/shared/transport.js?second-copy', import.meta.url).href;
    const copy = (await import(url)) as typeof TransportModule;
    assert.notEqual(copy.sharedTransport, sharedTransport, 'really a second module instance');
    await shared.set('one-store', 'yes');
    const result = await copy.sharedTransport()({ op: 'get', key: 'one-store' });
    assert.deepEqual(result, { ok: true, value: 'yes' });
    const { requests, transport } = recordingTransport();
    copy.setSharedTransport(transport);
    await shared.get('via-the-other-copy');
    assert.deepEqual(requests, [{ op: 'get', key: 'via-the-other-copy' }]);
  });
});

describe('shared argument checks (nothing is sent)', () => {
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['empty key', () => shared.get(''), /^shared\.get: key must not be empty$/],
    ['key not a string', () => shared.delete(7 as unknown as string), /^shared\.delete: key must be a string, got 7$/],
    ['key too long', () => shared.incr('k'.repeat(513)), /^shared\.incr: key is longer than 512 bytes in UTF-8$/],
    ['key with a lone surrogate', () => shared.set('\uD83D', 1), /lone UTF-16 surrogate/],
    ['by NaN', () => shared.incr('k', NaN), /^shared\.incr: by must be a finite number, got NaN$/],
    ['by a string', () => shared.incr('k', '2' as unknown as number), /by must be a finite number, got a string/],
    ['by Infinity', () => shared.incr('k', Infinity), /by must be a finite number/],
    ['ttl 0', () => shared.incr('k', 1, { ttlMs: 0 }), /^shared\.incr: ttlMs must be an integer from 1 to 2147483648, got 0$/],
    ['ttl fractional', () => shared.set('k', 1, { ttlMs: 1.5 }), /ttlMs must be an integer/],
    ['ttl too long', () => shared.compareAndSet('k', undefined, 1, { ttlMs: 2 ** 31 + 1 }), /^shared\.compareAndSet: ttlMs must be/],
    ['ttl null', () => shared.set('k', 1, { ttlMs: null as unknown as number }), /ttlMs must be an integer/],
    ['misspelled option', () => shared.set('k', 1, { ttl: 1000 } as never), /^shared\.set: unknown option "ttl" \(the option is ttlMs\)$/],
    ['options not an object', () => shared.incr('k', 1, 1000 as never), /^shared\.incr: options must be an object$/],
    ['value undefined', () => shared.set('k', undefined as unknown as SharedValue), /^shared\.set: value must be a string, a number or a boolean, got undefined$/],
    ['value an object', () => shared.set('k', { a: 1 } as unknown as SharedValue), /value must be a string, a number or a boolean, got object/],
    ['value NaN', () => shared.set('k', NaN), /value must be a finite number/],
    ['value too long', () => shared.set('k', 'x'.repeat(65_537)), /value is longer than 65536 bytes/],
    ['expected null', () => shared.compareAndSet('k', null as unknown as undefined, 1), /expected must be a value, or undefined for "missing"/],
    ['expected an array', () => shared.compareAndSet('k', [] as unknown as SharedValue, 1), /expected must be a string, a number or a boolean, got an array/],
    ['next missing', () => shared.compareAndSet('k', 1, undefined as unknown as SharedValue), /next must be a string, a number or a boolean/],
  ];
  for (const [name, call, message] of cases) {
    it(`${name}: SHARED_BAD_ARGUMENT`, async () => {
      const { requests, transport } = recordingTransport();
      setSharedTransport(transport);
      await rejectsWith(call(), 'SHARED_BAD_ARGUMENT', message);
      assert.deepEqual(requests, []);
    });
  }

  it('a bad argument rejects rather than throws', () => {
    const pending = shared.incr('', 1, 'bad' as never);
    assert.ok(pending instanceof Promise);
    return assert.rejects(pending, SharedStoreError);
  });
});

describe('shared over a transport (N workers)', () => {
  it('sends exactly the expected requests and maps the results back', async () => {
    const { requests, transport } = recordingTransport();
    setSharedTransport(transport);
    assert.equal(await shared.incr('a'), 1);
    assert.equal(await shared.incr('a', 5, { ttlMs: 1000 }), 6);
    assert.equal(await shared.incr('a', undefined, {}), 7);
    assert.equal(await shared.get('a'), 7);
    assert.equal(await shared.get('missing'), undefined, 'null on the wire is undefined here');
    await shared.set('s', 'v');
    await shared.set('s', 'v', { ttlMs: 10 });
    assert.equal(await shared.delete('s'), true);
    assert.equal(await shared.compareAndSet('l', undefined, 1), true);
    assert.equal(await shared.compareAndSet('l', 1, 2, { ttlMs: 5 }), true);
    assert.deepEqual(requests, [
      { op: 'incr', key: 'a', by: 1 },
      { op: 'incr', key: 'a', by: 5, ttlMs: 1000 },
      { op: 'incr', key: 'a', by: 1 },
      { op: 'get', key: 'a' },
      { op: 'get', key: 'missing' },
      { op: 'set', key: 's', value: 'v' },
      { op: 'set', key: 's', value: 'v', ttlMs: 10 },
      { op: 'delete', key: 's' },
      { op: 'cas', key: 'l', expected: null, next: 1 },
      { op: 'cas', key: 'l', expected: 1, next: 2, ttlMs: 5 },
    ]);
  });

  it('uses the transport installed after the module was loaded, and the default again after reset', async () => {
    await shared.set('here', 1);
    const { requests, transport } = recordingTransport();
    setSharedTransport(transport);
    assert.equal(await shared.get('here'), undefined, 'the installed transport has its own store');
    assert.equal(requests.length, 1);
    resetSharedTransport();
    assert.equal(await shared.get('here'), undefined, 'the in-process store starts empty again');
    assert.equal(requests.length, 1);
  });

  it('store errors coming back over the transport keep their code', async () => {
    const primary = new SharedStore({ maxKeys: 1 });
    setSharedTransport(recordingTransport(primary).transport);
    await shared.set('only', 'x');
    await rejectsWith(shared.set('second', 1), 'SHARED_FULL', /^shared\.set: the shared store is full \(1 keys\)$/);
    await rejectsWith(shared.incr('only'), 'SHARED_NOT_A_NUMBER', /not a number/);
  });

  it('refuses a transport that is not a function', () => {
    assert.throws(() => setSharedTransport('ipc' as unknown as SharedTransport), TypeError);
  });
});

describe('shared when the store is unreachable', () => {
  it('a rejecting transport is SHARED_UNAVAILABLE, with the cause', async () => {
    const cause = new Error('channel closed');
    setSharedTransport(() => Promise.reject(cause));
    const error = await rejectsWith(shared.incr('k'), 'SHARED_UNAVAILABLE', /^shared\.incr: the shared store is unavailable: channel closed$/);
    assert.equal(error.cause, cause);
    await rejectsWith(shared.get('k'), 'SHARED_UNAVAILABLE', /unavailable/);
    await rejectsWith(shared.set('k', 1), 'SHARED_UNAVAILABLE', /unavailable/);
    await rejectsWith(shared.delete('k'), 'SHARED_UNAVAILABLE', /unavailable/);
    await rejectsWith(shared.compareAndSet('k', undefined, 1), 'SHARED_UNAVAILABLE', /unavailable/);
  });

  it('a transport that throws synchronously, or rejects with a non-error, is SHARED_UNAVAILABLE', async () => {
    setSharedTransport(() => {
      throw new Error('not connected');
    });
    await rejectsWith(shared.get('k'), 'SHARED_UNAVAILABLE', /not connected/);
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a transport may reject with anything
    setSharedTransport(() => Promise.reject('gone'));
    await rejectsWith(shared.get('k'), 'SHARED_UNAVAILABLE', /unavailable: gone$/);
  });

  it('a SHARED_UNAVAILABLE result, or one with an unknown code, is SHARED_UNAVAILABLE', async () => {
    setSharedTransport(answering({ ok: false, code: 'SHARED_UNAVAILABLE', message: 'the primary did not answer in 1000 ms' }));
    await rejectsWith(shared.incr('k'), 'SHARED_UNAVAILABLE', /^shared\.incr: the primary did not answer in 1000 ms$/);
    setSharedTransport(answering({ ok: false, code: 'EPIPE', message: 'broken pipe' }));
    await rejectsWith(shared.incr('k'), 'SHARED_UNAVAILABLE', /^shared\.incr: the shared store failed \(EPIPE\): broken pipe$/);
  });

  it('a malformed result is SHARED_UNAVAILABLE', async () => {
    const malformed: Array<[unknown, () => Promise<unknown>]> = [
      [undefined, () => shared.get('k')],
      [null, () => shared.get('k')],
      ['ok', () => shared.get('k')],
      [{}, () => shared.get('k')],
      [{ ok: 'true', value: 1 }, () => shared.get('k')],
      [{ ok: true, value: {} }, () => shared.get('k')],
      [{ ok: true, value: 'one' }, () => shared.incr('k')],
      [{ ok: true, value: NaN }, () => shared.incr('k')],
      [{ ok: true }, () => shared.delete('k')],
      [{ ok: true, value: 1 }, () => shared.compareAndSet('k', undefined, 1)],
      [{ ok: true, value: true }, () => shared.set('k', 1)],
      [{ ok: false, code: 'SHARED_FULL' }, () => shared.set('k', 1)],
    ];
    for (const [answer, call] of malformed) {
      setSharedTransport(answering(answer));
      await rejectsWith(call(), 'SHARED_UNAVAILABLE', /answered with a malformed result/);
    }
  });
});

describe('hostSharedStore', () => {
  it('applies requests at Date.now() and sweeps expired keys on its timer', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
    const host = hostSharedStore({ sweepIntervalMs: 1000 });
    try {
      assert.deepEqual(host.apply({ op: 'set', key: 'short', value: 1, ttlMs: 500 }), { ok: true, value: null });
      assert.deepEqual(host.apply({ op: 'set', key: 'long', value: 1, ttlMs: 5000 }), { ok: true, value: null });
      t.mock.timers.tick(999);
      assert.equal(host.store.size, 2);
      t.mock.timers.tick(1);
      assert.equal(host.store.size, 1, 'the expired key was swept');
      host.close();
      t.mock.timers.tick(10_000);
      assert.equal(host.store.size, 1, 'no sweep after close');
      assert.deepEqual(host.apply({ op: 'get', key: 'long' }), { ok: true, value: null }, 'still expires when read');
    } finally {
      host.close();
    }
  });

  it('its sweep timer does not keep a process alive', async () => {
    const module = new URL('../../server/shared/index.js', import.meta.url).href;
    const script = `const { shared } = await import(${JSON.stringify(module)}); process.stdout.write(String(await shared.incr('k', 2, { ttlMs: 1000 })));`;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
    assert.equal(stdout, '2');
    assert.ok(Date.now() - started < 5000, 'the process exited without waiting for the sweep');
  });

  it('never throws on junk and checks its options', () => {
    const host = hostSharedStore();
    try {
      assert.equal(host.apply({ op: 'get', key: '' }).ok, false);
      assert.equal(host.apply(undefined).ok, false);
    } finally {
      host.close();
    }
    assert.throws(() => hostSharedStore({ sweepIntervalMs: 0 }), RangeError);
    assert.throws(() => hostSharedStore({ maxKeys: 0 }), RangeError);
  });
});

