/**
 * Loading a directory of plugins (kong-js-pdk#82, #151): a broken file, a
 * file with a syntax error, a helper module, a subfolder without an entry
 * point, tests, dotfiles and node_modules leave every good plugin's dump
 * intact; ESM, CommonJS and package directories load; duplicate names fail.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findModules, packageEntry, PluginPathError } from '../../server/modules/loader.ts';
import { runCli, Scratch, headerPlugin, writeFiles } from './support.ts';

interface Info {
  readonly Name: string;
  readonly Version: string;
  readonly Priority: number;
  readonly Phases: readonly string[];
  readonly Schema: { readonly name: string; readonly fields: readonly unknown[] };
}

describe('plugin directory loading', () => {
  const scratch = new Scratch();
  let directory = '';
  before(() => {
    directory = scratch.pluginDirectory({
      'a-esm.js': `console.log('a-esm prints while loading');\n${headerPlugin('a-esm', { priority: 10 })}`,
      'b-module.mjs': headerPlugin('b-module', { priority: 9 }),
      'c-common.cjs': [
        "const { Config, field, serve } = require('tspdk');",
        "class C extends Config({ n: field.integer({ default: 1 }) }) { log() {} }",
        "serve(C, { name: 'c-common', version: '1', priority: 8 });",
      ].join('\n'),
      'd-package/package.json': JSON.stringify({ name: 'd', type: 'module', exports: { '.': { import: './lib/entry.js' } } }),
      'd-package/lib/entry.js': [
        "import { Config, definePlugin, field } from 'tspdk';",
        "import { suffix } from './util.js';",
        "class D extends Config({ k: field.string({ default: suffix('d') }) }) { rewrite() {} }",
        "export default definePlugin(D, { name: 'd-package', version: '0.1', priority: 7 });",
      ].join('\n'),
      'd-package/lib/util.js': "export const suffix = (s) => `${s}!`;",
      'e-index/index.js': headerPlugin('e-index', { priority: 6 }),
      'broken.js': "import 'tspdk';\nthrow new Error('broken on purpose');\n",
      'syntax.mjs': 'export const = ;\n',
      'throws-after-serve.js': `${headerPlugin('half-declared')}throw new Error('failed after serve()');\n`,
      'helper.js': 'export function helper() { return 42; }\n',
      'assets/readme.txt': 'no entry point here\n',
      'assets/data.js': "throw new Error('a subfolder without entry point is not loaded');\n",
      'tests/a.test.js': "throw new Error('tests are not loaded');\n",
      'a-esm.test.js': "throw new Error('test files are not loaded');\n",
      '.hidden.js': "throw new Error('dotfiles are not loaded');\n",
      'types.d.ts': 'export {};\n',
      'source.ts': 'const x: number = "no";\n',
      'node_modules/dep/index.js': "throw new Error('node_modules is not loaded');\n",
    });
  });
  after(() => scratch.cleanup());

  it('dumps every good plugin as valid JSON, reporting broken files on stderr', () => {
    const result = runCli(['dump', directory, '--all']);
    assert.equal(result.status, 0, result.stderr);
    const dump = JSON.parse(result.stdout) as Info[];
    assert.deepEqual(
      dump.map((info) => info.Name),
      ['a-esm', 'b-module', 'c-common', 'd-package', 'e-index'],
    );
    for (const info of dump) {
      assert.equal(info.Schema.name, info.Name);
      assert.ok(info.Phases.length > 0);
    }
    assert.match(result.stderr, /skipped broken\.js .*broken on purpose/);
    assert.match(result.stderr, /skipped syntax\.mjs .*SyntaxError/s);
    assert.match(result.stderr, /skipped throws-after-serve\.js .*failed after serve\(\)/);
    assert.match(result.stderr, /a-esm prints while loading/);
    assert.doesNotMatch(result.stderr, /not loaded/);
    assert.doesNotMatch(result.stderr, /helper/);
  });

  it('dumps exactly one plugin with --plugin, as Kong 3.9+ needs', () => {
    for (const name of ['c-common', 'd-package', 'a-esm']) {
      const result = runCli(['dump', directory, '--plugin', name]);
      assert.equal(result.status, 0, result.stderr);
      const dump = JSON.parse(result.stdout) as Info[];
      assert.equal(dump.length, 1);
      assert.equal(dump[0]?.Name, name);
    }
  });

  it('asks for --plugin or --all when a directory holds several plugins', () => {
    const result = runCli(['dump', directory]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /found 5 plugins .*--plugin/);
  });

  it('loads a package directory and a single file given directly', () => {
    const pkg = runCli(['dump', join(directory, 'd-package')]);
    assert.equal(pkg.status, 0, pkg.stderr);
    const [info] = JSON.parse(pkg.stdout) as Info[];
    assert.equal(info?.Name, 'd-package');
    const file = runCli(['dump', join(directory, 'c-common.cjs')]);
    assert.equal((JSON.parse(file.stdout) as Info[])[0]?.Name, 'c-common');
  });

  it('fails, naming both files, when two modules declare the same plugin', () => {
    const other = scratch.pluginDirectory({ 'one.js': headerPlugin('twin'), 'two.js': headerPlugin('twin') });
    const result = runCli(['dump', other, '--all']);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.ok(result.stderr.includes(`two plugins are named "twin": ${join(other, 'one.js')} and ${join(other, 'two.js')}`), result.stderr);
  });

  it('fails when the requested plugin is in a broken file', () => {
    const result = runCli(['dump', directory, '--plugin', 'half-declared']);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /no plugin named "half-declared"/);
  });
});

describe('package entry points', () => {
  const scratch = new Scratch();
  after(() => scratch.cleanup());

  it('follows exports (string, "." and conditions), then main, then index.*', () => {
    const root = scratch.directory();
    writeFiles(root, {
      'string/package.json': JSON.stringify({ exports: './s.js' }),
      'string/s.js': '',
      'dot/package.json': JSON.stringify({ exports: { '.': { types: './x.d.ts', require: './r.cjs', import: './i.js' }, './other': './o.js' } }),
      'dot/i.js': '',
      'dot/r.cjs': '',
      'main/package.json': JSON.stringify({ main: 'lib/m' }),
      'main/lib/m.js': '',
      'index/index.mjs': '',
      'none/package.json': JSON.stringify({ name: 'none' }),
      'none/notes.js': '',
      'missing/package.json': JSON.stringify({ main: './gone.js' }),
    });
    assert.equal(packageEntry(join(root, 'string')), join(root, 'string', 's.js'));
    assert.equal(packageEntry(join(root, 'dot')), join(root, 'dot', 'i.js'));
    assert.equal(packageEntry(join(root, 'main')), join(root, 'main', 'lib', 'm.js'));
    assert.equal(packageEntry(join(root, 'index')), join(root, 'index', 'index.mjs'));
    assert.equal(packageEntry(join(root, 'none')), undefined);
    assert.throws(() => packageEntry(join(root, 'missing')), PluginPathError);

    const { candidates, failures } = findModules([root]);
    assert.deepEqual(
      candidates.map((candidate) => candidate.file),
      [join(root, 'dot', 'i.js'), join(root, 'index', 'index.mjs'), join(root, 'main', 'lib', 'm.js'), join(root, 'string', 's.js')],
    );
    assert.deepEqual(failures.map((failure) => failure.file), [join(root, 'missing')]);
    assert.throws(() => findModules([join(root, 'nowhere')]), /no such file or directory/);
  });
});
