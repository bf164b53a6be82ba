/**
 * How Lua (LuaJIT) turns numbers into text, for error messages that must read
 * exactly like Kong's (`tostring(n)` and `string.format("%d", n)`).
 *
 * @module
 */

/** `tostring(n)` in Lua 5.1 / LuaJIT: `%.14g`, with `inf`, `-inf` and `nan`. */
export function luaToString(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa = '0', exp = '0'] = n.toExponential(13).split('e');
  const x = Number(exp);
  if (x < -4 || x >= 14) {
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const sign = x < 0 ? '-' : '+';
    return `${m}e${sign}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  const fixed = n.toFixed(Math.max(0, 13 - x));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** `string.format("%d", n)` in LuaJIT: the number truncated toward zero. */
export function luaFormatInteger(n: number): string {
  if (!Number.isFinite(n)) return luaToString(n);
  const t = Math.trunc(n);
  return Object.is(t, -0) ? '0' : BigInt(t).toString();
}

/** Lua's `table.concat(list, ", ")` of strings and numbers. */
export function luaConcat(list: readonly (string | number)[], sep: string): string {
  return list.map((v) => (typeof v === 'number' ? luaToString(v) : v)).join(sep);
}
