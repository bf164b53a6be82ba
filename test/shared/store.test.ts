/**
 * `SharedStore`, the synchronous store behind `tspdk/shared`: every
 * operation, expiry on an injected clock, the limits, and requests that are
 * malformed or hostile (never a throw, never a change).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  MAX_KEY_BYTES,
  MAX_STRING_BYTES,
  MAX_TTL_MS,
  SharedStore,
  checkRequest,
  type SharedRequest,
  type SharedResult,
  type SharedValue,
} from '../../server/shared/store.ts';
import { Prng } from '../reliability/prng.ts';

const T = 1_700_000_000_000;

/** Applies a request that must succeed and gives its value. */
function ok(store: SharedStore, request: SharedRequest, now = T): SharedValue | null {
  const result = store.apply(request, now);
  assert.equal(result.ok, true, `${JSON.stringify(request)} failed: ${JSON.stringify(result)}`);
  return result.ok ? result.value : null;
}

/** Applies a request that must fail and gives its code and message. */
function fails(store: SharedStore, request: unknown, now = T): { code: string; message: string } {
  const result: SharedResult = store.apply(request, now);
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return result.ok ? { code: '', message: '' } : { code: result.code, message: result.message };
}

const get = (store: SharedStore, key: string, now = T) => ok(store, { op: 'get', key }, now);

describe('SharedStore operations', () => {
  it('set, get, overwrite and delete', () => {
    const store = new SharedStore();
    assert.equal(get(store, 'a'), null);
    assert.equal(ok(store, { op: 'set', key: 'a', value: 'x' }), null);
    assert.equal(get(store, 'a'), 'x');
    ok(store, { op: 'set', key: 'a', value: 42 });
    assert.equal(get(store, 'a'), 42);
    ok(store, { op: 'set', key: 'b', value: false });
    assert.equal(get(store, 'b'), false);
    assert.equal(store.size, 2);
    assert.equal(ok(store, { op: 'delete', key: 'a' }), true);
    assert.equal(ok(store, { op: 'delete', key: 'a' }), false);
    assert.equal(get(store, 'a'), null);
    assert.equal(store.size, 1);
  });

  it('incr counts from 0, adds any finite amount, and refuses a value that is not a number', () => {
    const store = new SharedStore();
    assert.equal(ok(store, { op: 'incr', key: 'n', by: 1 }), 1);
    assert.equal(ok(store, { op: 'incr', key: 'n', by: 1 }), 2);
    assert.equal(ok(store, { op: 'incr', key: 'n', by: -5 }), -3);
    assert.equal(ok(store, { op: 'incr', key: 'n', by: 0.5 }), -2.5);
    assert.equal(ok(store, { op: 'incr', key: 'm', by: -2 }), -2);
    ok(store, { op: 'set', key: 's', value: '7' });
    const error = fails(store, { op: 'incr', key: 's', by: 1 });
    assert.equal(error.code, 'SHARED_NOT_A_NUMBER');
    assert.match(error.message, /string, not a number/);
    assert.equal(get(store, 's'), '7');
    ok(store, { op: 'set', key: 'flag', value: true });
    assert.equal(fails(store, { op: 'incr', key: 'flag', by: 1 }).code, 'SHARED_NOT_A_NUMBER');
  });

  it('incr refuses a sum that is not finite and leaves the value', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'big', value: Number.MAX_VALUE });
    const error = fails(store, { op: 'incr', key: 'big', by: Number.MAX_VALUE });
    assert.equal(error.code, 'SHARED_BAD_ARGUMENT');
    assert.equal(get(store, 'big'), Number.MAX_VALUE);
  });

  it('stores -0 as 0, as JSON would carry it', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'z', value: -0 });
    assert.ok(Object.is(get(store, 'z'), 0));
    assert.ok(Object.is(ok(store, { op: 'incr', key: 'y', by: -0 }), 0));
  });

  it('compareAndSet swaps only on a strictly equal live value', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'k', value: 1 });
    assert.equal(ok(store, { op: 'cas', key: 'k', expected: '1', next: 2 }), false, 'no type coercion');
    assert.equal(ok(store, { op: 'cas', key: 'k', expected: 2, next: 3 }), false);
    assert.equal(get(store, 'k'), 1);
    assert.equal(ok(store, { op: 'cas', key: 'k', expected: 1, next: 'two' }), true);
    assert.equal(get(store, 'k'), 'two');
    assert.equal(ok(store, { op: 'cas', key: 'k', expected: 'two', next: true }), true);
    assert.equal(get(store, 'k'), true);
  });

  it('compareAndSet with expected null sets only a missing key', () => {
    const store = new SharedStore();
    assert.equal(ok(store, { op: 'cas', key: 'lock', expected: null, next: 'owner-1' }), true);
    assert.equal(ok(store, { op: 'cas', key: 'lock', expected: null, next: 'owner-2' }), false);
    assert.equal(get(store, 'lock'), 'owner-1');
    assert.equal(ok(store, { op: 'cas', key: 'absent', expected: 'x', next: 'y' }), false, 'a missing key matches only null');
    assert.equal(get(store, 'absent'), null);
    assert.equal(store.size, 1);
  });

  it('takes requests that went through JSON or structured clone', () => {
    const store = new SharedStore();
    const requests: SharedRequest[] = [
      { op: 'set', key: 'j', value: 'v', ttlMs: 1000 },
      { op: 'incr', key: 'c', by: 2 },
      { op: 'cas', key: 'new', expected: null, next: 1 },
      { op: 'get', key: 'j' },
      { op: 'delete', key: 'c' },
    ];
    for (const request of requests) {
      const viaJson = store.apply(JSON.parse(JSON.stringify(request)), T);
      assert.equal(viaJson.ok, true);
      assert.deepEqual(JSON.parse(JSON.stringify(viaJson)), viaJson, 'the result survives JSON');
      assert.equal(store.apply(structuredClone(request), T).ok, true);
    }
    const nullProto = Object.assign(Object.create(null) as object, { op: 'get', key: 'j' });
    assert.deepEqual(store.apply(nullProto, T), { ok: true, value: 'v' }, 'a null-prototype object is plain data');
  });

  it('keeps "__proto__" as an ordinary key and pollutes nothing', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: '__proto__', value: 'p' });
    ok(store, { op: 'incr', key: 'constructor', by: 1 });
    assert.equal(get(store, '__proto__'), 'p');
    assert.equal(get(store, 'constructor'), 1);
    assert.equal(get(store, 'toString'), null);
    assert.equal(({} as Record<string, unknown>)['p'], undefined);
  });
});

describe('SharedStore expiry (injected clock)', () => {
  it('a key with a TTL is live before its expiry and missing from it on', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 't', value: 'v', ttlMs: 1000 }, T);
    assert.equal(get(store, 't', T + 999), 'v');
    assert.equal(get(store, 't', T + 1000), null);
    assert.equal(store.size, 0, 'reading an expired key removes it');
  });

  it('incr sets the TTL when it creates the key and never extends it', () => {
    const store = new SharedStore();
    assert.equal(ok(store, { op: 'incr', key: 'w', by: 1, ttlMs: 1000 }, T), 1);
    assert.equal(ok(store, { op: 'incr', key: 'w', by: 1, ttlMs: 60_000 }, T + 500), 2);
    assert.equal(ok(store, { op: 'incr', key: 'w', by: 1 }, T + 999), 3);
    assert.equal(get(store, 'w', T + 1000), null, 'expired at the first TTL');
    assert.equal(ok(store, { op: 'incr', key: 'w', by: 1, ttlMs: 1000 }, T + 1000), 1, 'an expired counter counts from 0');
    assert.equal(get(store, 'w', T + 1999), 1);
    assert.equal(get(store, 'w', T + 2000), null, 'with the TTL of the increment that recreated it');
  });

  it('incr without a TTL creates a key that does not expire', () => {
    const store = new SharedStore();
    ok(store, { op: 'incr', key: 'forever', by: 1 }, T);
    assert.equal(get(store, 'forever', T + MAX_TTL_MS * 10), 1);
  });

  it('set and a successful compareAndSet replace the expiry', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'a', value: 1, ttlMs: 1000 }, T);
    ok(store, { op: 'set', key: 'a', value: 2 }, T + 10);
    assert.equal(get(store, 'a', T + 5000), 2, 'set without a TTL makes it persistent');
    ok(store, { op: 'set', key: 'b', value: 1 }, T);
    assert.equal(ok(store, { op: 'cas', key: 'b', expected: 1, next: 2, ttlMs: 100 }, T), true);
    assert.equal(get(store, 'b', T + 99), 2);
    assert.equal(get(store, 'b', T + 100), null);
  });

  it('an expired key is missing for compareAndSet and delete', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'lock', value: 'old', ttlMs: 10 }, T);
    assert.equal(ok(store, { op: 'cas', key: 'lock', expected: 'old', next: 'x' }, T + 10), false);
    assert.equal(ok(store, { op: 'cas', key: 'lock', expected: null, next: 'new' }, T + 10), true);
    ok(store, { op: 'set', key: 'd', value: 1, ttlMs: 10 }, T);
    assert.equal(ok(store, { op: 'delete', key: 'd' }, T + 10), false);
  });

  it('sweep removes exactly the expired keys and is a no-op before the first expiry', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'a', value: 1, ttlMs: 100 }, T);
    ok(store, { op: 'set', key: 'b', value: 1, ttlMs: 200 }, T);
    ok(store, { op: 'set', key: 'c', value: 1 }, T);
    assert.equal(store.sweep(T + 99), 0);
    assert.equal(store.size, 3);
    assert.equal(store.sweep(T + 100), 1);
    assert.equal(store.sweep(T + 150), 0);
    assert.equal(store.sweep(T + 10_000), 1);
    assert.equal(store.size, 1);
    assert.equal(get(store, 'c', T + 10_000), 1);
  });
});

describe('SharedStore limits', () => {
  it('keys: non-empty, at most 512 UTF-8 bytes, well-formed', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'k'.repeat(MAX_KEY_BYTES), value: 1 });
    ok(store, { op: 'set', key: 'é'.repeat(MAX_KEY_BYTES / 2), value: 1 });
    ok(store, { op: 'set', key: '😀', value: 1 });
    const cases: Array<[unknown, RegExp]> = [
      ['', /key must not be empty/],
      ['k'.repeat(MAX_KEY_BYTES + 1), /key is longer than 512 bytes/],
      ['é'.repeat(MAX_KEY_BYTES / 2 + 1), /key is longer than 512 bytes/],
      ['a\uD800b', /lone UTF-16 surrogate/],
      ['\uDC00', /lone UTF-16 surrogate/],
      [1, /key must be a string, got 1/],
      [undefined, /key must be a string, got undefined/],
      [null, /key must be a string, got null/],
      [['k'], /key must be a string, got an array/],
    ];
    for (const [key, message] of cases) {
      for (const op of ['get', 'delete'] as const) {
        const error = fails(store, { op, key });
        assert.equal(error.code, 'SHARED_BAD_ARGUMENT');
        assert.match(error.message, message);
      }
    }
    assert.equal(store.size, 3);
  });

  it('string values: at most 64 KiB in UTF-8', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'v', value: 'x'.repeat(MAX_STRING_BYTES) });
    const tooLong = fails(store, { op: 'set', key: 'w', value: 'x'.repeat(MAX_STRING_BYTES + 1) });
    assert.equal(tooLong.code, 'SHARED_BAD_ARGUMENT');
    assert.match(tooLong.message, /value is longer than 65536 bytes/);
    assert.equal(tooLong.message.length < 200, true, 'the message does not echo the value');
    assert.match(fails(store, { op: 'set', key: 'w', value: '€'.repeat(MAX_STRING_BYTES / 3 + 1) }).message, /longer than 65536/);
    assert.match(fails(store, { op: 'cas', key: 'v', expected: 'x'.repeat(MAX_STRING_BYTES + 1), next: 1 }).message, /expected is longer/);
    assert.match(fails(store, { op: 'cas', key: 'v', expected: null, next: 'x'.repeat(MAX_STRING_BYTES + 1) }).message, /next is longer/);
    assert.equal(get(store, 'w'), null);
  });

  it('values: strings, finite numbers and booleans only', () => {
    const store = new SharedStore();
    for (const value of [NaN, Infinity, -Infinity, null, undefined, {}, [], 1n, Symbol('s'), () => 1, new Date(0)]) {
      const error = fails(store, { op: 'set', key: 'v', value });
      assert.equal(error.code, 'SHARED_BAD_ARGUMENT', String(typeof value));
      assert.match(error.message, /value must be/);
    }
    assert.equal(store.size, 0);
  });

  it('TTL: an integer from 1 to 2^31 ms', () => {
    const store = new SharedStore();
    ok(store, { op: 'set', key: 'a', value: 1, ttlMs: 1 });
    ok(store, { op: 'set', key: 'b', value: 1, ttlMs: MAX_TTL_MS });
    assert.equal(get(store, 'b', T + MAX_TTL_MS - 1), 1);
    for (const ttlMs of [0, -1, 1.5, MAX_TTL_MS + 1, NaN, Infinity, '100', null, true]) {
      for (const request of [
        { op: 'set', key: 'c', value: 1, ttlMs },
        { op: 'incr', key: 'c', by: 1, ttlMs },
        { op: 'cas', key: 'c', expected: null, next: 1, ttlMs },
      ]) {
        const error = fails(store, request);
        assert.equal(error.code, 'SHARED_BAD_ARGUMENT');
        assert.match(error.message, /ttlMs must be an integer from 1 to 2147483648/);
      }
    }
    assert.equal(get(store, 'c'), null);
  });

  it('incr: by must be a finite number', () => {
    const store = new SharedStore();
    for (const by of [NaN, Infinity, '1', undefined, null, true]) {
      assert.match(fails(store, { op: 'incr', key: 'n', by }).message, /by must be a finite number/);
    }
    assert.equal(store.size, 0);
  });

  it('a full store sweeps expired keys, then refuses new keys and never evicts', () => {
    const store = new SharedStore({ maxKeys: 3 });
    assert.equal(store.maxKeys, 3);
    ok(store, { op: 'set', key: 'a', value: 1 });
    ok(store, { op: 'incr', key: 'b', by: 1, ttlMs: 100 });
    ok(store, { op: 'set', key: 'c', value: 'x' });
    for (const request of [
      { op: 'set', key: 'd', value: 1 },
      { op: 'incr', key: 'd', by: 1 },
      { op: 'cas', key: 'd', expected: null, next: 1 },
    ] satisfies SharedRequest[]) {
      const error = fails(store, request, T + 99);
      assert.equal(error.code, 'SHARED_FULL');
      assert.match(error.message, /full \(3 keys\)/);
    }
    assert.equal(store.size, 3);
    assert.deepEqual([get(store, 'a', T + 99), get(store, 'b', T + 99), get(store, 'c', T + 99)], [1, 1, 'x']);
    ok(store, { op: 'set', key: 'a', value: 2 }, T + 99);
    assert.equal(ok(store, { op: 'incr', key: 'b', by: 1 }, T + 99), 2, 'existing keys still change');
    assert.equal(ok(store, { op: 'cas', key: 'd', expected: 'x', next: 1 }, T + 99), false, 'a failed compare needs no room');
    ok(store, { op: 'set', key: 'd', value: 1 }, T + 100);
    assert.equal(get(store, 'b', T + 100), null, 'the expired key made room');
    assert.equal(get(store, 'd', T + 100), 1);
    assert.equal(fails(store, { op: 'set', key: 'e', value: 1 }, T + 100).code, 'SHARED_FULL');
  });

  it('the key limit is a positive integer', () => {
    for (const maxKeys of [0, -1, 1.5, NaN]) assert.throws(() => new SharedStore({ maxKeys }), RangeError);
    assert.equal(new SharedStore().maxKeys, 1_000_000);
  });

  it('refuses a clock that is not a finite number', () => {
    const store = new SharedStore();
    assert.match(fails(store, { op: 'get', key: 'a' }, NaN).message, /nowMs must be a finite number/);
  });
});

describe('SharedStore against malformed and hostile requests', () => {
  it('names what is wrong', () => {
    const store = new SharedStore();
    const cases: Array<[unknown, RegExp]> = [
      [null, /the request must be an object, got null/],
      ['get', /the request must be an object, got a string/],
      [[{ op: 'get', key: 'a' }], /got an array/],
      [{}, /unknown op undefined/],
      [{ op: 'GET', key: 'a' }, /unknown op "GET"/],
      [{ op: 'toString', key: 'a' }, /unknown op "toString"/],
      [{ op: '__proto__', key: 'a' }, /unknown op "__proto__"/],
      [{ op: 'get', key: 'a', value: 1 }, /unexpected property "value" in a get request/],
      [{ op: 'set', key: 'a' }, /value must be a string, a number or a boolean, got undefined/],
      [{ op: 'cas', key: 'a', next: 1 }, /needs expected \(null for "missing"\)/],
      [{ op: 'cas', key: 'a', expected: undefined, next: 1 }, /expected must be/],
      [{ op: 'incr', key: 'a' }, /by must be a finite number, got undefined/],
      [JSON.parse('{"op":"get","key":"a","__proto__":{"op":"set"}}'), /unexpected property "__proto__"/],
      [{ __proto__: { op: 'get', key: 'a' } }, /must be a plain object/],
      [new (class Request { op = 'get'; key = 'a'; })(), /must be a plain object/],
      [{ op: 'get', key: 'a', [Symbol('s')]: 1 }, /unexpected property symbol/],
    ];
    for (const [request, message] of cases) {
      const error = fails(store, request);
      assert.equal(error.code, 'SHARED_BAD_ARGUMENT');
      assert.match(error.message, message);
    }
    assert.equal(store.size, 0);
  });

  it('never runs a getter and survives objects that throw when read', () => {
    const store = new SharedStore();
    let ran = false;
    const getter = {
      op: 'get',
      get key(): string {
        ran = true;
        throw new Error('boom');
      },
    };
    assert.match(fails(store, getter).message, /request.key must be a data property/);
    assert.equal(ran, false);
    const trap = () => {
      throw new Error('trap');
    };
    const proxies = [
      new Proxy({ op: 'get', key: 'a' }, { ownKeys: trap }),
      new Proxy({}, { getPrototypeOf: trap }),
      new Proxy({ op: 'get', key: 'a' }, { getOwnPropertyDescriptor: trap }),
    ];
    for (const proxy of proxies) assert.match(fails(store, proxy).message, /could not be read/);
    assert.equal(checkRequest(proxies[0]).ok, false);
  });

  it('property: junk never throws and never changes the store', () => {
    const store = new SharedStore({ maxKeys: 10 });
    ok(store, { op: 'set', key: 'n', value: 5 });
    ok(store, { op: 'set', key: 's', value: 'text' });
    ok(store, { op: 'set', key: 'b', value: true, ttlMs: 60_000 });
    const snapshot = () => [store.size, ...['n', 's', 'b', 'x', '__proto__'].map((key) => get(store, key))];
    const before = snapshot();

    const random = new Prng(0x5eed);
    const badKeys: unknown[] = ['', 'k'.repeat(513), '\uD800', 0, null, undefined, true, {}, [], ['n'], NaN];
    const badValues: unknown[] = [NaN, Infinity, null, undefined, {}, [], [1], 'x'.repeat(65_537), '\uDFFF', 1n, Symbol('v'), () => 0];
    const badTtls: unknown[] = [0, -5, 0.1, 2 ** 31 + 1, NaN, '10', null, {}, true, 1e300];
    const badBys: unknown[] = [NaN, -Infinity, '1', null, undefined, {}, [1], true, 1n];
    const anything: unknown[] = [...badKeys, ...badValues, ...badTtls, 'n', 's', 'b', 'x', 1, 'get', 'set', 'incr', 'cas', 'delete'];
    const good: SharedRequest[] = [
      { op: 'incr', key: 'n', by: 1, ttlMs: 10 },
      { op: 'get', key: 'x' },
      { op: 'set', key: 'x', value: 'v', ttlMs: 10 },
      { op: 'delete', key: 'n' },
      { op: 'cas', key: 's', expected: 'text', next: 'new', ttlMs: 10 },
    ];
    const spoil = (request: SharedRequest): unknown => {
      const copy: Record<string, unknown> = { ...request };
      switch (random.int(8)) {
        case 0:
          copy['key'] = random.pick(badKeys);
          break;
        case 1:
          if (request.op === 'set') copy['value'] = random.pick(badValues);
          else if (request.op === 'cas') copy[random.chance(0.5) ? 'next' : 'expected'] = random.pick(badValues.filter((v) => v !== null));
          else if (request.op === 'incr') copy['by'] = random.pick(badBys);
          else copy['value'] = random.pick(anything);
          break;
        case 2:
          if (request.op === 'get' || request.op === 'delete') copy['ttlMs'] = random.pick(anything);
          else copy['ttlMs'] = random.pick(badTtls);
          break;
        case 3:
          copy['op'] = random.pick(['', 'GET', 'constructor', 'hasOwnProperty', '__proto__', 'incr ', 0, null, undefined]);
          break;
        case 4: // an own property, as JSON.parse or structured clone would make it
          Object.defineProperty(copy, random.pick(['extra', '__proto__', 'constructor', 'id', 'Key']), {
            value: random.pick(anything),
            enumerable: true,
            configurable: true,
            writable: true,
          });
          break;
        case 5:
          delete copy[random.pick(['op', 'key'])];
          break;
        case 6:
          return random.pick([null, undefined, 0, 'get', true, [], [request], new Map(Object.entries(request)), new Date()]);
        default:
          return JSON.parse(`{"__proto__":{"polluted":true},"op":"${request.op}","key":"n"}`) as unknown;
      }
      return copy;
    };

    for (let i = 0; i < 5000; i++) {
      const request = spoil(random.pick(good));
      let result: SharedResult;
      try {
        result = store.apply(request, T + random.int(5));
      } catch (error) {
        assert.fail(`request ${i} (${inspect(request)}) threw ${inspect(error)}`);
      }
      assert.equal(result.ok, false, `request ${i} should have been refused: ${inspect(request)}`);
      assert.equal(result.ok ? '' : result.code, 'SHARED_BAD_ARGUMENT');
    }
    assert.deepEqual(snapshot(), before);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});
