/**
 * Turns the per-release snapshots into the compact table: for each name,
 * ranges of releases instead of one entry per release.
 *
 * @module
 */
import type { Availability, FunctionRecord, HostEra, KongPdkTable, ParamsFrom, Span } from '../../pdk/availability.ts';
import type { ReleaseSnapshot } from './snapshot.ts';

/** Where the snapshots were read from. */
export interface TableSource {
  readonly repository: string;
  readonly master: { readonly commit: string; readonly date: string; readonly version: string };
}

/** Builds the table from snapshots of every release, oldest first, master last. */
export function buildTable(snapshots: readonly ReleaseSnapshot[], source: TableSource): KongPdkTable {
  const releases = snapshots.map((s) => s.release);
  const names = new Set<string>();
  for (const s of snapshots) for (const n of [...s.http.functions.keys(), ...s.stream.functions.keys(), ...s.host.entries.keys()]) names.add(n);
  const functions: Record<string, FunctionRecord> = {};
  for (const name of [...names].sort()) functions[name] = recordOf(name, snapshots, releases);
  return { source, releases, host: hostEras(snapshots), functions };
}

function recordOf(name: string, snapshots: readonly ReleaseSnapshot[], releases: readonly string[]): FunctionRecord {
  const inHttp = snapshots.map((s) => s.http.functions.has(name) || s.host.entries.has(name));
  const inStream = snapshots.map((s) => s.stream.functions.has(name) || s.host.entries.has(name));
  const inEither = inHttp.map((h, i) => h || (inStream[i] ?? false));
  const either = availabilityOf(inEither, releases) as Availability;
  const http = availabilityOf(inHttp, releases);
  const stream = availabilityOf(inStream, releases);
  const record: { -readonly [K in keyof FunctionRecord]: FunctionRecord[K] } = { ...either, params: paramsOf(name, snapshots, inEither) };
  if (!sameAvailability(either, http)) record.http = http;
  if (!sameAvailability(either, stream)) record.stream = stream;
  if (!snapshots.some((s) => s.http.functions.has(name) || s.stream.functions.has(name))) record.shim = true;
  const host = spansOf(snapshots.map((s) => s.host.entries.has(name)), releases);
  if (host.length > 0) record.host = host;
  const multiMap = spansOf(snapshots.map((s) => s.host.multiMap.has(name)), releases);
  if (multiMap.length > 0) record.multiMap = multiMap;
  const rawBin = spansOf(snapshots.map((s) => s.host.rawBin.has(name)), releases);
  if (rawBin.length > 0) record.rawBin = rawBin;
  const dropped = spansOf(snapshots.map((s, i) => (inEither[i] ?? false) && s.host.stepError && dropsErrors(s, name)), releases);
  if (dropped.length > 0) record.errorsDropped = dropped;
  return record;
}

/** On a host that passes errors on: whether this name's result handling keeps only the first value. */
function dropsErrors(s: ReleaseSnapshot, name: string): boolean {
  const entry = s.host.entries.get(name);
  return s.host.multiMap.has(name) || (entry !== undefined && !entry.errorsTravel);
}

/** Parameters over RPC in each release where the name resolves (the host's entry wins over the PDK's function); changes only. */
function paramsOf(name: string, snapshots: readonly ReleaseSnapshot[], present: readonly boolean[]): ParamsFrom[] {
  const out: ParamsFrom[] = [];
  snapshots.forEach((s, i) => {
    if (present[i] !== true) return;
    const entry = s.host.entries.get(name);
    const params = entry !== undefined ? entry.params : (s.http.functions.get(name)?.params ?? s.stream.functions.get(name)?.params ?? null);
    const last = out.at(-1);
    if (last === undefined || JSON.stringify(last.params) !== JSON.stringify(params)) out.push({ from: s.release, params });
  });
  return out;
}

/** Runs of consecutive releases where `flags` is true. */
export function spansOf(flags: readonly boolean[], releases: readonly string[]): Span[] {
  const out: Span[] = [];
  let start = -1;
  flags.forEach((f, i) => {
    if (f && start < 0) start = i;
    if (start >= 0 && (!f || i === flags.length - 1)) {
      out.push([releases[start] as string, releases[f ? i : i - 1] as string]);
      start = -1;
    }
  });
  return out;
}

/** since / until / gaps of a presence list; null when never present. */
export function availabilityOf(flags: readonly boolean[], releases: readonly string[]): Availability | null {
  const spans = spansOf(flags, releases);
  const first = spans[0];
  const last = spans.at(-1);
  if (first === undefined || last === undefined) return null;
  const gaps = spans.slice(1).map((s, i): Span => {
    const before = releases.indexOf((spans[i] as Span)[1]);
    const after = releases.indexOf(s[0]);
    return [releases[before + 1] as string, releases[after - 1] as string];
  });
  const out: { since: string; until?: string; gaps?: Span[] } = { since: first[0] };
  if (last[1] !== releases.at(-1)) out.until = last[1];
  if (gaps.length > 0) out.gaps = gaps;
  return out;
}

function sameAvailability(a: Availability | null, b: Availability | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Runs of releases whose host behaves the same (StepError, file layout). */
function hostEras(snapshots: readonly ReleaseSnapshot[]): HostEra[] {
  const out: HostEra[] = [];
  for (const s of snapshots) {
    const last = out.at(-1);
    const facts = { stepError: s.host.stepError, layout: s.host.layout };
    if (last !== undefined && JSON.stringify({ stepError: last.stepError, layout: last.layout }) === JSON.stringify(facts)) {
      out[out.length - 1] = { ...last, to: s.release };
    } else {
      out.push({ from: s.release, to: s.release, ...facts });
    }
  }
  return out;
}
