/**
 * Logic-only reload: `tspdk reload` (SIGHUP) under load through the Kong host
 * stand-in, with no failed event, instances rebuilt under their ids from
 * Kong's config, helper modules re-imported; a changed schema is refused with
 * its Konnect upgrade path and the old code keeps serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost, type HostResponse } from '../../testing/host/kong-host.ts';
import { compareForReload } from '../../server/modules/reload.ts';
import { definePlugin } from '../../plugin/definition.ts';
import { Config, field } from '../../schema/index.ts';
import { runCli, Scratch, sleep, startCli, writeFiles } from './support.ts';

function pluginSource(extraField = ''): string {
  return [
    "import { Config, field, serve } from 'tspdk';",
    "import { CODE } from './code.js';",
    `class Reloadable extends Config({ greeting: field.string({ default: 'default' })${extraField} }) {`,
    '  async access(kong) {',
    "    await kong.response.setHeader('x-code-start', CODE);",
    '    await new Promise((resolve) => setTimeout(resolve, 3));',
    "    await kong.response.setHeader('x-code-end', CODE);",
    "    await kong.response.setHeader('x-greeting', this.greeting);",
    '  }',
    '}',
    "serve(Reloadable, { name: 'reloadable', version: '1.0', priority: 5 });",
    '',
  ].join('\n');
}

const header = (response: HostResponse, name: string): string | undefined => response.headers.get(name)?.[0];

describe('tspdk reload', () => {
  const scratch = new Scratch();
  after(() => scratch.cleanup());

  it('swaps the code under load with no failed event, and refuses a schema change', async () => {
    const directory = scratch.pluginDirectory({ 'reloadable.js': pluginSource(), 'code.js': "export const CODE = 'v1';\n" });
    const prefix = scratch.directory();
    const pidFile = join(prefix, 'tspdk.pid');
    const server = scratch.track(startCli(['serve', directory, '--kong-prefix', prefix, '--pid-file', pidFile]));
    await server.waitForLog('"listening"');
    const host = new KongHost({ socket: join(prefix, 'reloadable.socket'), workers: 2 });
    const plugin = { name: 'reloadable', config: { greeting: 'from kong' }, phases: ['access'] };
    const responses: HostResponse[] = [];
    let stop = false;
    const loop = async (): Promise<void> => {
      while (!stop) responses.push(await host.request([plugin]));
    };
    const loops = Array.from({ length: 8 }, () => loop());
    const until = async (check: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(5);
      }
    };
    try {
      await until(() => responses.length >= 40, 'load before the reload');
      const instances = host.instancesStarted;

      // A fix in a helper module: reload through the CLI.
      writeFiles(directory, { 'code.js': "export const CODE = 'v2';\n" });
      const logMark = server.stderr().length;
      const reload = runCli(['reload', '--pid-file', pidFile]);
      assert.equal(reload.status, 0, reload.stderr);
      assert.equal(reload.stdout, '');
      await server.waitForLog('"msg":"reloaded"', 10_000, logMark);
      const reloadedAt = responses.length;
      await until(() => responses.slice(reloadedAt).filter((r) => header(r, 'x-code-start') === 'v2').length >= 40, 'load after the reload');

      // A schema change: refused, the v2 code keeps serving.
      writeFiles(directory, { 'reloadable.js': pluginSource(", ttl: field.integer({ required: true })"), 'code.js': "export const CODE = 'v3';\n" });
      const refusedMark = server.stderr().length;
      server.process.kill('SIGHUP');
      await server.waitForLog('reload refused', 10_000, refusedMark);
      const refusedAt = responses.length;
      await until(() => responses.length >= refusedAt + 40, 'load after the refusal');
      stop = true;
      await Promise.all(loops);

      const failed = responses.filter((r) => r.status !== 200 || r.errors.length > 0);
      assert.deepEqual(failed.map((r) => [r.status, r.errors]), [], 'no failed event');
      for (const response of responses) {
        assert.equal(header(response, 'x-code-start'), header(response, 'x-code-end'), 'an event runs on one version of the code');
        assert.equal(header(response, 'x-greeting'), 'from kong', "instances are rebuilt from Kong's config");
      }
      assert.ok(responses.slice(0, reloadedAt).some((r) => header(r, 'x-code-start') === 'v1'));
      assert.ok(responses.slice(refusedAt).every((r) => header(r, 'x-code-start') === 'v2'), 'the refused code never runs');
      assert.equal(host.instancesStarted, instances, 'Kong keeps its instance ids: no StartInstance after a reload');
      assert.equal(host.resets, 0);

      const refusal = server.stderr().slice(refusedMark);
      assert.match(refusal, /config schema changed \(upgrade path: Long\)/);
      assert.match(refusal, /config\.ttl/);
      assert.match(refusal, /restart Kong/);
    } finally {
      stop = true;
      await Promise.allSettled(loops);
      host.close();
    }
    server.process.kill('SIGTERM');
    assert.equal(await server.exited(), 0);
    assert.equal(server.stdout(), '');
  });

  it('reloads CommonJS plugins with their helpers, and refuses code that fails to load', async () => {
    const directory = scratch.pluginDirectory({
      'cjs.cjs': [
        "const { Config, field, serve } = require('tspdk');",
        "const { code } = require('./lib/code.cjs');",
        "class Cjs extends Config({ n: field.integer({ default: 1 }) }) { async access(kong) { await kong.response.setHeader('x-code', code()); } }",
        "serve(Cjs, { name: 'cjs', version: '1', priority: 1 });",
      ].join('\n'),
      'lib/code.cjs': "exports.code = () => 'c1';\n",
    });
    const prefix = scratch.directory();
    const server = scratch.track(startCli(['serve', directory, '--kong-prefix', prefix]));
    await server.waitForLog('"listening"');
    const host = new KongHost({ socket: join(prefix, 'cjs.socket') });
    const plugin = { name: 'cjs', phases: ['access'] };
    try {
      assert.equal(header(await host.request([plugin]), 'x-code'), 'c1');
      writeFiles(directory, { 'lib/code.cjs': "exports.code = () => 'c2';\n" });
      let mark = server.stderr().length;
      server.process.kill('SIGHUP');
      await server.waitForLog('"msg":"reloaded"', 10_000, mark);
      assert.equal(header(await host.request([plugin]), 'x-code'), 'c2');

      writeFiles(directory, { 'lib/code.cjs': 'exports.code = () => ;\n' });
      mark = server.stderr().length;
      server.process.kill('SIGHUP');
      await server.waitForLog('reload refused', 10_000, mark);
      assert.match(server.stderr().slice(mark), /SyntaxError/);
      const response = await host.request([plugin]);
      assert.deepEqual(response.errors, []);
      assert.equal(header(response, 'x-code'), 'c2');
    } finally {
      host.close();
    }
    server.process.kill('SIGTERM');
    assert.equal(await server.exited(), 0);
  });

  it('refuses changed phases, priority or a plugin that is gone; accepts a version bump', () => {
    class A extends Config({ x: field.string({ default: 'a' }) }) {
      access(): void {}
    }
    class B extends Config({ x: field.string({ default: 'a' }) }) {
      access(): void {}
      log(): void {}
    }
    const before = definePlugin(A, { name: 'p', version: '1.0', priority: 1 });
    assert.equal(compareForReload(before, definePlugin(A, { name: 'p', version: '1.1', priority: 1 })), undefined);
    assert.match(compareForReload(before, definePlugin(B, { name: 'p', version: '1.0', priority: 1 }))?.reason ?? '', /phases changed/);
    assert.match(compareForReload(before, definePlugin(A, { name: 'p', version: '1.0', priority: 2 }))?.reason ?? '', /priority changed/);
    assert.match(compareForReload(before, undefined)?.reason ?? '', /no longer declares/);
  });

  it('reports a missing or stale pid file', () => {
    const prefix = scratch.directory();
    const missing = runCli(['reload', '--kong-prefix', prefix]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no pid in .*tspdk\.pid/);
    // A pid file left behind, its pid now reused by another program.
    const other = spawn('sleep', ['5'], { stdio: 'ignore' });
    try {
      const stale = runCli(['reload', '--pid', String(other.pid)]);
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /not a running `tspdk serve`/);
      assert.equal(other.exitCode, null);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
