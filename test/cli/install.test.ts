/**
 * `tspdk install`: one executable per plugin that Kong's defaults find
 * (3.9+: `<dir>/<name>` and `<dir>/<name> -dump`; 2.3–3.8: `<dir>/query_<name>`),
 * run here under an empty environment as Kong runs it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { FIXTURES, runCli, Scratch, startProcess } from './support.ts';

describe('tspdk install', () => {
  const scratch = new Scratch();
  after(() => scratch.cleanup());

  it('writes executables that dump and serve under an empty environment', async () => {
    const bin = scratch.directory();
    const prefix = scratch.directory();
    const result = runCli(['install', FIXTURES, '--to', bin, '--kong-prefix', prefix]);
    assert.equal(result.status, 0, result.stderr);
    const written = result.stdout.trim().split('\n');
    assert.deepEqual(
      written,
      ['alpha', 'query_alpha', 'beta-two', 'query_beta-two', 'gamma', 'query_gamma'].map((name) => join(bin, name)),
    );
    for (const file of written) assert.equal(statSync(file).mode & 0o777, 0o755);
    assert.match(readFileSync(join(bin, 'alpha'), 'utf8'), /^#!\/bin\/sh\n/);

    // Kong 3.9+'s default query command, and 2.3-3.8's.
    for (const [command, args] of [[join(bin, 'beta-two'), ['-dump']], [join(bin, 'query_beta-two'), []]] as const) {
      const dump = spawnSync(command, args, { env: {}, encoding: 'utf8', timeout: 20_000 });
      assert.equal(dump.status, 0, dump.stderr);
      const infos = JSON.parse(dump.stdout) as Array<{ Name: string }>;
      assert.deepEqual(infos.map((info) => info.Name), ['beta-two']);
    }

    // Kong 3.9+'s default start command: no arguments at all.
    const server = scratch.track(startProcess(join(bin, 'alpha'), []));
    await server.waitForLog('"listening"');
    const socket = join(prefix, 'alpha.socket');
    assert.ok(lstatSync(socket).isSocket());
    assert.ok(existsSync(join(prefix, 'alpha.tspdk.pid')));
    const host = new KongHost({ socket });
    try {
      const response = await host.request([{ name: 'alpha', config: { greeting: 'installed' }, phases: ['access'] }]);
      assert.deepEqual(response.errors, []);
      assert.deepEqual(response.headers.get('x-alpha'), ['installed']);
    } finally {
      host.close();
    }
    server.process.kill('SIGTERM');
    assert.equal(await server.exited(), 0);
    assert.ok(lstatSync(socket).isSocket());
    assert.equal(server.stdout(), '');
  });

  it('keeps existing files unless --force, and installs one plugin with --plugin --no-query-script', () => {
    const bin = scratch.directory();
    const first = runCli(['install', FIXTURES, '--plugin', 'gamma', '--no-query-script', '--to', bin]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout.trim(), join(bin, 'gamma'));
    assert.equal(existsSync(join(bin, 'query_gamma')), false);
    const again = runCli(['install', FIXTURES, '--plugin', 'gamma', '--to', bin]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists; pass --force/);
    const forced = runCli(['install', FIXTURES, '--plugin', 'gamma', '--to', bin, '--force']);
    assert.equal(forced.status, 0, forced.stderr);
  });
});
