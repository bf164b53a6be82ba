import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { MessageDecoder, ReplyEncoder, MessageEncoder } from '../../server/wire/codec.ts';
import { RequestReader } from '../../server/wire/request-reader.ts';
import { luaPack } from '../../testing/host/lua-msgpack.ts';

const decoder = new MessageDecoder();

/** What the connection hands the server on the general path: [msgid, method, arg]. */
function general(bytes: Uint8Array): [unknown, unknown, unknown] {
  const message = decoder.decode(bytes, false) as unknown[];
  return [message[1], message[2], (message[3] as unknown[])[0]];
}

function fast(bytes: Uint8Array): [unknown, unknown, unknown] | undefined {
  const reader = new RequestReader();
  return reader.read(bytes) ? [reader.msgid, reader.method, reader.arg] : undefined;
}

describe('RequestReader', () => {
  it('reads HandleEvent and Steps exactly as the general decoder does', () => {
    const cases: unknown[] = [
      [0, 1, 'plugin.HandleEvent', [{ InstanceId: 17, EventName: 'access' }]],
      [0, 300, 'plugin.HandleEvent', [{ EventName: 'log', InstanceId: 70_000_000_123 }]],
      [0, 2 ** 40, 'plugin.Step', [{ EventId: 5 }]],
      [0, 70_000, 'plugin.Step', [{ EventId: 123_456_789, Data: 'example.com' }]],
      [0, 9, 'plugin.StepError', [{ EventId: 1, Data: 'no such header: ü' }]],
      [0, 9, 'plugin.Step', [{ Data: 'x'.repeat(200), EventId: 1 }]],
      [0, 9, 'plugin.Step', [{ EventId: 1, Data: -3 }]],
      [0, 9, 'plugin.Step', [{ EventId: 1, Data: null }]],
      [0, 9, 'plugin.Step', [{ EventId: 1, Data: true }]],
      [0, 9, 'plugin.StepMemoryStats', [{ EventId: 1, Data: false }]],
    ];
    for (const message of cases) {
      for (const bytes of [encode(message), luaPack(message)]) {
        const got = fast(bytes);
        assert.ok(got !== undefined, `declined ${JSON.stringify(message)}`);
        assert.deepEqual(got, general(bytes));
      }
    }
  });

  it('declines everything else, so the general path decides', () => {
    const cases: unknown[] = [
      [0, 1, 'plugin.StartInstance', [{ Name: 'x', Config: '{}' }]],
      [0, 1, 'plugin.CloseInstance', [5]],
      [0, 1, 'plugin.Step', [{ EventId: 1, Data: { host: ['a'] } }]],
      [0, 1, 'plugin.Step', [{ EventId: 1, Data: [] }]],
      [0, 1, 'plugin.Step', [{ EventId: 1, Data: new Uint8Array([1, 2]) }]],
      [0, 1, 'plugin.Step', [{ EventId: 1, Data: 1.5 }]],
      [0, 1, 'plugin.Step', [{ EventId: 1, Data: -1000 }]],
      [0, 1, 'plugin.Step', [{ EventId: 1, Other: 2 }]],
      [0, 1, 'plugin.Step', [{ EventId: 1 }, 2]],
      [0, 1, 'plugin.Step', { EventId: 1 }],
      [0, -1, 'plugin.Step', [{ EventId: 1 }]],
      [1, 1, 'plugin.Step', [{ EventId: 1 }]],
      [0, 1, 'plugin.Nope', [{ EventId: 1 }]],
      [0, 1, 'plugin.Step', [{ EventId: 1, Data: 'x'.repeat(300) }]],
      [0, 1, 'plugin.Step'],
    ];
    for (const message of cases) assert.equal(fast(encode(message)), undefined, JSON.stringify(message));
    // An empty Lua table arrives as an empty array, not a map.
    assert.equal(fast(luaPack([0, 1, 'plugin.Step', [{}]])), undefined);
    // A __proto__ key is left to the general decoder, which refuses it.
    assert.equal(fast(encode([0, 1, 'plugin.Step', [{ ['__proto__']: 1 }]])), undefined);
    // Truncated input never reads past the end.
    const whole = encode([0, 70_000, 'plugin.Step', [{ EventId: 123_456_789, Data: 'example.com' }]]);
    for (let n = 0; n < whole.length; n++) assert.equal(fast(whole.subarray(0, n)), undefined);
  });
});

describe('ReplyEncoder', () => {
  it('writes the same bytes as the general encoder', () => {
    const replies = new ReplyEncoder();
    const general = new MessageEncoder();
    const cases: [number, number, string | undefined, unknown[]][] = [
      [1, 5, 'kong.request.get_header', ['host']],
      [300, 2 ** 40 + 5, undefined, []],
      [70_000, 1_234_567, 'kong.response.set_header', ['x', { a: [1, 2] }, 'y'.repeat(40)]],
      [2 ** 33, 127, 'x'.repeat(40), []],
      [0, 0, 'kong.response.exit', [403, undefined]],
      [1, 1, 'kong.log.err', ['ascii', 'é non-ASCII', -32, -33, 127, 128, 255, 256, 65535, 65536, 1.5, true, false, null]],
      [1, 1, 'kong.log.err', ['a'.repeat(31), 'b'.repeat(32), 'c'.repeat(255), 'd'.repeat(256), 0, -1]],
      [1, 1, 'kong.log.err', Array.from({ length: 16 }, (_, i) => i)],
      [1, 1, 'kong.log.err', [Number.NaN, -0, Infinity]],
    ];
    for (const [msgid, eventId, method, args] of cases) {
      const fast = replies.step(msgid, eventId, method, args);
      const data = method === undefined ? 'ret' : { Method: method, Args: args };
      assert.deepEqual(fast && Buffer.from(fast), Buffer.from(general.encode([1, msgid, null, { EventId: eventId, Data: data }])));
    }
    assert.equal(replies.step(-1, 5, undefined, []), undefined);
    assert.equal(replies.step(1, 1.5, undefined, []), undefined);
  });
});
