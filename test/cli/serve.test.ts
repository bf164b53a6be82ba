/**
 * `tspdk serve`: several plugin modules in one process, each plugin on its
 * own socket, driven through the Kong host stand-in; SIGTERM keeps the
 * sockets; stdout stays empty; the server exits when orphaned.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { CLI, FIXTURES, NODE, Scratch, sleep, startCli } from './support.ts';

const MODULES = ['alpha.js', 'beta-two.js', 'gamma.js', 'helper.js'].map((file) => join(FIXTURES, file));

/** Running, and not an exited process waiting for its new parent to reap it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('tspdk serve', () => {
  const scratch = new Scratch();
  after(() => scratch.cleanup());

  it('serves three plugins from one process, each through its own socket', async () => {
    const prefix = scratch.directory();
    const pidFile = join(prefix, 'tspdk.pid');
    const server = scratch.track(startCli(['serve', ...MODULES, '-kong-prefix', prefix, '--pid-file', pidFile]));
    await server.waitForLog('"listening"');
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(server.process.pid));

    const alphaHost = new KongHost({ socket: join(prefix, 'alpha.socket') });
    const betaHost = new KongHost({ socket: join(prefix, 'beta-two.socket') });
    const gammaHost = new KongHost({ socket: join(prefix, 'gamma.socket') });
    try {
      const alpha = await alphaHost.request([{ name: 'alpha', config: { greeting: 'hi' }, phases: ['access'] }]);
      assert.deepEqual(alpha.errors, []);
      assert.deepEqual(alpha.headers.get('x-alpha'), ['hi']);

      const beta = await betaHost.request([{ name: 'beta-two', config: { times: 3 }, phases: ['access'] }], { path: '/b' });
      assert.deepEqual(beta.errors, []);
      assert.deepEqual(beta.headers.get('x-beta-two'), ['/b×3']);

      const gamma = await gammaHost.request([{ name: 'gamma', config: { status: 418 }, phases: ['access'] }]);
      assert.deepEqual(gamma.errors, []);
      assert.equal(gamma.status, 418);
      assert.deepEqual(gamma.body, { gamma: true });
      // The same process behind every socket, announced as Kong expects.
      for (const host of [alphaHost, betaHost, gammaHost]) {
        assert.deepEqual(host.connections[0]?.notifications[0], ['serverPid', server.process.pid]);
      }
    } finally {
      alphaHost.close();
      betaHost.close();
      gammaHost.close();
    }

    server.process.kill('SIGTERM');
    assert.equal(await server.exited(), 0);
    for (const name of ['alpha', 'beta-two', 'gamma']) {
      assert.ok(lstatSync(join(prefix, `${name}.socket`)).isSocket(), `SIGTERM must leave ${name}.socket in place`);
    }
    assert.equal(existsSync(pidFile), false, 'the pid file goes with the server');
    assert.equal(server.stdout(), '', 'nothing on stdout, not even console.log from plugins');
    assert.match(server.stderr(), /alpha loading/);
    assert.match(server.stderr(), /alpha access/);
  });

  it('serves only the plugins picked with --plugin, and every plugin on a --socket path', async () => {
    const prefix = scratch.directory();
    const shared = join(prefix, 'tspdk.socket');
    const server = scratch.track(startCli(['serve', FIXTURES, '--plugin', 'alpha,gamma', '--kong-prefix', prefix, '--socket', shared, '-no-server-pid', '-shutdown-grace', '100']));
    await server.waitForLog('"listening"');
    assert.equal(existsSync(join(prefix, 'alpha.socket')), false);
    const host = new KongHost({ socket: shared });
    try {
      const response = await host.request([
        { name: 'alpha', config: { greeting: 'yo' }, phases: ['access'] },
        { name: 'gamma', config: { status: 402 }, phases: ['access'] },
      ]);
      assert.equal(response.status, 402);
      assert.deepEqual(response.errors, []);
      const missing = await host.call('plugin.StartInstance', { Name: 'beta-two', Config: '{}' });
      assert.match(String(missing.error), /no plugin named "beta-two"/);
      assert.deepEqual(host.connections.flatMap((connection) => connection.notifications), []);
    } finally {
      host.close();
    }
    server.process.kill('SIGTERM');
    assert.equal(await server.exited(), 0);
    assert.ok(lstatSync(shared).isSocket());
  });

  it('prints the one plugin picked with -dump, and refuses -dump for several', () => {
    const one = spawnSync(NODE, [CLI, 'serve', ...MODULES, '--plugin', 'beta-two', '-dump'], { env: {}, encoding: 'utf8' });
    assert.equal(one.status, 0, one.stderr);
    const dump = JSON.parse(one.stdout) as Array<{ Name: string }>;
    assert.deepEqual(dump.map((info) => info.Name), ['beta-two']);
    const several = spawnSync(NODE, [CLI, 'serve', ...MODULES, '-dump'], { env: {}, encoding: 'utf8' });
    assert.equal(several.status, 2);
    assert.equal(several.stdout, '');
    assert.match(several.stderr, /--plugin/);
  });

  it('fails with a clear message when a module path does not exist or a plugin is unknown', () => {
    const missing = spawnSync(NODE, [CLI, 'serve', join(FIXTURES, 'nope.js')], { env: {}, encoding: 'utf8' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /nope\.js: no such file or directory/);
    const unknown = spawnSync(NODE, [CLI, 'serve', FIXTURES, '--plugin', 'delta'], { env: {}, encoding: 'utf8' });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no plugin named "delta" was loaded \(found: alpha, beta-two, gamma\)/);
  });

  it('exits when the process that started it is gone', async () => {
    const prefix = scratch.directory();
    // A shell that starts the server in the background and exits, as a Kong worker that died.
    const shell = spawnSync(
      '/bin/sh',
      ['-c', `${NODE} ${CLI} serve ${join(FIXTURES, 'alpha.js')} --kong-prefix ${prefix} --pid-file ${prefix}/p.pid >/dev/null 2>&1 & sleep 0.6`],
      { env: {}, encoding: 'utf8' },
    );
    assert.equal(shell.status, 0);
    const pid = Number(readFileSync(join(prefix, 'p.pid'), 'utf8'));
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    assert.equal(alive(pid), false, 'an orphaned server exits');
    assert.ok(lstatSync(join(prefix, 'alpha.socket')).isSocket());
  });
});
