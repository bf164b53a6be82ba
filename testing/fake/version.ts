/**
 * The Kong version the fake Kong plays: the one place that decides what
 * differs between versions for a PDK call, read from the table generated out
 * of Kong's own sources (`pdk/availability.ts`). Whether this Kong has a
 * function (one it lacks is logged as `could not find pdk method` and
 * answered with nil, as Kong's host does for a name it cannot resolve), how
 * many arguments it takes (Lua ignores the rest), how its host reports a
 * function's `nil, err`, and how it packs raw bodies.
 *
 * A version is a release (`3.4.2`), a release line (`3.4`: a function counts
 * only if every 3.4 release has it), `master`, or one of two aliases: `'2.x'`
 * for 2.8 and `'3.x'` for the newest release the table has. A test can also
 * take functions away (`absent`).
 *
 * @module
 */
import {
  availableIn,
  hostEraOf,
  paramsIn,
  pdkTable,
  reportsErrorsAsStepError,
  type KongVersion as TableVersion,
} from '../../pdk/availability.ts';
import { KongVersionCheck, resolveKongVersion } from '../../pdk/version-check.ts';
import { LuaBytes } from '../host/lua-msgpack.ts';

/**
 * A Kong version the kit can play: `'2.8'`, `'3.4.2'`, `'master'`, … or the
 * aliases `'2.x'` (2.8) and `'3.x'` (the newest release in the table).
 */
export type HostVersion = '2.x' | '3.x' | (string & {});

/** The nginx subsystem a call runs in. */
type Subsystem = 'http' | 'stream';

/** How one Kong version's host treats the PDK calls of a plugin server. */
export interface KongVersion {
  /** The version as given (`'2.x'`, `'3.4'`, …). */
  readonly name: HostVersion;
  /** The releases of the table it stands for. */
  readonly releases: readonly string[];
  /** The line of host behaviour: `'2.x'` (2.3 to 2.8) or `'3.x'` (3.0 on, and master). */
  readonly era: '2.x' | '3.x';
  /**
   * Whether this Kong has the PDK function `method` (its Lua name) in
   * `subsystem`. For one it lacks, Kong's host logs `could not find pdk
   * method: <method>` at `err` and answers nil (a `plugin.Step` without
   * `Data`). A name the table does not know is left to the fake Kong.
   */
  has(method: string, subsystem?: Subsystem): boolean;
  /**
   * How a PDK function's `nil, err` reaches the plugin server: `'step-error'`
   * (2.x sends `plugin.StepError` with err; the plugin's call rejects with
   * `PDK_CALL_FAILED`) or `'nil'` (3.x passes on only the first return value,
   * and so do 2.x hosts for the functions whose result they rewrite).
   */
  failureOf(method: string): 'step-error' | 'nil';
  /** How most functions' `nil, err` travels in this version (see {@link failureOf}). */
  readonly failures: 'step-error' | 'nil';
  /** How many arguments `method` takes in this version (Lua drops the rest); undefined when any number. */
  argumentCount(method: string): number | undefined;
  /** A raw body as the host packs it: bin on 3.x, str on 2.x (even when it is not UTF-8). */
  rawBody(bytes: Uint8Array): unknown;
  /** Whether the host packs raw-body results as bin, so that a nil there fails Kong's encoder (3.x). */
  readonly packsRawBodies: boolean;
}

class Version implements KongVersion {
  readonly name: HostVersion;
  readonly releases: readonly string[];
  readonly era: '2.x' | '3.x';
  readonly failures: 'step-error' | 'nil';
  readonly packsRawBodies: boolean;
  readonly #table: TableVersion;
  readonly #absent: ReadonlySet<string>;
  readonly #has = new Map<string, boolean>();

  constructor(name: HostVersion, table: TableVersion, absent: ReadonlySet<string>) {
    this.name = name;
    this.#table = table;
    this.releases = table.releases;
    this.#absent = absent;
    this.era = table.releases.every((release) => hostEraOf(release).stepError) ? '2.x' : '3.x';
    this.failures = reportsErrorsAsStepError(table) ? 'step-error' : 'nil';
    this.packsRawBodies = this.era === '3.x';
  }

  has(method: string, subsystem: Subsystem = 'http'): boolean {
    if (this.#absent.has(method)) return false;
    if (pdkTable.functions[method] === undefined) return true;
    const key = `${subsystem} ${method}`;
    let has = this.#has.get(key);
    if (has === undefined) this.#has.set(key, (has = availableIn(method, this.#table, subsystem)));
    return has;
  }

  failureOf(method: string): 'step-error' | 'nil' {
    return reportsErrorsAsStepError(this.#table, method) ? 'step-error' : 'nil';
  }

  argumentCount(method: string): number | undefined {
    let count: number | undefined;
    for (const release of this.releases) {
      const params = paramsIn(method, release);
      if (params === undefined || params === null || params.includes('...')) return undefined;
      count = Math.min(count ?? params.length, params.length);
    }
    return count;
  }

  rawBody(bytes: Uint8Array): unknown {
    return this.packsRawBodies ? bytes : new LuaBytes(bytes);
  }
}

/** The newest release in the table (what `'3.x'` and no version stand for). */
export const NEWEST_KONG_RELEASE: string = pdkTable.releases.filter((release) => release !== 'master').at(-1) ?? 'master';

const ALIASES: Readonly<Record<string, string>> = { '2.x': '2.8', '3.x': NEWEST_KONG_RELEASE };
const versions = new Map<string, Version>();
const checks = new Map<string, KongVersionCheck>();

/** The version of the table `name` stands for, as `--kong-version` takes it (`'2.x'` is `2.8`). */
export function tableVersionText(name: HostVersion): string {
  return ALIASES[name] ?? name;
}

/**
 * What a plugin server started with `--kong-version` of `name` refuses
 * (`PDK_UNAVAILABLE`, nothing sent to Kong).
 * @throws {@link TypeError} for a version the table does not cover.
 */
export function versionCheckFor(name: HostVersion): KongVersionCheck {
  let check = checks.get(name);
  if (check === undefined) {
    kongVersion(name);
    checks.set(name, (check = new KongVersionCheck(resolveKongVersion(tableVersionText(name)))));
  }
  return check;
}

/**
 * The Kong that `name` stands for, without the PDK functions in `absent`.
 * @throws {@link TypeError} for a version the table does not cover (with the versions it does).
 */
export function kongVersion(name: HostVersion, absent: Iterable<string> = []): KongVersion {
  const without = new Set(absent);
  const cached = without.size === 0 ? versions.get(name) : undefined;
  if (cached !== undefined) return cached;
  let table: TableVersion;
  try {
    table = resolveKongVersion(tableVersionText(name));
  } catch (error) {
    throw new TypeError(`unknown Kong version ${JSON.stringify(name)} for the test kit: ${(error as Error).message} (or use '2.x' or '3.x')`);
  }
  const version = new Version(name, table, without);
  if (without.size === 0) versions.set(name, version);
  return version;
}
