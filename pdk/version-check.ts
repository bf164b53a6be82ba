/**
 * Checking PDK calls against the Kong release a plugin runs under, as the
 * plugin server's `--kong-version` asks: the version resolved against the
 * generated table ({@link resolveKongVersion}), the functions it lacks
 * computed once per subsystem ({@link KongVersionCheck}), and a
 * {@link Bridge} that refuses a call to one of them with `PDK_UNAVAILABLE`
 * before anything is sent to Kong.
 *
 * @module
 */
import { availableIn, KongVersionError, parseKongVersion, pdkTable, type KongPdkTable, type KongVersion } from './availability.ts';
import type { Bridge } from './bridge.ts';
import { ErrorCodes, PdkError } from './errors.ts';
import { whereKongHasIt } from './unavailable.ts';

/** A Kong version as calls are checked against it. */
export interface CheckedKongVersion extends KongVersion {
  /** The version of the table it is checked as: `text`, or `master`, or the line (`3.9`) of a patch release the table does not have. */
  readonly checkedAs: string;
  /** Why it is checked as another version than the one given; undefined when the table has it. */
  readonly warning?: string;
}

const FORMAT = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

/**
 * Resolves `text` (`x.y`, `x.y.z` or `master`) to the releases of the
 * table it is checked as. A version newer than the table's newest release
 * (`3.10`, `4.0`) is checked as master, and a patch release the table does
 * not have (`3.9.9`) as every release of its line, both with a `warning`.
 * @throws {@link KongVersionError} for text that is not a version, a version
 *   older than the table (before 2.3), and a line Kong never released (`2.9`).
 */
export function resolveKongVersion(text: string, table: KongPdkTable = pdkTable): CheckedKongVersion {
  const given = text.trim();
  if (given === 'master') return { text: given, releases: ['master'], checkedAs: 'master' };
  const match = FORMAT.exec(given);
  if (match === null) throw new KongVersionError(`'${text}' is not a Kong version: write x.y (e.g. 3.4), x.y.z (e.g. 3.4.2) or master`);
  try {
    const known = parseKongVersion(given, table);
    return { ...known, checkedAs: known.text };
  } catch (error) {
    if (!(error instanceof KongVersionError)) throw error;
  }
  const releases = table.releases.filter((release) => release !== 'master');
  const oldest = releases[0] ?? '2.3.0';
  const newest = releases.at(-1) ?? oldest;
  const line = [Number(match[1]), Number(match[2])] as const;
  const covered = `tspdk's table of PDK functions (Kong ${oldest} to ${newest}, and master)`;
  if (compareLines(line, lineOf(newest)) > 0) {
    const master = table.source.master;
    const warning =
      `Kong ${given} is newer than the newest release in ${covered}: calls are checked as on master ` +
      `(${master.version}, commit ${master.commit.slice(0, 10)}); refresh the table (npm run kong-pdk-table) to check against ${given} itself`;
    return { text: given, releases: ['master'], checkedAs: 'master', warning };
  }
  const lineText = `${line[0]}.${line[1]}`;
  const inLine = releases.filter((release) => compareLines(lineOf(release), line) === 0);
  if (inLine.length > 0) {
    const warning = `Kong ${given} is not in ${covered}: calls are checked as every ${lineText} release it has (${inLine.join(', ')})`;
    return { text: given, releases: inLine, checkedAs: lineText, warning };
  }
  if (compareLines(line, lineOf(oldest)) < 0) {
    throw new KongVersionError(`Kong ${given} is older than tspdk supports: plugin servers speak MsgPack:1 with Kong ${oldest} and later`);
  }
  const lines = [...new Set(releases.map((release) => lineOf(release).join('.')))];
  throw new KongVersionError(`there is no Kong ${lineText} release: Kong's release lines are ${lines.join(', ')} (and master)`);
}

function lineOf(release: string): readonly [number, number] {
  const [major, minor] = release.split('.');
  return [Number(major), Number(minor)];
}

function compareLines(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/** The nginx subsystem of a phase: `preread` runs in stream, `log` in either, the others in http. */
type PhaseSubsystem = 'http' | 'stream' | 'either';

function subsystemOf(phase: string): PhaseSubsystem {
  if (phase === 'preread') return 'stream';
  return phase === 'log' ? 'either' : 'http';
}

/**
 * The PDK functions one Kong version lacks, decided once from the table:
 * for each subsystem, the Lua names a call to which is refused, with the
 * message it is refused with. A plugin's `log` phase may run in either
 * subsystem, so there a name is refused only when both lack it.
 */
export class KongVersionCheck {
  readonly version: CheckedKongVersion;
  readonly #missing: Readonly<Record<PhaseSubsystem, ReadonlyMap<string, string> | undefined>>;

  constructor(version: CheckedKongVersion, table: KongPdkTable = pdkTable) {
    this.version = version;
    const http = new Map<string, string>();
    const stream = new Map<string, string>();
    const either = new Map<string, string>();
    for (const name of Object.keys(table.functions)) {
      const inHttp = availableIn(name, version, 'http', table);
      const inStream = availableIn(name, version, 'stream', table);
      if (inHttp && inStream) continue;
      const refusal = (where: string): string =>
        `Kong ${version.text} does not have it${where} (${whereKongHasIt(name, table)}); refused without asking Kong, ` +
        `because the plugin server runs with --kong-version ${version.text}`;
      if (!inHttp) http.set(name, refusal(inStream ? ' for http plugins' : ''));
      if (!inStream) stream.set(name, refusal(inHttp ? ' for stream plugins' : ''));
      if (!inHttp && !inStream) either.set(name, refusal(''));
    }
    const some = (map: Map<string, string>): ReadonlyMap<string, string> | undefined => (map.size === 0 ? undefined : map);
    this.#missing = { http: some(http), stream: some(stream), either: some(either) };
  }

  /** Whether a call to `luaName` in `phase` is refused. */
  refuses(luaName: string, phase: string): boolean {
    return this.#missing[subsystemOf(phase)]?.has(luaName) ?? false;
  }

  /**
   * `bridge` with the calls this version lacks in `phase` refused with
   * `PDK_UNAVAILABLE` (nothing is sent); `bridge` itself when it lacks none.
   */
  bridge(bridge: Bridge, phase: string): Bridge {
    const missing = this.#missing[subsystemOf(phase)];
    return missing === undefined ? bridge : new CheckedBridge(bridge, phase, missing);
  }
}

/** A bridge that refuses the calls a Kong version lacks and passes the others on. */
class CheckedBridge implements Bridge {
  readonly phase: string;
  readonly #inner: Bridge;
  readonly #missing: ReadonlyMap<string, string>;

  constructor(inner: Bridge, phase: string, missing: ReadonlyMap<string, string>) {
    this.#inner = inner;
    this.phase = phase;
    this.#missing = missing;
  }

  call(method: string, args: readonly unknown[]): Promise<unknown> {
    const refusal = this.#missing.get(method);
    return refusal === undefined ? this.#inner.call(method, args) : refuse(method, refusal);
  }

  callShaped(method: string, args: readonly unknown[], shape: (raw: unknown, method: string) => unknown): Promise<unknown> {
    const refusal = this.#missing.get(method);
    if (refusal !== undefined) return refuse(method, refusal);
    const inner = this.#inner;
    if (inner.callShaped !== undefined) return inner.callShaped(method, args, shape);
    return inner.call(method, args).then((raw) => shape(raw, method));
  }

  exit(method: string, args: readonly unknown[]): Promise<never> {
    const refusal = this.#missing.get(method);
    return refusal === undefined ? this.#inner.exit(method, args) : refuse(method, refusal);
  }
}

function refuse(method: string, refusal: string): Promise<never> {
  return Promise.reject(new PdkError(ErrorCodes.Unavailable, method, refusal));
}
