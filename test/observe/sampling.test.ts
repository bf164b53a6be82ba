/**
 * The sampling decisions of the tracing observer, event by event, with the
 * SDK's own tracer and an in-memory exporter: which events read the
 * traceparent, which are traced once it is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Phase } from '../../plugin/phases.ts';
import { EventOutcome, PdkCallOutcome, type ObservedEvent } from '../../server/rpc/observer.ts';
import type { ServerSettings } from '../../server/settings.ts';
import { TracingObserver } from '../../server/observe/tracing.ts';

const SAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UNSAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

function setup(sampler: ServerSettings['traceSampler'], ratio = 1, draws: number[] = []) {
  const exporter = new InMemorySpanExporter();
  // As startTracing makes it, with a processor that exports each span at once.
  const origin = { resource: resourceFromAttributes({}), instrumentationScope: { name: 'test' } };
  const observer = new TracingObserver(new SimpleSpanProcessor(exporter), origin, sampler, ratio, () => draws.shift() ?? 0);
  let id = 0;
  /** One event through the observer: whether it read the header, and whether a span came out. */
  const run = (phase: Phase, header?: string): { read: string | undefined; traced: boolean } => {
    const before = exporter.getFinishedSpans().length;
    const event: ObservedEvent = { id: ++id, phase, instance: { id: 1, plugin: { name: 'p' } }, startedAt: performance.now(), observation: undefined };
    const read = observer.headerFor(event);
    observer.eventStarted(event, read === undefined ? undefined : header);
    observer.eventEnded(event, EventOutcome.ok, performance.now());
    return { read, traced: exporter.getFinishedSpans().length > before };
  };
  return { run, exporter };
}

describe('trace sampling', () => {
  it('parentbased_always_on: every event reads traceparent; a parent that is not sampled leaves it out', () => {
    const { run } = setup('parentbased_always_on');
    assert.deepEqual(run('access', SAMPLED), { read: 'traceparent', traced: true });
    assert.deepEqual(run('access', UNSAMPLED), { read: 'traceparent', traced: false });
    assert.deepEqual(run('rewrite', undefined), { read: 'traceparent', traced: true });
    assert.deepEqual(run('access', 'garbage'), { read: 'traceparent', traced: true }, 'an unreadable traceparent starts a new trace');
  });

  it('parentbased_always_off: only inside a sampled trace', () => {
    const { run } = setup('parentbased_always_off');
    assert.deepEqual(run('access', SAMPLED), { read: 'traceparent', traced: true });
    assert.deepEqual(run('access', undefined), { read: 'traceparent', traced: false });
  });

  it('the ratio is drawn before the read: an event not drawn costs no round trip', () => {
    const { run } = setup('parentbased_traceidratio', 0.1, [0.05, 0.5, 0.09999, 0.1]);
    assert.deepEqual(run('access', SAMPLED), { read: 'traceparent', traced: true });
    assert.deepEqual(run('access', SAMPLED), { read: undefined, traced: false });
    assert.deepEqual(run('access', UNSAMPLED), { read: 'traceparent', traced: false });
    assert.deepEqual(run('access', SAMPLED), { read: undefined, traced: false });
  });

  it('traceidratio and always_on ignore the parent; always_off traces nothing', () => {
    assert.deepEqual(setup('traceidratio', 0.5, [0.2]).run('access', UNSAMPLED), { read: 'traceparent', traced: true });
    assert.deepEqual(setup('always_on').run('access', UNSAMPLED), { read: 'traceparent', traced: true });
    assert.deepEqual(setup('always_off').run('access', SAMPLED), { read: undefined, traced: false });
  });

  it('certificate and preread have no request headers: traced as roots without a read', () => {
    const { run, exporter } = setup('parentbased_always_on');
    assert.deepEqual(run('certificate'), { read: undefined, traced: true });
    assert.deepEqual(run('preread'), { read: undefined, traced: true });
    assert.deepEqual(exporter.getFinishedSpans().map((span) => [span.name, span.parentSpanContext]), [
      ['p certificate', undefined],
      ['p preread', undefined],
    ]);
  });

  it('mark failed events and failed PDK calls with an error status naming the outcome', () => {
    const exporter = new InMemorySpanExporter();
    const origin = { resource: resourceFromAttributes({}), instrumentationScope: { name: 'test' } };
    const observer = new TracingObserver(new SimpleSpanProcessor(exporter), origin, 'always_on', 1);
    const outcomes = [EventOutcome.ok, EventOutcome.exit, EventOutcome.failClosed, EventOutcome.timeout];
    for (const [i, outcome] of outcomes.entries()) {
      const event: ObservedEvent = { id: i + 1, phase: 'certificate', instance: { id: 1, plugin: { name: 'p' } }, startedAt: performance.now(), observation: undefined };
      observer.headerFor(event);
      observer.eventStarted(event, undefined);
      observer.pdkCallEnded(event, 'kong.log.err', i % 2 === 0 ? PdkCallOutcome.ok : PdkCallOutcome.error, event.startedAt, performance.now());
      observer.eventEnded(event, outcome, performance.now());
    }
    const statuses = exporter.getFinishedSpans().map((span) => [span.name, span.status.code, span.status.message]);
    assert.deepEqual(statuses, [
      ['kong.log.err', SpanStatusCode.UNSET, undefined],
      ['p certificate', SpanStatusCode.UNSET, undefined],
      ['kong.log.err', SpanStatusCode.ERROR, 'error'],
      ['p certificate', SpanStatusCode.UNSET, undefined],
      ['kong.log.err', SpanStatusCode.UNSET, undefined],
      ['p certificate', SpanStatusCode.ERROR, 'fail_closed'],
      ['kong.log.err', SpanStatusCode.ERROR, 'error'],
      ['p certificate', SpanStatusCode.ERROR, 'timeout'],
    ]);
  });
});
