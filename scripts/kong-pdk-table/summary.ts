/**
 * The human summary printed after a run: size of the table, releases, host
 * eras, removed functions, and where Kong's doc comments and its code
 * disagree.
 *
 * @module
 */
import type { KongPdkTable } from '../../pdk/availability.ts';
import { spansOf } from './build-table.ts';
import type { ReleaseSnapshot } from './snapshot.ts';

/** The summary text (several lines, ending with a newline). */
export function summarize(table: KongPdkTable, snapshots: readonly ReleaseSnapshot[]): string {
  const releases = table.releases;
  const entries = Object.entries(table.functions);
  const lines = [
    `${entries.length} names over ${releases.length} releases (${releases[0] ?? ''} … ${releases.at(-2) ?? ''}, master ${table.source.master.commit.slice(0, 10)})`,
    ...table.host.map((e) => `host ${e.from}..${e.to}: ${e.stepError ? 'StepError' : 'errors dropped'}; ${e.layout.dispatch}, ${e.layout.exposedApi}, ${e.layout.indexTable}`),
  ];
  for (const [name, r] of entries) {
    if (r.until !== undefined) lines.push(`removed: ${name} (${r.since} … ${r.until})`);
    if (r.gaps !== undefined) lines.push(`gaps: ${name} missing in ${r.gaps.map((g) => `${g[0]}..${g[1]}`).join(', ')}`);
  }
  const names = new Set<string>();
  for (const s of snapshots) for (const n of [...s.documented, ...s.http.functions.keys(), ...s.stream.functions.keys()]) names.add(n);
  for (const name of [...names].sort()) {
    const codeOnly = spansOf(snapshots.map((s) => !s.documented.has(name) && (s.http.functions.has(name) || s.stream.functions.has(name))), releases);
    const docOnly = spansOf(snapshots.map((s) => s.documented.has(name) && !s.http.functions.has(name) && !s.stream.functions.has(name)), releases);
    if (codeOnly.length > 0) lines.push(`code, no @function: ${name} (${codeOnly.map((g) => `${g[0]}..${g[1]}`).join(', ')})`);
    if (docOnly.length > 0) lines.push(`@function, no code: ${name} (${docOnly.map((g) => `${g[0]}..${g[1]}`).join(', ')})`);
  }
  return `${lines.join('\n')}\n`;
}
