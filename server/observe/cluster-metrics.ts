/**
 * `/metrics` of a multi-process server (`--workers N`): one endpoint, on
 * the primary, whose figures are the sums over the workers.
 *
 * Each worker counts in its own registry. At every scrape the primary asks
 * each ready worker for its figures over the control channel (a second at
 * most; a worker that does not answer in time shows its last report) and
 * sums them with prom-client's `AggregatorRegistry.aggregate`, each metric
 * with its aggregator (sums, except a few of Node's gauges). Workers also
 * report on their own, once a second while they count, so that the primary
 * always holds recent figures of each.
 *
 * When a worker is gone, its last figures of counters and histograms are
 * kept, summed into a "retired" part that every later scrape adds: counters
 * never go backwards when a worker is replaced, and no worker is counted
 * twice (a slot holds one process's figures at a time; what the process
 * counted after its last report, at most a second, is lost with it). Its
 * gauges (instances, live events, connections, memory) leave with it.
 *
 * Uses the control channel rather than prom-client's cluster support:
 * the workers are forked by the primary itself (not with `node:cluster`),
 * and the channel already carries the server's other control messages.
 *
 * @module
 */
import type { Logger } from 'pino';
import { AggregatorRegistry, Counter, Gauge, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { PrimaryMessage, WorkerMessage } from '../cluster/messages.ts';
import type { ServerMetrics } from './registry.ts';

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/** The kinds of metric whose figures outlive their worker: they count what happened. */
const RETIRED_TYPES: ReadonlySet<unknown> = new Set(['counter', 'histogram']);

/** How long a scrape waits for the workers' answers. */
const GATHER_MS = 1000;

/** A worker's side: answers the primary's queries, and reports once a second while it counts. */
export class WorkerMetricsReporter {
  readonly #metrics: ServerMetrics;
  readonly #send: (message: WorkerMessage) => void;
  readonly #timer: NodeJS.Timeout;

  constructor(metrics: ServerMetrics, send: (message: WorkerMessage) => void, intervalMs = 1000) {
    this.#metrics = metrics;
    this.#send = send;
    this.#timer = setInterval(() => {
      if (this.#metrics.observer.dirty) this.report(null);
    }, intervalMs);
    this.#timer.unref();
  }

  /** Sends this worker's figures, for gathering `gather` (or as a periodic report: `null`). */
  report(gather: number | null): void {
    this.#metrics.observer.dirty = false;
    this.#metrics.registry.getMetricsAsJSON().then(
      (metrics) => this.#send({ t: 'metrics', gather, metrics }),
      () => undefined,
    );
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** A scrape waiting for the workers' answers. */
interface Gathering {
  readonly waiting: Set<number>;
  readonly done: () => void;
}

/** The primary's side: the workers' figures, the retired ones, and the primary's own. */
export class ClusterMetrics {
  /** The primary's own registry: its process metrics and the worker restarts. */
  readonly registry = new Registry();
  readonly #logger: Logger;
  readonly #send: (slot: number, message: PrimaryMessage) => void;
  /** The latest figures of the process in each slot. */
  readonly #latest = new Map<number, MetricJson[]>();
  readonly #ready = new Set<number>();
  readonly #started = new Set<number>();
  /** The summed counters and histograms of the workers that are gone. */
  #retired: MetricJson[] = [];
  /** The last retirement, which a scrape waits for. */
  #retiring: Promise<void> = Promise.resolve();
  readonly #gatherings = new Map<number, Gathering>();
  #gatherSeq = 0;
  readonly #restarts: Counter;

  constructor(logger: Logger, send: (slot: number, message: PrimaryMessage) => void) {
    this.#logger = logger;
    this.#send = send;
    collectDefaultMetrics({ register: this.registry });
    this.#restarts = new Counter({ name: 'tspdk_worker_restarts_total', help: 'Worker processes that exited and were replaced', registers: [this.registry] });
    const ready = this.#ready;
    new Gauge({
      name: 'tspdk_workers',
      help: 'Worker processes serving now',
      registers: [this.registry],
      collect() {
        this.set(ready.size);
      },
    });
  }

  /** A process was started in `slot`: after the first one, a replacement. */
  started(slot: number): void {
    if (this.#started.has(slot)) this.#restarts.inc();
    this.#started.add(slot);
  }

  /** Worker `slot` serves. */
  ready(slot: number): void {
    this.#ready.add(slot);
  }

  /** Worker `slot` is gone (maybe reported twice for one exit): its counts are kept, its gauges dropped. */
  lost(slot: number): void {
    this.#ready.delete(slot);
    for (const [id, gathering] of this.#gatherings) if (gathering.waiting.delete(slot) && gathering.waiting.size === 0) this.#end(id);
    const last = this.#latest.get(slot);
    if (last === undefined) return;
    this.#latest.delete(slot);
    const counts = last.filter((metric) => RETIRED_TYPES.has(metric.type as unknown));
    this.#retiring = this.#retiring.then(async () => {
      this.#retired = await AggregatorRegistry.aggregate([this.#retired, counts]).getMetricsAsJSON();
    });
  }

  /** A `metrics` message from worker `slot`. */
  receive(slot: number, gather: unknown, metrics: unknown): void {
    if (!Array.isArray(metrics) || !metrics.every(isMetricJson)) {
      this.#logger.warn({ worker: slot }, 'malformed metrics from a worker; dropped');
      return;
    }
    if (!this.#ready.has(slot)) return;
    this.#latest.set(slot, metrics);
    if (typeof gather !== 'number') return;
    const gathering = this.#gatherings.get(gather);
    if (gathering !== undefined && gathering.waiting.delete(slot) && gathering.waiting.size === 0) this.#end(gather);
  }

  /** The text of `/metrics`: fresh figures from every ready worker, the retired ones and the primary's. */
  async scrape(): Promise<string> {
    await this.#gather();
    await this.#retiring;
    const own = await this.registry.getMetricsAsJSON();
    return AggregatorRegistry.aggregate([own, this.#retired, ...this.#latest.values()]).metrics();
  }

  #gather(): Promise<void> {
    const id = ++this.#gatherSeq;
    const waiting = new Set(this.#ready);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#end(id), GATHER_MS);
      this.#gatherings.set(id, {
        waiting,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      if (waiting.size === 0) return this.#end(id);
      for (const slot of waiting) this.#send(slot, { t: 'metrics-query', gather: id });
    });
  }

  #end(id: number): void {
    const gathering = this.#gatherings.get(id);
    if (gathering === undefined) return;
    this.#gatherings.delete(id);
    gathering.done();
  }
}

const TYPES: ReadonlySet<unknown> = new Set(['counter', 'gauge', 'histogram', 'summary']);
const AGGREGATORS: ReadonlySet<unknown> = new Set(['sum', 'first', 'min', 'max', 'average', 'omit']);

/** What a worker sends is checked before prom-client reads it (workers run plugin code). */
function isMetricJson(value: unknown): value is MetricJson {
  if (typeof value !== 'object' || value === null) return false;
  const metric = value as Record<string, unknown>;
  return (
    typeof metric['name'] === 'string' &&
    typeof metric['help'] === 'string' &&
    TYPES.has(metric['type']) &&
    AGGREGATORS.has(metric['aggregator']) &&
    Array.isArray(metric['values']) &&
    (metric['values'] as unknown[]).every((item) => typeof item === 'object' && item !== null && typeof (item as { value?: unknown }).value === 'number')
  );
}
