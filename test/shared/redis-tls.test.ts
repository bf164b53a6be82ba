/**
 * `tspdk/shared` on Redis over TLS, against a real redis-server serving TLS
 * only, with a certificate for `redis.test` and 127.0.0.1 signed by a test
 * CA: `ssl` with and without `ssl_verify`, `server_name` checked against the
 * certificate, a plain connection to a TLS port, and `rediss://` URLs. The
 * verified cases run in a child process that trusts the test CA
 * (`NODE_EXTRA_CA_CERTS`, read by Node at start only).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { sharedStore, SharedStoreError } from 'tspdk/shared';
import { retireRedisConnections } from '../../server/shared/redis-pool.ts';
import { makeCertificates, REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.ts';
import { tempDirectory } from '../support/server.ts';

const SHARED = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'server', 'shared', 'index.js');

/** Runs set then get on a store of `redis` in a child process that trusts `ca`; gives what it printed. */
async function inChildTrusting(ca: string, redis: unknown): Promise<string> {
  const script =
    `const { sharedStore } = await import(${JSON.stringify(SHARED)});` +
    `const store = sharedStore({ redis: ${JSON.stringify(redis)} });` +
    `try { await store.set('k', 'over TLS'); process.stdout.write(String(await store.get('k'))); }` +
    `catch (error) { process.stdout.write(error.code + ': ' + error.message); }` +
    `process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { NODE_EXTRA_CA_CERTS: ca }, timeout: 20_000 });
  return stdout;
}

const OPENSSL_SKIP = spawnSync('openssl', ['version']).status === 0 ? undefined : 'openssl is not installed: apt-get install openssl to run the TLS tests';

describe('tspdk/shared on Redis over TLS', { skip: REDIS_SKIP ?? OPENSSL_SKIP }, () => {
  let redis: TestRedis;
  let ca: string;
  const directory = tempDirectory();
  before(async () => {
    const files = await makeCertificates(directory);
    ca = files.ca;
    redis = await startRedis({ tls: files });
  });
  after(async () => {
    await retireRedisConnections();
    await redis.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('ssl without ssl_verify: encrypted, the certificate not checked (Kong\'s default)', async () => {
    const store = sharedStore({ redis: { host: '127.0.0.1', port: redis.port, ssl: true } });
    await store.set('k', 'secret value');
    assert.equal(await store.get('k'), 'secret value');
    assert.equal(await redis.cli('GET', 'tspdk:k'), 'ssecret value');
  });

  it('ssl_verify with a CA this process does not trust: SHARED_UNAVAILABLE saying why', async () => {
    const store = sharedStore({ redis: `rediss://127.0.0.1:${redis.port}` });
    await assert.rejects(store.get('k'), (error: unknown) => {
      assert.ok(error instanceof SharedStoreError);
      assert.equal(error.code, 'SHARED_UNAVAILABLE');
      assert.match(error.message, /cannot reach Redis at 127\.0\.0\.1:\d+\/0, TLS: .*certificate/i);
      return true;
    });
  });

  it('a plain connection to a TLS port fails within the timeout', async () => {
    const store = sharedStore({ redis: { host: '127.0.0.1', port: redis.port, timeout: 500 } });
    await assert.rejects(store.get('k'), (error: unknown) => error instanceof SharedStoreError && error.code === 'SHARED_UNAVAILABLE');
  });

  it('ssl_verify with a trusted CA: the name checked is server_name, or the host', async () => {
    const verified = { host: '127.0.0.1', port: redis.port, ssl: true, ssl_verify: true };
    const [byIp, byName, byUrl, wrongName] = await Promise.all([
      inChildTrusting(ca, verified),
      inChildTrusting(ca, { ...verified, server_name: 'redis.test' }),
      inChildTrusting(ca, `rediss://127.0.0.1:${redis.port}/0?server_name=redis.test`),
      inChildTrusting(ca, { ...verified, server_name: 'other.test' }),
    ]);
    assert.equal(byIp, 'over TLS', 'the certificate holds IP 127.0.0.1');
    assert.equal(byName, 'over TLS');
    assert.equal(byUrl, 'over TLS');
    assert.match(wrongName, /^SHARED_UNAVAILABLE: .*(altnames|does not match|other\.test)/i);
  });
});
