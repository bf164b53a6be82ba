/**
 * Go-style single-dash long options (`-dump`, `-kong-prefix DIR`), as Kong's
 * docs and go-pdk use them, alongside the usual `--dump`.
 *
 * @module
 */

/**
 * Rewrites `-name` and `-name=value` into `--name…` for the given long
 * option names, leaving everything else (short flags, values) alone.
 */
export function normalizeLongOptions(args: readonly string[], longNames: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let literal = false;
  for (const arg of args) {
    if (literal || arg === '--') {
      literal = true;
      out.push(arg);
      continue;
    }
    const match = /^-([a-z][a-z0-9-]+)(=.*)?$/.exec(arg);
    if (match !== null && longNames.has(match[1] as string)) out.push(`-${arg}`);
    else out.push(arg);
  }
  return out;
}
