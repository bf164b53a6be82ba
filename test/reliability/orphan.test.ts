/**
 * Orphan detection that covers a parent gone before start-up (issue 16,
 * item 7), without breaking servers whose parent is legitimately pid 1.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { orphanedAtStart, type ParentFacts } from '../../server/process/parent.ts';
import { tempDirectory, waitFor } from '../support/server.ts';
import { RELY, spawnServer } from './spawn.ts';

const facts = (overrides: Partial<ParentFacts>): ParentFacts => ({
  startParent: 4242,
  isAlive: () => true,
  initCommandLine: () => '/sbin/init',
  ...overrides,
});

describe('orphaned before start-up', () => {
  it('knows it from --parent-pid, or from an nginx master as the adopter; keeps other pid-1 parents', () => {
    assert.equal(orphanedAtStart(facts({})), undefined);
    assert.match(String(orphanedAtStart(facts({ parentPid: 77, isAlive: (pid) => pid !== 77 }))), /process 77 \(--parent-pid\) is gone/);
    assert.equal(orphanedAtStart(facts({ parentPid: 77 })), undefined);
    const master = 'nginx: master process /usr/local/openresty/nginx/sbin/nginx -p /usr/local/kong/ -c nginx.conf';
    assert.match(String(orphanedAtStart(facts({ startParent: 1, initCommandLine: () => master }))), /nginx master \(pid 1\)/);
    // Legitimate pid-1 parents: an init system or a container init that starts the server, nginx without a master.
    for (const init of ['/sbin/init', '/usr/bin/tini -- node plugin.js', '/usr/local/openresty/nginx/sbin/nginx -p /usr/local/kong -c nginx.conf', undefined]) {
      assert.equal(orphanedAtStart(facts({ startParent: 1, initCommandLine: () => init })), undefined, String(init));
    }
    // A server whose parent is pid 1 but given --parent-pid 1 is judged by that process alone.
    assert.equal(orphanedAtStart(facts({ startParent: 1, parentPid: 1, initCommandLine: () => master })), undefined);
  });

  it('a server whose --parent-pid is already gone exits without listening', { timeout: 30_000 }, () => {
    const directory = tempDirectory();
    try {
      const socket = join(directory, 'rely.socket');
      const gone = spawnSync('/bin/sh', ['-c', 'echo $$']).stdout.toString().trim();
      const result = spawnSync(process.execPath, [RELY, '--socket', socket, '--parent-pid', gone], { env: {}, encoding: 'utf8', timeout: 20_000 });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`process ${gone} \\(--parent-pid\\) is gone`));
      assert.match(result.stderr, /already gone; exiting without serving/);
      assert.equal(existsSync(socket), false, 'it never took the socket path');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('a server exits when its --parent-pid goes, and serves until then', { timeout: 30_000 }, async () => {
    const directory = tempDirectory();
    const parent = spawn('/bin/sh', ['-c', 'sleep 60'], { stdio: 'ignore' });
    try {
      const server = await spawnServer([RELY, '--socket', join(directory, 'rely.socket'), '--parent-pid', String(parent.pid)]);
      assert.equal(server.child.exitCode, null);
      parent.kill('SIGKILL');
      const { code } = await server.exited;
      assert.equal(code, 0);
      await waitFor(() => server.stderr().includes('is gone; exiting'), 1000, 'the log line');
    } finally {
      parent.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
