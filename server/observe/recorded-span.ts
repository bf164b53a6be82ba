/**
 * Spans recorded by tspdk itself and handed, finished, to the SDK's batch
 * processor and OTLP exporter.
 *
 * The spans tspdk makes have a known shape: they start and end at times the
 * event already knows, have a fixed set of attributes, no events, no links,
 * and are always sampled (the tracer decides before it makes them). The
 * SDK's `Tracer` and `Span` serve any instrumentation: a context per span, a
 * sampler call, attribute checks and copies, clock conversions at each step,
 * span-processor hooks at start and at end. For a traced hello event
 * (four spans) that was about a third of the tracing cost. A
 * {@link RecordedSpan} is the finished span only: the fields the exporters
 * read ({@link ReadableSpan}), times kept as `performance.now()` numbers
 * until the exporter asks for them. Everything after that (the batch
 * processor, the OTLP serialisers, the HTTP export) is the SDK's.
 *
 * @module
 */
import { SpanStatusCode, TraceFlags, type Attributes, type HrTime, type Link, type SpanContext, type SpanKind, type SpanStatus } from '@opentelemetry/api';
import { hrTimeDuration, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { RandomIdGenerator, type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace-base';

/** What every span of one tracer shares: the resource and the instrumentation scope. */
export interface SpanOrigin {
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
}

/** The status of a span that did not fail (shared: exporters only read it). */
export const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];

/** `performance.timeOrigin`, split into whole seconds and the milliseconds after them. */
const ORIGIN_SECONDS = Math.floor(performance.timeOrigin / 1000);
const ORIGIN_REST_MS = performance.timeOrigin - ORIGIN_SECONDS * 1000;

/**
 * Wall-clock time of a `performance.now()` reading, as the exporters take
 * it (`[seconds, nanoseconds]`). Adding the reading to the origin's
 * sub-second part keeps sub-microsecond precision, as the SDK's own clock
 * does, where adding it to the whole origin would round to 0.24 µs.
 */
export function wallTime(now: number): HrTime {
  const ms = ORIGIN_REST_MS + now;
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return [ORIGIN_SECONDS + seconds, nanos];
}

/** Makes trace and span ids (the SDK's generator: random, never all zeros). */
const ids = new RandomIdGenerator();

/** A new span id. */
export function newSpanId(): string {
  return ids.generateSpanId();
}

/** A new trace id. */
export function newTraceId(): string {
  return ids.generateTraceId();
}

/** The context of a sampled span. */
export function sampledContext(traceId: string, spanId: string): SpanContext {
  return { traceId, spanId, traceFlags: TraceFlags.SAMPLED };
}

/** A finished span, as the SDK's span processors and exporters read it. */
export class RecordedSpan implements ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly attributes: Attributes;
  readonly status: SpanStatus;
  readonly links: Link[] = NO_LINKS;
  readonly events: TimedEvent[] = NO_EVENTS;
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly #origin: SpanOrigin;
  readonly #context: SpanContext;
  readonly #startedAt: number;
  readonly #endedAt: number;

  /** `startedAt`/`endedAt` are `performance.now()` readings; `attributes` and `status` are kept as given, not copied. */
  constructor(
    origin: SpanOrigin,
    name: string,
    kind: SpanKind,
    context: SpanContext,
    parent: SpanContext | undefined,
    startedAt: number,
    endedAt: number,
    attributes: Attributes,
    status: SpanStatus,
  ) {
    this.#origin = origin;
    this.name = name;
    this.kind = kind;
    this.#context = context;
    this.parentSpanContext = parent;
    this.#startedAt = startedAt;
    this.#endedAt = Math.max(startedAt, endedAt);
    this.attributes = attributes;
    this.status = status;
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  get startTime(): HrTime {
    return wallTime(this.#startedAt);
  }

  get endTime(): HrTime {
    return wallTime(this.#endedAt);
  }

  get duration(): HrTime {
    return hrTimeDuration(this.startTime, this.endTime);
  }

  get resource(): Resource {
    return this.#origin.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.#origin.instrumentationScope;
  }
}
