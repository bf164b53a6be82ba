/**
 * Which Kong release has which PDK function, as the plugin server reaches
 * it over MsgPack:1: questions answered from the table generated out of
 * Kong's own sources (`availability.generated.ts`, made by
 * `scripts/kong-pdk-table`).
 *
 * Versions are written `x.y.z` (one release), `x.y` (every release of that
 * line) or `master` (Kong's development branch at the commit the table was
 * made from). A version the table does not cover is an error that says
 * which versions it does cover.
 *
 * @module
 */
import { kongPdkTable } from './availability.generated.ts';

/** Releases from `from` to `to`, both included, in the order of {@link KongPdkTable.releases}. */
export type Span = readonly [from: string, to: string];

/** When a name resolves: from `since` to `until` (or master), except the `gaps`. */
export interface Availability {
  /** The first release where the name resolves (`master` when no release has it yet). */
  readonly since: string;
  /** The last release where it resolves, when master no longer has it. */
  readonly until?: string;
  /** Releases between `since` and `until` where it does not resolve. */
  readonly gaps?: readonly Span[];
}

/** The parameters Kong's function takes, from release `from` on (until the next change). */
export interface ParamsFrom {
  readonly from: string;
  /** Lua parameter names (`...` for varargs); null when defined in a library the table was not made from. */
  readonly params: readonly string[] | null;
}

/**
 * Everything the table knows of one Lua name. `since`/`until`/`gaps` say
 * where it resolves in either nginx subsystem; `http` and `stream` are
 * there only when that subsystem differs.
 */
export interface FunctionRecord extends Availability {
  /** Availability in the `http` subsystem when it differs; null when http never has it. */
  readonly http?: Availability | null;
  /** Availability in the `stream` subsystem when it differs; null when stream never has it. */
  readonly stream?: Availability | null;
  /** Not a Lua PDK function in any release: the plugin-server host answers the name itself. */
  readonly shim?: true;
  /** Releases where the host answers the name with its own function (a shim, or an override for the `log` phase). */
  readonly host?: readonly Span[];
  /** The parameters over RPC, release by release (changes only). */
  readonly params: readonly ParamsFrom[];
  /** Releases where the host rewrites the result as a multi-map (string values become arrays). */
  readonly multiMap?: readonly Span[];
  /** Releases where the host sends the result as MessagePack bin (else a str). */
  readonly rawBin?: readonly Span[];
  /** Releases whose host reports errors as StepError, but keeps only this function's first return value. */
  readonly errorsDropped?: readonly Span[];
}

/** What a run of releases' plugin-server host does the same way. */
export interface HostEra {
  readonly from: string;
  readonly to: string;
  /** A PDK function's `nil, err` reaches the plugin server as `plugin.StepError` (else nil arrives, the error is dropped). */
  readonly stepError: boolean;
  /** Files under `kong/runloop/plugin_servers/` holding the MsgPack dispatch, the `exposed_api` table and the method lookup. */
  readonly layout: { readonly dispatch: string; readonly exposedApi: string; readonly indexTable: string };
}

/** The generated table. */
export interface KongPdkTable {
  /** Where the table was made from: Kong's repository and the master commit read. */
  readonly source: {
    readonly repository: string;
    readonly master: { readonly commit: string; readonly date: string; readonly version: string };
  };
  /** Every release covered, oldest first, `master` last. */
  readonly releases: readonly string[];
  readonly host: readonly HostEra[];
  /** Every `kong.*` name that resolves over RPC in some release, by its Lua name. */
  readonly functions: Readonly<Record<string, FunctionRecord>>;
}

/** The nginx subsystem a plugin runs in. */
type Subsystem = 'http' | 'stream';

/** A version as the table understands it: the releases it stands for. */
export interface KongVersion {
  /** As written. */
  readonly text: string;
  /** The covered releases it stands for: one for `x.y.z` and `master`, every patch release for `x.y`. */
  readonly releases: readonly string[];
}

/** A version the table cannot answer for. */
export class KongVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KongVersionError';
  }
}

/** The table, as generated. */
export const pdkTable: KongPdkTable = kongPdkTable;

const releaseIndex = new Map(pdkTable.releases.map((r, i) => [r, i]));

/**
 * Parses `x.y.z`, `x.y` or `master` into the releases it stands for.
 * @throws KongVersionError for malformed text and versions the table does not cover.
 */
export function parseKongVersion(text: string, table: KongPdkTable = pdkTable): KongVersion {
  const covered = coveredText(table);
  if (text === 'master') return { text, releases: ['master'] };
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (m === null) {
    throw new KongVersionError(`'${text}' is not a Kong version: write x.y.z (e.g. 3.4.2), x.y (e.g. 3.4) or master; ${covered}`);
  }
  const line = `${Number(m[1])}.${Number(m[2])}`;
  const inLine = table.releases.filter((r) => r !== 'master' && lineOf(r) === line);
  if (m[3] === undefined) {
    if (inLine.length === 0) throw new KongVersionError(`Kong ${text} is not in the table; ${covered}`);
    return { text, releases: inLine };
  }
  const release = `${line}.${Number(m[3])}`;
  if (!inLine.includes(release)) {
    const hint = inLine.length > 0 ? `the table knows ${inLine.join(', ')} of the ${line} line (write ${line} for all of them)` : covered;
    throw new KongVersionError(`Kong ${text} is not in the table: ${hint}`);
  }
  return { text, releases: [release] };
}

/**
 * Whether `luaName` resolves over RPC in `version`: in every release it
 * stands for (so `3.4` means every 3.4.z release).
 */
export function availableIn(luaName: string, version: string | KongVersion, subsystem: Subsystem = 'http', table: KongPdkTable = pdkTable): boolean {
  const record = table.functions[luaName];
  if (record === undefined) return false;
  const availability = inSubsystem(record, subsystem);
  if (availability === null) return false;
  const releases = typeof version === 'string' ? parseKongVersion(version, table).releases : version.releases;
  return releases.every((r) => inAvailability(availability, r, table));
}

/** Where a name resolves in one subsystem; null when never. */
function inSubsystem(record: FunctionRecord, subsystem: Subsystem): Availability | null {
  const own = record[subsystem];
  return own === undefined ? record : own;
}

/** The first release where `luaName` resolves in either subsystem (`master` when no release has it), or undefined when none does. */
export function firstReleaseWith(luaName: string, table: KongPdkTable = pdkTable): string | undefined {
  return table.functions[luaName]?.since;
}

/**
 * Whether Kong reports a failed PDK call (`nil, err`) to the plugin server
 * as `plugin.StepError` in `version` (Kong 2.x) rather than answering nil
 * (3.x). With `luaName`, also whether that function's error survives the
 * host's handling of its result.
 */
export function reportsErrorsAsStepError(version: string | KongVersion, luaName?: string, table: KongPdkTable = pdkTable): boolean {
  const releases = typeof version === 'string' ? parseKongVersion(version, table).releases : version.releases;
  const dropped = luaName === undefined ? undefined : table.functions[luaName]?.errorsDropped;
  return releases.every((r) => hostEraOf(r, table).stepError && !(dropped ?? []).some((s) => inSpan(s, r, table)));
}

/** The host era a release belongs to. */
export function hostEraOf(release: string, table: KongPdkTable = pdkTable): HostEra {
  const era = table.host.find((e) => inSpan([e.from, e.to], release, table));
  if (era === undefined) throw new KongVersionError(`Kong ${release} is not in the table; ${coveredText(table)}`);
  return era;
}

/** The Lua parameters of `luaName` in `release` (null when not known); undefined when it does not resolve there. */
export function paramsIn(luaName: string, release: string, table: KongPdkTable = pdkTable): readonly string[] | null | undefined {
  const record = table.functions[luaName];
  if (record === undefined || !inAvailability(record, release, table)) return undefined;
  const at = indexIn(release, table);
  let current: ParamsFrom | undefined;
  for (const p of record.params) if (indexIn(p.from, table) <= at) current = p;
  return current?.params;
}

/**
 * A short text for docs: `2.3.0`, `3.9.0 to 3.9.3`, `master` (in no release
 * yet), with the subsystems when they differ (`2.3.0 (http), 3.2.0 (stream)`,
 * `2.3.0 (http only)`, `… (stream only)`).
 * @throws Error when the name resolves in no release and not on master.
 */
export function describeAvailability(luaName: string, table: KongPdkTable = pdkTable): string {
  const record = table.functions[luaName];
  if (record === undefined) throw new Error(`${luaName} resolves in no Kong release the table covers, nor on master`);
  if (record.http === undefined && record.stream === undefined) return spanText(record);
  const http = inSubsystem(record, 'http');
  const stream = inSubsystem(record, 'stream');
  if (stream === null) return `${spanText(http ?? record)} (http only)`;
  if (http === null) return `${spanText(stream)} (stream only)`;
  return `${spanText(http)} (http), ${spanText(stream)} (stream)`;
}

function spanText(a: Availability): string {
  const range = a.until === undefined ? a.since : `${a.since} to ${a.until}`;
  const gaps = (a.gaps ?? []).map((g) => (g[0] === g[1] ? g[0] : `${g[0]} to ${g[1]}`));
  return gaps.length === 0 ? range : `${range}, not in ${gaps.join(', ')}`;
}

/** Whether `release` is in `span`. */
function inSpan(span: Span, release: string, table: KongPdkTable = pdkTable): boolean {
  const at = indexIn(release, table);
  return indexIn(span[0], table) <= at && at <= indexIn(span[1], table);
}

function inAvailability(a: Availability, release: string, table: KongPdkTable): boolean {
  const last = a.until ?? 'master';
  return inSpan([a.since, last], release, table) && !(a.gaps ?? []).some((g) => inSpan(g, release, table));
}

function indexIn(release: string, table: KongPdkTable): number {
  const at = table === pdkTable ? releaseIndex.get(release) : table.releases.indexOf(release);
  if (at === undefined || at < 0) throw new KongVersionError(`Kong ${release} is not in the table; ${coveredText(table)}`);
  return at;
}

function lineOf(release: string): string {
  return release.split('.').slice(0, 2).join('.');
}

function coveredText(table: KongPdkTable): string {
  const releases = table.releases.filter((r) => r !== 'master');
  return `the table covers Kong ${releases[0] ?? '?'} to ${releases.at(-1) ?? '?'} and master (${table.source.master.version}, commit ${table.source.master.commit.slice(0, 10)})`;
}
