/**
 * The development loop: `tspdk serve --watch` reloads the plugin code when
 * its files change (one process and with --workers), refuses a schema
 * change saying what to do while the old code serves on; `--log-format
 * pretty` prints lines for people through pino-pretty, which a `-dump` or a
 * JSON server never loads.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { reloadsOn, watchedFolders } from '../../cli/watch.ts';
import { NODE, Scratch, startCli, startProcess, writeFiles } from './support.ts';
import { spawnSync } from 'node:child_process';

function pluginSource(extraField = ''): string {
  return [
    "import { Config, field, serve } from 'tspdk';",
    "import { CODE } from './lib/code.js';",
    `class Watched extends Config({ note: field.string({ default: 'n' })${extraField} }) {`,
    "  async access(kong) { await kong.response.setHeader('x-code', CODE); }",
    '}',
    "serve(Watched, { name: 'watched', version: '1.0', priority: 2 });",
    '',
  ].join('\n');
}

const plugin = { name: 'watched', phases: ['access'] };

describe('tspdk serve --watch and --log-format', () => {
  const scratch = new Scratch();
  after(() => scratch.cleanup());

  for (const workers of [1, 2]) {
    it(`reloads on change (--workers ${workers}), and refuses a schema change saying what to do while the old code serves`, async () => {
      const directory = scratch.pluginDirectory({ 'watched.js': pluginSource(), 'lib/code.js': "export const CODE = 'v1';\n" });
      const prefix = scratch.directory();
      const server = scratch.track(startCli(['serve', join(directory, 'watched.js'), '--watch', '--kong-prefix', prefix, '--workers', String(workers)]));
      await server.waitForLog('"listening"');
      await server.waitForLog('watching for changes');
      const host = new KongHost({ socket: join(prefix, 'watched.socket') });
      try {
        assert.deepEqual((await host.request([plugin])).headers.get('x-code'), ['v1']);
        let mark = server.stderr().length;
        writeFiles(directory, { 'lib/code.js': "export const CODE = 'v2';\n" });
        await server.waitForLog('"msg":"reloaded"', 10_000, mark);
        // Every worker reloads on the SIGHUP the primary passes on.
        if (workers > 1) await server.waitForLog(/"msg":"reloaded"[^]*"msg":"reloaded"/, 10_000, mark);
        for (let i = 0; i < 4; i++) assert.deepEqual((await host.request([plugin])).headers.get('x-code'), ['v2']);

        mark = server.stderr().length;
        writeFiles(directory, { 'watched.js': pluginSource(", limit: field.integer({ required: true })"), 'lib/code.js': "export const CODE = 'v3';\n" });
        await server.waitForLog('reload refused', 10_000, mark);
        if (workers === 1) await server.waitForLog('this change needs a restart: stop tspdk serve and start it again', 10_000, mark);
        assert.match(server.stderr().slice(mark), /config schema changed/);
        assert.deepEqual((await host.request([plugin])).headers.get('x-code'), ['v2']);
      } finally {
        host.close();
      }
      server.process.kill('SIGTERM');
      assert.equal(await server.exited(), 0);
    });
  }

  it('watches the folders of the plugins, and reloads on modules and JSON only', () => {
    assert.deepEqual(watchedFolders(['/a/dist/src/x.js', '/a/dist/src/y.js', '/a/dist/src/lib/z.js']), ['/a/dist/src']);
    for (const file of ['x.js', 'lib/y.mjs', 'z.cjs', 'data.json']) assert.equal(reloadsOn(file), true, file);
    for (const file of ['x.ts', 'x.js.map', 'node_modules/p/index.js', '.cache/x.js', 'notes.txt']) assert.equal(reloadsOn(file), false, file);
    assert.equal(reloadsOn(null), true);
  });

  it('--log-format pretty prints lines for people; json (the default) prints pino JSON lines', async () => {
    const directory = scratch.pluginDirectory({ 'watched.js': pluginSource(), 'lib/code.js': "export const CODE = 'v1';\n" });
    const prefix = scratch.directory();
    for (const format of ['pretty', 'json']) {
      const server = scratch.track(startProcess(NODE, [join(directory, 'watched.js'), '-kong-prefix', prefix, '--log-format', format]));
      await server.waitForLog('listening');
      server.process.kill('SIGTERM');
      assert.equal(await server.exited(), 0);
      const lines = server.stderr().trim().split('\n');
      if (format === 'pretty') {
        assert.ok(lines.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening/.test(line)), server.stderr());
        assert.ok(lines.every((line) => !line.startsWith('{')), server.stderr());
      } else {
        for (const line of lines) assert.equal(typeof (JSON.parse(line) as { msg: string }).msg, 'string');
      }
      assert.equal(server.stdout(), '');
    }
  });

  it('loads pino-pretty only when pretty logs are asked for: never for -dump, never for JSON logs', async () => {
    const directory = scratch.pluginDirectory({ 'watched.js': pluginSource(), 'lib/code.js': "export const CODE = 'v1';\n" });
    const loaded = join(directory, 'loaded.txt');
    // Records every module URL this process resolves, through Node's module hooks.
    writeFiles(directory, {
      'hooks.mjs': `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(${JSON.stringify(loaded)}, result.url + '\\n');\n  return result;\n}\n`,
      'register.mjs': "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
    });
    const withHooks = ['--import', join(directory, 'register.mjs'), join(directory, 'watched.js')];
    const resolved = (): string => {
      const text = readFileSync(loaded, 'utf8');
      writeFileSync(loaded, '');
      return text;
    };
    writeFileSync(loaded, '');
    const dump = spawnSync(NODE, [...withHooks, '-dump', '--log-format', 'pretty'], { env: {}, encoding: 'utf8' });
    assert.equal(dump.status, 0, dump.stderr);
    assert.equal((JSON.parse(dump.stdout) as Array<{ Name: string }>)[0]?.Name, 'watched');
    let urls = resolved();
    assert.match(urls, /\/dist\/plugin\/index\.js/);
    assert.doesNotMatch(urls, /pino-pretty/);

    const prefix = scratch.directory();
    for (const format of ['json', 'pretty']) {
      const server = scratch.track(startProcess(NODE, [...withHooks, '-kong-prefix', prefix, '--log-format', format]));
      await server.waitForLog('listening');
      server.process.kill('SIGTERM');
      assert.equal(await server.exited(), 0);
      urls = resolved();
      assert.match(urls, /\/pino\//);
      if (format === 'json') assert.doesNotMatch(urls, /pino-pretty/);
      else assert.match(urls, /pino-pretty/);
    }
  });
});
