/**
 * OpenTelemetry traces (`--otlp-endpoint`): one span per traced event,
 * `<plugin> <phase>`, with a child span per PDK call, exported over
 * OTLP/HTTP by the official SDK through a batch processor: protobuf bodies
 * by default (`http/protobuf`), JSON with `--otlp-protocol http/json`. Only
 * the chosen exporter package is loaded.
 *
 * An event's span continues the request's W3C trace: before the phase
 * method of a traced event runs, one `kong.request.get_header('traceparent')`
 * round trip reads it (in the HTTP phases; `certificate` and `preread` have
 * no request headers and start a trace of their own). That read is the cost
 * of joining Kong's trace, so it is made only for the events the sampler may
 * trace: the ratio of the `*traceidratio` samplers is drawn per event
 * before the read (the trace id is not known yet), and the `parentbased_*`
 * samplers then follow the parent's sampled flag. See docs/observability.md.
 *
 * The exporter works in the background: an event never waits for it, and
 * a collector that is down is logged once, when exports start failing (and
 * once when they work again), not per span.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, defaultTextMapGetter, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { ServerSettings } from '../settings.ts';
import { EventOutcome, PDK_CALL_OUTCOMES, PdkCallOutcome, type ObservedEvent, type ServerObserver } from '../rpc/observer.ts';
import { parseOtlpEndpoint, type OtlpProtocol } from './address.ts';

/** The phases whose events have request headers to read `traceparent` from. */
const NO_HEADERS: ReadonlySet<string> = new Set(['certificate', 'preread']);

/** The header that carries the W3C trace context. */
const TRACEPARENT = 'traceparent';

/**
 * The attributes of a PDK call's span, one object per outcome, made once:
 * the SDK copies a span's attributes, so they can be shared.
 */
const CALL_ATTRIBUTES: Readonly<Record<PdkCallOutcome, Attributes>> = Object.freeze(
  Object.fromEntries(PDK_CALL_OUTCOMES.map((outcome): [PdkCallOutcome, Attributes] => [outcome, Object.freeze({ 'tspdk.pdk.outcome': outcome })])) as Record<PdkCallOutcome, Attributes>,
);

/** A PDK call that ended before its event's span started (the `traceparent` read itself). */
interface EarlyCall {
  readonly method: string;
  readonly outcome: PdkCallOutcome;
  readonly sentAt: number;
  readonly endedAt: number;
}

/** An event the sampler chose, waiting for its header: its span starts once the header is read. */
class Candidate {
  readonly calls: EarlyCall[] = [];
}

/** A traced event: its span and the context its PDK calls' spans are children of. */
class Traced {
  readonly span: Span;
  readonly context: Context;

  constructor(span: Span, context: Context) {
    this.span = span;
    this.context = context;
  }
}

/** Wall-clock milliseconds of a `performance.now()` time, as the SDK takes them. */
function wallTime(now: number): number {
  return performance.timeOrigin + now;
}

/** Makes the event and PDK-call spans. */
export class TracingObserver implements ServerObserver {
  readonly #tracer: Tracer;
  readonly #ratio: number;
  /** `parentbased_*`: a parent's sampled flag decides; `undefined`: the sampler's own decision for a root. */
  readonly #parentBased: boolean;
  /** Whether an event without a parent is traced (`parentbased_always_off` traces only inside sampled traces). */
  readonly #roots: boolean;
  readonly #propagator = new W3CTraceContextPropagator();
  readonly #random: () => number;

  constructor(tracer: Tracer, sampler: ServerSettings['traceSampler'], ratio: number, random: () => number = Math.random) {
    this.#tracer = tracer;
    this.#parentBased = sampler.startsWith('parentbased_');
    this.#ratio = sampler.endsWith('traceidratio') ? ratio : sampler.endsWith('always_off') && !this.#parentBased ? 0 : 1;
    this.#roots = sampler !== 'parentbased_always_off';
    this.#random = random;
  }

  headerFor(event: ObservedEvent): string | undefined {
    if (this.#ratio < 1 && !(this.#random() < this.#ratio)) return undefined;
    event.observation = new Candidate();
    return NO_HEADERS.has(event.phase) ? undefined : TRACEPARENT;
  }

  /** Returns whether `event` is traced: an event that is not wants none of its further reports. */
  eventStarted(event: ObservedEvent, header: unknown): boolean {
    const candidate = event.observation;
    if (!(candidate instanceof Candidate)) return false;
    event.observation = undefined;
    const parent = typeof header === 'string' ? this.#propagator.extract(ROOT_CONTEXT, { [TRACEPARENT]: header }, defaultTextMapGetter) : ROOT_CONTEXT;
    const parentSpan = trace.getSpanContext(parent);
    if (parentSpan === undefined ? !this.#roots : this.#parentBased && (parentSpan.traceFlags & TraceFlags.SAMPLED) === 0) return false;
    const plugin = event.instance.plugin.name;
    const span = this.#tracer.startSpan(
      `${plugin} ${event.phase}`,
      {
        kind: SpanKind.SERVER,
        startTime: wallTime(event.startedAt),
        attributes: { 'tspdk.plugin': plugin, 'tspdk.phase': event.phase, 'tspdk.instance.id': event.instance.id, 'tspdk.event.id': event.id },
      },
      parent,
    );
    const traced = new Traced(span, trace.setSpan(ROOT_CONTEXT, span));
    event.observation = traced;
    for (const call of candidate.calls) this.#callSpan(traced, call.method, call.outcome, call.sentAt, call.endedAt);
    return true;
  }

  eventEnded(event: ObservedEvent, outcome: EventOutcome, now: number): void {
    const traced = event.observation;
    if (!(traced instanceof Traced)) return;
    event.observation = undefined;
    traced.span.setAttribute('tspdk.outcome', outcome);
    if (outcome !== EventOutcome.ok && outcome !== EventOutcome.exit) traced.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    traced.span.end(wallTime(now));
  }

  pdkCallEnded(event: ObservedEvent, method: string, outcome: PdkCallOutcome, sentAt: number, now: number): void {
    const observation = event.observation;
    if (observation instanceof Traced) this.#callSpan(observation, method, outcome, sentAt, now);
    else if (observation instanceof Candidate) observation.calls.push({ method, outcome, sentAt, endedAt: now });
  }

  rpcError(): void {}

  reloaded(): void {}

  #callSpan(traced: Traced, method: string, outcome: PdkCallOutcome, sentAt: number, endedAt: number): void {
    const span = this.#tracer.startSpan(method, { kind: SpanKind.CLIENT, startTime: wallTime(sentAt), attributes: CALL_ATTRIBUTES[outcome] }, traced.context);
    if (outcome === PdkCallOutcome.error || outcome === PdkCallOutcome.unsent) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    span.end(wallTime(endedAt));
  }
}

/**
 * Passes spans on to the OTLP exporter and logs when exports start failing
 * (once, with the reason) and when they work again: a collector that is
 * down costs one log line, not one per batch.
 */
class ReportingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #logger: Logger;
  readonly #url: string;
  #failing = false;

  constructor(inner: SpanExporter, logger: Logger, url: string) {
    this.#inner = inner;
    this.#logger = logger;
    this.#url = url;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.#failing) this.#logger.info({ otlpEndpoint: this.#url }, 'spans are exported again');
        this.#failing = false;
      } else if (!this.#failing) {
        this.#failing = true;
        this.#logger.warn(
          { otlpEndpoint: this.#url, err: result.error },
          'cannot export spans; events go on untraced until the collector answers (logged once until exports work again)',
        );
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The SDK's OTLP/HTTP exporter of `protocol` posting to `url` (its package loaded now, and only it). */
async function otlpExporter(protocol: OtlpProtocol, url: string): Promise<SpanExporter> {
  switch (protocol) {
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({ url });
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url });
  }
}

/** A running tracer: its observer, and how to flush and stop it. */
export interface Tracing {
  readonly observer: TracingObserver;
  /** Exports what is buffered, then stops. */
  close(): Promise<void>;
}

/**
 * Starts tracing as `settings` ask (`otlpEndpoint` set). `serviceName`
 * names the service unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES`
 * does; `attributes` are added to the resource (the worker slot).
 */
export async function startTracing(settings: ServerSettings, logger: Logger, serviceName: string, attributes: Record<string, string | number> = {}): Promise<Tracing> {
  const url = parseOtlpEndpoint(settings.otlpEndpoint as string);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, 'process.pid': process.pid, ...attributes }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter = new ReportingExporter(await otlpExporter(settings.otlpProtocol, url), logger, url);
  const provider = new BasicTracerProvider({ resource, sampler: new AlwaysOnSampler(), spanProcessors: [new BatchSpanProcessor(exporter)] });
  const observer = new TracingObserver(provider.getTracer('tspdk'), settings.traceSampler, settings.traceSamplerArg);
  logger.info({ otlpEndpoint: url, otlpProtocol: settings.otlpProtocol, sampler: settings.traceSampler, ratio: settings.traceSamplerArg }, 'tracing');
  return {
    observer,
    async close() {
      await provider.shutdown().catch(() => undefined);
    },
  };
}
