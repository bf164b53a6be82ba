/**
 * `tspdk/metrics`: a plugin's own counters, gauges and histograms, served
 * beside the server's on `/metrics` (`--metrics`).
 *
 * ```ts
 * import { metrics } from 'tspdk/metrics';
 *
 * const refused = metrics.counter({ name: 'key_auth_refused_total', help: 'Requests refused', labelNames: ['reason'] });
 * // in a phase:
 * refused.inc({ reason: 'no key' });
 * ```
 *
 * Define metrics once, at module level. Without `--metrics` every handle
 * does nothing, and nothing of the metrics library is loaded: `-dump` and a
 * plain start stay as fast as before. With `--metrics` the handles record
 * into the server's prom-client registry; with `--workers N` each worker
 * records its own and `/metrics` shows the sums (gauges too, unless
 * `aggregate` says otherwise). Defining a metric again with the same
 * definition (a reloaded module does) returns the same handle.
 *
 * Keep label values few and bounded (a route name, a status class): never
 * an id, a path with ids in it, a header value or a user name, each of
 * which makes a new series in the server's memory and in Prometheus.
 *
 * Details: `docs/observability.md`.
 *
 * @module
 */

import { state, type Defined, type PluginMetricSpec } from './state.ts';

/** Label values by label name. */
export type Labels<L extends string> = Partial<Record<L, string | number>>;

/** What every metric definition has. */
export interface MetricDefinition<L extends string> {
  /**
   * The metric's name, `[a-zA-Z_:][a-zA-Z0-9_:]*`, unique in the server,
   * prefixed with the plugin's name by convention. Names starting with
   * `tspdk_`, `process_` or `nodejs_` are the server's.
   */
  readonly name: string;
  /** One line saying what is counted (the `# HELP` line). */
  readonly help: string;
  /** The label names, `[a-zA-Z_][a-zA-Z0-9_]*` (none starting with `__`). */
  readonly labelNames?: readonly L[];
}

/** A gauge's definition. */
export interface GaugeDefinition<L extends string> extends MetricDefinition<L> {
  /** How the workers' values of `--workers N` combine on `/metrics`. Default `sum`. */
  readonly aggregate?: 'sum' | 'max' | 'min' | 'average' | 'first';
}

/** A histogram's definition. */
export interface HistogramDefinition<L extends string> extends MetricDefinition<L> {
  /** Upper bounds, increasing and finite. Default: 0.1 ms to 60 s, as the server's durations. */
  readonly buckets?: readonly number[];
}

/** A counter: only goes up. */
export interface Counter<L extends string = never> {
  inc(value?: number): void;
  inc(labels: Labels<L>, value?: number): void;
}

/** A gauge: a value that goes up and down. */
export interface Gauge<L extends string = never> {
  set(value: number): void;
  set(labels: Labels<L>, value: number): void;
  inc(value?: number): void;
  inc(labels: Labels<L>, value?: number): void;
  dec(value?: number): void;
  dec(labels: Labels<L>, value?: number): void;
}

/** A histogram: counts observations (durations, sizes) into buckets. */
export interface Histogram<L extends string = never> {
  observe(value: number): void;
  observe(labels: Labels<L>, value: number): void;
  /** Starts a timer; calling the function it returns observes the seconds elapsed and returns them. */
  startTimer(labels?: Labels<L>): () => number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED = /^(tspdk_|process_|nodejs_)/;
const AGGREGATES = new Set(['sum', 'max', 'min', 'average', 'first']);

/** Checks a definition; throws a TypeError saying what is wrong. */
function specOf(kind: PluginMetricSpec['kind'], definition: unknown): PluginMetricSpec {
  if (typeof definition !== 'object' || definition === null) throw new TypeError(`metrics.${kind}: expects { name, help, labelNames? }`);
  const { name, help, labelNames = [], buckets, aggregate } = definition as Record<string, unknown>;
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`metrics.${kind}: name must match ${NAME.source}; got ${JSON.stringify(name)}`);
  if (RESERVED.test(name)) throw new TypeError(`metrics.${kind}: ${name}: names starting with tspdk_, process_ or nodejs_ are the server's; prefix yours with your plugin's name`);
  if (typeof help !== 'string' || help.trim() === '') throw new TypeError(`metrics.${kind}: ${name}: help must be a non-empty string`);
  if (!Array.isArray(labelNames) || labelNames.some((label) => typeof label !== 'string' || !LABEL.test(label) || label.startsWith('__'))) {
    throw new TypeError(`metrics.${kind}: ${name}: labelNames must be names matching ${LABEL.source}, none starting with __`);
  }
  if (new Set(labelNames).size !== labelNames.length) throw new TypeError(`metrics.${kind}: ${name}: a label name is given twice`);
  if (kind === 'histogram' && labelNames.includes('le')) throw new TypeError(`metrics.histogram: ${name}: "le" is the bucket label of every histogram`);
  if (buckets !== undefined && (kind !== 'histogram' || !increasing(buckets))) {
    throw new TypeError(`metrics.${kind}: ${name}: buckets must be a non-empty array of increasing finite numbers (histograms only)`);
  }
  if (aggregate !== undefined && (kind !== 'gauge' || !AGGREGATES.has(aggregate as string))) {
    throw new TypeError(`metrics.${kind}: ${name}: aggregate must be one of ${[...AGGREGATES].join(', ')} (gauges only)`);
  }
  return { kind, name, help, labelNames: [...(labelNames as string[])], buckets: buckets as number[] | undefined, aggregate: aggregate as string | undefined };
}

function increasing(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((bound, index) => typeof bound === 'number' && Number.isFinite(bound) && (index === 0 || bound > (value[index - 1] as number)));
}

function sameSpec(a: PluginMetricSpec, b: PluginMetricSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The handle of `spec`: the one defined before if it is the same, a new one otherwise. */
function define<T extends object>(spec: PluginMetricSpec, make: (entry: Defined) => T): T {
  const { defined, backend } = state();
  const existing = defined.get(spec.name);
  if (existing !== undefined) {
    if (!sameSpec(existing.spec, spec)) {
      throw new TypeError(`metrics: ${spec.name} is already defined as a ${existing.spec.kind} with labels [${existing.spec.labelNames.join(', ')}]; a metric keeps one definition`);
    }
    return existing.handle as T;
  }
  const entry: Defined = { spec, handle: {}, recorder: backend?.create(spec) };
  const handle = make(entry);
  entry.handle = handle;
  defined.set(spec.name, entry);
  return handle;
}

/** A method of a handle: does nothing until the server records. */
function recording(entry: Defined, method: string): (...args: unknown[]) => void {
  return (...args) => {
    entry.recorder?.call(method, args);
  };
}

/**
 * The metrics of this plugin server. Each method checks the definition and
 * throws a `TypeError` saying what is wrong (a bad name, a name the server
 * uses, the same name defined twice differently).
 */
export const metrics = Object.freeze({
  /** Whether the server records (`--metrics` is on). Handles work either way. */
  get enabled(): boolean {
    return state().backend !== undefined;
  },
  counter<L extends string = never>(definition: MetricDefinition<L>): Counter<L> {
    return define(specOf('counter', definition), (entry): Counter<L> => ({ inc: recording(entry, 'inc') }));
  },
  gauge<L extends string = never>(definition: GaugeDefinition<L>): Gauge<L> {
    return define(specOf('gauge', definition), (entry): Gauge<L> => ({ set: recording(entry, 'set'), inc: recording(entry, 'inc'), dec: recording(entry, 'dec') }));
  },
  histogram<L extends string = never>(definition: HistogramDefinition<L>): Histogram<L> {
    return define(specOf('histogram', definition), (entry) => ({
      observe: recording(entry, 'observe'),
      startTimer(labels?: Labels<L>): () => number {
        const start = process.hrtime.bigint();
        return () => {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          entry.recorder?.call('observe', labels === undefined ? [seconds] : [labels, seconds]);
          return seconds;
        };
      },
    }));
  },
});
