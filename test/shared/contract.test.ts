/**
 * The semantics of `tspdk/shared` (contract.ts), run against every backend:
 * the in-process store (one worker), the primary's store behind a
 * transport that goes through JSON as IPC does (N workers), and a real
 * redis-server (`sharedStore({ redis })`; `--shared-store` uses the same
 * transport). Redis Cluster: redis-cluster.slow.test.ts.
 */
import { shared, sharedStore } from 'tspdk/shared';
import { hostSharedStore, resetSharedTransport, setSharedTransport } from '../../server/shared/transport.ts';
import type { SharedResult } from '../../server/shared/store.ts';
import { REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.ts';
import { contract } from './contract.ts';

contract({
  name: 'in process (one worker)',
  setUp: () => {
    resetSharedTransport();
    return Promise.resolve(shared);
  },
  tearDown: () => Promise.resolve(resetSharedTransport()),
});

let host: ReturnType<typeof hostSharedStore> | undefined;
contract({
  name: 'in the primary (N workers: requests and results through JSON)',
  setUp: () => {
    host = hostSharedStore();
    const primary = host;
    setSharedTransport((request) => Promise.resolve(JSON.parse(JSON.stringify(primary.apply(JSON.parse(JSON.stringify(request))))) as SharedResult));
    return Promise.resolve(shared);
  },
  tearDown: () => {
    host?.close();
    resetSharedTransport();
    return Promise.resolve();
  },
});

let redis: TestRedis | undefined;
contract({
  name: 'Redis (a real redis-server)',
  skip: REDIS_SKIP,
  setUp: async () => {
    redis = await startRedis();
    return sharedStore({ redis: { host: '127.0.0.1', port: redis.port }, prefix: 'contract:' });
  },
  tearDown: async () => {
    await redis?.stop();
  },
});
