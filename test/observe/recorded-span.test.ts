/**
 * The spans tspdk records itself: what the SDK's exporters read of them
 * (times, ids, parent, status, resource) is what the SDK's own spans give.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanKind, TraceFlags, type HrTime } from '@opentelemetry/api';
import { addHrTimes, hrTimeToNanoseconds, millisToHrTime } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { newSpanId, newTraceId, RecordedSpan, sampledContext, UNSET_STATUS, wallTime } from '../../server/observe/recorded-span.ts';

/** Nanoseconds from `start` to `end`, exactly (a whole wall-clock time in ns is beyond a double's precision). */
function nanosBetween(start: HrTime, end: HrTime): number {
  return (end[0] - start[0]) * 1e9 + (end[1] - start[1]);
}

describe('recorded spans', () => {
  it('convert performance.now() readings to wall-clock time as the SDK does, to the nanosecond', () => {
    for (const now of [0, 0.0005, 999.9999995, 1000, 12_345.678_901, 86_400_000.25, Math.random() * 1e9]) {
      const ours = wallTime(now);
      const sdk = addHrTimes(millisToHrTime(performance.timeOrigin), millisToHrTime(now));
      assert.ok(ours[1] >= 0 && ours[1] < 1e9, `nanoseconds out of range: ${ours[1]}`);
      assert.ok(Math.abs(nanosBetween(sdk, ours)) <= 1, `${now} ms: ${ours.join(',')} against ${sdk.join(',')}`);
    }
  });

  it('make valid, distinct ids', () => {
    const spans = new Set(Array.from({ length: 1000 }, () => newSpanId()));
    assert.equal(spans.size, 1000);
    for (const id of spans) assert.match(id, /^(?!0{16})[0-9a-f]{16}$/);
    assert.match(newTraceId(), /^(?!0{32})[0-9a-f]{32}$/);
  });

  it('go through the SDK span processor as finished, sampled spans with their parent, times and status', () => {
    const exporter = new InMemorySpanExporter();
    const processor = new SimpleSpanProcessor(exporter);
    const resource = resourceFromAttributes({ 'service.name': 'test' });
    const origin = { resource, instrumentationScope: { name: 'tspdk' } };
    const parent = sampledContext(newTraceId(), newSpanId());
    const context = sampledContext(parent.traceId, newSpanId());
    const status = { code: 2, message: 'fail_closed' };
    processor.onEnd(new RecordedSpan(origin, 'p access', SpanKind.SERVER, context, parent, 100, 102.5, { 'tspdk.plugin': 'p' }, status));
    // An end before the start (clocks read out of order) is clamped to the start.
    processor.onEnd(new RecordedSpan(origin, 'kong.request.get_header', SpanKind.CLIENT, sampledContext(parent.traceId, newSpanId()), context, 101, 100.5, {}, UNSET_STATUS));
    const [event, call] = exporter.getFinishedSpans();
    assert.ok(event !== undefined && call !== undefined);
    assert.equal(event.name, 'p access');
    assert.equal(event.kind, SpanKind.SERVER);
    assert.deepEqual(event.spanContext(), { traceId: parent.traceId, spanId: context.spanId, traceFlags: TraceFlags.SAMPLED });
    assert.equal(event.parentSpanContext?.spanId, parent.spanId);
    assert.equal(nanosBetween(event.startTime, event.endTime), 2_500_000);
    assert.equal(nanosBetween(wallTime(100), event.startTime), 0);
    assert.equal(hrTimeToNanoseconds(event.duration), 2_500_000);
    assert.deepEqual(event.status, status);
    assert.equal(event.resource, resource);
    assert.deepEqual(event.instrumentationScope, { name: 'tspdk' });
    assert.equal(event.ended, true);
    assert.deepEqual([event.links, event.events, event.droppedAttributesCount], [[], [], 0]);
    assert.equal(call.parentSpanContext?.spanId, context.spanId);
    assert.equal(hrTimeToNanoseconds(call.duration), 0);
  });
});
