/**
 * The Kong version the fake Kong plays: the one place that decides what
 * differs between versions for a PDK call. Whether this Kong has a function
 * (one it lacks is logged as `could not find pdk method` and answered with
 * nil, as Kong's host does for a name it cannot resolve), how its host
 * reports a function's `nil, err`, and how it packs raw bodies.
 *
 * Today there are two behaviours, `'2.x'` and `'3.x'`, and both have every
 * PDK function; a test can take functions away (`absent`). Per-release
 * availability would be decided here too, in {@link KongVersion.has}.
 *
 * @module
 */
import { LuaBytes } from '../host/lua-msgpack.ts';

/** Kong versions whose host behaviour a plugin can tell apart. */
export type HostVersion = '2.x' | '3.x';

/** How one Kong version's host treats the PDK calls of a plugin server. */
export interface KongVersion {
  readonly name: HostVersion;
  /**
   * Whether this Kong has the PDK function `method` (its Lua name). For one
   * it lacks, Kong's host logs `could not find pdk method: <method>` at
   * `err` and answers nil (a `plugin.Step` without `Data`).
   */
  has(method: string): boolean;
  /**
   * How a PDK function's `nil, err` reaches the plugin server: `'step-error'`
   * (2.x sends `plugin.StepError` with err; the plugin's call rejects with
   * `PDK_CALL_FAILED`) or `'nil'` (3.x passes on only the first return value).
   */
  readonly failures: 'step-error' | 'nil';
  /** A raw body as the host packs it: bin on 3.x, str on 2.x (even when it is not UTF-8). */
  rawBody(bytes: Uint8Array): unknown;
}

class Version implements KongVersion {
  readonly name: HostVersion;
  readonly failures: 'step-error' | 'nil';
  readonly #absent: ReadonlySet<string>;

  constructor(name: HostVersion, absent: ReadonlySet<string>) {
    this.name = name;
    this.failures = name === '2.x' ? 'step-error' : 'nil';
    this.#absent = absent;
  }

  has(method: string): boolean {
    return !this.#absent.has(method);
  }

  rawBody(bytes: Uint8Array): unknown {
    return this.name === '3.x' ? bytes : new LuaBytes(bytes);
  }
}

const NONE: ReadonlySet<string> = new Set();
const COMPLETE: Readonly<Record<HostVersion, KongVersion>> = { '2.x': new Version('2.x', NONE), '3.x': new Version('3.x', NONE) };

/**
 * The Kong that `name` stands for, without the PDK functions in `absent`.
 * @throws {@link TypeError} for a version the kit does not know.
 */
export function kongVersion(name: HostVersion, absent: Iterable<string> = []): KongVersion {
  const complete = COMPLETE[name] as KongVersion | undefined;
  if (complete === undefined) throw new TypeError(`unknown Kong version ${JSON.stringify(name)}: use '2.x' or '3.x'`);
  const without = new Set(absent);
  return without.size === 0 ? complete : new Version(name, without);
}
