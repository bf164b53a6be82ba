/**
 * The generator end to end: a real git repository holding the made-up Kong
 * of `fake-kong.ts` at a few tags, read by `main.js` as it would read a
 * mirror of github.com/Kong/kong; and its pieces.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KongPdkTable } from '../../../pdk/availability.ts';
import { availabilityOf, spansOf } from '../../../scripts/kong-pdk-table/build-table.ts';
import { releasesOf } from '../../../scripts/kong-pdk-table/releases.ts';
import { hostFiles, pdkFiles } from './fake-kong.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../../../..');
const main = join(root, 'dist/scripts/kong-pdk-table/main.js');

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [main, ...args], { timeout: 60_000 }, (err, _stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stderr });
    });
  });
}

/** Writes the made-up Kong of one version into the work tree and commits it. */
function commitVersion(repo: string, version: 'old' | 'new', meta: string, extra = ''): void {
  const files = new Map([...pdkFiles(version), ...[...hostFiles(version)].map(([p, s]): [string, string] => [`kong/runloop/plugin_servers/${p}`, s])]);
  files.set('kong/meta.lua', `local version = setmetatable({\n  major = ${meta.split('.').join(',\n  minor = ').replace(/,\n  minor = (\d+),\n  minor = /, ',\n  minor = $1,\n  patch = ')},\n}, {})`);
  if (extra !== '') files.set('kong/pdk/request.lua', (files.get('kong/pdk/request.lua') as string).replace('local R = {}', `local R = {}\n  ${extra}`));
  for (const [path, text] of files) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'ignore' });
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', meta);
}

void describe('main.js over a git repository', () => {
  let dir = '';
  let repo = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kong-pdk-table-'));
    repo = join(dir, 'kong');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q', '-b', 'master', repo]);
    const tag = (t: string) => execFileSync('git', ['-C', repo, 'tag', t]);
    commitVersion(repo, 'old', '2.3.0');
    tag('2.3.0');
    tag('2.2.0');
    commitVersion(repo, 'new', '3.0.0');
    tag('3.0.0-rc.1');
    tag('3.0.0');
    commitVersion(repo, 'new', '3.1.0', 'function R.get_master() end');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('writes the table: releases, first releases, host eras, the master commit', async () => {
    const out = join(dir, 'table.ts');
    const { code, stderr } = await run(['--mirror', repo, '--out', out]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /names over 3 releases/);
    const text = readFileSync(out, 'utf8');
    assert.match(text, /^\/\*\*\n \* GENERATED FILE, do not edit/);
    const json = text.slice(text.indexOf('= {') + 2, text.lastIndexOf('}') + 1).replace(/^ {2}(\w+):/gm, '"$1":').replace(/,(\s*[}\]])/g, '$1');
    const table = JSON.parse(json) as KongPdkTable;
    assert.deepStrictEqual(table.releases, ['2.3.0', '3.0.0', 'master']);
    assert.equal(table.source.master.version, '3.1.0');
    assert.equal(table.source.master.commit, execFileSync('git', ['-C', repo, 'rev-parse', 'master'], { encoding: 'utf8' }).trim());
    assert.equal(table.functions['kong.request.get_new']?.since, '3.0.0');
    assert.equal(table.functions['kong.request.get_master']?.since, 'master');
    assert.equal(table.functions['kong.request.stream_only']?.since, '2.3.0');
    assert.equal(table.functions['kong.request.stream_only']?.http, null, 'a stream-only function');
    assert.equal(table.functions['kong.client.tls.request_certificate']?.stream, null, 'an http-only function');
    assert.deepStrictEqual(table.host.map((e) => [e.from, e.to, e.stepError]), [['2.3.0', '2.3.0', true], ['3.0.0', 'master', false]]);
    assert.deepStrictEqual(table.functions['kong.request.get_a']?.rawBin, [['3.0.0', 'master']]);
    assert.equal(table.functions['kong.nginx.get_ctx']?.shim, true);
  });

  void test('--check passes on the file it wrote and fails once it changed', async () => {
    const out = join(dir, 'checked.ts');
    assert.equal((await run(['--mirror', repo, '--out', out])).code, 0);
    assert.equal((await run(['--mirror', repo, '--out', out, '--check'])).code, 0);
    writeFileSync(out, `${readFileSync(out, 'utf8')}// edited\n`);
    const { code, stderr } = await run(['--mirror', repo, '--out', out, '--check']);
    assert.equal(code, 1);
    assert.match(stderr, /differs from what the mirror gives/);
  });

  void test('a missing mirror says how to make one', async () => {
    const { code, stderr } = await run(['--mirror', join(dir, 'nowhere'), '--out', join(dir, 'x.ts')]);
    assert.equal(code, 1);
    assert.match(stderr, /git clone --mirror https:\/\/github\.com\/Kong\/kong/);
  });
});

void describe('pieces', () => {
  void test('releases: final x.y.z tags from 2.3.0 on, in version order, then master', () => {
    assert.deepStrictEqual(releasesOf(['3.10.0', '2.3.0', '3.9.3', '2.2.2', '3.0.0-rc.1', '0.11.0.1', '2.10.1', 'next']), [
      '2.3.0', '2.10.1', '3.9.3', '3.10.0', 'master',
    ]);
  });

  void test('spans and availability from presence flags', () => {
    const releases = ['a', 'b', 'c', 'd', 'master'];
    assert.deepStrictEqual(spansOf([false, true, true, false, true], releases), [['b', 'c'], ['master', 'master']]);
    assert.deepStrictEqual(availabilityOf([false, true, false, true, false], releases), { since: 'b', until: 'd', gaps: [['c', 'c']] });
    assert.deepStrictEqual(availabilityOf([true, true, true, true, true], releases), { since: 'a' });
    assert.equal(availabilityOf([false, false, false, false, false], releases), null);
  });
});
