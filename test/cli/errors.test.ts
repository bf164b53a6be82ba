/**
 * Errors a plugin author meets first, each saying what to do: a file that
 * declares no plugin (run as Kong runs it, and through `tspdk dump`),
 * TypeScript sources given instead of compiled files, a missing Kong prefix,
 * a plugin that throws while it loads (the author's own file and line are
 * shown), a package that cannot be found from the module.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NODE, runCli, Scratch, headerPlugin } from './support.ts';

/** Runs `node <file> <args>` as Kong runs a plugin file: empty environment. */
function runPluginFile(file: string, args: readonly string[]) {
  return spawnSync(NODE, [file, ...args], { env: {}, encoding: 'utf8', timeout: 20_000 });
}

describe('errors that say what to do', () => {
  const scratch = new Scratch();
  let directory = '';
  before(() => {
    directory = scratch.pluginDirectory({
      'no-plugin.js': "import { Config, field } from 'tspdk';\nexport class Forgot extends Config({ a: field.string() }) {}\n",
      'hello.js': headerPlugin('hello'),
      'bad-json.js': ["import { serve } from 'tspdk';", "const settings = JSON.parse('{ not json');", 'serve(settings, {});', ''].join('\n'),
      'helpers/util.js': 'export const x = 1;\n',
      'ts-only/greet.ts': "import { serve } from 'tspdk';\n",
      'ts-only/types.d.ts': 'export {};\n',
      'missing-dep.js': "import 'left-pad-that-is-not-installed';\n",
    });
  });
  after(() => scratch.cleanup());

  for (const flag of ['-dump', '--dump', '-kong-prefix']) {
    it(`a file that declares no plugin, run with ${flag}, exits 1 with the reason on stderr and nothing on stdout`, () => {
      const args = flag === '-kong-prefix' ? [flag, directory] : [flag];
      const result = runPluginFile(join(directory, 'no-plugin.js'), args);
      assert.equal(result.status, 1, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /no-plugin\.js declares no plugin, so there is nothing to (dump|serve)/);
      assert.match(result.stderr, /serve\(MyPlugin, \{ name, version, priority \}\)/);
    });
  }

  it('a file that imports tspdk and runs without Kong flags exits quietly (a script, not a plugin server)', () => {
    const result = runPluginFile(join(directory, 'no-plugin.js'), []);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  it('`tspdk dump` of a file without a plugin says how a file declares one', () => {
    const result = runCli(['dump', join(directory, 'no-plugin.js')]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /no plugin found in .*no-plugin\.js\. A plugin file declares its plugin by calling serve\(MyPlugin/);
    assert.match(result.stderr, /loaded, but declare no plugin: no-plugin\.js/);
  });

  it('TypeScript sources: compile first, point at the .js files', () => {
    const file = runCli(['dump', join(directory, 'ts-only', 'greet.ts')]);
    assert.notEqual(file.status, 0);
    assert.match(file.stderr, /greet\.ts.*Unknown file extension "\.ts"/);
    assert.match(file.stderr, /compile it first \(npx tsc, or npm run build\) and point at the \.js file tsc writes/);
    const folder = runCli(['dump', join(directory, 'ts-only')]);
    assert.equal(folder.status, 1);
    assert.match(folder.stderr, /not loaded, TypeScript sources: greet\.ts; compile them/);
    assert.doesNotMatch(folder.stderr, /types\.d\.ts/);
  });

  it("a plugin that throws while it loads shows the author's own file and line, not only the built-in that threw", () => {
    const result = runCli(['dump', join(directory, 'bad-json.js')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /SyntaxError: .*JSON/);
    assert.match(result.stderr, /bad-json\.js:2:\d+/);
    assert.doesNotMatch(result.stderr, /node:internal/);
  });

  it('a package the module cannot find: where Node looks, and what to install', () => {
    const result = runCli(['dump', join(directory, 'missing-dep.js')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Cannot find package 'left-pad-that-is-not-installed'/);
    assert.match(result.stderr, /install it in the plugin's project \(npm install\)/);
  });

  it('a Kong prefix that does not exist: pass -kong-prefix or --socket', () => {
    const missing = join(directory, 'no-such-prefix');
    const result = runPluginFile(join(directory, 'hello.js'), ['-kong-prefix', missing]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /the socket directory .*no-such-prefix does not exist/);
    assert.match(result.stderr, /pass -kong-prefix <dir> .* or --socket <path> in a directory that exists/);
  });
});
