/**
 * Validation and defaults: Kong's semantics and messages, nested paths, meta
 * keys, unknown keys, hostile input, and the dump's schema shape.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Config, field, kongPluginSchema, schemaOf } from '../../schema/index.ts';
import { KitchenSink } from './fixtures.ts';

const sink = schemaOf(KitchenSink);
const valid = { host: 'api.example.com', limits: {} };

function errorsOf(raw: Record<string, unknown>): readonly string[] {
  return sink.apply({ ...valid, ...raw }).errors;
}

void describe("validators with Kong's messages", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['integer', { ttl: 1.5 }, 'config.ttl: expected an integer'],
    ['number', { ratio: 'x' }, 'config.ratio: expected a number'],
    ['string', { code: 200 }, 'config.code: expected a string'],
    ['boolean', { enabled: 'yes' }, 'config.enabled: expected a boolean'],
    ['array', { tags: 'a' }, 'config.tags: expected an array'],
    ['set', { methods: 'GET' }, 'config.methods: expected a set'],
    ['map', { headers: ['a'] }, 'config.headers: expected a map'],
    ['record', { limits: 3 }, 'config.limits: expected a record'],
    ['required', { ttl: null }, 'config.ttl: required field missing'],
    ['between', { ratio: 2 }, 'config.ratio: value should be between 0 and 1'],
    ['gt', { ttl: 0 }, 'config.ttl: value must be greater than 0'],
    ['one_of', { mode: 'x' }, 'config.mode: expected one of: fast, safe'],
    ['one_of numbers', { level: 5 }, 'config.level: expected one of: 1, 2, 3'],
    ['not_one_of', { level: 4 }, 'config.level: must not be one of: 4'],
    ['len_eq', { code: '12' }, 'config.code: length must be 3'],
    ['len_max', { message: 'x'.repeat(65) }, 'config.message: length must be at most 64'],
    ['empty string', { token: '' }, 'config.token: length must be at least 1'],
    ['match', { code: '12a' }, 'config.code: invalid value: 12a'],
    ['not_match', { code: '012' }, 'config.code: invalid value: 012'],
    ['starts_with', { token: 'abc' }, 'config.token: should start with: tok_'],
    ['uuid', { upstream_id: 'nope' }, 'config.upstream_id: expected a valid UUID'],
    ['err replaces validator messages', { host: 'a b.com' }, 'config.host: invalid host'],
    ['nested record', { limits: { minute: -1 } }, 'config.limits.minute: value must be greater than 0'],
    ['deeply nested', { limits: { nested: { deep: 1 } } }, 'config.limits.nested.deep: expected a boolean'],
    ['array element', { tags: ['ok', 5] }, 'config.tags[2]: expected a string'],
    ['null element', { tags: ['ok', null] }, 'config.tags[2]: required field missing'],
    ['record in array', { rules: [{ name: 'a' }, { weight: 2 }] }, 'config.rules[2].name: required field missing'],
    ['map value', { weights: { a: 101 } }, 'config.weights.a: value should be between 0 and 100'],
    ['map key', { headers: { 'bad key': 'x' } }, 'config.headers: invalid value: bad key'],
    ['len on maps', { headers: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`h${i}`, 'v'])) }, 'config.headers: length must be at most 10'],
    ['unknown field', { nope: 1 }, 'config.nope: unknown field'],
    ['unknown nested field', { limits: { second: 1 } }, 'config.limits.second: unknown field'],
  ];
  for (const [name, raw, message] of cases) {
    void it(name, () => {
      assert.ok(errorsOf(raw).includes(message), `${JSON.stringify(errorsOf(raw))} lacks ${message}`);
    });
  }

  void it('match_all, match_none and match_any use their own errors', () => {
    const s = schemaOf(class extends Config({
      a: field.string({ match_all: [{ pattern: '^%l+$', err: 'lowercase only' }] }),
      b: field.string({ match_none: [{ pattern: '^%-', err: 'no leading dash' }] }),
      c: field.string({ match_any: { patterns: ['^x', '^y'], err: 'x or y' } }),
      d: field.string({ match_any: { patterns: ['^x'] } }),
    }) {});
    assert.deepEqual(s.apply({ a: 'A', b: '-b', c: 'z', d: 'z' }).errors, [
      'config.a: lowercase only',
      'config.b: no leading dash',
      'config.c: x or y',
      'config.d: invalid value: z',
    ]);
    assert.deepEqual(s.apply({ a: 'a', b: 'b', c: 'yes', d: 'x' }).errors, []);
  });

  void it('accepts vault references in referenceable strings', () => {
    assert.deepEqual(errorsOf({ token: '{vault://env/token}' }), []);
  });

  void it('measures string length in bytes, like Lua', () => {
    const s = schemaOf(class extends Config({ a: field.string({ len_max: 2 }) }) {});
    assert.deepEqual(s.apply({ a: 'é' }).errors, []);
    assert.deepEqual(s.apply({ a: 'éé' }).errors, ['config.a: length must be at most 2']);
  });
});

void describe('defaults and output', () => {
  void it('applies defaults deeply and drops meta keys', () => {
    const { values, errors } = sink.apply({
      ...valid,
      __seq__: 1, __key__: 'k', __plugin_id: 'p', __ws_id: 'w', route_id: 'r', service_id: 's', consumer_id: 'c', plugin_instance_name: 'i',
      rules: [{ name: 'a' }],
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(values, {
      message: 'hello', mode: 'safe', host: 'api.example.com', ratio: 0.5, ttl: 30, enabled: true, tags: [],
      methods: ['GET', 'POST'], weights: {},
      limits: { hour: 1000, nested: { deep: false } },
      rules: [{ name: 'a', weight: 1 }],
      fallback: { url: 'https://example.com' },
    });
  });

  void it('removes duplicates from sets', () => {
    assert.deepEqual(sink.apply({ ...valid, methods: ['GET', 'GET', 'PUT'] }).values['methods'], ['GET', 'PUT']);
  });

  void it('keeps the default of an invalid field and reports it', () => {
    const { values, errors } = sink.apply({ ...valid, ttl: 'soon' });
    assert.equal(values['ttl'], 30);
    assert.deepEqual(errors, ['config.ttl: expected an integer']);
  });

  void it('reports a missing required record field', () => {
    const s = schemaOf(class extends Config({ key: field.string({ required: true }) }) {});
    assert.deepEqual(s.apply({}).errors, ['config.key: required field missing']);
  });

  void it('never throws and reports a non-object config', () => {
    for (const raw of [null, 3, 'x', [], undefined]) {
      const r = sink.apply(raw);
      assert.ok(Array.isArray(r.errors));
    }
    assert.deepEqual(sink.apply(3).errors[0], 'config: expected a record');
  });

  void it('is safe against prototype pollution', () => {
    const raw = JSON.parse('{"host":"a.com","limits":{"__proto__":{"polluted":1}},"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"headers":{"__proto__":"x"}}') as unknown;
    const { values, errors } = sink.apply(raw);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf(values), Object.prototype);
    assert.equal(Object.hasOwn(values, '__proto__'), false);
    assert.equal(Object.hasOwn(values, 'constructor'), false);
    assert.ok(errors.includes('config.__proto__: unknown field'));
    assert.ok(errors.includes('config.limits.__proto__: unknown field'));
    assert.ok(errors.includes("config.headers: key '__proto__' is not allowed"));
  });

  void it('infers a schema from a plain class', () => {
    class Plain {
      message = 'hi';
      count = 3;
      on = false;
      list = ['a'];
      skipped = { x: 1 };
    }
    const s = schemaOf(Plain);
    assert.deepEqual(Object.keys(s.fields), ['message', 'count', 'on', 'list']);
    assert.deepEqual(s.apply({}).values, { message: 'hi', count: 3, on: false, list: ['a'] });
  });
});

void describe('declaration checks (Kong metaschema rules)', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['short description', () => Config({ a: field.string({ description: 'short' }) }), /config\.a: description must be 10 to 500/],
    ['bad pattern', () => Config({ a: field.string({ match: '[a' }) }), /bad Lua pattern/],
    ['bad default', () => Config({ a: field.string({ one_of: ['x'], default: 'y' }) }), /config\.a: invalid default/],
    ['nested bad default', () => Config({ r: field.record({ n: field.integer({ default: 1.5 }) }) }), /config\.r\.n: invalid default/],
    ['reserved name', () => Config({ ['__proto__']: field.string() }), /cannot be a field name/],
    ['infinite bound', () => Config({ a: field.number({ gt: Infinity }) }), /finite/],
  ];
  for (const [name, make, re] of bad) void it(name, () => assert.throws(make, re));
});

void describe('dump schema', () => {
  void it('is {name, fields:[{config:{type:"record", fields}}]} with no nulls', () => {
    const dump = kongPluginSchema('kitchen-sink', sink, { protocols: ['https', 'http'], consumer: false });
    assert.equal(dump.name, 'kitchen-sink');
    const text = JSON.stringify(dump);
    assert.doesNotMatch(text, /null/);
    assert.deepEqual(dump.fields[0], {
      protocols: { type: 'set', required: true, default: ['http', 'https'], elements: { type: 'string', one_of: ['http', 'https'] } },
    });
    const config = (dump.fields[1] as { config: { type: string; fields: unknown[] } }).config;
    assert.equal(config.type, 'record');
    assert.equal(config.fields.length, Object.keys(sink.fields).length);
    assert.deepEqual(config.fields[0], { message: { type: 'string', default: 'hello', description: 'The greeting to send back.', len_min: 0, len_max: 64 } });
  });

  void it('rejects unknown protocols', () => {
    assert.throws(() => kongPluginSchema('x', sink, { protocols: ['ftp' as 'http'] }), /protocols/);
  });
});
