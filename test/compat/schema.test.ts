/**
 * kong-pdk's `Schema` array as tspdk field specs: every type and attribute
 * tspdk validates maps one to one (the dump is the declaration), validation
 * follows Kong's rules, and what cannot be served is refused by name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kongPdkConfigSchema, KongPdkSchemaError } from '../../compat/kong-pdk/schema.ts';
import { kongPdkPlugin } from '../../compat/kong-pdk/plugin.ts';
import { luaName } from '../../compat/kong-pdk/names.ts';
import { PluginDefinitionError } from '../../plugin/definition.ts';

/** A JSON value with the keys of every object sorted (Kong reads attributes in any order). */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted((value as Record<string, unknown>)[key])]));
}

/** Every type and every attribute tspdk validates, nested as plugin schemas nest them. */
const EVERYTHING = [
  { name: { type: 'string', required: true, len_min: 3, len_max: 20, match: '^%a[%w-]*$', description: 'The name of the thing.' } },
  { mode: { type: 'string', one_of: ['a', 'b'], default: 'a', err: 'pick a or b' } },
  { prefix: { type: 'string', starts_with: '/', not_match: '%s', not_one_of: ['/admin'] } },
  { id: { type: 'string', uuid: true } },
  { secret: { type: 'string', referenceable: true, encrypted: true } },
  { rules: { type: 'string', match_all: [{ pattern: '^%l', err: 'lower first' }], match_none: [{ pattern: '%d$' }], match_any: { patterns: ['x', 'y'] } } },
  { ratio: { type: 'number', between: [0, 1], default: 0.5 } },
  { count: { type: 'integer', gt: 0, len_eq: undefined } },
  { enabled: { type: 'boolean', default: true } },
  { tags: { type: 'set', elements: { type: 'string', len_max: 8 }, len_max: 4 } },
  { limits: { type: 'array', elements: { type: 'record', fields: [{ path: { type: 'string' } }, { per_minute: { type: 'integer', default: 10 } }] }, default: [] } },
  { headers: { type: 'map', keys: { type: 'string', match: '^x%-' }, values: { type: 'array', elements: { type: 'string' } } } },
  { redis: { type: 'record', required: true, fields: [{ host: { type: 'string', default: 'localhost' } }, { port: { type: 'integer', between: [1, 65535], default: 6379 } }] } },
];

describe('kong-pdk Schema', () => {
  it('maps every type and attribute tspdk validates, and dumps the declaration as Kong read it from kong-pdk', () => {
    const schema = kongPdkConfigSchema(EVERYTHING);
    assert.deepEqual(sorted(schema.toKong()), sorted(JSON.parse(JSON.stringify(EVERYTHING))));
  });

  it("validates and fills in defaults with Kong's rules", () => {
    const schema = kongPdkConfigSchema(EVERYTHING);
    const good = schema.apply({ name: 'abc', redis: { host: 'cache' }, limits: [{ path: '/a' }], __seq__: 3 });
    assert.deepEqual(good.errors, []);
    assert.deepEqual(good.values['redis'], { host: 'cache', port: 6379 });
    assert.deepEqual(good.values['limits'], [{ path: '/a', per_minute: 10 }]);
    assert.equal(good.values['mode'], 'a');
    const bad = schema.apply({ name: '1xy', mode: 'c', ratio: 2, tags: ['a', 'b', 'c', 'd', 'e'], headers: { nope: ['v'] } });
    assert.deepEqual([...bad.errors].sort(), [
      'config.headers: invalid value: nope',
      'config.mode: pick a or b',
      'config.name: invalid value: 1xy',
      'config.ratio: value should be between 0 and 1',
      'config.tags: length must be at most 4',
    ]);
  });

  it('takes a missing or empty Schema as no fields, as kong-pdk does', () => {
    assert.deepEqual(kongPdkConfigSchema(undefined).toKong(), []);
    assert.deepEqual(kongPdkConfigSchema([]).toKong(), []);
  });

  it('refuses what tspdk cannot validate, naming the field and the attribute', () => {
    const refused: Array<[unknown, RegExp]> = [
      [[{ mode: { type: 'string', eq: 'x' } }], /Schema config\.mode: attribute 'eq' is not supported by tspdk \(use one_of with a single value\)/],
      [[{ when: { type: 'number', timestamp: true } }], /config\.when: attribute 'timestamp' is not supported/],
      [[{ deep: { type: 'record', fields: [{ list: { type: 'array', elements: { type: 'string', contains: 'x' } } }] } }], /config\.deep\.list\[\]: attribute 'contains'/],
      [[{ x: { type: 'string', colour: 'red' } }], /config\.x: attribute 'colour' is not a Kong field attribute tspdk knows/],
      [[{ x: { type: 'json' } }], /config\.x: type "json" is not one of string, number, integer, boolean, array, set, map, record/],
      [[{ x: { type: 'string' }, y: { type: 'string' } }], /config\[0\]: each entry must name exactly one field .* got x, y/],
      [[{ x: { type: 'array' } }], /config\.x: a array needs 'elements'/],
      [[{ x: { type: 'string', fields: [] } }], /config\.x: 'fields' belongs to record fields, not to a string/],
      [{ x: { type: 'string' } }, /Schema config: expected an array of/],
      [[{ x: { type: 'string' } }, { x: { type: 'string' } }], /config\.x: declared twice/],
    ];
    for (const [schema, message] of refused) assert.throws(() => kongPdkConfigSchema(schema), (error: Error) => error instanceof KongPdkSchemaError && message.test(error.message));
  });

  it("refuses, as Kong's metaschema would, a bad Lua pattern or a default that fails its own rules", () => {
    assert.throws(() => kongPdkConfigSchema([{ x: { type: 'string', match: '[a' } }]), /config\.x: bad Lua pattern/);
    assert.throws(() => kongPdkConfigSchema([{ x: { type: 'integer', between: [1, 5], default: 9 } }]), /config\.x: invalid default/);
  });
});

describe('kong-pdk module exports', () => {
  class Plugin {
    access(): void {}
  }

  it("defaults Name to the file's name and Priority to 0, lower-cases the name, and finds the phases", () => {
    const definition = kongPdkPlugin({ Plugin, Version: '1.0.0' }, { defaultName: 'My-Plugin' });
    assert.equal(definition.name, 'my-plugin');
    assert.equal(definition.priority, 0);
    assert.deepEqual(definition.phases, ['access']);
    assert.equal(kongPdkPlugin({ Plugin, Version: '1.0.0', Name: 'Named' }, { defaultName: 'file' }).name, 'named');
  });

  it('refuses exports Kong or kong-pdk would not run, saying why', () => {
    const refused: Array<[Record<string, unknown>, RegExp]> = [
      [{ Version: '1.0.0' }, /must export Plugin, a class/],
      [{ Plugin: () => undefined, Version: '1.0.0' }, /must export Plugin, a class/],
      [{ Plugin }, /version undefined must look like 1, 1\.2 or 1\.2\.3/],
      [{ Plugin, Version: '1.0.0', Priority: 1.5 }, /priority must be an integer/],
      [{ Plugin: class {}, Version: '1.0.0' }, /none of the phase methods/],
      [{ Plugin, Version: '1.0.0', Name: 'bad name' }, /plugin name "bad name" must be lower case letters/],
      [{ Plugin, Version: '1.0.0', Name: 7 }, /Name must be a string/],
    ];
    for (const [exports, message] of refused) {
      assert.throws(() => kongPdkPlugin(exports as never, { defaultName: 'x' }), (error: Error) => error instanceof PluginDefinitionError && message.test(error.message));
    }
  });
});

describe("kong-pdk's property names", () => {
  it('calls the Lua function kong-pdk calls, and fixes only the names that could never have worked', () => {
    assert.equal(luaName('getHeader'), 'get_header');
    assert.equal(luaName('get_header'), 'get_header');
    assert.equal(luaName('getRawBody'), 'get_raw_body');
    assert.equal(luaName('getTls1_versionStr'), 'get_tls1_version_str', "kong-pdk's typings spell it so");
    assert.equal(luaName('getTls1VersionStr'), 'get_tls1_version_str', 'kong-pdk sent get_tls1Version_str');
    assert.equal(luaName('getHTTPVersion'), 'get_http_version');
    assert.equal(luaName('shared'), 'shared');
  });
});
