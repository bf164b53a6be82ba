/**
 * Reliability: the hand-written reply envelope (`ReplyEncoder.step` in
 * `server/wire/codec.ts`) against the general encoder, on 50,000 seeded PDK calls
 * with arguments at the edges of its simple path (string lengths, non-ASCII,
 * integer ranges, -0, nil, nested values, bytes). Every reply must decode as
 * exactly one message meaning what the general encoder's does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMulti, Encoder } from '@msgpack/msgpack';
import { ReplyEncoder } from '../../server/wire/codec.ts';
import { Prng } from './prng.ts';

const STRINGS = ['', 'a', 'x-header', 'é', '日本語', '😀', 'a'.repeat(31), 'b'.repeat(32), 'c'.repeat(255), 'd'.repeat(256), 'e'.repeat(70_000), 'f\u0000g'];
const NUMBERS = [0, -0, 1, -1, -32, -33, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53) + 1, 0.5, -1.5, NaN, Infinity];
const METHODS = ['kong.response.set_header', 'kong.log.err', 'kong.response.exit', 'kong.x', 'é.method', 'm'.repeat(40)];

function value(rng: Prng, depth: number): unknown {
  switch (rng.int(depth > 0 ? 9 : 6)) {
    case 0:
    case 1:
      return STRINGS[rng.int(STRINGS.length)];
    case 2:
    case 3:
      return NUMBERS[rng.int(NUMBERS.length)];
    case 4:
      return rng.pick([null, undefined, true, false]);
    case 5:
      return rng.bytes(rng.int(10));
    case 6:
      return Array.from({ length: rng.int(4) }, () => value(rng, depth - 1));
    default:
      return Object.fromEntries(Array.from({ length: rng.int(4) }, (_, i) => [`k${i}`, value(rng, depth - 1)]));
  }
}

describe('hand-written reply envelope', () => {
  it('encodes what the general encoder encodes (50,000 PDK calls)', () => {
    const rng = new Prng(0x2e91);
    const replies = new ReplyEncoder();
    const general = new Encoder({ ignoreUndefined: true });
    let identical = 0;
    let fast = 0;
    for (let i = 0; i < 50_000; i++) {
      const msgid = rng.chance(0.5) ? rng.int(128) : rng.chance(0.5) ? rng.int(2 ** 32) : 2 ** 40 + rng.int(1000);
      const eventId = rng.chance(0.2) ? rng.int(300) : 2 ** 45 + rng.int(2 ** 20);
      const ret = rng.chance(0.1);
      const method = ret ? undefined : (METHODS[rng.int(METHODS.length)] as string);
      const args = Array.from({ length: rng.chance(0.05) ? 16 + rng.int(3) : rng.int(5) }, () => value(rng, 2));
      const bytes = replies.step(msgid, eventId, method, args);
      if (bytes === undefined) continue;
      fast++;
      const expected = general.encode([1, msgid, null, { EventId: eventId, Data: method === undefined ? 'ret' : { Method: method, Args: args } }]);
      if (Buffer.compare(bytes, expected) === 0) {
        identical++;
        continue;
      }
      const got = [...decodeMulti(bytes)];
      assert.equal(got.length, 1, 'one message');
      assert.deepStrictEqual(got[0], [...decodeMulti(expected)][0], `${method} ${JSON.stringify(args, (_k, v: unknown) => (typeof v === 'number' && Object.is(v, -0) ? '-0' : v))}`);
    }
    assert.ok(fast > 40_000);
    assert.ok(identical > 0);
  });
});
