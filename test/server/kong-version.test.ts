/**
 * `--kong-version` (`ServerSettings.kongVersion`): checked when given, a
 * PDK call the release lacks rejects at once with PDK_UNAVAILABLE and
 * nothing is sent to Kong, a version newer than the table is checked as
 * master with a warning, a version that cannot be checked is refused at
 * start, the server logs once whether calls are checked, and the workers of
 * `--workers N` get the setting.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { definePlugin } from '../../plugin/definition.ts';
import { PdkError } from '../../pdk/errors.ts';
import type { Kong } from '../../pdk/kong.ts';
import { addServerOptions, settingsFromCommandLine, type ServerCliOptions } from '../../server/process/options.ts';
import { createLogger } from '../../server/process/logger.ts';
import { normalizeLongOptions } from '../../server/process/argv.ts';
import { SERVER_LONG_OPTIONS } from '../../server/process/options.ts';
import { serverSettings } from '../../server/settings.ts';
import { startServer } from '../../server/start.ts';
import { KongHost } from '../../testing/host/kong-host.ts';
import { tempDirectory, tempSockets, waitFor } from '../support/server.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '..', 'fixtures', 'start-time.js');

/** What commander makes of `args` with the shared server options. */
function parse(args: readonly string[]): ServerCliOptions {
  const command = addServerOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => undefined }));
  command.parse(normalizeLongOptions(['node', 't', ...args], new Set(SERVER_LONG_OPTIONS)), { from: 'node' });
  return command.opts<ServerCliOptions>();
}

/** A logger whose JSON lines land in `lines`. */
function capturingLogger(lines: Array<Record<string, unknown>>) {
  return createLogger('info', {}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
}

/** Reads the start time and the host header; reports what it got. */
const seen: unknown[] = [];
class Reader {
  async access(kong: Kong): Promise<void> {
    try {
      seen.push(await kong.request.getStartTime());
    } catch (error) {
      seen.push(error);
    }
    seen.push(await kong.request.getHeader('host'));
  }
}
const reader = definePlugin(Reader, { name: 'reader', version: '1.0.0', priority: 1 });

describe('the kongVersion setting', () => {
  it('takes x.y and x.y.z from 2.3 on, and master; refuses anything else, naming the setting', () => {
    for (const kongVersion of ['2.3', '2.8.5', '3.4', '3.10', '4.0.1', 'master']) assert.equal(serverSettings({ kongVersion }).kongVersion, kongVersion);
    assert.equal('kongVersion' in serverSettings(), false, 'unset by default');
    for (const kongVersion of ['3.x', '2.2', '1.0.0', 'latest', '3', 3.4]) {
      assert.throws(() => serverSettings({ kongVersion } as never), /the server setting kongVersion must be a Kong version: x\.y or x\.y\.z from 2\.3 on \(e\.g\. 3\.4 or 3\.4\.2\), or master/);
    }
  });

  it('comes from --kong-version (also -kong-version, go-style); a malformed one is refused by the parser', () => {
    assert.equal(settingsFromCommandLine(parse(['--kong-version', '3.4'])).kongVersion, '3.4');
    assert.equal(settingsFromCommandLine(parse(['-kong-version', 'master'])).kongVersion, 'master');
    assert.equal(settingsFromCommandLine(parse([])).kongVersion, undefined);
    assert.throws(
      () => parse(['--kong-version', 'three']),
      (error: unknown) => error instanceof CommanderError && /option '--kong-version <x\.y\[\.z\]\|master>' argument 'three' is invalid\. expected a Kong version: x\.y or x\.y\.z from 2\.3 on/.test(error.message),
    );
  });
});

describe('a server with kongVersion', () => {
  const { socketIn, removeAll } = tempSockets();
  after(removeAll);

  it('rejects a call that release lacks at once, without a round trip, and sends the others', async () => {
    const socket = socketIn();
    const lines: Array<Record<string, unknown>> = [];
    const running = await startServer({ logger: capturingLogger(lines), plugins: [reader], sockets: [socket], kongVersion: '2.8' });
    const host = new KongHost({ socket, version: '2.8' });
    try {
      seen.length = 0;
      const response = await host.request([{ name: 'reader', phases: reader.phases }], { host: 'api.example.com' });
      assert.deepEqual(response.phases, [['reader:access', 'ret']]);
      assert.deepEqual(response.request.calls, [['access', 'kong.request.get_header', ['host']]], 'get_start_time never reached Kong');
      const [error, host_] = seen;
      assert.ok(error instanceof PdkError);
      assert.equal(error.code, 'PDK_UNAVAILABLE');
      assert.equal(error.method, 'kong.request.get_start_time');
      assert.match(error.message, /Kong 2\.8 does not have it \(Kong has it from 3\.0\.0 on\); refused without asking Kong, because the plugin server runs with --kong-version 2\.8/);
      assert.equal(host_, 'api.example.com');
      const announced = lines.filter((line) => String(line['msg']).startsWith('PDK calls are checked against Kong'));
      assert.deepEqual(announced.map((line) => [line['level'], line['msg'], line['checkedAs']]), [
        ['info', 'PDK calls are checked against Kong 2.8: a function it lacks rejects at once with PDK_UNAVAILABLE', '2.8'],
      ]);
    } finally {
      host.close();
      await running.stop();
    }
  });

  it('without it, sends every call as before and says once at start that version checks are off', async () => {
    const socket = socketIn();
    const lines: Array<Record<string, unknown>> = [];
    const running = await startServer({ logger: capturingLogger(lines), plugins: [reader], sockets: [socket] });
    const host = new KongHost({ socket, version: '2.8' });
    try {
      seen.length = 0;
      const response = await host.request([{ name: 'reader', phases: reader.phases }]);
      assert.deepEqual(response.request.calls.map(([, method]) => method), ['kong.request.get_start_time', 'kong.request.get_header']);
      assert.equal((seen[0] as PdkError).code, 'PDK_UNAVAILABLE', 'Kong 2.8 answered nil, which the binding recognises');
      const off = lines.filter((line) => String(line['msg']).startsWith('Kong version checks are off'));
      assert.equal(off.length, 1);
      assert.equal(off[0]?.['level'], 'info');
      assert.match(String(off[0]?.['msg']), /start with --kong-version <x\.y> to have such calls rejected at once with PDK_UNAVAILABLE/);
    } finally {
      host.close();
      await running.stop();
    }
  });

  it('checks a version newer than the table as master, with a warning at start', async () => {
    for (const kongVersion of ['3.10', '4.0']) {
      const socket = socketIn();
      const lines: Array<Record<string, unknown>> = [];
      const running = await startServer({ logger: capturingLogger(lines), plugins: [reader], sockets: [socket], kongVersion });
      await running.stop();
      const warning = lines.find((line) => line['level'] === 'warn');
      assert.match(String(warning?.['msg']), new RegExp(`Kong ${kongVersion.replace('.', '\\.')} is newer than the newest release in tspdk's table of PDK functions .*: calls are checked as on master`));
      assert.equal(warning?.['checkedAs'], 'master');
    }
  });

  it('refuses at start, before listening, a version it cannot check', async () => {
    const socket = socketIn();
    await assert.rejects(startServer({ logger: capturingLogger([]), plugins: [reader], sockets: [socket], kongVersion: '2.9' }), /there is no Kong 2\.9 release/);
    await assert.rejects(startServer({ logger: capturingLogger([]), plugins: [reader], sockets: [socket], kongVersion: '2.2' }), /kongVersion must be a Kong version/);
    assert.equal(existsSync(socket), false);
  });
});

describe('a plugin process with --kong-version', () => {
  const children: ChildProcess[] = [];
  const directories: string[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('passes it to every worker of --workers 2, and logs it once', async () => {
    const directory = tempDirectory();
    directories.push(directory);
    const socket = join(directory, 'start-time.socket');
    const child = spawn(process.execPath, [fixture, '--socket', socket, '--workers', '2', '--kong-version', '2.8'], { env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes('"listening"'), 15_000, 'listening');
    const host = new KongHost({ socket, version: '2.8', workers: 2 });
    try {
      for (let i = 0; i < 6; i++) {
        const response = await host.request([{ name: 'start-time', phases: ['access'] }]);
        assert.match(response.headers.get('x-start')?.[0] ?? '', /^PDK_UNAVAILABLE kong\.request\.get_start_time: Kong 2\.8 does not have it/);
        assert.deepEqual(response.request.calls.map(([, method]) => method), ['kong.response.set_header']);
      }
    } finally {
      host.close();
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(stderr.split('\n').filter((line) => line.includes('PDK calls are checked against Kong 2.8')).length, 1);
  });

  it('exits with a clear message for a malformed version, and for one it cannot check', () => {
    const malformed = spawnSync(process.execPath, [fixture, '--kong-version', 'three'], { env: {}, encoding: 'utf8', timeout: 10_000 });
    assert.notEqual(malformed.status, 0);
    assert.match(malformed.stderr, /argument 'three' is invalid\. expected a Kong version: x\.y or x\.y\.z from 2\.3 on/);
    const unknown = spawnSync(process.execPath, [fixture, '--socket', '/nonexistent/s.socket', '--kong-version', '2.9'], { env: {}, encoding: 'utf8', timeout: 10_000 });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /"level":"fatal".*cannot start: --kong-version 2\.9: there is no Kong 2\.9 release/);
  });
});
