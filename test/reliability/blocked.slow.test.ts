/**
 * The event-loop watchdog (issue 16, item 2): a plugin whose access phase
 * never returns (`for (;;) {}`) blocks its process's event loop; the
 * watchdog's thread logs which plugin and phase ran and kills the process
 * (SIGKILL) once the loop has been blocked for --block-timeout. With
 * --workers 2 the primary starts a new worker and the other one serves on;
 * a blocked worker whose primary is gone exits too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { tempDirectory, waitFor } from '../support/server.ts';
import { RELY, spawnServer } from './spawn.ts';

const BLOCK_TIMEOUT_MS = 1000;
const spin = [{ name: 'rely', config: { mode: 'spin' }, phases: ['access'], key: 'plugins:rely:spin' }];
const echo = [{ name: 'rely', config: { mode: 'echo', tag: 'alive' }, phases: ['access'] }];

/** Whether `pid` is a running process (not gone, not a zombie). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

/** The pids of the children of `pid`. */
function children(pid: number): number[] {
  const out = execFileSync('/bin/sh', ['-c', `cat /proc/${pid}/task/*/children`], { encoding: 'utf8' });
  return out.split(/\s+/).filter(Boolean).map(Number);
}

/** The JSON log lines in `stderr` that have `msg` matching `pattern`. */
function lines(stderr: string, pattern: RegExp): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => pattern.test(String(line['msg'])));
}

describe('a blocked event loop', () => {
  it('ends a single process within the bound, naming the plugin and phase', { timeout: 60_000 }, async () => {
    const directory = tempDirectory();
    const socket = join(directory, 'rely.socket');
    const host = new KongHost({ socket, workers: 1, callTimeoutMs: 30_000 });
    try {
      const server = await spawnServer([RELY, '--socket', socket, '--block-timeout', String(BLOCK_TIMEOUT_MS)]);
      assert.deepEqual((await host.request(echo)).headers.get('x-echo-tag'), ['alive']);
      const started = performance.now();
      const blocked = host.request(spin).catch((error: unknown) => error);
      const { code, signal } = await server.exited;
      const tookMs = performance.now() - started;
      assert.equal(signal, 'SIGKILL', `exited with ${String(code)}`);
      // The heartbeat moves every 200 ms here: the loop was blocked at least the timeout, at most about 2 periods more.
      assert.ok(tookMs >= BLOCK_TIMEOUT_MS && tookMs < BLOCK_TIMEOUT_MS + 2500, `gone after ${Math.round(tookMs)} ms`);
      const [line, ...more] = lines(server.stderr(), /event loop has been blocked/);
      assert.equal(more.length, 0);
      assert.ok(line !== undefined, server.stderr());
      assert.equal(line['plugin'], 'rely');
      assert.equal(line['phase'], 'access');
      assert.equal(line['level'], 'fatal');
      assert.equal(typeof line['instance'], 'number');
      assert.equal(typeof line['event'], 'number');
      assert.ok(await blocked, 'the blocked request failed (its connection closed)');
    } finally {
      host.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('with --workers 2: the blocked worker is replaced while the other serves on', { timeout: 90_000 }, async () => {
    const directory = tempDirectory();
    const socket = join(directory, 'rely.socket');
    const spinner = new KongHost({ socket, workers: 1, callTimeoutMs: 30_000 });
    const other = new KongHost({ socket, workers: 1, callTimeoutMs: 30_000 });
    const server = await spawnServer([RELY, '--socket', socket, '--workers', '2', '--block-timeout', String(BLOCK_TIMEOUT_MS)]);
    try {
      const pid = server.child.pid ?? 0;
      const workers = children(pid);
      assert.equal(workers.length, 2);
      // Each host keeps one connection; the dispatcher gives them to different workers (fewest connections first).
      assert.deepEqual((await spinner.request(echo)).headers.get('x-echo-tag'), ['alive']);
      assert.deepEqual((await other.request(echo)).headers.get('x-echo-tag'), ['alive']);
      const blocked = spinner.request(spin).catch((error: unknown) => error);
      let servedWhileBlocked = 0;
      while (lines(server.stderr(), /worker exited; starting a new one/).length === 0) {
        assert.deepEqual((await other.request(echo)).headers.get('x-echo-tag'), ['alive']);
        if (lines(server.stderr(), /event loop has been blocked/).length === 0) servedWhileBlocked++;
        assert.ok(running(pid), 'the primary runs on');
      }
      assert.ok(servedWhileBlocked > 0, 'the other worker served while one was blocked');
      assert.ok(await blocked, 'the blocked request failed');
      const [line] = lines(server.stderr(), /event loop has been blocked/);
      assert.ok(line !== undefined);
      assert.equal(line['plugin'], 'rely');
      assert.equal(line['phase'], 'access');
      const blockedPid = Number(line['pid']);
      assert.ok(workers.includes(blockedPid));
      const [exited] = lines(server.stderr(), /worker exited; starting a new one/);
      assert.equal(exited?.['signal'], 'SIGKILL');
      assert.equal(exited['workerPid'], blockedPid);
      await waitFor(() => !running(blockedPid) && children(pid).length === 2, 20_000, 'a new worker');
      // The new worker serves: requests on new connections reach both workers again.
      const fresh = new KongHost({ socket, workers: 2, poolSize: 4, callTimeoutMs: 10_000 });
      try {
        const tags = await Promise.all(Array.from({ length: 8 }, () => fresh.request(echo)));
        for (const response of tags) assert.deepEqual(response.headers.get('x-echo-tag'), ['alive']);
      } finally {
        fresh.close();
      }
      assert.equal(server.child.exitCode, null);
    } finally {
      spinner.close();
      other.close();
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('a blocked worker whose primary is gone exits, even with --block-timeout 0', { timeout: 60_000 }, async () => {
    const directory = tempDirectory();
    const socket = join(directory, 'rely.socket');
    const spinner = new KongHost({ socket, workers: 1, callTimeoutMs: 30_000 });
    const server = await spawnServer([RELY, '--socket', socket, '--workers', '2', '--block-timeout', '0']);
    let workers: number[] = [];
    try {
      workers = children(server.child.pid ?? 0);
      assert.equal(workers.length, 2);
      assert.deepEqual((await spinner.request(echo)).headers.get('x-echo-tag'), ['alive']);
      void spinner.request(spin).catch(() => undefined);
      // Give the spin time to start, then take the primary away without a word.
      await new Promise((resolve) => setTimeout(resolve, 500));
      server.child.kill('SIGKILL');
      await server.exited;
      await waitFor(() => workers.every((pid) => !running(pid)), 10_000, 'both workers to exit');
      assert.equal(lines(server.stderr(), /event loop has been blocked/).length, 0);
      assert.equal(lines(server.stderr(), /primary process is gone and the event loop is blocked/).length, 1, server.stderr());
    } finally {
      spinner.close();
      for (const pid of workers) if (running(pid)) process.kill(pid, 'SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
