/**
 * How a kong-pdk plugin's property names become Lua PDK names:
 * `kong.request.getHeader` calls `kong.request.get_header`.
 *
 * kong-pdk turns each lower-case letter followed by an upper-case one into
 * `x_y`, which leaves digits and acronyms alone (`getTls1VersionStr` becomes
 * `get_tls1Version_str`, a name no Kong has). The same rule is applied here
 * first, so every name that worked under kong-pdk calls the same function;
 * only when its result still holds an upper-case letter (a name that could
 * never have worked) is the name split at digits and acronyms too.
 *
 * @module
 */

const cache = new Map<string, string>();

/** kong-pdk's own rule. */
function kongPdkRule(name: string): string {
  return name.replace(/[a-z][A-Z]/g, (pair) => `${pair.charAt(0)}_${pair.charAt(1).toLowerCase()}`);
}

/** Splits at every lower/digit → upper boundary and before the last capital of an acronym. */
function fullRule(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** The Lua name of one property (`getHeader` → `get_header`). */
export function luaName(name: string): string {
  let lua = cache.get(name);
  if (lua === undefined) {
    lua = kongPdkRule(name);
    if (/[A-Z]/.test(lua)) lua = fullRule(name);
    if (cache.size < 10_000) cache.set(name, lua);
  }
  return lua;
}
