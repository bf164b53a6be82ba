/**
 * The `since` of every binding, in its doc comment (`@since`) and in the
 * per-method table of docs/pdk.md, agrees with the generated availability
 * table; `npm run kong-pdk-table:docs` rewrites both when it does not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pdkTable } from '../../pdk/availability.ts';
import { pdkMethods } from '../../pdk/methods.ts';
import { bindingMethods } from '../../scripts/kong-pdk-table/bindings.ts';
import { SECTION_END, SECTION_START, renderSinceSection, sinceText } from '../../scripts/kong-pdk-table/since-docs.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const methods = bindingMethods(root);
const fix = 'run `npm run kong-pdk-table:docs`';

void test('every bound Lua function has exactly one binding method', () => {
  const counts = new Map<string, number>();
  for (const m of methods) counts.set(m.luaName, (counts.get(m.luaName) ?? 0) + 1);
  assert.deepStrictEqual(Object.keys(pdkMethods).filter((name) => counts.get(name) !== 1), []);
  assert.deepStrictEqual(methods.filter((m) => !(m.luaName in pdkMethods)).map((m) => m.luaName), []);
});

void test('every binding method has the @since of the table', () => {
  const wrong = methods
    .filter((m) => m.since !== sinceText(m.luaName, pdkTable))
    .map((m) => `${m.file}: ${m.className}.${m.methodName} has @since ${m.since ?? '(none)'}, the table says ${sinceText(m.luaName, pdkTable)}`);
  assert.deepStrictEqual(wrong, [], fix);
});

void test('docs/pdk.md lists every binding with the table\'s since', () => {
  const doc = readFileSync(join(root, 'docs/pdk.md'), 'utf8');
  const start = doc.indexOf(SECTION_START);
  const end = doc.indexOf(SECTION_END);
  assert.ok(start >= 0 && end > start, 'docs/pdk.md has the generated section');
  assert.equal(doc.slice(start, end + SECTION_END.length), renderSinceSection(methods, pdkTable), fix);
});

void test('a binding that calls a second function is not older than that function', () => {
  const order = pdkTable.releases;
  for (const m of methods) {
    const own = order.indexOf(pdkTable.functions[m.luaName]?.since ?? '');
    for (const other of m.calls) {
      const since = order.indexOf(pdkTable.functions[other]?.since ?? 'missing');
      assert.ok(since >= 0 && since <= own, `${m.className}.${m.methodName} also calls ${other}, which is newer`);
    }
  }
});
