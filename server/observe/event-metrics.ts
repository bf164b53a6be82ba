/**
 * The server's own metrics, counted on the event's path without
 * prom-client: plain counts per (plugin, phase) and per PDK method, in typed
 * arrays, that cost a few map lookups and additions per event (prom-client's
 * own `inc` and `observe` hash their labels on every call, about 0.3 µs
 * each, which would be 10 % of a hello event). prom-client reads them at
 * scrape time through {@link CollectedMetric}s, which give it the same JSON
 * shape as its own counters and histograms, so the text format, the
 * registry and the sums over workers are prom-client's.
 *
 * @module
 */
import {
  EVENT_OUTCOMES,
  PDK_CALL_OUTCOMES,
  PdkCallOutcome,
  RPC_ERROR_KINDS,
  type EventOutcome,
  type ObservedEvent,
  type ReloadOutcome,
  type RpcErrorKind,
  type ServerObserver,
} from '../rpc/observer.ts';

/** Upper bounds of the duration histograms, in seconds: 0.1 ms to 60 s (Kong's socket timeout). */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

const EVENT_INDEX = indexOf(EVENT_OUTCOMES);
const CALL_INDEX = indexOf(PDK_CALL_OUTCOMES);
const RPC_INDEX = indexOf(RPC_ERROR_KINDS);
const RELOAD_OUTCOMES: readonly ReloadOutcome[] = ['reloaded', 'refused'];

/** Adds one to `counts[index]`. */
function bump(counts: Float64Array, index: number): void {
  counts[index] = (counts[index] as number) + 1;
}

function indexOf<T extends string>(values: readonly T[]): Readonly<Record<T, number>> {
  return Object.fromEntries(values.map((value, index) => [value, index])) as Record<T, number>;
}

/** Counts by outcome and a duration histogram, for one label set. */
export class Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly outcomes: Float64Array;
  /** Observations per bucket (not cumulative); the last one is `+Inf`. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;

  constructor(labels: Readonly<Record<string, string>>, outcomes: number) {
    this.labels = labels;
    this.outcomes = new Float64Array(outcomes);
  }

  /** One duration, in seconds. */
  observe(seconds: number): void {
    let index = 0;
    while (index < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[index] as number)) index++;
    bump(this.buckets, index);
    this.sum += seconds;
  }

  get count(): number {
    let count = 0;
    for (const value of this.buckets) count += value;
    return count;
  }
}

/** Counts events, PDK calls, RPC errors and reloads for the metrics. */
export class MetricsObserver implements ServerObserver {
  /** By plugin, then phase. */
  readonly events = new Map<string, Map<string, Series>>();
  /** By PDK method. */
  readonly calls = new Map<string, Series>();
  readonly rpcErrors = new Float64Array(RPC_ERROR_KINDS.length);
  readonly reloads = new Float64Array(RELOAD_OUTCOMES.length);
  /** Set on every count; cleared by whoever pushes the figures (a worker's periodic report). */
  dirty = false;

  headerFor(): string | undefined {
    return undefined;
  }

  /** Metrics count every event: they want all its reports. */
  eventStarted(): boolean {
    return true;
  }

  eventEnded(event: ObservedEvent, outcome: EventOutcome, now: number): void {
    const plugin = event.instance.plugin.name;
    let phases = this.events.get(plugin);
    if (phases === undefined) this.events.set(plugin, (phases = new Map<string, Series>()));
    let series = phases.get(event.phase);
    if (series === undefined) phases.set(event.phase, (series = new Series({ plugin, phase: event.phase }, EVENT_OUTCOMES.length)));
    bump(series.outcomes, EVENT_INDEX[outcome]);
    series.observe((now - event.startedAt) / 1000);
    this.dirty = true;
  }

  pdkCallEnded(_event: ObservedEvent, method: string, outcome: PdkCallOutcome, sentAt: number, now: number): void {
    let series = this.calls.get(method);
    if (series === undefined) this.calls.set(method, (series = new Series({ method }, PDK_CALL_OUTCOMES.length)));
    bump(series.outcomes, CALL_INDEX[outcome]);
    // Only a call Kong answered has a round trip to time.
    if (outcome === PdkCallOutcome.ok || outcome === PdkCallOutcome.error) series.observe((now - sentAt) / 1000);
    this.dirty = true;
  }

  rpcError(kind: RpcErrorKind): void {
    bump(this.rpcErrors, RPC_INDEX[kind]);
    this.dirty = true;
  }

  reloaded(outcome: ReloadOutcome): void {
    bump(this.reloads, RELOAD_OUTCOMES.indexOf(outcome));
    this.dirty = true;
  }
}

/** One value as prom-client's `getMetricsAsJSON` gives it. */
export interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A metric as prom-client's `getMetricsAsJSON` gives it. */
export interface MetricJson {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  aggregator: string;
  values: MetricValue[];
}

/**
 * A metric that prom-client's registry reads at scrape time: the shape of
 * its own metrics (`name`, `help`, `type`, `get()`), its values computed by
 * `values` when asked.
 */
export class CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricJson['type'];
  readonly aggregator: string;
  readonly #values: () => MetricValue[];

  constructor(name: string, help: string, type: MetricJson['type'], values: () => MetricValue[], aggregator = 'sum') {
    this.name = name;
    this.help = help;
    this.type = type;
    this.aggregator = aggregator;
    this.#values = values;
  }

  get(): Promise<MetricJson> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.#values() });
  }

  /** prom-client's `Registry.resetMetrics` calls it; these figures are the server's, so it does nothing. */
  reset(): void {}
}

/** Counter values: one per series and outcome (zeros included, so that `rate()` has every series from the start). */
export function counterValues(series: Iterable<Series>, outcomes: readonly string[]): MetricValue[] {
  const values: MetricValue[] = [];
  for (const item of series) {
    outcomes.forEach((outcome, index) => values.push({ value: item.outcomes[index] as number, labels: { ...item.labels, outcome } }));
  }
  return values;
}

/** Histogram values as prom-client writes them: cumulative buckets, `+Inf`, sum and count per series. */
export function histogramValues(name: string, series: Iterable<Series>): MetricValue[] {
  const values: MetricValue[] = [];
  for (const item of series) {
    let cumulative = 0;
    DURATION_BUCKETS.forEach((bound, index) => {
      cumulative += item.buckets[index] as number;
      values.push({ value: cumulative, labels: { ...item.labels, le: bound }, metricName: `${name}_bucket` });
    });
    cumulative += item.buckets[DURATION_BUCKETS.length] as number;
    values.push({ value: cumulative, labels: { ...item.labels, le: '+Inf' }, metricName: `${name}_bucket` });
    values.push({ value: item.sum, labels: { ...item.labels }, metricName: `${name}_sum` });
    values.push({ value: cumulative, labels: { ...item.labels }, metricName: `${name}_count` });
  }
  return values;
}

/** Every event series of `observer`. */
export function* eventSeries(observer: MetricsObserver): Iterable<Series> {
  for (const phases of observer.events.values()) yield* phases.values();
}

/** The labelled counts of a fixed list (`kind`, `outcome`). */
export function listValues(label: string, names: readonly string[], counts: Float64Array): MetricValue[] {
  return names.map((name, index) => ({ value: counts[index] as number, labels: { [label]: name } }));
}

export { RELOAD_OUTCOMES };
