/**
 * Back-pressure and fairness (issue 16, item 3). A peer that sends requests
 * without reading the answers makes the connection stop reading once its
 * unsent answers pass a bound (300 GetStatus of 1 MB each no longer pile up
 * 300 MB), and reading resumes when they drain. Requests pipelined in one
 * read are handled for a budget of time, then the connection lets the
 * others have the event loop.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encode, decodeMultiStream } from '@msgpack/msgpack';
import { connect, type Socket } from 'node:net';
import type { Kong } from '../../pdk/kong.ts';
import { definePlugin } from '../../plugin/definition.ts';
import { Config, field } from '../../plugin/index.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { HostConnection } from '../../testing/host/host-connection.ts';
import { sleep, tempDirectory } from '../support/server.ts';

/** Events of the spinning instance run so far. */
let spun = 0;

class Bulky extends Config({ tag: field.string({ default: 'x' }), spinMs: field.integer({ default: 0 }) }) {
  async access(kong: Kong): Promise<void> {
    if (this.spinMs > 0) {
      spun++;
      const end = performance.now() + this.spinMs;
      while (performance.now() < end) {
        // a plugin that computes synchronously for a while
      }
      return;
    }
    await kong.response.setHeader('x-tag', this.tag);
  }
}

const bulky = definePlugin(Bulky, { name: 'bulky', version: '1.0.0', priority: 1 });

function openRaw(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Buffers the process holds outside the JS heap (socket write queues among them). */
function outsideHeap(): number {
  const usage = process.memoryUsage();
  return usage.arrayBuffers + usage.external;
}

describe('back-pressure and fairness', () => {
  let running: RunningServer;
  let directory: string;
  let socket: string;
  let spinId: number;
  let fastId: number;
  before(async () => {
    directory = tempDirectory();
    socket = join(directory, 'p.socket');
    running = await startServer({ logger: silentLogger(), plugins: [bulky], sockets: [socket] });
    const setup = await HostConnection.open(socket);
    // 100 instances with 10 KB configs: plugin.GetStatus answers about 1 MB.
    for (let i = 0; i < 100; i++) {
      await setup.call(i + 1, 'plugin.StartInstance', { Name: 'bulky', Config: JSON.stringify({ tag: `${i}:${'t'.repeat(10_000)}` }) });
    }
    spinId = ((await setup.call(200, 'plugin.StartInstance', { Name: 'bulky', Config: '{"spinMs":30}' })).result as { Id: number }).Id;
    fastId = ((await setup.call(201, 'plugin.StartInstance', { Name: 'bulky', Config: '{"tag":"fast"}' })).result as { Id: number }).Id;
    setup.close();
  });
  after(async () => {
    await running.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  /** One event of the fast instance on its own connection: how long it took. */
  async function fastEvent(): Promise<number> {
    const started = performance.now();
    const connection = await HostConnection.open(socket);
    try {
      const event = await connection.call(1, 'plugin.HandleEvent', { InstanceId: fastId, EventName: 'access' });
      const eventId = (event.result as { EventId: number }).EventId;
      const done = await connection.call(2, 'plugin.Step', { EventId: eventId });
      assert.equal((done.result as { Data: string }).Data, 'ret');
      return performance.now() - started;
    } finally {
      connection.close();
    }
  }

  it('stops reading a peer that does not read its answers, so they do not pile up', async () => {
    const before = outsideHeap();
    const peer = await openRaw(socket);
    try {
      peer.pause();
      const burst = Buffer.concat(Array.from({ length: 300 }, (_, i) => encode([0, i + 1, 'plugin.GetStatus', []])));
      peer.write(burst);
      await sleep(1500);
      const grown = outsideHeap() - before;
      assert.ok(grown < 48 * 1024 * 1024, `${Math.round(grown / 1048576)} MB of answers held for a peer that reads nothing`);
      assert.ok((await fastEvent()) < 2000, 'other connections are served meanwhile');
    } finally {
      peer.destroy();
    }
  });

  it('reads on once the answers drain: every request is answered, in order', async () => {
    const peer = await openRaw(socket);
    try {
      peer.pause();
      peer.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => encode([0, i + 1, 'plugin.GetStatus', []]))));
      await sleep(300);
      const msgids: number[] = [];
      for await (const message of decodeMultiStream(peer as AsyncIterable<Uint8Array>)) {
        const [type, msgid] = message as [number, number];
        if (type === 1) msgids.push(msgid);
        if (msgids.length === 20) break;
      }
      assert.deepEqual(msgids, Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      peer.destroy();
    }
  });

  it('lets other connections in between the requests one peer pipelines in a single write', async () => {
    const peer = await openRaw(socket);
    try {
      peer.resume();
      spun = 0;
      // 100 events that each compute for 30 ms: 3 s if handled back to back.
      peer.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => encode([0, i + 1, 'plugin.HandleEvent', [{ InstanceId: spinId, EventName: 'access' }]]))));
      await fastEvent();
      assert.ok(spun < 100, `an event of another connection waited for all ${spun} events pipelined in one read`);
    } finally {
      peer.destroy();
    }
  });
});
