import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readInPlace, type InPlaceReader } from '../../server/wire/direct-reads.ts';
import { Framer } from '../../server/wire/framer.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { startServer } from '../../server/start.ts';
import { KongHost } from '../../testing/host/kong-host.ts';
import { captured, clearCaptured, probe, probeConfig } from '../fixtures/probe.ts';
import { tempDirectory, waitFor } from '../support/server.ts';

const directory = tempDirectory('tspdk-direct-');
after(() => rmSync(directory, { recursive: true, force: true }));
let sequence = 0;

/** Collects what arrives through in-place reads, in 7-byte targets to force many reads. */
class Collector implements InPlaceReader {
  readonly #buffer = new Uint8Array(1 << 20);
  length = 0;
  reads = 0;
  target(): Uint8Array {
    return this.#buffer.subarray(this.length, this.length + 7);
  }
  filled(count: number): boolean {
    this.length += count;
    this.reads++;
    return true;
  }
  text(): string {
    return Buffer.from(this.#buffer.subarray(0, this.length)).toString();
  }
}

/** A server on a fresh socket whose connections go to `onSocket`, and a client connected to it. */
async function pair(onSocket: (socket: Socket) => void, pauseOnConnect = false): Promise<{ server: Server; client: Socket }> {
  const path = join(directory, `s${sequence++}.sock`);
  const server = createServer({ pauseOnConnect }, onSocket);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = connect(path);
  await once(client, 'connect');
  return { server, client };
}

describe('reading in place', () => {
  for (const pauseOnConnect of [false, true]) {
    it(`moves an accepted connection (${pauseOnConnect ? 'paused' : 'already reading'}) to a socket that reads into the given buffers`, async () => {
      const collector = new Collector();
      let accepted: Socket | undefined;
      let moved: Socket | undefined;
      const { server, client } = await pair((socket) => {
        accepted = socket;
        moved = readInPlace(socket, collector);
      }, pauseOnConnect);
      await waitFor(() => moved !== undefined, 2000, 'connection accepted');
      assert.notEqual(moved, accepted);
      assert.equal(accepted?.destroyed, true);
      client.write('hello, ');
      client.write('in-place world');
      await waitFor(() => collector.text() === 'hello, in-place world', 2000, 'bytes arrive');
      assert.ok(collector.reads >= 3, `${collector.reads} reads of at most 7 bytes`);
      // The moved socket writes, and closes when the peer ends.
      moved?.write('pong');
      const [reply] = (await once(client, 'data')) as [Buffer];
      assert.equal(reply.toString(), 'pong');
      const closed = once(moved as Socket, 'close');
      client.end();
      await closed;
      // The old socket's release also released the server's count of it.
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    });
  }

  it('leaves a socket alone when something already reads it', async () => {
    const chunks: string[] = [];
    let result: Socket | undefined | 'unset' = 'unset';
    const { server, client } = await pair((socket) => {
      socket.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
      result = readInPlace(socket, new Collector());
    });
    await waitFor(() => result !== 'unset', 2000, 'connection accepted');
    assert.equal(result, undefined);
    client.write('still data events');
    await waitFor(() => chunks.join('') === 'still data events', 2000, 'data events still flow');
    client.destroy();
    server.close();
  });

  it('leaves a socket alone that has no handle to move', () => {
    const socket = connect(join(directory, 'nowhere.sock'));
    socket.on('error', () => undefined);
    socket.destroy();
    assert.equal(readInPlace(socket, new Collector()), undefined);
  });

  it('stops reading when the reader says so', async () => {
    const framer = new Framer();
    let moved: Socket | undefined;
    let reads = 0;
    const { server, client } = await pair((socket) => {
      moved = readInPlace(socket, {
        target: () => framer.readTarget(),
        filled: () => {
          reads++;
          return false;
        },
      });
    });
    await waitFor(() => moved !== undefined, 2000, 'connection accepted');
    client.write('a');
    await waitFor(() => reads === 1, 2000, 'first read');
    client.write('b');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(reads, 1, 'no read after false');
    moved?.resume();
    await waitFor(() => reads === 2, 2000, 'reading again after resume');
    client.destroy();
    moved?.destroy();
    server.close();
  });
});

describe('a server reading in place or through data events', () => {
  for (const readInPlaceOption of [true, false]) {
    it(`serves events with bodies of every size (${readInPlaceOption ? 'in place' : "'data' events"})`, async () => {
      const socketPath = join(directory, `server${sequence++}.sock`);
      const running = await startServer({ logger: silentLogger(), plugins: [probe], sockets: [socketPath], readInPlace: readInPlaceOption });
      const host = new KongHost({ socket: socketPath });
      try {
        clearCaptured();
        const sizes = [0, 1, 5000, 70_000, 3 * 1024 * 1024];
        const bodies = sizes.map((size) => new Uint8Array(size).map((_, i) => (i * 31) & 0xff));
        for (const body of bodies) await host.request([probeConfig('raw-body')], { body });
        assert.equal(captured.length, sizes.length);
        captured.forEach((got, i) => assert.ok(Buffer.from(got as Uint8Array).equals(bodies[i] as Uint8Array), `body of ${sizes[i]} bytes`));
        // The server tracks the sockets it reads, moved or not: they close with the host's.
        assert.ok(running.connections >= 1);
        host.close();
        await waitFor(() => running.connections === 0, 2000, 'connections closed');
      } finally {
        host.close();
        await running.stop();
      }
    });
  }
});
