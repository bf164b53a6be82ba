/**
 * Plugin files that are symlinks load as `node file.js` runs them: from
 * their real path, so their imports resolve from where the file really is.
 * A Kubernetes ConfigMap volume is the common case: every file is a link
 * `hello.js -> ..data/hello.js`, `..data` a link to the current timestamped
 * folder, swapped at once on an update.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { NODE, runCli, Scratch, startCli, writeFiles } from './support.ts';

function pluginSource(code: string): string {
  return [
    "import { Config, field, serve } from 'tspdk';",
    "import { CODE } from './code.js';",
    "class Mounted extends Config({ note: field.string({ default: 'n' }) }) {",
    "  async access(kong) { await kong.response.setHeader('x-code', CODE); }",
    '}',
    "serve(Mounted, { name: 'mounted', version: '1.0', priority: 3 });",
    `// ${code}`,
    '',
  ].join('\n');
}

/** Lays out a ConfigMap volume in `mount`: `..<version>/` holding the files, `..data` pointing at it, a link per file. */
function configMap(mount: string, version: string, files: Record<string, string>): void {
  const folder = `..${version}`;
  writeFiles(join(mount, folder), files);
  // Kubernetes swaps ..data atomically: a new link renamed over the old one.
  symlinkSync(folder, join(mount, '..data_tmp'));
  renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join('..data', name), join(mount, name));
    } catch {
      // the link exists from an earlier version
    }
  }
}

const runNode = (args: readonly string[]) => spawnSync(NODE, args, { env: {}, encoding: 'utf8', timeout: 20_000 });

describe('symlinked plugin files', () => {
  const scratch = new Scratch();
  after(() => scratch.cleanup());

  it('a ConfigMap mount inside the project: dump, kong-conf and serve work as `node file.js` does, and a reload picks up an update', async () => {
    const project = scratch.pluginDirectory({});
    const mount = join(project, 'plugins');
    mkdirSync(mount);
    configMap(mount, '2024_01_01', { 'mounted.js': pluginSource('v1'), 'code.js': "export const CODE = 'v1';\n" });

    const alone = runNode([join(mount, 'mounted.js'), '-dump']);
    assert.equal(alone.status, 0, alone.stderr);
    const fromDirectory = runCli(['dump', mount]);
    assert.equal(fromDirectory.status, 0, fromDirectory.stderr);
    assert.equal(fromDirectory.stdout, alone.stdout);

    // The commands name the link, which survives updates, not the timestamped folder.
    const conf = runCli(['kong-conf', mount, '--format', 'conf', '--layout', 'per-plugin']);
    assert.equal(conf.status, 0, conf.stderr);
    assert.ok(conf.stdout.includes(join(mount, 'mounted.js')), conf.stdout);
    assert.doesNotMatch(conf.stdout, /\.\.2024/);

    const prefix = scratch.directory();
    const pidFile = join(prefix, 'tspdk.pid');
    const server = scratch.track(startCli(['serve', mount, '--kong-prefix', prefix, '--pid-file', pidFile]));
    await server.waitForLog('"listening"');
    const host = new KongHost({ socket: join(prefix, 'mounted.socket') });
    try {
      const plugin = { name: 'mounted', phases: ['access'] };
      assert.deepEqual((await host.request([plugin])).headers.get('x-code'), ['v1']);
      configMap(mount, '2024_02_02', { 'mounted.js': pluginSource('v2'), 'code.js': "export const CODE = 'v2';\n" });
      const mark = server.stderr().length;
      const reload = runCli(['reload', '--pid-file', pidFile]);
      assert.equal(reload.status, 0, reload.stderr);
      await server.waitForLog('"msg":"reloaded"', 10_000, mark);
      assert.deepEqual((await host.request([plugin])).headers.get('x-code'), ['v2']);
    } finally {
      host.close();
    }
    server.process.kill('SIGTERM');
    assert.equal(await server.exited(), 0);
  });

  it('links in a folder without node_modules to files of a project load from the project, alone and from the folder', () => {
    const project = scratch.pluginDirectory({ 'dist/mounted.js': pluginSource('p'), 'dist/code.js': "export const CODE = 'p';\n" });
    const links = scratch.directory();
    symlinkSync(join(project, 'dist', 'mounted.js'), join(links, 'mounted.js'));
    const alone = runNode([join(links, 'mounted.js'), '-dump']);
    assert.equal(alone.status, 0, alone.stderr);
    const fromDirectory = runCli(['dump', links]);
    assert.equal(fromDirectory.status, 0, fromDirectory.stderr);
    assert.equal(fromDirectory.stdout, alone.stdout);
  });

  it('links to files where tspdk cannot be found fail alone and from the folder alike, naming the real file', () => {
    const project = scratch.pluginDirectory({});
    const elsewhere = scratch.directory();
    const mount = join(elsewhere, 'mount');
    mkdirSync(mount);
    writeFiles(elsewhere, { 'package.json': JSON.stringify({ type: 'module' }) });
    configMap(mount, '2024_01_01', { 'mounted.js': pluginSource('x'), 'code.js': "export const CODE = 'x';\n" });
    const plugins = join(project, 'plugins');
    mkdirSync(plugins);
    symlinkSync(join(mount, 'mounted.js'), join(plugins, 'mounted.js'));

    const alone = runNode([join(plugins, 'mounted.js'), '-dump']);
    assert.notEqual(alone.status, 0);
    assert.match(alone.stderr, /Cannot find package 'tspdk'/);
    const fromDirectory = runCli(['dump', plugins]);
    assert.equal(fromDirectory.status, 1);
    assert.match(fromDirectory.stderr, /Cannot find package 'tspdk' imported from .*\.\.2024_01_01\/mounted\.js/);
    assert.match(fromDirectory.stderr, /node_modules folders above the module's real path/);
  });
});
