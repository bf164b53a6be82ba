/**
 * OpenTelemetry traces: spans received by a real OTLP/HTTP receiver (the
 * test's own node:http server decoding OTLP's protobuf, the default, and
 * JSON). An event's span
 * continues the request's W3C traceparent, its PDK calls are its
 * children; the sampler decides which events read the header at all; an
 * exporter that cannot reach its collector never fails an event and is
 * logged once.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { hostPlugins } from '../../plugin/serve.ts';
import type { OtlpProtocol } from '../../server/observe/address.ts';
import { createLogger, silentLogger, type Logger } from '../../server/process/logger.ts';
import type { ServerSettings } from '../../server/settings.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { KongHost } from '../../testing/host/kong-host.ts';
import { observed, observedConfig } from '../fixtures/observed.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { tempDirectory } from '../support/server.ts';

hostPlugins();
// Small, frequent batches: several exports per test, as under load.
process.env['OTEL_BSP_SCHEDULE_DELAY'] = '20';
process.env['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'] = '5';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
/** The protocols, and the content type each posts. */
const PROTOCOLS: ReadonlyArray<readonly [OtlpProtocol, string]> = [
  ['http/protobuf', 'application/x-protobuf'],
  ['http/json', 'application/json'],
];

interface Traced {
  readonly running: RunningServer;
  readonly host: KongHost;
  stop(): Promise<void>;
}

const directories: string[] = [];
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** Starts the observed plugin with tracing to `endpoint`. */
async function traced(
  endpoint: string,
  sampling: Partial<Pick<ServerSettings, 'traceSampler' | 'traceSamplerArg' | 'otlpProtocol'>> = {},
  logger: Logger = silentLogger(),
): Promise<Traced> {
  const directory = tempDirectory();
  directories.push(directory);
  const socket = join(directory, 'observed.socket');
  const running = await startServer({ plugins: [observed], sockets: [socket], logger, otlpEndpoint: endpoint, ...sampling });
  const host = new KongHost({ socket, workers: 1 });
  return {
    running,
    host,
    async stop() {
      host.close();
      await running.stop(); // flushes the spans still buffered
    },
  };
}

/** The spans of one trace, by name. */
function named(spans: readonly ReceivedSpan[], name: string): ReceivedSpan[] {
  return spans.filter((span) => span.name === name);
}

/** One request with a sampled traceparent, exported over `protocol`: its spans, checked as `receiver` got them. */
async function continuesTraceparent(receiver: OtlpReceiver, protocol: OtlpProtocol): Promise<void> {
  const server = await traced(receiver.url, { otlpProtocol: protocol });
  const response = await server.host.request([observedConfig('ok')], { headers: { host: 'kong.test', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
  assert.deepEqual(response.headers.get('x-observed'), ['kong.test']);
  // The read of traceparent is the event's first PDK call.
  assert.deepEqual(response.request.calls.slice(0, 2).map(([, method, args]) => [method, args]), [
    ['kong.request.get_header', ['traceparent']],
    ['kong.request.get_header', ['host']],
  ]);
  await server.stop();
  const [access] = named(receiver.spans, 'observed access');
  assert.ok(access !== undefined, `no span "observed access" among ${receiver.spans.map((span) => span.name).join(', ')}`);
  assert.equal(access.traceId, TRACE_ID);
  assert.equal(access.parentSpanId, PARENT_ID);
  assert.equal(access.kind, SPAN_KIND_SERVER);
  assert.equal(access.attributes['tspdk.plugin'], 'observed');
  assert.equal(access.attributes['tspdk.phase'], 'access');
  assert.equal(access.attributes['tspdk.outcome'], 'ok');
  assert.equal(typeof access.attributes['tspdk.instance.id'], 'number');
  assert.ok(Number.isSafeInteger(access.attributes['tspdk.event.id']), 'an int attribute');
  assert.equal(access.resource['service.name'], 'observed');
  const children = receiver.spans.filter((span) => span.parentSpanId === access.spanId);
  assert.deepEqual(children.map((span) => span.name).sort(), ['kong.request.get_header', 'kong.request.get_header', 'kong.response.set_header']);
  for (const child of children) {
    assert.equal(child.traceId, TRACE_ID);
    assert.equal(child.kind, SPAN_KIND_CLIENT);
    assert.equal(child.attributes['tspdk.pdk.outcome'], 'ok');
    assert.ok(child.startNs >= access.startNs && child.endNs <= access.endNs, 'a call lies within its event');
  }
  const [log] = named(receiver.spans, 'observed log');
  assert.equal(log?.traceId, TRACE_ID, 'the log phase joins the same trace');
}

describe('traces', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => receiver.close());

  for (const [protocol, contentType] of PROTOCOLS) {
    it(`continue the request's traceparent: one span per event, a child span per PDK call (${protocol})`, async () => {
      const own = await startOtlpReceiver();
      try {
        await continuesTraceparent(own, protocol);
      } finally {
        await own.close();
      }
      assert.deepEqual([...own.contentTypes], [contentType], `exported as ${contentType}`);
    });
  }

  it('export over http/protobuf unless told otherwise', async () => {
    receiver.spans.length = 0;
    const server = await traced(receiver.url);
    await server.host.request([observedConfig('ok')]);
    await server.stop();
    assert.equal(named(receiver.spans, 'observed access').length, 1);
    assert.deepEqual([...receiver.contentTypes], ['application/x-protobuf']);
  });

  it('start a trace of their own without a traceparent, and leave out requests whose parent is not sampled', async () => {
    receiver.spans.length = 0;
    const server = await traced(receiver.url);
    await server.host.request([observedConfig('exit')]);
    await server.host.request([observedConfig('ok')], { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` } });
    await server.stop();
    const access = named(receiver.spans, 'observed access');
    assert.equal(access.length, 1, 'only the request without a parent is traced');
    assert.equal(access[0]?.parentSpanId, '');
    assert.notEqual(access[0]?.traceId, TRACE_ID);
    assert.equal(access[0]?.attributes['tspdk.outcome'], 'exit');
    assert.deepEqual(named(receiver.spans, 'kong.response.exit').map((span) => span.parentSpanId), [access[0]?.spanId]);
  });

  it('read traceparent only for the events the ratio picks, and trace exactly those', async () => {
    receiver.spans.length = 0;
    const none = await traced(receiver.url, { traceSampler: 'parentbased_traceidratio', traceSamplerArg: 0 });
    const untraced = await none.host.request([observedConfig('ok')], { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    assert.ok(!untraced.request.calls.some(([, , args]) => args[0] === 'traceparent'), 'ratio 0: no read');
    await none.stop();
    assert.equal(receiver.spans.length, 0);

    const half = await traced(receiver.url, { traceSampler: 'traceidratio', traceSamplerArg: 0.5 });
    let reads = 0;
    for (let i = 0; i < 100; i++) {
      const response = await half.host.request([observedConfig('ok')], { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` } });
      reads += response.request.calls.filter(([, method, args]) => method === 'kong.request.get_header' && args[0] === 'traceparent').length;
    }
    await half.stop();
    // 200 events (access and log); traceidratio ignores the parent's flag.
    assert.ok(reads > 40 && reads < 160, `about half of 200 events read traceparent: ${reads}`);
    assert.equal(named(receiver.spans, 'observed access').length + named(receiver.spans, 'observed log').length, reads);
  });

  it('never fail or hold an event when the collector is down, and say so once', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const logger = createLogger('info', {}, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    const server = await traced(`http://127.0.0.1:${port}/v1/traces`, {}, logger);
    for (let i = 0; i < 30; i++) {
      const response = await server.host.request([observedConfig('ok')], { headers: { host: 'h', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
      assert.deepEqual(response.phases, [['observed:access', 'ret'], ['observed:log', 'ret']]);
      // Let the 20 ms batches go (and fail) while requests run.
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await server.stop();
    const failures = lines.filter((line) => line.includes('cannot export spans'));
    assert.equal(failures.length, 1, `one warning for the outage, got:\n${failures.join('')}`);
    assert.equal((JSON.parse(failures[0] as string) as { otlpEndpoint: string }).otlpEndpoint, `http://127.0.0.1:${port}/v1/traces`);
  });
});

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
