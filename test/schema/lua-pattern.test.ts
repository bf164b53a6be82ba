/**
 * The Lua pattern matcher, against known answers and, when a Lua interpreter
 * is installed, against Lua itself on many subject/pattern pairs.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { luaMatch, LuaPatternError } from '../../schema/index.ts';
import { luaPatternProblem } from '../../schema/lua-pattern.ts';
import { findLua } from './lua-runner.ts';

const CASES: [string, string, boolean][] = [
  ['GET', '^%u+$', true],
  ['Get', '^%u+$', false],
  ['abc123', '^%w+$', true],
  ['abc 123', '^%w+$', false],
  ['  x', '^%s*x$', true],
  ['deadBEEF', '^%x+$', true],
  ['a.b', 'a.b', true],
  ['axb', 'a%.b', false],
  ['f(a(b)c)', '%b()', true],
  ['f(a(b c', '%b()$', false],
  ['THE (quick) fox', '%f[%a]%a+', true],
  ['123', '%f[%a]', false],
  ['hello', 'l+', true],
  ['hello', '^h.-o$', true],
  ['hello', '^h.?llo$', true],
  ['abc', '[^%d]+', true],
  ['123', '^[^%d]+$', false],
  [']', '[]]', true],
  ['-', '[a-]', true],
  ['b', '[a-c]', true],
  ['é', '^%a$', false],
  ['é', '^..$', true],
  ['abab', '^(ab)%1$', true],
  ['abba', '^(ab)%1$', false],
  ['x', '()', true],
  ['a$b', 'a$b', true],
  ['', '^$', true],
  ['tab\there', '%c', true],
  ['g', '%g', true],
  [' ', '%g', false],
  ['!', '%p', true],
  ['a', '%A', false],
];

void describe('luaMatch', () => {
  for (const [subject, pattern, expected] of CASES) {
    void it(`${JSON.stringify(subject)}:match(${JSON.stringify(pattern)}) is ${expected ? 'truthy' : 'nil'}`, () => {
      assert.equal(luaMatch(subject, pattern), expected);
    });
  }

  void it('raises what Lua raises for malformed patterns', () => {
    assert.throws(() => luaMatch('x', 'x%'), LuaPatternError);
    assert.throws(() => luaMatch('x', '[x'), /missing '\]'/);
    assert.throws(() => luaMatch('x', '(x'), /unfinished capture/);
    assert.throws(() => luaMatch('x', 'x)'), /invalid pattern capture/);
    assert.throws(() => luaMatch('x', '%1'), /invalid capture index/);
    assert.equal(luaPatternProblem('^%u+$'), undefined);
    assert.equal(luaPatternProblem('%f'), "missing '[' after '%f' in pattern");
    assert.equal(luaPatternProblem('%b('), 'unbalanced pattern');
    assert.equal(luaPatternProblem('((a)%2)'), undefined);
  });

  const lua = findLua();
  void it('agrees with a real Lua interpreter', { skip: lua === undefined ? 'no Lua interpreter found' : false }, () => {
    const subjects = ['', 'a', 'GET', 'get', 'a-b_c.d', 'x(y(z))w', 'é', '  lead', '123abc', 'aaa', '[x]', '%d', 'tok_1', 'ab\0cd'];
    const patterns = [
      '^%a+$', '^%l+$', '%d+', '^[%w_%-%.]+$', '%b()', '%f[%w]%w+', 'a-', '^a*$', 'a+b?', '[^a]', '^%[.-%]$', '%%d',
      '^tok_', '.-c', '%z', '^$', '[%a%d]+$', '(a)(a)%2', '^[]]', '%S+', '%x%x', '[a-c-]', '.', '%.', '^..?$',
    ];
    const pairs = subjects.flatMap((s) => patterns.map((p) => [s, p] as const));
    const script = `for line in io.lines() do
      local s, p = line:match("^(.-)\\t(.*)$")
      s = s:gsub("\\\\(%d%d%d)", function(d) return string.char(tonumber(d)) end)
      local ok, m = pcall(string.match, s, p)
      io.write(ok and (m and "1" or "0") or "E", "\\n")
    end`;
    const esc = (s: string): string => Array.from(new TextEncoder().encode(s), (b) => (b < 0x20 || b === 0x5c ? `\\${String(b).padStart(3, '0')}` : String.fromCharCode(b))).join('');
    const input = pairs.map(([s, p]) => `${esc(s)}\t${p}`).join('\n') + '\n';
    const r = spawnSync(lua ?? 'luajit', ['-e', script], { input: Buffer.from(input, 'latin1'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const answers = r.stdout.trim().split('\n');
    pairs.forEach(([s, p], i) => {
      let mine: string;
      try {
        mine = luaMatch(s, p) ? '1' : '0';
      } catch {
        mine = 'E';
      }
      assert.equal(mine, answers[i], `${JSON.stringify(s)}:match(${JSON.stringify(p)})`);
    });
  });
});
