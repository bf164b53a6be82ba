/**
 * A real OTLP/HTTP receiver for tests: a node:http server that takes
 * `POST /v1/traces` in either encoding of OTLP over HTTP, protobuf
 * (`application/x-protobuf`, what @opentelemetry/exporter-trace-otlp-proto
 * sends, read by otlp-protobuf.ts) or JSON (`application/json`,
 * @opentelemetry/exporter-trace-otlp-http), and keeps every span. Other
 * content types are refused with 415.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeTraceRequest, type DecodedSpan } from './otlp-protobuf.ts';

/** One received span, flattened; `resource` holds the resource's attributes (service.name, ...). */
export type ReceivedSpan = DecodedSpan;

/** A receiver listening on 127.0.0.1. */
export interface OtlpReceiver {
  /** Where to send spans: `http://127.0.0.1:<port>/v1/traces`. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Export requests received (accepted or not). */
  readonly requests: number;
  /** The content types of the export requests accepted, each once (`application/x-protobuf`, `application/json`). */
  readonly contentTypes: ReadonlySet<string>;
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}

function value(raw: AnyValue): unknown {
  if (raw.stringValue !== undefined) return raw.stringValue;
  if (raw.intValue !== undefined) return Number(raw.intValue);
  if (raw.doubleValue !== undefined) return raw.doubleValue;
  return raw.boolValue;
}

function attributes(list: ReadonlyArray<{ key: string; value: AnyValue }> | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((item) => [item.key, value(item.value)]));
}

interface ExportRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: AnyValue }> };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
        attributes?: Array<{ key: string; value: AnyValue }>;
        status?: { code?: number };
      }>;
    }>;
  }>;
}

/** The spans of an `ExportTraceServiceRequest` in its JSON encoding. */
function decodeJson(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  const request = JSON.parse(body.toString('utf8')) as ExportRequest;
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          startNs: BigInt(span.startTimeUnixNano),
          endNs: BigInt(span.endTimeUnixNano),
          attributes: attributes(span.attributes),
          status: span.status?.code ?? 0,
          resource,
        });
      }
    }
  }
  return spans;
}

/** The decoders of the content types OTLP/HTTP uses. */
const DECODERS: ReadonlyMap<string, (body: Buffer) => ReceivedSpan[]> = new Map([
  ['application/x-protobuf', (body: Buffer) => decodeTraceRequest(body)],
  ['application/json', decodeJson],
]);

/** Starts a receiver. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  let requests = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests++;
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const decode = DECODERS.get(contentType);
      if (decode === undefined) {
        response.writeHead(415).end();
        return;
      }
      let received: ReceivedSpan[];
      try {
        received = decode(Buffer.concat(chunks));
      } catch {
        response.writeHead(400).end();
        return;
      }
      spans.push(...received);
      contentTypes.add(contentType);
      // An empty ExportTraceServiceResponse is an empty body in protobuf and {} in JSON.
      if (contentType === 'application/json') response.writeHead(200, { 'content-type': contentType }).end('{}');
      else response.writeHead(200, { 'content-type': contentType }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    get requests() {
      return requests;
    },
    contentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
