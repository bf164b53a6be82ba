/**
 * The test receiver's two decoders agree: the same spans, made by the SDK
 * and exported by its protobuf and its JSON OTLP/HTTP exporters, come out
 * of the receiver the same (ids, parent, name, kind, times, attributes of
 * every value kind OTLP's AnyValue scalars have, status, resource).
 * Anything else posted is refused.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { decodeTraceRequest } from '../support/otlp-protobuf.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';

/** Two spans, parent and child, with attributes of every scalar kind. */
function makeSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'decoder-test', 'process.pid': 4242 }),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('test');
  const parent = tracer.startSpan('parent op', { kind: SpanKind.SERVER, attributes: { text: 'é ✓', big: 2 ** 40, negative: -5, ratio: 0.25, yes: true, no: false } });
  const child = tracer.startSpan('child op', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, parent));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  child.end();
  parent.end();
  return memory.getFinishedSpans().slice();
}

async function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  return result;
}

function post(url: string, contentType: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { 'content-type': contentType } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('the OTLP test receiver', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => receiver.close());

  it('decodes the protobuf and the JSON exports of the same spans to the same spans', async () => {
    const spans = makeSpans();
    receiver.spans.length = 0;
    assert.equal((await exportWith(new ProtobufExporter({ url: receiver.url }), spans)).code, ExportResultCode.SUCCESS);
    const fromProtobuf: ReceivedSpan[] = receiver.spans.splice(0);
    assert.equal((await exportWith(new JsonExporter({ url: receiver.url }), spans)).code, ExportResultCode.SUCCESS);
    const fromJson: ReceivedSpan[] = receiver.spans.splice(0);
    assert.deepEqual([...receiver.contentTypes].sort(), ['application/json', 'application/x-protobuf']);
    assert.equal(fromProtobuf.length, 2);
    assert.deepEqual(fromProtobuf, fromJson);

    const parent = fromProtobuf.find((span) => span.name === 'parent op');
    const child = fromProtobuf.find((span) => span.name === 'child op');
    const made = spans.find((span) => span.name === 'parent op');
    assert.ok(parent !== undefined && child !== undefined && made !== undefined);
    assert.equal(parent.traceId, made.spanContext().traceId);
    assert.equal(parent.spanId, made.spanContext().spanId);
    assert.equal(parent.parentSpanId, '');
    assert.equal(child.traceId, parent.traceId);
    assert.equal(child.parentSpanId, parent.spanId);
    assert.equal(parent.kind, 2);
    assert.equal(child.kind, 3);
    assert.equal(child.status, 2);
    assert.ok(parent.startNs > 0n && parent.endNs >= parent.startNs);
    assert.deepEqual(parent.attributes, { text: 'é ✓', big: 2 ** 40, negative: -5, ratio: 0.25, yes: true, no: false });
    assert.equal(parent.resource['service.name'], 'decoder-test');
    assert.equal(parent.resource['process.pid'], 4242);
  });

  it('refuses other content types (415) and a body that is not protobuf (400)', async () => {
    receiver.spans.length = 0;
    assert.equal(await post(receiver.url, 'text/plain', Buffer.from('spans')), 415);
    // Field 1, length-delimited, claiming 100 bytes of which 2 follow.
    assert.equal(await post(receiver.url, 'application/x-protobuf', Buffer.from([0x0a, 100, 1, 2])), 400);
    assert.throws(() => decodeTraceRequest(Uint8Array.from([0x0a, 100, 1, 2])), /runs past the end/);
    assert.equal(receiver.spans.length, 0);
  });
});
