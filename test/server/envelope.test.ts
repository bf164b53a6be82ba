import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, encode, Encoder, ExtData } from '@msgpack/msgpack';
import {
  encodedMsgid,
  encodeMsgid,
  ENVELOPE_HEAD,
  EVENT_METHODS,
  FixCapacity,
  isRequest,
  isStepMethod,
  Marker,
  MessageType,
  Method,
  msgidEnd,
  peekMsgid,
  STEP_METHODS,
  withMsgid,
} from '../../server/wire/envelope.ts';
import { luaPack } from '../../testing/host/lua-msgpack.ts';
import { Prng } from '../reliability/prng.ts';

/** Msgids at both ends of every width Kong may encode them in, and their encoded size. */
const WIDTHS: [number, number][] = [
  [0, 1],
  [127, 1],
  [128, 2],
  [255, 2],
  [256, 3],
  [65_535, 3],
  [65_536, 5],
  [2 ** 32 - 1, 5],
  [2 ** 32, 9],
  [Number.MAX_SAFE_INTEGER, 9],
];

const request = (msgid: number): Uint8Array => luaPack([0, msgid, 'plugin.Step', [{ EventId: 5, Data: 'example.com' }]]);
const response = (msgid: number): Uint8Array => encode([1, msgid, null, { EventId: 5, Data: 'ret' }]);

describe('envelope: format markers', () => {
  it('name the bytes an independent encoder writes for each type', () => {
    const first = (value: unknown, encoder = new Encoder()): number => encoder.encode(value)[0] as number;
    const ext = (length: number): ExtData => new ExtData(1, new Uint8Array(length));
    const cases: [string, number, number][] = [
      ['positiveFixint', Marker.positiveFixint, first(0)],
      ['fixmap', Marker.fixmap, first({})],
      ['fixarray', Marker.fixarray, first([])],
      ['fixstr', Marker.fixstr, first('')],
      ['nil', Marker.nil, first(null)],
      ['false', Marker.false, first(false)],
      ['true', Marker.true, first(true)],
      ['bin8', Marker.bin8, first(new Uint8Array(1))],
      ['bin16', Marker.bin16, first(new Uint8Array(256))],
      ['bin32', Marker.bin32, first(new Uint8Array(65_536))],
      ['ext8', Marker.ext8, first(ext(3))],
      ['ext16', Marker.ext16, first(ext(256))],
      ['ext32', Marker.ext32, first(ext(65_536))],
      ['float32', Marker.float32, first(1.5, new Encoder({ forceFloat32: true }))],
      ['float64', Marker.float64, first(1.5)],
      ['uint8', Marker.uint8, first(200)],
      ['uint16', Marker.uint16, first(300)],
      ['uint32', Marker.uint32, first(70_000)],
      ['uint64', Marker.uint64, first(2 ** 40)],
      ['int8', Marker.int8, first(-100)],
      ['int16', Marker.int16, first(-1000)],
      ['int32', Marker.int32, first(-100_000)],
      ['int64', Marker.int64, first(-(2 ** 40))],
      ['fixext1', Marker.fixext1, first(ext(1))],
      ['fixext2', Marker.fixext2, first(ext(2))],
      ['fixext4', Marker.fixext4, first(ext(4))],
      ['fixext8', Marker.fixext8, first(ext(8))],
      ['fixext16', Marker.fixext16, first(ext(16))],
      ['str8', Marker.str8, first('x'.repeat(32))],
      ['str16', Marker.str16, first('x'.repeat(256))],
      ['str32', Marker.str32, first('x'.repeat(65_536))],
      ['array16', Marker.array16, first(new Array(16).fill(0))],
      ['array32', Marker.array32, first(new Array(65_536).fill(0))],
      ['map16', Marker.map16, first(Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 0])))],
      ['map32', Marker.map32, first(Object.fromEntries(Array.from({ length: 65_536 }, (_, i) => [`k${i}`, 0])))],
      ['negativeFixint', Marker.negativeFixint, first(-32)],
    ];
    for (const [name, marker, written] of cases) assert.equal(marker, written, name);
    // Every marker of the format is named, each once.
    assert.equal(new Set(Object.values(Marker)).size, Object.keys(Marker).length);
    assert.equal(Object.keys(Marker).length, cases.length + 1);
    assert.throws(() => decode(new Uint8Array([Marker.neverUsed])));
    assert.ok(Object.isFrozen(Marker) && Object.isFrozen(MessageType) && Object.isFrozen(Method));
  });

  it('say how much a fix… marker holds', () => {
    const first = (value: unknown): number => encode(value)[0] as number;
    assert.equal(first(new Array(FixCapacity.array).fill(0)), Marker.fixarray | FixCapacity.array);
    assert.equal(first(new Array(FixCapacity.array + 1).fill(0)), Marker.array16);
    const map = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 0]));
    assert.equal(first(map(FixCapacity.map)), Marker.fixmap | FixCapacity.map);
    assert.equal(first(map(FixCapacity.map + 1)), Marker.map16);
    assert.equal(first('x'.repeat(FixCapacity.str)), Marker.fixstr | FixCapacity.str);
    assert.equal(first('x'.repeat(FixCapacity.str + 1)), Marker.str8);
    assert.equal(ENVELOPE_HEAD, first([0, 0, 0, 0]));
  });
});

describe('envelope: msgid in raw bytes', () => {
  it('peeks the msgid of requests and responses at every width', () => {
    for (const [msgid, size] of WIDTHS) {
      for (const [type, bytes] of [
        [MessageType.request, request(msgid)],
        [MessageType.request, encode([0, msgid, 'plugin.Step', [{ EventId: 5 }]])],
        [MessageType.response, response(msgid)],
      ] as const) {
        assert.equal(peekMsgid(bytes, type), msgid, `msgid ${msgid}`);
        assert.equal(peekMsgid(bytes, type), (decode(bytes) as unknown[])[1]);
        assert.equal(msgidEnd(bytes, type), 2 + size, `msgid ${msgid}`);
        assert.deepEqual(encodedMsgid(bytes, type), bytes.slice(2, 2 + size));
      }
    }
    // Above 2^53, the value the general decoder reads, rounded the same way.
    const random = new Prng(14);
    for (let i = 0; i < 500; i++) {
      const huge = new Uint8Array([ENVELOPE_HEAD, 0, Marker.uint64, ...random.bytes(8), Marker.nil, Marker.fixarray]);
      huge[3] = (huge[3] as number) | 0x20;
      assert.equal(peekMsgid(huge, MessageType.request), (decode(huge) as unknown[])[1], Buffer.from(huge).toString('hex'));
    }
  });

  it('needs only the bytes up to the end of the msgid', () => {
    for (const [msgid, size] of WIDTHS) {
      const bytes = request(msgid);
      for (let n = 0; n < 2 + size; n++) {
        const part = bytes.subarray(0, n);
        assert.equal(peekMsgid(part, MessageType.request), undefined, `${n} bytes of msgid ${msgid}`);
        assert.equal(msgidEnd(part, MessageType.request), -1);
        assert.equal(encodedMsgid(part, MessageType.request), undefined);
        assert.throws(() => withMsgid(part, MessageType.request, encodeMsgid(1)), RangeError);
      }
      assert.equal(peekMsgid(bytes.subarray(0, 2 + size), MessageType.request), msgid);
    }
  });

  it('finds no msgid in what is not a request or response of the type asked for', () => {
    const cases: [string, Uint8Array][] = [
      ['nothing', new Uint8Array(0)],
      ['a map', encode({ msgid: 1 })],
      ['a notification', encode([2, 'serverPid', 123])],
      ['an array of five', encode([0, 1, 'plugin.Step', [], 5])],
      ['a response', response(7)],
      ['type 3', encode([3, 1, 'plugin.Step', []])],
      ['a negative fixint msgid', encode([0, -1, 'plugin.Step', []])],
      ['an int8 msgid', encode([0, -100, 'plugin.Step', []])],
      ['a float msgid', encode([0, 1.5, 'plugin.Step', []])],
      ['a str msgid', encode([0, '1', 'plugin.Step', []])],
      ['a nil msgid', encode([0, null, 'plugin.Step', []])],
      ['an envelope in array16 form', new Uint8Array([Marker.array16, 0, 4, 0, 1, Marker.nil, Marker.nil, Marker.nil])],
      ['the never-used byte', new Uint8Array([ENVELOPE_HEAD, 0, Marker.neverUsed, 0])],
    ];
    for (const [name, bytes] of cases) {
      assert.equal(peekMsgid(bytes, MessageType.request), undefined, name);
      assert.equal(msgidEnd(bytes, MessageType.request), -1, name);
      assert.throws(() => withMsgid(bytes, MessageType.request, encodeMsgid(1)), RangeError, name);
    }
    assert.equal(peekMsgid(request(7), MessageType.response), undefined);
  });

  it('swaps a msgid for another of any width and back, the rest byte for byte', () => {
    for (const [msgid, size] of WIDTHS) {
      const original = request(msgid);
      const forwarded = withMsgid(original, MessageType.request, encodeMsgid(4_000_000_000));
      assert.deepEqual(decode(forwarded), [0, 4_000_000_000, 'plugin.Step', [{ EventId: 5, Data: 'example.com' }]]);
      assert.deepEqual(forwarded.subarray(2 + 5), original.subarray(2 + size));
      const kept = encodedMsgid(original, MessageType.request);
      assert.ok(kept !== undefined);
      // Kong's msgid goes back on the answer exactly as it came.
      const answer = withMsgid(response(4_000_000_000), MessageType.response, kept);
      assert.deepEqual(answer, response(msgid));
      assert.deepEqual(withMsgid(forwarded, MessageType.request, kept), original);
    }
  });

  it('copies, never aliases, the bytes it takes or gives', () => {
    const bytes = request(300);
    const kept = encodedMsgid(bytes, MessageType.request);
    const swapped = withMsgid(bytes, MessageType.request, encodeMsgid(1));
    bytes.fill(0);
    assert.deepEqual(kept, new Uint8Array([Marker.uint16, 0x01, 0x2c]));
    assert.deepEqual(decode(swapped), [0, 1, 'plugin.Step', [{ EventId: 5, Data: 'example.com' }]]);
  });

  it('encodes its own msgids as uint32 and refuses what is not one', () => {
    for (const seq of [0, 1, 127, 65_536, 2 ** 32 - 1]) {
      const bytes = encodeMsgid(seq);
      assert.equal(bytes.length, 5);
      assert.equal(bytes[0], Marker.uint32);
      assert.equal(decode(bytes), seq);
    }
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) assert.throws(() => encodeMsgid(bad), RangeError, String(bad));
  });
});

describe('envelope: requests and methods', () => {
  it('tells a decoded request by its shape', () => {
    assert.ok(isRequest([0, 1, 'plugin.Step', [{}]]));
    assert.ok(isRequest([0, 1, 5, null]));
    for (const bad of [[1, 1, null, null], [0, '1', 'plugin.Step', []], [0, 1, 'plugin.Step'], [0, 1, 'plugin.Step', [], 1], { 0: 0, 1: 1, length: 4 }, null, 'x']) {
      assert.equal(isRequest(bad), false, JSON.stringify(bad));
    }
  });

  it('lists every Step variant once, and the event loop as HandleEvent and the Steps', () => {
    assert.equal(STEP_METHODS[0], Method.step);
    assert.equal(new Set(STEP_METHODS).size, STEP_METHODS.length);
    assert.deepEqual(Object.values(Method).filter((name) => name.startsWith('plugin.Step')).sort(), [...STEP_METHODS].sort());
    assert.deepEqual([...EVENT_METHODS].sort(), [...STEP_METHODS, Method.handleEvent].sort());
    assert.deepEqual(EVENT_METHODS.slice(0, 2), [Method.step, Method.handleEvent]);
    for (const step of STEP_METHODS) assert.ok(isStepMethod(step), step);
    for (const other of [Method.handleEvent, Method.startInstance, Method.getStatus, 'plugin.StepFoo', 'plugin.step', '']) {
      assert.equal(isStepMethod(other), false, other);
    }
  });
});
