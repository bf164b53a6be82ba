/**
 * Reliability: the in-place reader of event-loop requests
 * (`server/wire/request-reader.ts`) against the general decoder, on 50,000
 * seeded frames shaped like HandleEvent and Steps with every scalar
 * encoding at its edges. Whenever the fast path accepts a frame, it must
 * mean exactly what the general decoder makes of it; it may decline
 * anything.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageDecoder } from '../../server/wire/codec.ts';
import { RequestReader } from '../../server/wire/request-reader.ts';
import { Pack } from './fuzz-frames.ts';
import { Prng } from './prng.ts';

const METHODS = ['plugin.Step', 'plugin.HandleEvent', 'plugin.StepMultiMap', 'plugin.StepError', 'plugin.StepMemoryStats', 'plugin.GetStatus', 'plugin.step'];
const KEYS = ['EventId', 'Data', 'InstanceId', 'EventName', 'eventId', '__proto__', 'Dat'];
const TEXT = ['', 'access', 'ret', 'é', '日本', '😀', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(255), 'w'.repeat(256), 'v'.repeat(257)];

function uint(p: Pack, rng: Prng): void {
  const edges = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64 - 1];
  const n = rng.chance(0.5) ? (edges[rng.int(edges.length)] as number) : rng.int(2 ** 32);
  const width = rng.int(5);
  if (n < 2 ** 32 && width < 4) {
    if (width === 0 && n <= 0x7f) p.u8(n);
    else if (width <= 1 && n <= 0xff) p.u8(0xcc).u8(n);
    else if (width <= 2 && n <= 0xffff) p.u8(0xcd).u16(n);
    else p.u8(0xce).u32(n);
  } else {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt(n >= 2 ** 64 ? '18446744073709551615' : n));
    p.u8(0xcf).raw(new Uint8Array(view.buffer));
  }
}

function scalar(p: Pack, rng: Prng): void {
  switch (rng.int(9)) {
    case 0:
      p.nil();
      break;
    case 1:
      p.u8(rng.chance(0.5) ? 0xc2 : 0xc3);
      break;
    case 2:
      p.u8(0xe0 + rng.int(32));
      break;
    case 3:
      p.u8(0xd0).u8(rng.int(256));
      break;
    case 4: {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, rng.chance(0.5) ? rng.int(1000) : rng.next());
      p.u8(0xcb).raw(new Uint8Array(view.buffer));
      break;
    }
    case 5:
    case 6:
      p.str(TEXT[rng.int(TEXT.length)] as string, ([0, 8, 16, 32] as const)[rng.int(4)]);
      break;
    case 7:
      p.bin(rng.bytes(rng.int(8)));
      break;
    default:
      uint(p, rng);
  }
}

describe('in-place request reader', () => {
  it('means exactly what the general decoder means whenever it accepts a frame (50,000 frames)', () => {
    const rng = new Prng(0xfa57);
    const reader = new RequestReader();
    const decoder = new MessageDecoder();
    let accepted = 0;
    for (let i = 0; i < 50_000; i++) {
      const p = new Pack().u8(0x94).u8(0x00);
      uint(p, rng);
      p.str(METHODS[rng.int(METHODS.length)] as string, rng.chance(0.1) ? 8 : 0).u8(0x91);
      const n = rng.int(4);
      p.map(n);
      for (let k = 0; k < n; k++) {
        p.str(rng.chance(0.85) ? (KEYS[rng.int(4)] as string) : (KEYS[rng.int(KEYS.length)] as string), rng.chance(0.05) ? 8 : 0);
        scalar(p, rng);
      }
      if (rng.chance(0.02)) p.nil(); // trailing bytes
      const bytes = p.take();
      if (!reader.read(bytes)) continue;
      accepted++;
      let general: unknown;
      try {
        general = decoder.decode(bytes, false);
      } catch (error) {
        assert.fail(`the fast path accepted what the decoder refuses (${(error as Error).message}): ${Buffer.from(bytes).toString('hex')}`);
      }
      assert.deepEqual([0, reader.msgid, reader.method, [reader.arg]], general, Buffer.from(bytes).toString('hex'));
      assert.equal(Object.getPrototypeOf(reader.arg), Object.prototype);
    }
    assert.ok(accepted > 10_000, `only ${accepted} frames took the fast path`);
  });
});
