/**
 * Conformance: the wire (docs/protocol.md §3 and docs/conformance.md): framing,
 * value encodings, request and response shapes, msgids, notifications,
 * hostile input.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeMulti, encode } from '@msgpack/msgpack';
import { HostConnection } from '../../testing/host/host-connection.ts';
import { luaPack } from '../../testing/host/lua-msgpack.ts';
import { probe, probeConfig } from '../fixtures/probe.ts';
import { sleep, startTestServer, TEST_WORKERS, waitFor, type TestServer } from '../support/server.ts';

/** Connects and collects every message the server sends. */
async function rawClient(path: string) {
  const socket = connect(path);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const received: unknown[] = [];
  let buffer = new Uint8Array(0);
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    const merged = new Uint8Array(buffer.length + chunk.length);
    merged.set(buffer);
    merged.set(chunk, buffer.length);
    buffer = merged;
    try {
      for (const message of decodeMulti(buffer)) received.push(message);
      buffer = new Uint8Array(0);
    } catch {
      // incomplete: wait for more
    }
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  return {
    socket,
    received,
    get closed() {
      return closed;
    },
    send(bytes: Uint8Array) {
      socket.write(bytes);
    },
  };
}

const start = (msgid: number, config: Record<string, unknown> = { mode: 'hello' }) =>
  luaPack([0, msgid, 'plugin.StartInstance', [{ Name: 'probe', Config: JSON.stringify(config) }]]);

describe('wire', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer([probe]);
  });
  after(async () => server.close());

  it('sends [2,"serverPid",pid] as the first message of a fresh connection, and nothing while idle', async () => {
    const client = await rawClient(server.socket);
    await waitFor(() => client.received.length === 1);
    assert.deepEqual(client.received[0], [2, 'serverPid', process.pid]);
    await sleep(50);
    assert.equal(client.received.length, 1, 'nothing else arrives while the connection is idle');
    client.send(luaPack([0, 1, 'plugin.GetStatus', [null]]));
    await waitFor(() => client.received.length === 2);
    const reply = client.received[1] as unknown[];
    assert.equal(reply[0], 1);
    await sleep(50);
    assert.equal(client.received.length, 2);
    client.socket.destroy();
  });

  it('answers every request of a read that holds several, echoing each msgid (in order when each answers at once)', async () => {
    const client = await rawClient(server.socket);
    const bytes = [start(7), luaPack([0, 8, 'plugin.GetStatus', [null]]), start(2 ** 32 + 5)];
    const merged = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) {
      merged.set(b, at);
      at += b.length;
    }
    client.send(merged);
    await waitFor(() => client.received.length === 4);
    const replies = (client.received.slice(1) as unknown[][]).map((r) => [r[0], r[1], r[2]]);
    const expected = [
      [1, 7, null],
      [1, 8, null],
      [1, 2 ** 32 + 5, null],
    ];
    // MessagePack-RPC matches answers by msgid. One process answers these three at once, in order; with several
    // workers GetStatus gathers every worker's part first, so its answer may come last (Kong never pipelines).
    if (TEST_WORKERS === 1) assert.deepEqual(replies, expected);
    else assert.deepEqual([...replies].sort((a, b) => (a[1] as number) - (b[1] as number)), expected);
    client.socket.destroy();
  });

  it('answers a request that arrives one byte at a time', async () => {
    const client = await rawClient(server.socket);
    const bytes = start(11);
    for (const byte of bytes) {
      client.send(Uint8Array.of(byte));
      await sleep(0);
    }
    await waitFor(() => client.received.length === 2);
    assert.equal((client.received[1] as unknown[])[1], 11);
    client.socket.destroy();
  });

  it('does not rely on msgids being unique across connections', async () => {
    const a = await HostConnection.open(server.socket);
    const b = await HostConnection.open(server.socket);
    const [ra, rb] = await Promise.all([
      a.call(1, 'plugin.StartInstance', { Name: 'probe', Config: '{}' }),
      b.call(1, 'plugin.StartInstance', { Name: 'probe', Config: '{}' }),
    ]);
    assert.equal(ra.error, null);
    assert.equal(rb.error, null);
    assert.notEqual((ra.result as { Id: number }).Id, (rb.result as { Id: number }).Id);
    a.close();
    b.close();
  });

  it('decodes str16 short strings, integers where floats are expected and uint64 msgids', async () => {
    const host = server.host();
    // luaPack sends 32..65535-byte strings as str16, as lua-MessagePack does.
    const name = 'x'.repeat(40);
    const response = await host.request([probeConfig('hello')], { headers: { host: name } });
    assert.deepEqual(response.headers.get('x-probe'), [`hello ${name}`]);
    const connection = await HostConnection.open(server.socket);
    const result = await connection.call(2 ** 40, 'plugin.StartInstance', { Name: 'probe', Config: '{"mode":"hello","delay":3.0}' });
    assert.equal(result.error, null);
    connection.close();
  });

  it('answers errors as non-empty strings with a nil result, and keeps the connection', async () => {
    const connection = await HostConnection.open(server.socket);
    const unknown = await connection.call(1, 'plugin.NoSuchMethod', {});
    assert.equal(typeof unknown.error, 'string');
    assert.match(unknown.error as string, /unknown method/);
    assert.equal(unknown.result, null);
    const wrong = await connection.call(2, 'plugin.HandleEvent', 'not a map');
    assert.match(wrong.error as string, /HandleEvent expects/);
    const ok = await connection.call(3, 'plugin.GetStatus', null);
    assert.equal(ok.error, null);
    connection.close();
  });

  it('answers a well-framed request that cannot be decoded, when its msgid can be read', async () => {
    const client = await rawClient(server.socket);
    // A map with a __proto__ key is refused by the decoder.
    client.send(Uint8Array.from([0x94, 0x00, 0x05, 0xab, ...new TextEncoder().encode('plugin.Step'), 0x91, 0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x01]));
    await waitFor(() => client.received.length === 2);
    const reply = client.received[1] as unknown[];
    assert.equal(reply[1], 5);
    assert.match(String(reply[2]), /malformed request/);
    assert.equal(client.closed, false);
    client.socket.destroy();
  });

  it('closes only the connection that sends an unreadable stream; others keep working', async () => {
    const bad = await rawClient(server.socket);
    const good = await HostConnection.open(server.socket);
    bad.send(Uint8Array.from([0xc1, 0x00]));
    await waitFor(() => bad.closed);
    const reply = await good.call(1, 'plugin.GetStatus', null);
    assert.equal(reply.error, null);
    const notRequest = await rawClient(server.socket);
    notRequest.send(encode('just a string'));
    await waitFor(() => notRequest.closed);
    good.close();
  });

  it('tolerates connections that send nothing, close mid-message or close while an event waits', async () => {
    const idle = await rawClient(server.socket);
    idle.socket.destroy();
    const partial = await rawClient(server.socket);
    partial.send(start(1).subarray(0, 10));
    partial.socket.destroy();
    const host = server.host({ poolSize: 0 });
    const response = await host.request([probeConfig('hello')]);
    assert.deepEqual(response.headers.get('x-probe'), ['hello example.com']);
    const status = await host.call('plugin.GetStatus', null);
    assert.equal(status.error, null);
  });

  it('never sends unsolicited messages on pooled connections', async () => {
    const host = server.host({ workers: 2, poolSize: 4 });
    await Promise.all(Array.from({ length: 50 }, () => host.request([probeConfig('concurrent')])));
    await sleep(20);
    for (const connection of host.connections) assert.deepEqual(connection.unsolicited, []);
  });
});
