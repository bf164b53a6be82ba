/**
 * Closing Redis connections that never became ready (retired on reload or
 * at exit) ends at once, whatever the socket is doing; no redis-server is
 * needed: plain TCP servers stand in for one that never answers and one
 * that hangs up on every connection.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sharedStore, SharedStoreError } from 'tspdk/shared';
import { retireRedisConnections } from '../../server/shared/redis-pool.ts';

async function listening(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Retires every connection; says whether that ended within 3 s. */
async function retireWithin3s(): Promise<string> {
  return Promise.race([retireRedisConnections().then(() => 'closed'), sleep(3000).then(() => 'still closing after 3 s')]);
}

const unavailable = (error: unknown): boolean => error instanceof SharedStoreError && error.code === 'SHARED_UNAVAILABLE';

describe('tspdk/shared on Redis, closing a connection that is not ready', () => {
  it('still connecting to a server that never answers: closes at once, and its operation fails', async () => {
    const { server, port } = await listening((socket) => socket.resume());
    const accepted = once(server, 'connection');
    try {
      const operation = sharedStore({ redis: { host: '127.0.0.1', port, timeout: 30_000 } }).get('k');
      await accepted;
      assert.equal(await retireWithin3s(), 'closed');
      await assert.rejects(operation, unavailable);
    } finally {
      server.close();
    }
  });

  it('failing, with a retry under way against a server that hangs up: closes at once', async () => {
    let connections = 0;
    const { server, port } = await listening((socket) => {
      connections++;
      socket.destroy();
    });
    try {
      const store = sharedStore({ redis: { host: '127.0.0.1', port, timeout: 30_000 } });
      await assert.rejects(store.get('k'), unavailable);
      // The connection retries in the background (first after 100 ms).
      const deadline = Date.now() + 5000;
      while (connections < 2 && Date.now() < deadline) await sleep(5);
      assert.ok(connections >= 2, 'the connection retried');
      assert.equal(await retireWithin3s(), 'closed');
    } finally {
      server.close();
    }
  });
});
