/**
 * Switching metrics and traces on, as the settings ask: what a server
 * process, a worker or a primary imports (dynamically, and only when
 * `--metrics` or `--otlp-endpoint` is set) to get its observer and its
 * `/metrics` endpoint.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { PluginDefinition } from '../../plugin/definition.ts';
import type { PrimaryMessage, WorkerMessage } from '../cluster/messages.ts';
import type { EventOutcome, ObservedEvent, PdkCallOutcome, ReloadOutcome, RpcErrorKind, ServerObserver } from '../rpc/observer.ts';
import type { ServerSettings } from '../settings.ts';
import { parseMetricsAddress } from './address.ts';
import type { ClusterMetrics, WorkerMetricsReporter } from './cluster-metrics.ts';
import type { MetricsEndpoint } from './endpoint.ts';
import type { ServerMetrics, ServerState } from './registry.ts';
import type { Tracing } from './tracing.ts';

/** Metrics and traces of one serving process (a single-process server or a worker). */
export interface ServerObservation {
  /** What the plugin server reports to. */
  readonly observer: ServerObserver;
  /** The `/metrics` URL once {@link serve} started it (single process only). */
  readonly metricsUrl: string | undefined;
  /**
   * The server is built: its gauges read `state`. A single process starts
   * its `/metrics` endpoint; a worker (given `toPrimary`) reports to its
   * primary instead.
   * @throws (as a rejection) when the endpoint cannot listen.
   */
  serve(state: ServerState, toPrimary?: (message: WorkerMessage) => void): Promise<void>;
  /** A worker: the primary asks for the figures of its scrape `gather`. */
  report(gather: number): void;
  /** Stops the endpoint, reporting and tracing (spans still buffered are exported first). */
  close(): Promise<void>;
}

/** The name spans carry as `service.name`: the plugin's, or `tspdk` for several. */
function serviceName(plugins: readonly PluginDefinition[]): string {
  return plugins.length === 1 ? (plugins[0] as PluginDefinition).name : 'tspdk';
}

/**
 * Starts what `settings` ask for in a serving process; `slot` is a worker's.
 * prom-client is loaded only for metrics, the OpenTelemetry SDK only for traces.
 */
export async function observeServer(settings: ServerSettings, logger: Logger, plugins: readonly PluginDefinition[], slot?: number): Promise<ServerObservation> {
  const metrics: ServerMetrics | undefined = settings.metrics === undefined ? undefined : new (await import('./registry.ts')).ServerMetrics();
  const tracing: Tracing | undefined =
    settings.otlpEndpoint === undefined
      ? undefined
      : await (await import('./tracing.ts')).startTracing(settings, logger, serviceName(plugins), slot === undefined ? {} : { 'tspdk.worker': slot });
  const observer = both(metrics?.observer, tracing?.observer);
  let endpoint: MetricsEndpoint | undefined;
  let reporter: WorkerMetricsReporter | undefined;
  return {
    observer,
    get metricsUrl() {
      return endpoint?.url;
    },
    async serve(state, toPrimary) {
      if (metrics === undefined) return;
      metrics.attach(state);
      if (toPrimary !== undefined) reporter = new (await import('./cluster-metrics.ts')).WorkerMetricsReporter(metrics, toPrimary);
      else endpoint = await (await import('./endpoint.ts')).serveMetrics(parseMetricsAddress(settings.metrics as string), () => metrics.registry.metrics(), logger);
    },
    report(gather) {
      reporter?.report(gather);
    },
    async close() {
      reporter?.stop();
      metrics?.close();
      await Promise.all([endpoint?.close(), tracing?.close()]);
    },
  };
}

/** The primary of `--workers N`: one `/metrics` with the sums over its workers. */
export interface PrimaryObservation {
  readonly metrics: ClusterMetrics;
  close(): Promise<void>;
}

/**
 * Starts the primary's `/metrics` endpoint (`settings.metrics` is set);
 * `send` reaches worker `slot`.
 * @throws (as a rejection) when the endpoint cannot listen.
 */
export async function observePrimary(settings: ServerSettings, logger: Logger, send: (slot: number, message: PrimaryMessage) => void): Promise<PrimaryObservation> {
  const [{ ClusterMetrics }, { serveMetrics }] = await Promise.all([import('./cluster-metrics.ts'), import('./endpoint.ts')]);
  const metrics = new ClusterMetrics(logger, send);
  const endpoint = await serveMetrics(parseMetricsAddress(settings.metrics as string), () => metrics.scrape(), logger);
  return { metrics, close: () => endpoint.close() };
}

/** One observer for metrics and traces: each gets every report. */
function both(metrics: ServerObserver | undefined, tracing: ServerObserver | undefined): ServerObserver {
  if (metrics === undefined) return tracing as ServerObserver;
  if (tracing === undefined) return metrics;
  return new PairObserver(metrics, tracing);
}

class PairObserver implements ServerObserver {
  readonly #metrics: ServerObserver;
  readonly #tracing: ServerObserver;

  constructor(metrics: ServerObserver, tracing: ServerObserver) {
    this.#metrics = metrics;
    this.#tracing = tracing;
  }

  headerFor(event: ObservedEvent): string | undefined {
    return this.#tracing.headerFor(event);
  }

  eventStarted(event: ObservedEvent, header: unknown): boolean {
    // The metrics want every event's reports, whatever the tracer decided.
    this.#tracing.eventStarted(event, header);
    return true;
  }

  eventEnded(event: ObservedEvent, outcome: EventOutcome, now: number): void {
    this.#metrics.eventEnded(event, outcome, now);
    this.#tracing.eventEnded(event, outcome, now);
  }

  pdkCallEnded(event: ObservedEvent, method: string, outcome: PdkCallOutcome, sentAt: number, now: number): void {
    this.#metrics.pdkCallEnded(event, method, outcome, sentAt, now);
    this.#tracing.pdkCallEnded(event, method, outcome, sentAt, now);
  }

  rpcError(kind: RpcErrorKind): void {
    this.#metrics.rpcError(kind);
  }

  reloaded(outcome: ReloadOutcome): void {
    this.#metrics.reloaded(outcome);
  }
}
