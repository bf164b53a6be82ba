/**
 * OpenTelemetry traces (`--otlp-endpoint`): one span per traced event,
 * `<plugin> <phase>`, with a child span per PDK call, exported over
 * OTLP/HTTP by the official SDK through its batch processor: protobuf
 * bodies by default (`http/protobuf`), JSON with `--otlp-protocol
 * http/json`. Only the chosen exporter package is loaded. The spans
 * themselves are recorded by tspdk, finished, without the SDK's tracer
 * (recorded-span.ts says why).
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
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import { ExportResultCode, parseTraceParent, type ExportResult } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { ServerSettings } from '../settings.ts';
import { EVENT_OUTCOMES, EventOutcome, PDK_CALL_OUTCOMES, PdkCallOutcome, type ObservedEvent, type ServerObserver } from '../rpc/observer.ts';
import { parseOtlpEndpoint, type OtlpProtocol } from './address.ts';
import { newSpanId, newTraceId, RecordedSpan, sampledContext, UNSET_STATUS, type SpanOrigin } from './recorded-span.ts';

/** The phases whose events have request headers to read `traceparent` from. */
const NO_HEADERS: ReadonlySet<string> = new Set(['certificate', 'preread']);

/** The header that carries the W3C trace context. */
const TRACEPARENT = 'traceparent';

/** Where finished spans go: the SDK's batch processor (a simple one in tests). */
export interface SpanSink {
  onEnd(span: ReadableSpan): void;
}

/**
 * The attributes of a PDK call's span, one object per outcome, made once
 * (exporters only read them).
 */
const CALL_ATTRIBUTES: Readonly<Record<PdkCallOutcome, Attributes>> = Object.freeze(
  Object.fromEntries(PDK_CALL_OUTCOMES.map((outcome): [PdkCallOutcome, Attributes] => [outcome, Object.freeze({ 'tspdk.pdk.outcome': outcome })])) as Record<PdkCallOutcome, Attributes>,
);

/** The status of a span for each of `outcomes`: an error, with the outcome as its message, for those `failed` says. */
function statusByOutcome<O extends string>(outcomes: readonly O[], failed: (outcome: O) => boolean): Readonly<Record<O, SpanStatus>> {
  const entries = outcomes.map((outcome): [O, SpanStatus] => [outcome, failed(outcome) ? Object.freeze({ code: SpanStatusCode.ERROR, message: outcome }) : UNSET_STATUS]);
  return Object.freeze(Object.fromEntries(entries) as Record<O, SpanStatus>);
}

const EVENT_STATUS = statusByOutcome(EVENT_OUTCOMES, (outcome) => outcome !== EventOutcome.ok && outcome !== EventOutcome.exit);
const CALL_STATUS = statusByOutcome(PDK_CALL_OUTCOMES, (outcome) => outcome === PdkCallOutcome.error || outcome === PdkCallOutcome.unsent);

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

/** A traced event: its span's context (its PDK calls' spans are its children) and its parent's. */
class Traced {
  readonly context: SpanContext;
  readonly parent: SpanContext | undefined;

  constructor(context: SpanContext, parent: SpanContext | undefined) {
    this.context = context;
    this.parent = parent;
  }
}

/** The trace context in a `traceparent` value, when it holds a valid one. */
function parentOf(header: unknown): SpanContext | undefined {
  if (typeof header !== 'string') return undefined;
  const parent = parseTraceParent(header);
  if (parent === null) return undefined;
  parent.isRemote = true;
  return parent;
}

/** Makes the event and PDK-call spans. */
export class TracingObserver implements ServerObserver {
  readonly #sink: SpanSink;
  readonly #origin: SpanOrigin;
  readonly #ratio: number;
  /** `parentbased_*`: a parent's sampled flag decides; `undefined`: the sampler's own decision for a root. */
  readonly #parentBased: boolean;
  /** Whether an event without a parent is traced (`parentbased_always_off` traces only inside sampled traces). */
  readonly #roots: boolean;
  readonly #random: () => number;
  /** Span names, `<plugin> <phase>`, made once per plugin and phase. */
  readonly #names = new Map<string, Map<string, string>>();

  constructor(sink: SpanSink, origin: SpanOrigin, sampler: ServerSettings['traceSampler'], ratio: number, random: () => number = Math.random) {
    this.#sink = sink;
    this.#origin = origin;
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
    const parent = parentOf(header);
    if (parent === undefined ? !this.#roots : this.#parentBased && (parent.traceFlags & TraceFlags.SAMPLED) === 0) return false;
    const traced = new Traced(sampledContext(parent?.traceId ?? newTraceId(), newSpanId()), parent);
    event.observation = traced;
    for (const call of candidate.calls) this.#callSpan(traced, call.method, call.outcome, call.sentAt, call.endedAt);
    return true;
  }

  eventEnded(event: ObservedEvent, outcome: EventOutcome, now: number): void {
    const traced = event.observation;
    if (!(traced instanceof Traced)) return;
    event.observation = undefined;
    const plugin = event.instance.plugin.name;
    const attributes = { 'tspdk.plugin': plugin, 'tspdk.phase': event.phase, 'tspdk.instance.id': event.instance.id, 'tspdk.event.id': event.id, 'tspdk.outcome': outcome };
    const name = this.#spanName(plugin, event.phase);
    this.#sink.onEnd(new RecordedSpan(this.#origin, name, SpanKind.SERVER, traced.context, traced.parent, event.startedAt, now, attributes, EVENT_STATUS[outcome]));
  }

  pdkCallEnded(event: ObservedEvent, method: string, outcome: PdkCallOutcome, sentAt: number, now: number): void {
    const observation = event.observation;
    if (observation instanceof Traced) this.#callSpan(observation, method, outcome, sentAt, now);
    else if (observation instanceof Candidate) observation.calls.push({ method, outcome, sentAt, endedAt: now });
  }

  rpcError(): void {}

  reloaded(): void {}

  #callSpan(traced: Traced, method: string, outcome: PdkCallOutcome, sentAt: number, endedAt: number): void {
    const context = sampledContext(traced.context.traceId, newSpanId());
    this.#sink.onEnd(new RecordedSpan(this.#origin, method, SpanKind.CLIENT, context, traced.context, sentAt, endedAt, CALL_ATTRIBUTES[outcome], CALL_STATUS[outcome]));
  }

  #spanName(plugin: string, phase: string): string {
    let byPhase = this.#names.get(plugin);
    if (byPhase === undefined) this.#names.set(plugin, (byPhase = new Map<string, string>()));
    let name = byPhase.get(phase);
    if (name === undefined) byPhase.set(phase, (name = `${plugin} ${phase}`));
    return name;
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
  // The SDK's batch processor (its OTEL_BSP_* settings apply) and exporter; the spans are tspdk's (recorded-span.ts).
  const processor = new BatchSpanProcessor(exporter);
  const observer = new TracingObserver(processor, { resource, instrumentationScope: { name: 'tspdk' } }, settings.traceSampler, settings.traceSamplerArg);
  logger.info({ otlpEndpoint: url, otlpProtocol: settings.otlpProtocol, sampler: settings.traceSampler, ratio: settings.traceSamplerArg }, 'tracing');
  return {
    observer,
    async close() {
      await processor.shutdown().catch(() => undefined);
    },
  };
}
