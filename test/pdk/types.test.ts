/**
 * The strict-mode type test: every file in `test/types/fail` holds one
 * wrong call and must fail to compile with the error code named in its
 * first line (`// expect-error TS2345: …`). One `tsc --noEmit` run checks
 * them all with the project's compiler options (`test/types/tsconfig.fail.json`
 * extends `tsconfig.json`). The correct calls in `test/types/pass.ts` are part
 * of the normal build.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const failDir = join(root, 'test/types/fail');
const tsc = join(root, 'node_modules/.bin/tsc');

function runTsc(): Promise<string> {
  return new Promise((done) => {
    execFile(tsc, ['-p', join(root, 'test/types/tsconfig.fail.json'), '--pretty', 'false'], { cwd: root, timeout: 60_000 }, (_error, stdout) => {
      done(stdout);
    });
  });
}

void test('each wrong call fails to compile with its expected error', { timeout: 60_000 }, async () => {
  const files = readdirSync(failDir).filter((name) => name.endsWith('.ts'));
  assert.ok(files.length >= 10, 'the fail cases are there');
  const output = await runTsc();
  const errors = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    const match = /^test\/types\/fail\/([^(]+)\(\d+,\d+\): error (TS\d+):/.exec(line);
    if (match === null) continue;
    const [, file = '', code = ''] = match;
    errors.set(file, [...(errors.get(file) ?? []), code]);
  }
  const stray = output.split('\n').filter((line) => /error TS\d+/.test(line) && !line.startsWith('test/types/fail/'));
  assert.deepStrictEqual(stray, [], 'only the fail files have errors');
  for (const file of files) {
    const expected = /^\/\/ expect-error (TS\d+)/.exec(readFileSync(join(failDir, file), 'utf8'))?.[1];
    assert.ok(expected !== undefined, `${file} names its expected error`);
    const got = errors.get(file) ?? [];
    assert.ok(got.length > 0, `${file} compiled, but should fail with ${expected}`);
    assert.deepStrictEqual([...new Set(got)], [expected], `${file} fails with ${expected}`);
  }
});
