/**
 * Conformance: the plugin process as Kong runs it (docs/protocol.md §2,
 * docs/conformance.md): `-dump`, `-kong-prefix`, stale sockets, SIGTERM, orphaning,
 * an empty environment.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { tempDirectory, TEST_WORKERS, waitFor } from '../support/server.ts';

const here = dirname(fileURLToPath(import.meta.url));
const hello = join(here, '..', '..', 'examples', 'hello.js');
const noisy = join(here, '..', 'fixtures', 'noisy.js');
const node = process.execPath;

/** Runs a command with an empty environment, as Kong's workers do. */
function runEmptyEnv(args: string[]) {
  return spawnSync(node, args, { env: {}, encoding: 'utf8', timeout: 10_000 });
}

function startHello(args: string[]): { child: ChildProcess; stderr: () => string } {
  // TSPDK_TEST_WORKERS=N: the same process behaviour from a primary with N workers.
  const workers = TEST_WORKERS > 1 ? ['--workers', String(TEST_WORKERS)] : [];
  const child = spawn(node, [hello, ...workers, ...args], { env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** An exited process that its new parent has not reaped yet. */
function zombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('process', () => {
  const directories: string[] = [];
  const children: ChildProcess[] = [];
  const dir = () => {
    const d = tempDirectory();
    directories.push(d);
    return d;
  };
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const d of directories) rmSync(d, { recursive: true, force: true });
  });

  for (const flag of ['-dump', '--dump']) {
    it(`prints exactly one JSON line that Kong accepts for ${flag}, in an empty environment`, () => {
      const result = runEmptyEnv([hello, flag]);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.split('\n').filter((line) => line !== '');
      assert.equal(lines.length, 1);
      const dump = JSON.parse(lines[0] as string) as unknown[];
      assert.ok(Array.isArray(dump));
      assert.equal(dump.length, 1);
      const info = dump[0] as Record<string, unknown>;
      assert.deepEqual(Object.keys(info).sort(), ['Name', 'Phases', 'Priority', 'Schema', 'Version']);
      assert.equal(info['Name'], 'hello');
      assert.equal(info['Version'], '0.1.0');
      assert.ok(Number.isInteger(info['Priority']));
      assert.deepEqual(info['Phases'], ['access']);
      const schema = info['Schema'] as { name: string; fields: Array<Record<string, { type: string; fields: unknown[] }>> };
      assert.equal(schema.name, 'hello');
      assert.equal(schema.fields[0]?.['config']?.type, 'record');
      assert.doesNotMatch(lines[0] as string, /null/);
    });
  }

  it('keeps stdout clean for -dump even when the plugin prints while loading', () => {
    const result = runEmptyEnv([noisy, '-dump']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout) as unknown[], [
      {
        Name: 'noisy',
        Version: '2.0',
        Priority: 5,
        Phases: ['log'],
        Schema: { name: 'noisy', fields: [{ config: { type: 'record', fields: [{ level: { type: 'integer', default: 1 } }] } }] },
      },
    ]);
    assert.match(result.stderr, /noisy plugin loading/);
  });

  it('prints help for -help and --help on stdout and exits 0', () => {
    for (const flag of ['-help', '--help', '-h']) {
      const result = runEmptyEnv([hello, flag]);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /-kong-prefix|--kong-prefix/);
    }
  });

  it('rejects an unknown option with an error on stderr and a non-zero exit', () => {
    const result = runEmptyEnv([hello, '--frobnicate']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /unknown option/);
    assert.equal(result.stdout, '');
  });

  it('listens on <kong-prefix>/<name>.socket, replaces a stale socket, and serves Kong', async () => {
    const prefix = dir();
    const socket = join(prefix, 'hello.socket');
    // A stale socket file left by a killed server.
    const stale = createServer().listen(socket);
    await new Promise((resolve) => stale.once('listening', resolve));
    stale.unref(); // left behind as by a killed server; closing it would unlink the path
    const { child, stderr } = startHello(['-kong-prefix', prefix]);
    children.push(child);
    await waitFor(() => stderr().includes('"listening"'), 15_000, 'listening');
    assert.ok(lstatSync(socket).isSocket());
    assert.equal(lstatSync(socket).mode & 0o777, 0o660);
    const host = new KongHost({ socket });
    const response = await host.request([{ name: 'hello', config: { message: 'hello' }, phases: ['access'] }], { headers: { host: 'kong.test' } });
    assert.deepEqual(response.headers.get('x-hello-from-typescript'), ['TypeScript says hello to kong.test']);
    host.close();
    child.kill('SIGTERM');
    assert.equal(await exited(child), 0);
    assert.ok(existsSync(socket), 'SIGTERM must not unlink the socket path');
    for (const line of stderr().trim().split('\n')) {
      assert.doesNotThrow(() => JSON.parse(line), `stderr line is JSON: ${line}`);
      assert.doesNotMatch(line, /\u001b\[/);
    }
  });

  it('uses --socket as the whole path', async () => {
    const socket = join(dir(), 'custom.sock');
    const { child, stderr } = startHello(['--socket', socket]);
    children.push(child);
    await waitFor(() => stderr().includes('"listening"'), 15_000, 'listening');
    assert.ok(lstatSync(socket).isSocket());
    child.kill('SIGTERM');
    assert.equal(await exited(child), 0);
  });

  it('refuses to replace a path that is not a socket', async () => {
    const prefix = dir();
    const path = join(prefix, 'hello.socket');
    writeFileSync(path, 'precious');
    const { child, stderr } = startHello(['-kong-prefix', prefix]);
    children.push(child);
    assert.equal(await exited(child), 1);
    assert.match(stderr(), /is not a socket/);
    assert.ok(lstatSync(path).isFile());
  });

  it('refuses a socket directory anyone can write to without the sticky bit', async () => {
    const prefix = join(dir(), 'open');
    mkdirSync(prefix, { mode: 0o777 });
    spawnSync('chmod', ['0777', prefix]);
    const { child, stderr } = startHello(['-kong-prefix', prefix]);
    children.push(child);
    assert.equal(await exited(child), 1);
    assert.match(stderr(), /sticky bit/);
  });

  it('exits when the process that started it is gone', async () => {
    const prefix = dir();
    // A parent that starts the server, waits until it listens and dies, as a Kong worker that crashed.
    const parent = spawnSync(
      node,
      [
        '-e',
        `const c=require('child_process').spawn(process.argv[1],[process.argv[2],'-kong-prefix',process.argv[3]],{stdio:'ignore'});` +
          `const t=setInterval(()=>{if(require('fs').existsSync(process.argv[3]+'/hello.socket')){clearInterval(t);console.log(c.pid);process.exit(0)}},20)`,
        node,
        hello,
        prefix,
      ],
      { encoding: 'utf8', env: {}, timeout: 10_000 },
    );
    const pid = Number(parent.stdout.trim());
    assert.ok(pid > 0, parent.stderr);
    assert.ok(alive(pid));
    await waitFor(() => !alive(pid) || zombie(pid), 8000, 'the orphaned server to exit');
  });
});
