/**
 * The Lua reader of the table generator: tokens, syntax tree and the
 * abstract evaluator, on small Lua written for these tests.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Evaluator } from '../../../scripts/kong-pdk-table/lua/evaluator.ts';
import { LuaSyntaxError, tokenize } from '../../../scripts/kong-pdk-table/lua/lexer.ts';
import { parseLua } from '../../../scripts/kong-pdk-table/lua/parser.ts';
import { truthy, type Value } from '../../../scripts/kong-pdk-table/lua/values.ts';

const texts = (src: string) => tokenize(src, 't.lua').map((t) => `${t.kind}:${t.text}`);

void describe('lexer', () => {
  void test('decodes escapes, keeps long strings, drops comments', () => {
    assert.deepStrictEqual(texts('local s = "\\\\w+\\n\\65\\x41" -- note\n--[==[ long\ncomment ]==] x = [[\nraw]]'), [
      'keyword:local', 'name:s', 'symbol:=', 'string:\\w+\nAA', 'name:x', 'symbol:=', 'string:raw', 'eof:',
    ]);
  });

  void test('numbers, symbols longest first, and line numbers', () => {
    const tokens = tokenize('a = 0x1F + 1e3 .. ...\nb ~= 2ULL', 't.lua');
    assert.deepStrictEqual(tokens.map((t) => t.text), ['a', '=', '0x1F', '+', '1e3', '..', '...', 'b', '~=', '2ULL', '']);
    assert.equal(tokens.find((t) => t.text === 'b')?.line, 2);
  });

  void test('an unfinished string is a syntax error with file and line', () => {
    assert.throws(() => tokenize('x = 1\ny = "open', 'f.lua'), (e: unknown) => e instanceof LuaSyntaxError && e.message === 'f.lua:2: unfinished string');
  });
});

void describe('parser', () => {
  void test('operator priorities: concatenation and powers are right-associative, and/or lowest', () => {
    const [stat] = parseLua('x = a or b and c == d .. e .. f', 't.lua');
    assert.ok(stat?.type === 'assign');
    const v = stat.values[0];
    assert.ok(v?.type === 'binary' && v.op === 'or');
    assert.ok(v.right.type === 'binary' && v.right.op === 'and');
    const eq = v.right.right;
    assert.ok(eq.type === 'binary' && eq.op === '==' && eq.right.type === 'binary' && eq.right.op === '..');
    assert.ok(eq.right.right.type === 'binary' && eq.right.right.op === '..', 'd .. (e .. f)');
  });

  void test('function statements become assignments; a colon adds self', () => {
    const block = parseLua('function M.a.b(x, ...) end\nfunction M:c(y) end\nlocal function d() end', 't.lua');
    const [a, c, d] = block;
    assert.ok(a?.type === 'assign' && a.values[0]?.type === 'function');
    assert.deepStrictEqual(a.values[0].params, ['x', '...']);
    assert.ok(c?.type === 'assign' && c.values[0]?.type === 'function');
    assert.deepStrictEqual(c.values[0].params, ['self', 'y']);
    assert.ok(d?.type === 'localfunction' && d.name === 'd');
  });

  void test('goto, labels, repeat, numeric and generic for, calls without parentheses', () => {
    const block = parseLua(
      'for i = 1, 10, 2 do if i then goto done end end\n::done::\nrepeat x = f"s" until g{1}\nfor k, v in pairs(t) do end',
      't.lua',
    );
    assert.deepStrictEqual(block.map((s) => s.type), ['fornum', 'label', 'repeat', 'forin']);
  });

  void test('a syntax error names the line', () => {
    assert.throws(() => parseLua('local x = \nif then end', 'p.lua'), /p\.lua:2:/);
  });
});

/** Runs a chunk for a subsystem and returns a top-level local. */
function local(src: string, name: string, subsystem: 'http' | 'stream' = 'http'): Value | undefined {
  const { scope } = new Evaluator('t.lua', subsystem).runChunk(parseLua(src, 't.lua'));
  for (const [n, b] of scope.entries()) if (n === name) return b.value;
  return undefined;
}

function fieldsOf(v: Value | undefined): string[] {
  assert.ok(v?.kind === 'table');
  return [...v.fields.keys()];
}

void describe('evaluator', () => {
  void test('the subsystem picks a branch; an unknown condition runs both', () => {
    const src = 'local t = {}\nif ngx.config.subsystem == "http" then t.h = 1 else t.s = 1 end\nif something then t.a = 1 else t.b = 1 end';
    assert.deepStrictEqual(fieldsOf(local(src, 't', 'http')), ['h', 'a', 'b']);
    assert.deepStrictEqual(fieldsOf(local(src, 't', 'stream')), ['s', 'a', 'b']);
  });

  void test('a local alias of the subsystem and a negation work the same', () => {
    const src = 'local sub = ngx.config.subsystem\nlocal t = {}\nif not (sub ~= "stream") then t.s = true end';
    assert.deepStrictEqual(fieldsOf(local(src, 't', 'stream')), ['s']);
    assert.deepStrictEqual(fieldsOf(local(src, 't', 'http')), []);
  });

  void test('calls run functions of the file, with their arguments and upvalues', () => {
    const src = 'local t = {}\nlocal function add(name) t[name] = function() end end\nadd("one")\nadd("two")';
    assert.deepStrictEqual(fieldsOf(local(src, 't')), ['one', 'two']);
  });

  void test('pairs over a known table runs once per key', () => {
    const src = 'local L = { a = 1, b = 2 }\nlocal t = {}\nfor k in pairs(L) do t[k] = function(...) end end';
    assert.deepStrictEqual(fieldsOf(local(src, 't')), ['a', 'b']);
  });

  void test('error() ends a branch; a definite return ends the function', () => {
    const src = 'local function f(x) if x then return 1 end error("no") end\nlocal r = f(true)\nlocal s = f(nil)';
    assert.equal(local(src, 'r')?.kind, 'number');
    assert.equal(local(src, 's')?.kind, 'nil');
  });

  void test('a field set in a branch that may not run keeps its earlier value as a possibility', () => {
    const v = local('local t = { f = 1 }\nif unknown then t.f = nil end', 't');
    assert.ok(v?.kind === 'table');
    assert.equal(truthy(v.fields.get('f') as Value), undefined);
  });

  void test('setmetatable records the metatable; table.insert appends', () => {
    const src = 'local mt = { __index = { g = 1 } }\nlocal t = setmetatable({}, mt)\nlocal list = { "a" }\ntable.insert(list, "b")';
    const t = local(src, 't');
    assert.ok(t?.kind === 'table' && t.meta !== undefined && t.meta !== 'opaque');
    const list = local(src, 'list');
    assert.ok(list?.kind === 'table');
    assert.deepStrictEqual(list.items.map((i) => (i.kind === 'string' ? i.value : '?')), ['a', 'b']);
  });

  void test('recursion and endless loops end: a function is not re-entered, a loop body runs once', () => {
    const src = 'local n = 0\nlocal function f() while true do n = "looped"; f() end end\nf()';
    const n = local(src, 'n');
    assert.ok(n?.kind === 'union', 'the loop may or may not have run');
    assert.deepStrictEqual(n.options.map((o) => o.kind), ['number', 'string']);
  });
});
