/**
 * Every example prints a dump Kong accepts: `node <example>.js -dump` writes
 * one JSON array holding one plugin (Kong 3.9+ reads only the first), with
 * the phases the class implements and its config schema.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PluginDefinition } from 'tspdk';
import 'tspdk/testing';
import canary from '../../examples/canary.ts';
import fileLog from '../../examples/file-log.ts';
import hello from '../../examples/hello.ts';
import keyAuth from '../../examples/key-auth.ts';
import rateLimit from '../../examples/rate-limit.ts';
import requestTransform from '../../examples/request-transform.ts';
import responseTransform from '../../examples/response-transform.ts';

const run = promisify(execFile);
const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

const expected: Array<[string, PluginDefinition, string[]]> = [
  ['hello', hello, ['access']],
  ['key-auth', keyAuth, ['access']],
  ['rate-limit', rateLimit, ['access']],
  ['request-transform', requestTransform, ['access']],
  ['response-transform', responseTransform, ['response']],
  ['canary', canary, ['access']],
  ['file-log', fileLog, ['log']],
];

describe('example dumps', () => {
  for (const [file, definition, phases] of expected) {
    it(`${file}: -dump prints one valid plugin`, async () => {
      const { stdout, stderr } = await run(process.execPath, [join(examples, `${file}.js`), '-dump'], { env: {} });
      assert.equal(stderr, '');
      const dump = JSON.parse(stdout) as unknown;
      assert.ok(Array.isArray(dump) && dump.length === 1, 'one plugin per dump');
      const [plugin] = dump as Array<Record<string, unknown>>;
      assert.deepEqual(plugin, JSON.parse(JSON.stringify(definition.dump)));
      assert.equal(plugin?.['Name'], definition.name);
      assert.match(String(plugin?.['Version']), /^\d+\.\d+\.\d+$/);
      assert.ok(Number.isInteger(plugin?.['Priority']));
      assert.deepEqual(plugin?.['Phases'], phases);
      const schema = plugin?.['Schema'] as { name: string; fields: Array<Record<string, { type: string }>> };
      assert.equal(schema.name, definition.name);
      const config = schema.fields.find((entry) => 'config' in entry)?.['config'];
      assert.equal(config?.type, 'record');
    });
  }
});
