/**
 * Decoding limits (issue 16, item 4): a message over `--max-map-entries`,
 * `--max-array-entries` or `--max-nesting` is framed but not decoded (a map
 * of a million keys blocked the server for seconds). A Step over a limit
 * rejects the PDK call it answers with PDK_RESULT_TOO_LARGE, so the plugin
 * fails closed; any other request gets an error answer; the connection stays.
 * Also the smaller cases of item 8 on the wire: a msgid that is not an
 * unsigned integer is never echoed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import type { Kong } from '../../pdk/kong.ts';
import { definePlugin } from '../../plugin/definition.ts';
import { Config, field } from '../../plugin/index.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { HostConnection } from '../../testing/host/host-connection.ts';
import { tempDirectory } from '../support/server.ts';
import { rmSync } from 'node:fs';

const results: unknown[] = [];

class Reader extends Config({ tolerant: field.boolean({ default: false }) }) {
  async access(kong: Kong): Promise<void> {
    if (this.tolerant) {
      try {
        results.push(await kong.request.getHeaders());
      } catch (error) {
        results.push(error);
      }
      return;
    }
    const headers = await kong.request.getHeaders();
    await kong.response.setHeader('x-count', String(Object.keys(headers).length));
  }
}

const reader = definePlugin(Reader, { name: 'reader', version: '1.0.0', priority: 1 });

function bigMap(entries: number): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i < entries; i++) map[`h${i}`] = 'v';
  return map;
}

function nested(depth: number): unknown {
  let value: unknown = 'core';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

interface Started {
  readonly connection: HostConnection;
  readonly eventId: number;
}

/** Starts an event of `reader` on a fresh connection; it waits for the answer to kong.request.get_headers. */
async function startEvent(socket: string, config: Record<string, unknown> = {}): Promise<Started> {
  const connection = await HostConnection.open(socket);
  const started = await connection.call(1, 'plugin.StartInstance', { Name: 'reader', Config: JSON.stringify(config) });
  const event = await connection.call(2, 'plugin.HandleEvent', { InstanceId: (started.result as { Id: number }).Id, EventName: 'access' });
  const result = event.result as { EventId: number; Data: { Method: string } };
  assert.equal(result.Data.Method, 'kong.request.get_headers');
  return { connection, eventId: result.EventId };
}

/** Sends the Step `[0, 3, method, [{EventId, Data}]]` as raw bytes and returns the answer. */
async function step(started: Started, data: unknown, method = 'plugin.StepMultiMap'): Promise<{ error: unknown; result: unknown }> {
  const answer = started.connection.nextResponse();
  started.connection.writeRaw(data instanceof Uint8Array ? stepWithEncodedData(started.eventId, data, method) : encode([0, 3, method, [{ EventId: started.eventId, Data: data }]]));
  return answer;
}

/** `[0, 3, method, [{EventId, Data}]]` around `Data` already encoded (building a JS object of a million keys would take seconds here). */
function stepWithEncodedData(eventId: number, data: Uint8Array, method: string): Uint8Array {
  const head = encode([0, 3, method, [{ EventId: eventId, Data: null }]]);
  // The head ends with Data's nil (0xc0): put the encoded value in its place.
  return Buffer.concat([head.subarray(0, head.length - 1), data]);
}

/** A map32 of `entries` keys `h0`… with value "v", encoded directly. */
function encodedBigMap(entries: number): Uint8Array {
  const out = Buffer.alloc(5 + entries * 12);
  out[0] = 0xdf;
  out.writeUInt32BE(entries, 1);
  let at = 5;
  for (let i = 0; i < entries; i++) {
    const key = `h${i}`;
    out[at++] = 0xa0 | key.length;
    at += out.write(key, at, 'latin1');
    out[at++] = 0xa1;
    out[at++] = 0x76;
  }
  return out.subarray(0, at);
}

describe('decoding limits', () => {
  let running: RunningServer;
  let directory: string;
  let socket: string;
  before(async () => {
    directory = tempDirectory();
    socket = join(directory, 'p.socket');
    running = await startServer({ logger: silentLogger(), plugins: [reader], sockets: [socket], maxMapEntries: 1000, maxArrayEntries: 5000, maxNesting: 64 });
  });
  after(async () => {
    await running.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  const over: Array<[string, unknown, RegExp]> = [
    ['map entries', bigMap(2000), /it holds 2,0\d\d map entries, more than the limit of 1,000 \(--max-map-entries\)/],
    ['array elements', { list: Array.from({ length: 6000 }, () => 1) }, /it holds 6,0\d\d array elements, more than the limit of 5,000 \(--max-array-entries\)/],
    ['nesting', { deep: nested(80) }, /nests maps and arrays more than 64 levels deep, the limit \(--max-nesting\)/],
  ];
  for (const [what, data, message] of over) {
    it(`a Step over the limit of ${what} rejects the pending call (PDK_RESULT_TOO_LARGE), and an uncaught rejection fails closed`, async () => {
      const started = await startEvent(socket);
      try {
        const first = await step(started, data);
        assert.equal(first.error, null);
        const log = (first.result as { Data: { Method: string; Args: string[] } }).Data;
        assert.equal(log.Method, 'kong.log.err');
        assert.match(String(log.Args[0]), /failed in access, request ends with 500: kong\.request\.get_headers: Kong's answer was not decoded: /);
        assert.match(String(log.Args[0]), message);
        const last = await started.connection.call(4, 'plugin.Step', { EventId: started.eventId });
        assert.equal((last.result as { Data: { Method: string } }).Data.Method, 'kong.response.error');
        assert.equal(started.connection.closed, false, 'the connection stays');
      } finally {
        started.connection.close();
      }
    });
  }

  it('hands the plugin a PdkError it can catch', async () => {
    results.length = 0;
    const started = await startEvent(socket, { tolerant: true });
    try {
      const answer = await step(started, bigMap(1500));
      assert.equal((answer.result as { Data: string }).Data, 'ret');
      const error = results[0];
      assert.ok(error instanceof PdkError, String(error));
      assert.equal(error.code, ErrorCodes.ResultTooLarge);
      assert.equal(error.method, 'kong.request.get_headers');
    } finally {
      started.connection.close();
    }
  });

  it('answers a request over a limit that is not a Step with an error, and serves on', async () => {
    const connection = await HostConnection.open(socket);
    try {
      const answer = connection.nextResponse();
      connection.writeRaw(encode([0, 9, 'plugin.GetPluginInfo', [bigMap(3000)]]));
      const { error } = await answer;
      assert.match(String(error), /^message not decoded: it holds 3,000 map entries/);
      const info = await connection.call(10, 'plugin.GetPluginInfo', 'reader');
      assert.equal(info.error, null);
    } finally {
      connection.close();
    }
  });

  it('decodes messages within the limits as before', async () => {
    results.length = 0;
    const started = await startEvent(socket, { tolerant: true });
    try {
      await step(started, bigMap(900));
      assert.equal(Object.keys(results[0] as object).length, 900);
    } finally {
      started.connection.close();
    }
  });

  it('never echoes a msgid that is not an unsigned integer: the connection is closed', async () => {
    for (const msgid of [Number.NaN, -1, 1.5]) {
      const connection = await HostConnection.open(socket);
      const closed = new Promise<void>((resolve) => connection.socket.once('close', () => resolve()));
      connection.writeRaw(encode([0, msgid, 'plugin.GetStatus', []]));
      await closed;
      assert.deepEqual(connection.unsolicited, [], `msgid ${msgid}`);
    }
  });
});

describe('decoding limits raised for a Kong that sends more', () => {
  it('delivers what the defaults would refuse', async () => {
    const directory = tempDirectory();
    const socket = join(directory, 'p.socket');
    const running = await startServer({ logger: silentLogger(), plugins: [reader], sockets: [socket], maxMapEntries: 50_000 });
    results.length = 0;
    const started = await startEvent(socket, { tolerant: true });
    try {
      await step(started, encodedBigMap(20_000));
      assert.equal(Object.keys(results[0] as object).length, 20_000);
    } finally {
      started.connection.close();
      await running.stop();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses a map of 1,048,576 keys with the defaults, without decoding it', async () => {
    const directory = tempDirectory();
    const socket = join(directory, 'p.socket');
    const running = await startServer({ logger: silentLogger(), plugins: [reader], sockets: [socket] });
    results.length = 0;
    const started = await startEvent(socket, { tolerant: true });
    try {
      await step(started, encodedBigMap(1_048_576));
      const error = results[0];
      assert.ok(error instanceof PdkError && error.code === ErrorCodes.ResultTooLarge, String(error));
      assert.match(error.message, /1,048,5\d\d map entries, more than the limit of 16,384 \(--max-map-entries\)/);
    } finally {
      started.connection.close();
      await running.stop();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
