/**
 * Packaging, end to end (`npm run test:full` only; about two minutes):
 * - `npm pack` of a checkout that was never built builds it first (prepack)
 *   and packs every entry point with its types;
 * - `tspdk init` with that tarball makes a project whose own `npm test`
 *   passes once installed;
 * - the packed types type-check a plugin with the oldest TypeScript the
 *   README supports, and the release before it fails, so the stated range is
 *   the real one.
 * The installs need the npm registry (for TypeScript and @types/node only);
 * when it cannot be reached, those tests are skipped, saying so.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../cli/support.ts';

/** The oldest TypeScript the README states; the release before it must fail. */
const OLDEST_TYPESCRIPT = '5.7.2';
const TOO_OLD_TYPESCRIPT = '5.6.3';
/** Folders of a checkout that `npm pack` must not need: what a fresh clone lacks. */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', '.git', 'results']);

/** The environment of the commands: this one, without what makes a nested `node --test` report to this test runner. */
const ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_TEST_CONTEXT'));

function run(command: string, args: readonly string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...ENV, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(result.status, 0, `${what} failed (${String(result.status ?? result.signal)}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  return result.stdout;
}

/** Why the registry cannot be used, or undefined when it answers. */
function registryProblem(): string | undefined {
  const result = run('npm', ['view', `typescript@${OLDEST_TYPESCRIPT}`, 'version'], tmpdir(), 60_000);
  if (result.status === 0 && result.stdout.trim() === OLDEST_TYPESCRIPT) return undefined;
  return `the npm registry is unreachable (npm view typescript@${OLDEST_TYPESCRIPT}: ${(result.stderr || String(result.error ?? result.status)).trim().split('\n')[0]})`;
}

describe('packaging', () => {
  const work = mkdtempSync(join(tmpdir(), 'tspdk-pack-'));
  const checkout = join(work, 'checkout');
  let tarball = '';
  let packed: string[] = [];
  let registry: string | undefined;
  let project = '';

  before(() => {
    // An unbuilt copy of this checkout (as a fresh clone), with the dependencies it builds with.
    cpSync(ROOT, checkout, { recursive: true, filter: (source) => !NOT_IN_A_CLONE.has(basename(source)) && !source.endsWith('.tsbuildinfo') });
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
    assert.equal(existsSync(join(checkout, 'dist')), false);
    const [info] = JSON.parse(ok(run('npm', ['pack', '--json', '--pack-destination', work], checkout), 'npm pack')) as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.ok(info !== undefined);
    tarball = join(work, info.filename);
    packed = info.files.map((file) => file.path);
    registry = registryProblem();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('npm pack of an unbuilt checkout builds first and packs every entry point with its types', () => {
    assert.ok(existsSync(tarball));
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types?: string; default?: string } | string>; bin: Record<string, string> };
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue;
      for (const file of [target.types, target.default]) assert.ok(file !== undefined && packed.includes(file.replace(/^\.\//, '')), `${entry}: ${String(file)} is packed`);
    }
    for (const bin of Object.values(manifest.bin)) assert.ok(packed.includes(bin.replace(/^\.\//, '')), `bin ${bin} is packed`);
    assert.ok(packed.includes('dist/cli/init/templates.js'));
    assert.deepEqual(packed.filter((file) => file.startsWith('dist/test/') || file.endsWith('.map') || file.endsWith('.tsbuildinfo')), []);
  });

  it('tspdk init with the tarball: the new project passes its own npm test', { timeout: 600_000 }, (t) => {
    if (registry !== undefined) return t.skip(registry);
    project = join(work, 'hello-kong');
    ok(run(process.execPath, [join(checkout, 'dist', 'cli', 'main.js'), 'init', project, '--tspdk', tarball], work), 'tspdk init');
    ok(run('npm', ['install'], project), 'npm install');
    const test = ok(run('npm', ['test'], project), 'npm test of the new project');
    assert.match(test, /^# pass 5$/m);
    assert.match(test, /^# fail 0$/m);
    const dump = JSON.parse(ok(run('npm', ['run', '--silent', 'dump'], project), 'npm run dump')) as Array<{ Name: string }>;
    assert.deepEqual(dump.map((info) => info.Name), ['hello-kong']);
  });

  it(`the packed types type-check a plugin with TypeScript ${OLDEST_TYPESCRIPT} (the oldest supported), not with ${TOO_OLD_TYPESCRIPT}`, { timeout: 600_000 }, (t) => {
    if (registry !== undefined) return t.skip(registry);
    assert.ok(project !== '', 'the project of the previous test');
    ok(run('npm', ['install', '--save-dev', `typescript@${OLDEST_TYPESCRIPT}`], project), `npm install typescript@${OLDEST_TYPESCRIPT}`);
    assert.equal(ok(run('npx', ['tsc', '--version'], project), 'tsc --version').trim(), `Version ${OLDEST_TYPESCRIPT}`);
    ok(run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], project), `tsc ${OLDEST_TYPESCRIPT}`);

    ok(run('npm', ['install', '--save-dev', `typescript@${TOO_OLD_TYPESCRIPT}`], project), `npm install typescript@${TOO_OLD_TYPESCRIPT}`);
    const old = run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], project);
    assert.notEqual(old.status, 0);
    assert.match(old.stdout, /node_modules\/tspdk\/dist\/pdk\/.*\.d\.ts.*Type 'Uint8Array' is not generic/);
  });
});
