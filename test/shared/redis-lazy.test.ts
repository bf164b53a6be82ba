/**
 * node-redis is loaded only when a Redis store is used: `-dump` (which Kong
 * runs at every start) and a server that never uses Redis do not import it;
 * a plugin that uses a Redis store does. A preloaded probe reports at exit
 * whether `@redis/client` is in the module cache.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { spawnServer } from '../reliability/spawn.ts';
import { freePort } from '../support/redis.ts';
import { tempDirectory } from '../support/server.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RATE_LIMIT = join(here, '..', '..', 'examples', 'rate-limit.js');
const PROBE =
  'data:text/javascript,import{createRequire}from"node:module";const r=createRequire("/");' +
  'process.on("exit",()=>process.stderr.write(`redis-loaded=${Object.keys(r.cache).some((k)=>k.includes("@redis/client"))}\\n`));';

const directories: string[] = [];
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** Serves rate-limit, runs one request with `config`, stops it with SIGTERM, and gives its stderr. */
async function serveOnce(config: Record<string, unknown>): Promise<string> {
  const directory = tempDirectory();
  directories.push(directory);
  const socket = join(directory, 'rl.socket');
  const server = await spawnServer(['--import', PROBE, RATE_LIMIT, '--socket', socket], 30_000);
  const host = new KongHost({ socket });
  try {
    await host.request([{ name: 'rate-limit-ts', config, phases: ['access'] }], { clientIp: '10.5.0.1' });
  } finally {
    host.close();
    server.child.kill('SIGTERM');
    await server.exited;
  }
  return server.stderr();
}

describe('node-redis is loaded only when a Redis store is used', () => {
  it('not by -dump', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', PROBE, RATE_LIMIT, '-dump'], { env: {} });
    assert.match(stdout, /^\[\{"Name":"rate-limit-ts"/);
    assert.match(stderr, /redis-loaded=false/);
  });

  it('not by a server whose plugins count locally, and by one that counts in Redis', async () => {
    assert.match(await serveOnce({ limit: 5 }), /redis-loaded=false/);
    const redis = { host: '127.0.0.1', port: await freePort(), timeout: 200 };
    assert.match(await serveOnce({ limit: 5, policy: 'redis', redis }), /redis-loaded=true/);
  });
});
