/**
 * `schema diff`: every cell of Konnect's schema-change table, for top-level
 * parameters and for nested ones (records, records in arrays, map values).
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KongField, KongPluginSchema } from '../../schema/index.ts';
import { diffSchemas, needsMaintenanceWindow, schemaDiffCommand } from '../../schema/index.ts';

type Column = 'required, default' | 'required, no default' | 'optional, default' | 'optional, no default';

const COLUMNS: Record<Column, Partial<KongField>> = {
  'required, default': { required: true, default: 5 },
  'required, no default': { required: true },
  'optional, default': { default: 5 },
  'optional, no default': {},
};

/** Konnect's table, verbatim. */
const TABLE: Record<'added' | 'removed' | 'retyped', Record<Column, string>> = {
  added: { 'required, default': 'Short', 'required, no default': 'Long', 'optional, default': 'Short', 'optional, no default': 'Short' },
  removed: { 'required, default': 'Long', 'required, no default': 'CP/DP sync required', 'optional, default': 'Long', 'optional, no default': 'Long' },
  retyped: { 'required, default': 'CP/DP sync required', 'required, no default': 'CP/DP sync required', 'optional, default': 'CP/DP sync required', 'optional, no default': 'CP/DP sync required' },
};

/** Places `fields` at a nesting level: top level, in a record, in an array of records, in map values. */
const NESTINGS: Record<string, { wrap: (fields: Record<string, KongField>[]) => Record<string, KongField>[]; prefix: string }> = {
  'top level': { wrap: (f) => f, prefix: 'config' },
  record: { wrap: (f) => [{ limits: { type: 'record', required: true, fields: f } }], prefix: 'config.limits' },
  'array of records': { wrap: (f) => [{ rules: { type: 'array', elements: { type: 'record', fields: f } } }], prefix: 'config.rules[]' },
  'map of records': {
    wrap: (f) => [{ upstreams: { type: 'map', keys: { type: 'string' }, values: { type: 'record', fields: f } } }],
    prefix: 'config.upstreams{}',
  },
};

function plugin(fields: Record<string, KongField>[], name = 'demo'): KongPluginSchema {
  return { name, fields: [{ config: { type: 'record', fields } }] };
}

const keep: Record<string, KongField> = { keep: { type: 'string' } };

void describe("Konnect's schema-change table", () => {
  for (const [nesting, { wrap, prefix }] of Object.entries(NESTINGS)) {
    for (const column of Object.keys(COLUMNS) as Column[]) {
      const attrs = COLUMNS[column];
      const param: KongField = { type: 'integer', ...attrs };
      const cases = {
        added: [plugin(wrap([keep])), plugin(wrap([keep, { ttl: param }]))],
        removed: [plugin(wrap([keep, { ttl: param }])), plugin(wrap([keep]))],
        retyped: [plugin(wrap([keep, { ttl: param }])), plugin(wrap([keep, { ttl: { ...param, type: 'number' } }]))],
      } as const;
      for (const kind of ['added', 'removed', 'retyped'] as const) {
        void it(`${nesting}: ${kind}, ${column} -> ${TABLE[kind][column]}`, () => {
          const [before, after] = cases[kind];
          const diff = diffSchemas(before, after);
          assert.equal(diff.changes.length, 1, JSON.stringify(diff.changes));
          const c = diff.changes[0];
          assert.ok(c);
          assert.equal(c.kind, kind);
          assert.equal(c.path, `${prefix}.ttl`);
          assert.equal(c.upgrade, TABLE[kind][column]);
          assert.equal(diff.upgrade, TABLE[kind][column]);
          const nonBreaking = kind === 'added' && column === 'optional, no default';
          assert.equal(c.breaking, !nonBreaking);
          assert.equal(needsMaintenanceWindow(diff), !nonBreaking);
          if (kind === 'retyped') {
            assert.equal(c.oldType, 'integer');
            assert.equal(c.newType, 'number');
          }
        });
      }
    }
  }
});

void describe('schema diff details', () => {
  void it('reports no change for equal schemas', () => {
    const diff = diffSchemas(plugin([keep]), plugin([keep]));
    assert.equal(diff.upgrade, 'none');
    assert.deepEqual(diff.changes, []);
    assert.equal(diff.maintenanceWindow, false);
  });

  void it('sees element type changes as retyping', () => {
    const diff = diffSchemas(
      plugin([{ tags: { type: 'array', elements: { type: 'string' } } }]),
      plugin([{ tags: { type: 'array', elements: { type: 'integer' } } }]),
    );
    assert.equal(diff.changes[0]?.kind, 'retyped');
    assert.equal(diff.changes[0]?.oldType, 'array<string>');
    assert.equal(diff.changes[0]?.newType, 'array<integer>');
  });

  void it('treats a required record whose fields all have defaults as defaulted', () => {
    const rec: KongField = { type: 'record', required: true, fields: [{ a: { type: 'integer', required: true, default: 1 } }] };
    const diff = diffSchemas(plugin([keep]), plugin([keep, { rec }]));
    assert.equal(diff.changes[0]?.hasDefault, true);
    assert.equal(diff.upgrade, 'Short');
  });

  void it('takes the heaviest path and lists its steps', () => {
    const diff = diffSchemas(
      plugin([keep, { old: { type: 'string', required: true } }]),
      plugin([keep, { ttl: { type: 'integer', required: true } }]),
    );
    assert.equal(diff.upgrade, 'CP/DP sync required');
    assert.equal(diff.steps.length, 5);
    assert.match(diff.steps[2] ?? '', /give every instance a value for config\.ttl/);
    assert.equal(diff.sideBySideName, 'demo-v2');
  });

  void it('renders text and JSON, with the CI exit code', () => {
    const before = JSON.stringify([{ Name: 'demo', Priority: 1, Version: '0.1', Phases: ['access'], Schema: plugin([keep]) }]);
    const after = JSON.stringify({ Protocol: 'MsgPack:1', Plugins: [{ Name: 'demo', Schema: plugin([keep, { ttl: { type: 'integer', required: true } }]) }] });
    const text = schemaDiffCommand(before, after);
    assert.equal(text.exitCode, 1);
    assert.match(text.stdout, /added config\.ttl: required, no default -> Long, BREAKING/);
    assert.match(text.stdout, /demo-v2/);
    assert.match(text.stdout, /Maintenance window: needed/);
    const json = schemaDiffCommand(before, after, { json: true });
    const parsed = JSON.parse(json.stdout) as { upgrade: string; changes: { path: string }[] };
    assert.equal(parsed.upgrade, 'Long');
    assert.equal(parsed.changes[0]?.path, 'config.ttl');
    const optional = schemaDiffCommand(plugin([keep]), plugin([keep, { note: { type: 'string' } }]));
    assert.equal(optional.exitCode, 0);
    assert.match(optional.stdout, /Maintenance window: not needed/);
    assert.equal(schemaDiffCommand('{', after).exitCode, 2);
  });

  void it('notes attribute and protocol changes outside the table', () => {
    const diff = diffSchemas(
      { name: 'demo', fields: [{ config: { type: 'record', fields: [{ a: { type: 'string', one_of: ['x'] } }] } }] },
      {
        name: 'demo',
        fields: [
          { protocols: { type: 'set', required: true, default: ['http'], elements: { type: 'string', one_of: ['http'] } } },
          { config: { type: 'record', fields: [{ a: { type: 'string', one_of: ['x', 'y'], required: true } }] } },
        ],
      },
    );
    assert.equal(diff.changes.length, 0);
    assert.ok(diff.notes.some((n) => n.startsWith('config.a: one_of changed')));
    assert.ok(diff.notes.some((n) => n.includes('now required without a default')));
    assert.ok(diff.notes.some((n) => n.startsWith('protocols changed')));
  });
});
