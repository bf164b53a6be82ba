/**
 * The Lua export: the generated schema.lua, run in a real Lua interpreter,
 * returns the same table as the JSON schema (plus Lua-only scoping).
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kongPluginSchema, schemaOf } from '../../schema/index.ts';
import { LUA_NULL, scopeFields } from '../../schema/kong.ts';
import { luaPluginSchema, luaSchema, luaString } from '../../schema/lua.ts';
import { KitchenSink } from './fixtures.ts';
import { findLua, normaliseEmpty, runLuaSchema } from './lua-runner.ts';

const lua = findLua();
const skip = lua === undefined ? 'no Lua interpreter found (install one: apt-get install -y luajit)' : false;

function expected(name: string, scope: Parameters<typeof luaPluginSchema>[2]): unknown {
  const json = kongPluginSchema(name, schemaOf(KitchenSink), scope);
  const scoped = scopeFields(scope).map((entry) =>
    Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, { ...v, eq: v.eq === LUA_NULL ? { $null: true } : v.eq }])),
  );
  return normaliseEmpty(JSON.parse(JSON.stringify({ name: json.name, fields: [...scoped, ...json.fields] })));
}

void describe('schema.lua', () => {
  void it('has no require() and names the plugin', () => {
    const text = luaPluginSchema('kitchen-sink', schemaOf(KitchenSink), { protocols: ['http', 'https'] });
    assert.doesNotMatch(text, /require/);
    assert.match(text, /name = "kitchen-sink"/);
  });

  void it('is deterministic', () => {
    const a = luaPluginSchema('k', schemaOf(KitchenSink), { consumer: false });
    const b = luaPluginSchema('k', schemaOf(KitchenSink), { consumer: false });
    assert.equal(a, b);
  });

  void it('escapes strings byte by byte', () => {
    assert.equal(luaString('a"b\\c\nd\u0001é]]'), '"a\\"b\\\\c\\nd\\001\\195\\169]]"');
    assert.equal(luaString('Require'), '"\\082equire"');
  });

  void it('round-trips every type and attribute through a real Lua interpreter', { skip }, () => {
    const scope = { protocols: ['http', 'https', 'grpc'] as const, consumer: false, route: false, service: false };
    const text = luaPluginSchema('kitchen-sink', schemaOf(KitchenSink), scope);
    assert.deepEqual(normaliseEmpty(runLuaSchema(lua ?? 'luajit', text)), expected('kitchen-sink', scope));
  });

  void it('round-trips hostile names and strings', { skip }, () => {
    const schema = { name: 'x"]]--\n\u0000ü', fields: [{ config: { type: 'record', fields: [{ 'end': { type: 'string', default: '\\"\'\r\t\u007f\u{1F600}\requireREQUIRE' } }] } }] };
    const out = runLuaSchema(lua ?? 'luajit', luaSchema(schema));
    assert.deepEqual(out, schema);
  });
});
