/**
 * Rewriting the `@since` tags of binding methods from the table, on a
 * small made-up binding file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KongPdkTable } from '../../../pdk/availability.ts';
import { methodsOf } from '../../../scripts/kong-pdk-table/bindings.ts';
import { renderSinceSection, replaceSection, SECTION_END, SECTION_START, withSinceTags } from '../../../scripts/kong-pdk-table/since-docs.ts';

const table = {
  releases: ['2.3.0', '3.1.0', 'master'],
  functions: {
    'kong.ns.one': { since: '3.1.0', params: [{ from: '3.1.0', params: [] }] },
    'kong.ns.two': { since: '2.3.0', stream: null, params: [{ from: '2.3.0', params: [] }, { from: '3.1.0', params: ['size'] }] },
  },
} as unknown as KongPdkTable;

const text = [
  'export class Ns {',
  '  /** `kong.ns.one()`: one. */',
  '  one(): Promise<void> {',
  "    return ask(this.b, t, 'kong.ns.one');",
  '  }',
  '',
  '  /**',
  '   * `kong.ns.two()`: two.',
  '   *',
  '   * @since Kong 1.0.0',
  '   */',
  '  two(): Promise<void> {',
  "    return ask(this.b, t, 'kong.ns.two');",
  '  }',
  '}',
  '',
].join('\n');

void test('@since tags are added to one-line and block comments, and replaced when present', () => {
  const out = withSinceTags(text, methodsOf('ns.ts', text), table);
  assert.match(out, /\n {2}\/\*\*\n {3}\* `kong\.ns\.one\(\)`: one\.\n {3}\*\n {3}\* @since Kong 3\.1\.0\n {3}\*\/\n {2}one\(\)/);
  assert.match(out, /\* @since Kong 2\.3\.0 \(http only\)\n {3}\*\/\n {2}two\(\)/);
  assert.deepStrictEqual(methodsOf('ns.ts', out).map((m) => m.since), ['Kong 3.1.0', 'Kong 2.3.0 (http only)']);
  assert.equal(withSinceTags(out, methodsOf('ns.ts', out), table), out, 'a second pass changes nothing');
});

void test('the docs table lists each method with its since and added parameters', () => {
  const section = renderSinceSection(methodsOf('ns.ts', text), table);
  assert.ok(section.startsWith(SECTION_START) && section.endsWith(SECTION_END));
  assert.match(section, /\| `kong\.ns\.one` \| `kong\.ns\.one` \| 3\.1\.0 \|  \|/);
  assert.match(section, /\| `kong\.ns\.two` \| `kong\.ns\.two` \| 2\.3\.0 \(http only\) \| takes `size` from 3\.1\.0 \|/);
  const doc = `# Doc\n\n${SECTION_START}\nold\n${SECTION_END}\n\nafter\n`;
  assert.equal(replaceSection(doc, section), `# Doc\n\n${section}\n\nafter\n`);
  assert.throws(() => replaceSection('# no markers', section), /lacks the markers/);
});
