/**
 * The state behind `tspdk/metrics`: the metrics plugins defined, and the
 * library the server records them with when `--metrics` is on. Internal:
 * server/observe connects it (see {@link setMetricsBackend}). It lives on a
 * `globalThis` symbol, so that two copies of tspdk in one process (its own
 * `dist` and an installed package) share it.
 *
 * @module
 */

/** What a metric kind needs from the metrics library (set by the server when `--metrics` is on). */
export interface Recorder {
  /** Calls the library's method `method` (`inc`, `set`, `observe`, ...) with the handle's arguments. */
  call(method: string, args: readonly unknown[]): unknown;
}

/** A metric defined by a plugin, as the server's registry needs it. */
export interface PluginMetricSpec {
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[] | undefined;
  readonly aggregate: string | undefined;
}

/** Where the server plugs in: set by server/observe when metrics are on. */
export interface MetricsBackend {
  /** Makes the library's metric for `spec`; the handle records through it from now on. */
  create(spec: PluginMetricSpec): Recorder;
}

/** A metric a plugin defined: its definition, the handle the plugin holds, and what records it now. */
export interface Defined {
  readonly spec: PluginMetricSpec;
  handle: object;
  recorder: Recorder | undefined;
}

interface State {
  readonly defined: Map<string, Defined>;
  backend: MetricsBackend | undefined;
}

const KEY = Symbol.for('tspdk.metrics');

/** One state per process, shared by every copy of tspdk loaded in it. */
export function state(): State {
  const holder = globalThis as typeof globalThis & { [KEY]?: State };
  return (holder[KEY] ??= { defined: new Map(), backend: undefined });
}

/**
 * Connects the plugins' metrics to a metrics library (`undefined`
 * disconnects them). Metrics defined before and after are recorded through
 * it. One per process: the last server started with `--metrics`.
 */
export function setMetricsBackend(backend: MetricsBackend | undefined): void {
  const current = state();
  current.backend = backend;
  for (const entry of current.defined.values()) entry.recorder = backend?.create(entry.spec);
}

/** The backend connected now. */
export function metricsBackend(): MetricsBackend | undefined {
  return state().backend;
}
