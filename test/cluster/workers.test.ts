/**
 * `--workers N` as Kong runs it: real processes. One primary listens on the
 * socket and hands connections to N worker processes; Kong sees one server
 * (one pid), Steps reach the worker running their event, a worker killed
 * with SIGKILL is replaced while the other keeps serving, `tspdk/shared`
 * counts across workers, SIGTERM and SIGHUP reach every worker.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { tempDirectory, waitFor } from '../support/server.ts';
import { spawnServer, type Spawned } from '../reliability/spawn.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const HELLO = join(root, 'examples', 'hello.js');
const COUNTER = join(here, '..', 'fixtures', 'counter.js');
const RELY = join(here, '..', 'reliability', 'fixtures', 'rely.js');
const CLI = join(root, 'cli', 'main.js');

interface Server extends Spawned {
  readonly socket: string;
}

const directories: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** Starts `args` (a program and its arguments) on a fresh socket, as Kong would, and waits for "listening". */
async function start(args: readonly string[]): Promise<Server> {
  const directory = tempDirectory();
  directories.push(directory);
  const socket = join(directory, 'plugin.socket');
  const spawned = await spawnServer([...args, '--socket', socket], 30_000);
  children.push(spawned.child);
  return { ...spawned, socket };
}

/** The pids of `pid`'s child processes (Linux). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Parsed JSON log lines. */
function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const echo = (tag: string) => ({ name: 'rely', config: { mode: 'echo', tag }, phases: ['access'], key: `plugins:rely:${tag}` });

describe('--workers', () => {
  it('serves through two worker processes behind one socket, and Kong sees one server pid', async () => {
    const server = await start([RELY, '--workers', '2']);
    const pid = server.child.pid ?? 0;
    assert.equal(childPids(pid).length, 2, 'two worker processes');
    // Any idle connection: Steps hop between connections, so between workers.
    const host = new KongHost({ socket: server.socket, workers: 4, pool: 'random' });
    const tags = Array.from({ length: 400 }, (_, i) => `t${i % 8}`);
    const responses = await Promise.all(tags.map((tag) => host.request([echo(tag)])));
    responses.forEach((response, i) => assert.deepEqual(response.headers.get('x-echo-tag'), [tags[i]]));
    const pids = new Set(host.connections.flatMap((connection) => connection.notifications.filter(([name]) => name === 'serverPid').map(([, value]) => value)));
    assert.deepEqual([...pids], [pid], 'every connection announced the primary');
    const workersUsed = new Set(logLines(server.stderr()).filter((line) => line['msg'] === 'instance started').map((line) => line['worker']));
    assert.deepEqual([...workersUsed].sort(), [0, 1], 'both workers started instances');
    assert.equal(host.resets, 0, 'no instance was reset');
    host.close();
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    assert.ok(existsSync(server.socket), 'the socket stays for a successor');
    assert.deepEqual(childPids(pid), []);
  });

  it('replaces a worker killed with SIGKILL while the other keeps serving; Kong recovers through "No plugin instance"', async () => {
    const server = await start([RELY, '--workers', '2', '--no-server-pid']);
    const pid = server.child.pid ?? 0;
    // A call unanswered for 10 s fails (as Kong's socket timeout would), so a lost request shows up as a failure, not a hang.
    const host = new KongHost({ socket: server.socket, workers: 2, pool: 'openresty', callTimeoutMs: 10_000 });
    let ok = 0;
    let failed = 0;
    const wrong: string[] = [];
    const timeouts: string[] = [];
    const traffic = { stop: false };
    const loop = async (i: number): Promise<void> => {
      while (!traffic.stop) {
        const tag = `loop-${i % 4}`;
        const response = await host.request([echo(tag)]);
        const got = response.headers.get('x-echo-tag');
        if (got === undefined) {
          failed++;
          if (response.errors.some((error) => error.includes('timeout'))) timeouts.push(response.errors.join('; '));
        }
        else if (got[0] !== tag) wrong.push(`${tag} got ${got.join(',')}`);
        else ok++;
      }
    };
    const loops = Array.from({ length: 8 }, (_, i) => loop(i));
    try {
      await waitFor(() => ok >= 200, 30_000, 'traffic to flow');
      const [victim, survivor] = childPids(pid);
      assert.ok(victim !== undefined && survivor !== undefined);
      process.kill(victim, 'SIGKILL');
      const okAtKill = ok;
      await waitFor(() => server.stderr().includes('worker exited; starting a new one'), 10_000, 'the primary to notice');
      await waitFor(() => childPids(pid).length === 2 && !childPids(pid).includes(victim), 10_000, 'a new worker');
      assert.ok(childPids(pid).includes(survivor), 'the other worker kept running');
      await waitFor(() => ok >= okAtKill + 400, 30_000, 'traffic to recover');
      assert.ok(host.resets > 0, 'Kong reset the instances the dead worker had started');
      // Only calls in flight on the dead worker's connections fail.
      assert.ok(failed < 50, `${failed} requests failed around the kill`);
    } finally {
      traffic.stop = true;
      await Promise.all(loops);
      host.close();
    }
    assert.deepEqual(wrong, []);
    assert.deepEqual(timeouts, [], 'no request was left unanswered');
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  });

  it('spreads connections by open count, and gives the connections Kong reopens after a crash to the replacement', async () => {
    const server = await start([RELY, '--workers', '2']);
    const host = new KongHost({ socket: server.socket, workers: 1, pool: 'openresty', callTimeoutMs: 10_000 });
    const traffic = { stop: false };
    let ok = 0;
    const loops = Array.from({ length: 16 }, async (_, i) => {
      while (!traffic.stop) if ((await host.request([echo(`b${i % 4}`)])).headers.get('x-echo-tag') !== undefined) ok++;
    });
    type WorkerStatus = { Worker: number; Pid: number; EventsStarted: number };
    const workerStatus = async (): Promise<WorkerStatus[]> =>
      ((await host.call('plugin.GetStatus', null)).result as { Workers: WorkerStatus[] }).Workers.sort((a, b) => a.Worker - b.Worker);
    const shares = async (): Promise<number[]> => {
      const before = await workerStatus();
      const okBefore = ok;
      await waitFor(() => ok >= okBefore + 2000, 30_000, 'traffic');
      const after = await workerStatus();
      const counts = after.map((status, i) => status.EventsStarted - (before[i]?.EventsStarted ?? 0));
      const total = counts.reduce((sum, count) => sum + count, 0);
      return counts.map((count) => count / total);
    };
    try {
      await waitFor(() => ok >= 500, 30_000, 'traffic to flow');
      for (const share of await shares()) assert.ok(share > 0.35, `balanced at start: ${(await shares()).join(', ')}`);
      const victim = (await workerStatus())[0];
      assert.ok(victim !== undefined);
      process.kill(victim.Pid, 'SIGKILL');
      await waitFor(() => server.stderr().includes('worker exited; starting a new one'), 10_000, 'the primary to notice');
      await waitFor(() => childPids(server.child.pid ?? 0).length === 2 && !childPids(server.child.pid ?? 0).includes(victim.Pid), 10_000, 'a replacement');
      const okAfterKill = ok;
      await waitFor(() => ok >= okAfterKill + 500, 30_000, 'traffic to recover');
      // Without the hold the replacement gets nothing back (0%): Kong's reconnections all go to the survivor and stay.
      // A few may still land there in the milliseconds before the primary learns of the crash.
      const after = await shares();
      assert.ok(after.every((share) => share > 0.25), `the replacement took its share back: ${after.join(', ')}`);
    } finally {
      traffic.stop = true;
      await Promise.all(loops);
      host.close();
    }
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  });

  it('counts in one tspdk/shared store across workers: no gap, no repeat', async () => {
    const server = await start([COUNTER, '--workers', '2']);
    const host = new KongHost({ socket: server.socket, workers: 4, pool: 'random' });
    const plugin = { name: 'counter', config: { key: 'hits' }, phases: ['access'] };
    const responses = await Promise.all(Array.from({ length: 200 }, () => host.request([plugin])));
    const counts = responses.map((response) => Number(response.headers.get('x-count')?.[0])).sort((a, b) => a - b);
    assert.deepEqual(
      counts,
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    const workersUsed = new Set(logLines(server.stderr()).filter((line) => line['msg'] === 'instance started').map((line) => line['worker']));
    assert.equal(workersUsed.size, 2, 'both workers ran the plugin');
    host.close();
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  });

  it('refuses a bad worker count', () => {
    for (const value of ['0', '65', 'x', '1.5']) {
      const result = spawnSync(process.execPath, [HELLO, '--workers', value, '--socket', '/tmp/never.sock'], { env: {}, encoding: 'utf8' });
      assert.notEqual(result.status, 0, value);
      assert.match(result.stderr, /--workers.*expected a number of workers from 1 to 64, or auto/, value);
    }
  });

  it('refuses --workers above 1 for a plugin declared singleProcess, naming it', () => {
    const directory = tempDirectory();
    directories.push(directory);
    const plugin = join(directory, 'solo.mjs');
    writeFileSync(
      plugin,
      `import { Config, serve } from ${JSON.stringify(join(root, 'plugin', 'index.js'))};\n` +
        `class Solo extends Config({}) { access() {} }\n` +
        `serve(Solo, { name: 'solo', version: '1.0.0', priority: 1, singleProcess: true });\n`,
    );
    const result = spawnSync(process.execPath, [plugin, '--workers', '2', '--socket', join(directory, 's.sock')], { env: {}, encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot run with --workers 2: solo declared singleProcess/);
    assert.equal(existsSync(join(directory, 's.sock')), false, 'it did not listen');
  });

  it('exits 1, leaving no process behind, when a worker cannot start', () => {
    const directory = tempDirectory();
    directories.push(directory);
    const plugin = join(directory, 'broken-worker.mjs');
    // Throws only in processes forked with an IPC channel: the workers, not the primary.
    writeFileSync(
      plugin,
      `import { Config, serve } from ${JSON.stringify(join(root, 'plugin', 'index.js'))};\n` +
        `if (process.send !== undefined) throw new Error('cannot start here');\n` +
        `class Broken extends Config({}) { access() {} }\n` +
        `serve(Broken, { name: 'broken', version: '1.0.0', priority: 1 });\n`,
    );
    const result = spawnSync(process.execPath, [plugin, '--workers', '2', '--socket', join(directory, 'b.sock')], {
      env: {},
      encoding: 'utf8',
      timeout: 20_000,
    });
    // spawnSync returns only once every process holding stderr (the workers inherit it) is gone.
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /a worker failed to start; exiting/);
    assert.match(result.stderr, /cannot start here/);
  });

  it('passes SIGHUP on to every worker of `tspdk serve`, whose pid file names the primary', async () => {
    const directory = tempDirectory();
    directories.push(directory);
    const plugin = join(directory, 'greet.mjs');
    const write = (greeting: string): void =>
      writeFileSync(
        plugin,
        `import { Config, field, serve } from ${JSON.stringify(join(root, 'plugin', 'index.js'))};\n` +
          `class Greet extends Config({}) { async access(kong) { await kong.response.setHeader('x-greet', ${JSON.stringify(greeting)}); } }\n` +
          `serve(Greet, { name: 'greet', version: '1.0.0', priority: 1 });\n`,
      );
    write('one');
    const pidFile = join(directory, 'tspdk.pid');
    const server = await start([CLI, 'serve', plugin, '--workers', '2', '--pid-file', pidFile]);
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(server.child.pid));
    const host = new KongHost({ socket: server.socket, workers: 4, pool: 'random' });
    const greet = { name: 'greet', phases: ['access'] };
    const before = await Promise.all(Array.from({ length: 20 }, () => host.request([greet])));
    assert.ok(before.every((response) => response.headers.get('x-greet')?.[0] === 'one'));
    write('two');
    server.child.kill('SIGHUP');
    await waitFor(() => logLines(server.stderr()).filter((line) => line['msg'] === 'reloaded').length === 2, 10_000, 'both workers to reload');
    const afterReload = await Promise.all(Array.from({ length: 20 }, () => host.request([greet])));
    assert.ok(afterReload.every((response) => response.headers.get('x-greet')?.[0] === 'two'));
    host.close();
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
    assert.equal(existsSync(pidFile), false, 'the primary removed its pid file');
  });
});
