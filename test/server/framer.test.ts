import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { FrameError, Framer, nestingDepth, skipValue } from '../../server/wire/framer.ts';
import { luaPack } from '../../testing/host/lua-msgpack.ts';

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function frames(stream: Uint8Array, cuts: readonly number[], framer = new Framer()): Uint8Array[] {
  const out: Uint8Array[] = [];
  let previous = 0;
  for (const cut of [...cuts, stream.length]) {
    framer.push(stream.subarray(previous, cut), (bytes) => out.push(bytes.slice()));
    previous = cut;
  }
  return out;
}

/**
 * Feeds `stream` through in-place reads as the kernel would: each read
 * writes at most `size()` bytes to the framer's target. Returns the views
 * the framer handed out, as they are (not copies), so that a test sees
 * whether a later read overwrote one.
 */
function framesInPlace(stream: Uint8Array, size: () => number, framer = new Framer()): { views: Uint8Array[]; targets: number[] } {
  const views: Uint8Array[] = [];
  const targets: number[] = [];
  let at = 0;
  while (at < stream.length) {
    const target = framer.readTarget();
    assert.ok(target.length > 0, 'the read target is never empty');
    targets.push(target.length);
    const count = Math.min(target.length, Math.max(1, size()), stream.length - at);
    target.set(stream.subarray(at, at + count));
    at += count;
    framer.commit(count, (bytes) => views.push(bytes));
  }
  return { views, targets };
}

/** A deterministic pseudo-random generator, so failures can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const samples: unknown[] = [
  [0, 1, 'plugin.StartInstance', [{ Name: 'hello', Config: '{"message":"hi"}' }]],
  [0, 300, 'plugin.Step', [{ EventId: 2 ** 40 }]],
  [0, 70000, 'plugin.StepMultiMap', [{ EventId: 5, Data: { host: ['example.com'], 'x-long-header-name-over-thirty-one': ['v'.repeat(40)] } }]],
  [0, 2 ** 33, 'plugin.Step', [{ EventId: 1, Data: new Uint8Array(70000).fill(7) }]],
  [0, 9, 'plugin.Step', [{ EventId: 1, Data: [1.5, -1, -200, -70000, -(2 ** 40), 2 ** 53 - 1, true, false, null, {}] }]],
];

describe('framer', () => {
  const stream = concat(samples.map((sample) => luaPack(sample)));
  const expected = samples.map((sample) => luaPack(sample));

  it('yields every message of one read that holds several', () => {
    assert.deepEqual(frames(stream, []), expected);
  });

  it('reassembles messages split at every possible byte', () => {
    for (let cut = 1; cut < stream.length; cut += 97) assert.deepEqual(frames(stream, [cut]), expected, `cut at ${cut}`);
  });

  it('reassembles messages fed one byte at a time', () => {
    const small = concat(samples.slice(0, 3).map((sample) => luaPack(sample)));
    const cuts = Array.from({ length: small.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(frames(small, cuts), samples.slice(0, 3).map((sample) => luaPack(sample)));
  });

  it('reassembles messages under random chunk splits', () => {
    const next = random(42);
    for (let round = 0; round < 200; round++) {
      const cuts: number[] = [];
      let at = 0;
      while (at < stream.length) {
        at += 1 + Math.floor(next() * 5000);
        if (at < stream.length) cuts.push(at);
      }
      assert.deepEqual(frames(stream, cuts), expected, `round ${round}`);
    }
  });

  it('handles every msgpack type, including ext, str8 and 64-bit integers', () => {
    const values = [
      encode({ a: new Uint8Array(300), b: 'x'.repeat(200), c: 2n ** 63n - 1n, d: -(2n ** 63n), e: new Date(0) }, { useBigInt64: true }),
      Uint8Array.from([0xd4, 1, 2]), // fixext1
      Uint8Array.from([0xd8, 1, ...new Array<number>(16).fill(0)]), // fixext16
      Uint8Array.from([0xc7, 3, 9, 1, 2, 3]), // ext8
      Uint8Array.from([0xca, 0, 0, 0, 0]), // float32
    ];
    const all = concat(values);
    for (let cut = 1; cut < all.length; cut++) assert.deepEqual(frames(all, [cut]), values, `cut at ${cut}`);
  });

  it('flags a str that is not valid UTF-8 and only that message', () => {
    const bad = Uint8Array.from([0x92, 0xa2, 0xff, 0xfe, 0xa1, 0x61]);
    const good = luaPack(['ok', 'é']);
    const flags: boolean[] = [];
    new Framer().push(concat([bad, good]), (_bytes, invalid) => flags.push(invalid));
    assert.deepEqual(flags, [true, false]);
  });

  it('takes a 32 MB body in 64 KB reads in linear time with one buffer', () => {
    const body = new Uint8Array(32 * 1024 * 1024).fill(0x61);
    const message = luaPack([0, 1, 'plugin.Step', [{ EventId: 1, Data: body }]]);
    const framer = new Framer();
    let got: Uint8Array | undefined;
    const started = process.hrtime.bigint();
    for (let at = 0; at < message.length; at += 65536) {
      framer.push(message.subarray(at, Math.min(at + 65536, message.length)), (bytes) => (got = bytes));
      if (got === undefined) assert.ok(framer.bufferedBytes <= message.length);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(got?.length, message.length);
    assert.ok(ms < 2000, `framing took ${ms} ms`);
  });

  it('reassembles a message larger than the trusted reserve cut at its header, its growth steps and its end', () => {
    // 20 MB bin between two small messages: the framer first reserves up to
    // 8 MB beyond what arrived, then grows; cut around every such point.
    const big = luaPack([0, 7, 'plugin.Step', [{ EventId: 3, Data: new Uint8Array(20 * 1024 * 1024).map((_, i) => i & 0xff) }]]);
    const before = luaPack(samples[1]);
    const after = luaPack(samples[0]);
    const all = concat([before, big, after]);
    const start = before.length;
    const binHeader = big.indexOf(0xc6) + start; // bin32: 1 type byte + 4 length bytes
    const points = new Set<number>();
    for (let d = -2; d <= 6; d++) points.add(binHeader + d);
    for (const first of [1, 6, 100, 65536]) {
      const reserve = first * 2 + 8 * 1024 * 1024;
      for (const at of [start + first, start + reserve, start + reserve * 2 + 8 * 1024 * 1024]) for (let d = -1; d <= 1; d++) points.add(at + d);
    }
    for (let d = -2; d <= 2; d++) points.add(start + big.length + d);
    for (const cut of [...points].filter((c) => c > 0 && c < all.length)) {
      const got = frames(all, [start + 1, cut].filter((c, i, a) => a.indexOf(c) === i).sort((a, b) => a - b));
      assert.equal(got.length, 3, `cut at ${cut}`);
      assert.deepEqual(got[0], before);
      assert.ok(Buffer.from(got[1] as Uint8Array).equals(big), `big message intact, cut at ${cut}`);
      assert.deepEqual(got[2], after);
    }
  });

  it('refuses a message over the size limit as soon as its header says so', () => {
    const framer = new Framer({ maxMessageBytes: 1024 });
    const header = Uint8Array.from([0x94, 0x00, 0x01, 0xc6, 0x7f, 0xff, 0xff, 0xff]);
    assert.throws(() => framer.push(header, () => undefined), FrameError);
  });

  it('refuses a message that announces more values than allowed', () => {
    const framer = new Framer({ maxValues: 1000 });
    assert.throws(() => framer.push(Uint8Array.from([0xdd, 0x7f, 0xff, 0xff, 0xff]), () => undefined), FrameError);
  });

  it('refuses the never-used byte 0xc1', () => {
    assert.throws(() => new Framer().push(Uint8Array.from([0xc1]), () => undefined), FrameError);
  });

  it('gives messages that stay intact when later reads arrive', () => {
    const framer = new Framer();
    const first = luaPack([0, 1, 'plugin.Step', [{ EventId: 1, Data: new Uint8Array(5000).fill(1) }]]);
    const second = luaPack([0, 2, 'plugin.Step', [{ EventId: 1, Data: new Uint8Array(5000).fill(2) }]]);
    const seen: Uint8Array[] = [];
    framer.push(first.subarray(0, 100), (bytes) => seen.push(bytes));
    framer.push(concat([first.subarray(100), second.subarray(0, 50)]), (bytes) => seen.push(bytes));
    framer.push(second.subarray(50), (bytes) => seen.push(bytes));
    assert.deepEqual(seen[0], first);
    assert.deepEqual(seen[1], second);
  });
});

describe('framer, reading in place', () => {
  const stream = concat(samples.map((sample) => luaPack(sample)));
  const expected = samples.map((sample) => luaPack(sample));

  it('yields every message whatever the read sizes, and never writes over a message it handed out', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = random(seed);
      const sizes = [() => 1 + Math.floor(next() * 64), () => 1 + Math.floor(next() * 5000), () => 1 + Math.floor(next() * 200_000)];
      for (const size of sizes) {
        // Twice the samples, so that later reads land in the same regions.
        const { views } = framesInPlace(concat([stream, stream]), size);
        assert.deepEqual(views, [...expected, ...expected], `seed ${seed}`);
      }
    }
  });

  it('reassembles messages read one byte at a time', () => {
    const { views } = framesInPlace(stream, () => 1);
    assert.deepEqual(views, expected);
  });

  it('keeps many small messages in shared regions that later reads do not touch', () => {
    const small = Array.from({ length: 2000 }, (_, i) => luaPack([0, i, 'plugin.Step', [{ EventId: i, Data: `value ${i}` }]]));
    const { views } = framesInPlace(concat(small), () => 700);
    assert.deepEqual(views, small);
    const buffers = new Set(views.map((view) => view.buffer));
    assert.ok(buffers.size < small.length / 20, `${buffers.size} buffers for ${small.length} messages`);
  });

  it('gives a large message a buffer of its own, grown in place up to its size and not beyond', () => {
    const body = new Uint8Array(20 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
    const big = luaPack([0, 7, 'plugin.Step', [{ EventId: 3, Data: body }]]);
    const before = luaPack(samples[1]);
    const after = luaPack(samples[0]);
    const { views } = framesInPlace(concat([before, big, after]), () => 65536);
    assert.equal(views.length, 3);
    assert.deepEqual(views[0], before);
    assert.deepEqual(views[2], after);
    const got = views[1] as Uint8Array;
    assert.ok(Buffer.from(got).equals(big), 'large message intact');
    assert.equal(got.byteOffset, 0);
    assert.ok(got.buffer.byteLength - got.length <= 16 * 1024, `buffer of ${got.buffer.byteLength} bytes for a message of ${got.length}`);
  });

  it('lets a large buffer go once its message is handed out, even with room to spare', () => {
    // 32 MB grows to more than it needs (2x what arrived), leaving room after the message.
    const big = luaPack([0, 7, 'plugin.Step', [{ EventId: 3, Data: new Uint8Array(32 * 1024 * 1024).fill(5) }]]);
    const small = samples.slice(0, 3).map((sample) => luaPack(sample));
    const framer = new Framer();
    const { views } = framesInPlace(concat([big, ...small]), () => 65536, framer);
    assert.equal(views.length, 4);
    assert.deepEqual(views.slice(1), small);
    // Reads go on in a fresh region, not in the spare room (which would keep 32 MB alive).
    const large = (views[0] as Uint8Array).buffer;
    assert.ok(large.byteLength > big.length, 'the buffer had room to spare');
    assert.ok(framer.readTarget().buffer !== large, 'the next read goes elsewhere');
  });

  it('reserves at most 8 MiB beyond twice what arrived, whatever a header claims', () => {
    const framer = new Framer();
    const header = Uint8Array.from([0x94, 0x00, 0x01, 0xab, ...Buffer.from('plugin.Step'), 0x91, 0xc6, 0x07, 0x00, 0x00, 0x00]);
    let received = 0;
    const feed = (bytes: Uint8Array): void => {
      let at = 0;
      while (at < bytes.length) {
        const target = framer.readTarget();
        assert.ok(target.length <= Math.max(16 * 1024, received * 2 + 8 * 1024 * 1024 + 16 * 1024), `target of ${target.length} bytes after ${received}`);
        const count = Math.min(target.length, bytes.length - at, 65536);
        target.set(bytes.subarray(at, at + count));
        framer.commit(count, () => assert.fail('the message is not complete'));
        at += count;
        received += count;
      }
    };
    feed(header);
    feed(new Uint8Array(3 * 1024 * 1024));
    assert.equal(framer.bufferedBytes, received);
  });

  it('grows by copying where the runtime cannot reserve the message limit', () => {
    // 8 GiB is over what V8 lets an ArrayBuffer reserve: the framer falls back to plain buffers.
    const big = luaPack([0, 7, 'plugin.Step', [{ EventId: 3, Data: new Uint8Array(12 * 1024 * 1024).fill(9) }]]);
    const { views } = framesInPlace(concat([big, stream]), () => 100_000, new Framer({ maxMessageBytes: 2 ** 33 }));
    assert.ok(Buffer.from(views[0] as Uint8Array).equals(big));
    assert.deepEqual(views.slice(1), expected);
  });

  it('refuses what push refuses: a message over the limit, too many values, the byte 0xc1', () => {
    const cases: [Framer, number[]][] = [
      [new Framer({ maxMessageBytes: 1024 }), [0x94, 0x00, 0x01, 0xc6, 0x7f, 0xff, 0xff, 0xff]],
      [new Framer({ maxValues: 1000 }), [0xdd, 0x7f, 0xff, 0xff, 0xff]],
      [new Framer(), [0xc1]],
    ];
    for (const [framer, bytes] of cases) {
      const target = framer.readTarget();
      target.set(bytes);
      assert.throws(() => framer.commit(bytes.length, () => undefined), FrameError);
    }
  });
});

describe('framer: decoding limits and holding (issue 16, items 3 and 4)', () => {
  const messages = samples.map((sample) => luaPack(sample));
  const stream = concat(messages);

  it('hands out a message over a decoding limit with the reason, and frames the rest as before', () => {
    // Counted over the whole message: the envelope is an array of 4 and the argument a map.
    const wide = encode([0, 1, 'plugin.Step', [{ EventId: 1, Data: { a: 1, b: 2, c: 3 } }]]);
    const long = encode([0, 2, 'plugin.Step', [{ EventId: 1, Data: [1, 2, 3] }]]);
    const deep = encode([0, 3, 'plugin.Step', [{ EventId: 1, Data: [[[1]]] }]]);
    const fine = encode([0, 4, 'plugin.Step', [{ EventId: 1, Data: [[]] }]]);
    const reasons = (framer: Framer): Array<string | undefined> => {
      const seen: Array<string | undefined> = [];
      framer.push(concat([wide, long, deep, fine]), (_bytes, _invalid, excess) => seen.push(excess));
      return seen;
    };
    const maps = reasons(new Framer({ maxMapEntries: 4 }));
    assert.match(String(maps[0]), /^it holds 5 map entries, more than the limit of 4 \(--max-map-entries\)$/);
    assert.deepEqual(maps.slice(1), [undefined, undefined, undefined]);
    const arrays = reasons(new Framer({ maxArrayEntries: 7 }));
    assert.deepEqual(arrays.map((reason) => reason?.match(/holds (\d+) array elements/)?.[1]), [undefined, '8', '8', undefined]);
    const depth = reasons(new Framer({ maxNesting: 5 }));
    assert.deepEqual(depth.map((reason) => reason !== undefined), [false, false, true, false]);
    assert.match(String(depth[2]), /^it nests maps and arrays more than 5 levels deep, the limit \(--max-nesting\)$/);
  });

  it('measures nesting exactly and skips values without decoding them', () => {
    const deep = encode({ a: [[{ b: [1] }]], c: 'x' });
    assert.equal(nestingDepth(deep, 0, deep.length, 100), 5);
    assert.equal(nestingDepth(deep, 0, deep.length, 2), 3);
    const two = concat([deep, encode('next')]);
    assert.equal(skipValue(two, 0), deep.length);
  });

  for (const mode of ['push', 'in place'] as const) {
    it(`holds after a message and hands out the rest in order on release (${mode})`, () => {
      const framer = new Framer();
      const out: Uint8Array[] = [];
      let holdAfter = 2;
      const sink = (bytes: Uint8Array): void => {
        out.push(bytes.slice());
        if (--holdAfter === 0) framer.hold();
      };
      const feed = (part: Uint8Array): void => {
        if (mode === 'push') framer.push(part, sink);
        else {
          for (let at = 0; at < part.length; ) {
            const target = framer.readTarget();
            const count = Math.min(target.length, part.length - at);
            target.set(part.subarray(at, at + count));
            framer.commit(count, sink);
            at += count;
          }
        }
      };
      // Two reads: the framer holds after two messages, the second read waits.
      const middle = (messages[0]?.length ?? 0) + (messages[1]?.length ?? 0) + 3;
      feed(stream.subarray(0, middle));
      assert.equal(out.length, 2);
      assert.equal(framer.held, true);
      feed(stream.subarray(middle));
      assert.equal(out.length, 2, 'nothing is handed out while held');
      holdAfter = 2;
      framer.release(sink);
      assert.equal(out.length, 4);
      framer.release(sink);
      assert.deepEqual(out.map((bytes) => Buffer.from(bytes).toString('hex')), messages.map((bytes) => Buffer.from(bytes).toString('hex')));
    });
  }
});
