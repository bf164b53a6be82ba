/**
 * The prom-client registry of one serving process (a single-process server
 * or one worker): the server's metrics (counted by {@link MetricsObserver},
 * read at scrape time), the gauges read from the server's state, Node's
 * default process metrics, and the metrics plugins define with
 * `tspdk/metrics`.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { PluginServer } from '../rpc/plugin-server.ts';
import { EVENT_OUTCOMES, PDK_CALL_OUTCOMES, RPC_ERROR_KINDS } from '../rpc/observer.ts';
import { setMetricsBackend, metricsBackend, type MetricsBackend, type PluginMetricSpec } from '../metrics/state.ts';
import { SharedErrorCodes } from '../shared/store.ts';
import { setSharedObserver, sharedObserver, type SharedObserver } from '../shared/transport.ts';
import {
  CollectedMetric,
  DURATION_BUCKETS,
  MetricsObserver,
  RELOAD_OUTCOMES,
  counterValues,
  eventSeries,
  histogramValues,
  listValues,
  type MetricValue,
} from './event-metrics.ts';

/** What the gauges read from the running server. */
export interface ServerState {
  readonly server: PluginServer;
  /** Kong's connections open now (a worker's connections from its siblings are not counted). */
  connections(): number;
}

/** Outcomes of `tspdk_shared_operations_total`. */
const SHARED_OUTCOMES: readonly string[] = ['ok', ...Object.values(SharedErrorCodes)];

/** The metrics of one serving process. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly observer = new MetricsObserver();
  /** Shared-store operations by operation, counted by outcome (index in {@link SHARED_OUTCOMES}). */
  readonly #shared = new Map<string, Float64Array>();
  readonly #countShared: SharedObserver = (operation, outcome) => {
    let counts = this.#shared.get(operation);
    if (counts === undefined) this.#shared.set(operation, (counts = new Float64Array(SHARED_OUTCOMES.length)));
    // An outcome the list does not know (none today) counts as unavailable, the last one.
    const found = SHARED_OUTCOMES.indexOf(outcome);
    const index = found < 0 ? SHARED_OUTCOMES.length - 1 : found;
    counts[index] = (counts[index] as number) + 1;
    this.observer.dirty = true;
  };
  readonly #backend: MetricsBackend;
  #state: ServerState | undefined;

  constructor() {
    for (const metric of this.#serverMetrics()) this.registry.registerMetric(metric as unknown as Metric);
    collectDefaultMetrics({ register: this.registry });
    this.#backend = pluginBackend(this.registry, this.observer);
    setMetricsBackend(this.#backend);
    setSharedObserver(this.#countShared);
  }

  /** The server whose state the gauges show. */
  attach(state: ServerState): void {
    this.#state = state;
  }

  /** Stops recording the plugins' metrics and shared operations here (another server may have taken over). */
  close(): void {
    if (metricsBackend() === this.#backend) setMetricsBackend(undefined);
    if (sharedObserver() === this.#countShared) setSharedObserver(undefined);
  }

  #serverMetrics(): CollectedMetric[] {
    const observer = this.observer;
    return [
      new CollectedMetric('tspdk_events_total', 'Events (one phase of one plugin instance for one request) by how they ended', 'counter', () =>
        counterValues(eventSeries(observer), EVENT_OUTCOMES),
      ),
      new CollectedMetric('tspdk_event_duration_seconds', 'Time from Kong\'s HandleEvent to the event\'s last answer, PDK round trips included', 'histogram', () =>
        histogramValues('tspdk_event_duration_seconds', eventSeries(observer)),
      ),
      new CollectedMetric('tspdk_pdk_calls_total', 'PDK calls by Kong function and how they ended', 'counter', () => counterValues(observer.calls.values(), PDK_CALL_OUTCOMES)),
      new CollectedMetric('tspdk_pdk_call_duration_seconds', 'Round trip of a PDK call Kong answered, from sending it to Kong\'s Step', 'histogram', () =>
        histogramValues('tspdk_pdk_call_duration_seconds', observer.calls.values()),
      ),
      new CollectedMetric('tspdk_rpc_errors_total', 'Requests from Kong answered with an error, or connections closed for what they sent, by kind', 'counter', () =>
        listValues('kind', RPC_ERROR_KINDS, observer.rpcErrors),
      ),
      new CollectedMetric('tspdk_reloads_total', 'Reloads of the plugin code (SIGHUP, tspdk reload) by outcome, one per process that reloaded', 'counter', () =>
        listValues('outcome', RELOAD_OUTCOMES, observer.reloads),
      ),
      new CollectedMetric('tspdk_shared_operations_total', 'Operations of tspdk/shared by operation and outcome (ok or the error code)', 'counter', () => this.#sharedValues()),
      new CollectedMetric('tspdk_instances', 'Plugin instances Kong started and has not closed, by plugin', 'gauge', () => this.#instanceValues()),
      new CollectedMetric('tspdk_live_events', 'Events started and not yet ended', 'gauge', () => [{ value: this.#state?.server.liveEvents ?? 0, labels: {} }]),
      new CollectedMetric('tspdk_connections', 'Connections from Kong open now', 'gauge', () => [{ value: this.#state?.connections() ?? 0, labels: {} }]),
    ];
  }

  #instanceValues(): MetricValue[] {
    const server = this.#state?.server;
    if (server === undefined) return [];
    const counts = server.instancesByPlugin();
    return server.plugins.map((plugin) => ({ value: counts.get(plugin.name) ?? 0, labels: { plugin: plugin.name } }));
  }

  #sharedValues(): MetricValue[] {
    const values: MetricValue[] = [];
    for (const [operation, counts] of this.#shared) {
      SHARED_OUTCOMES.forEach((outcome, index) => values.push({ value: counts[index] as number, labels: { operation, outcome } }));
    }
    return values;
  }
}

/** Records the plugins' `tspdk/metrics` on `registry` with prom-client's own metrics. */
function pluginBackend(registry: Registry, observer: MetricsObserver): MetricsBackend {
  return {
    create(spec: PluginMetricSpec) {
      const base = { name: spec.name, help: spec.help, labelNames: [...spec.labelNames], registers: [] as Registry[] };
      let metric: Counter | Gauge | Histogram;
      if (spec.kind === 'counter') metric = new Counter(base);
      else if (spec.kind === 'gauge') metric = new Gauge({ ...base, ...(spec.aggregate === undefined ? {} : { aggregator: spec.aggregate as 'sum' }) });
      else metric = new Histogram({ ...base, buckets: [...(spec.buckets ?? DURATION_BUCKETS)] });
      registry.registerMetric(metric);
      const methods = metric as unknown as Record<string, (...args: unknown[]) => unknown>;
      return {
        call(method: string, args: readonly unknown[]) {
          observer.dirty = true;
          return methods[method]?.apply(metric, args as unknown[]);
        },
      };
    },
  };
}
