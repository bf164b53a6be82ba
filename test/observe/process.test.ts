/**
 * Metrics and traces as Kong runs a plugin server (its own process, an
 * empty environment): `-dump` and a plain start load neither prom-client
 * nor OpenTelemetry; `--metrics` loads prom-client alone and serves
 * `/metrics` (on a Unix socket too); `--otlp-endpoint` loads the SDK alone.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { spawnServer, type Spawned } from '../reliability/spawn.ts';
import { observedConfig } from '../fixtures/observed.ts';
import { sample, samples, scrape } from '../support/metrics.ts';
import { tempDirectory } from '../support/server.ts';

const here = dirname(fileURLToPath(import.meta.url));
const OBSERVED = join(here, '..', 'fixtures', 'observed.js');
const WATCH = join(here, '..', 'fixtures', 'import-watch-register.js');

const spawned: Spawned[] = [];
after(() => {
  for (const server of spawned) server.child.kill('SIGKILL');
});

/** Starts the observed plugin with `args`, the import watch on; resolves once it listens. */
async function start(args: readonly string[]): Promise<Spawned & { socket: string; directory: string }> {
  const directory = tempDirectory();
  const socket = join(directory, 'observed.socket');
  const server = await spawnServer(['--import', WATCH, OBSERVED, '--socket', socket, ...args], 30_000);
  spawned.push(server);
  return { ...server, socket, directory };
}

/** The packages the process imported, as the watch reported them. */
function imported(stderr: string): string[] {
  return [...new Set(stderr.split('\n').filter((line) => line.startsWith('imported ')).map((line) => line.slice('imported '.length)))].sort();
}

/** The `metrics` URL the server logged. */
function metricsUrl(stderr: string): string {
  const line = stderr.split('\n').find((text) => text.includes('"msg":"metrics endpoint listening"'));
  assert.ok(line !== undefined, `no "metrics endpoint listening" line in:\n${stderr}`);
  return (JSON.parse(line) as { metrics: string }).metrics;
}

describe('metrics and traces in a plugin server process', () => {
  it('-dump and a plain start load neither prom-client nor OpenTelemetry', async () => {
    const dump = spawnSync(process.execPath, ['--import', WATCH, OBSERVED, '-dump'], { encoding: 'utf8', env: {} });
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /^\[\{"Name":"observed"/);
    assert.deepEqual(imported(dump.stderr), []);
    const plain = await start([]);
    const host = new KongHost({ socket: plain.socket, workers: 1 });
    await host.request([observedConfig('ok')]);
    host.close();
    assert.deepEqual(imported(plain.stderr()), []);
  });

  it('--metrics loads prom-client only and serves exact counts on 127.0.0.1', async () => {
    const server = await start(['--metrics', '127.0.0.1:0']);
    const url = metricsUrl(server.stderr());
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const host = new KongHost({ socket: server.socket, workers: 1 });
    for (let i = 0; i < 5; i++) await host.request([observedConfig('ok')]);
    await host.request([observedConfig('exit')]);
    host.close();
    const all = samples(await scrape(url));
    assert.equal(sample(all, 'tspdk_events_total', { plugin: 'observed', phase: 'access', outcome: 'ok' }), 5);
    assert.equal(sample(all, 'tspdk_events_total', { plugin: 'observed', phase: 'access', outcome: 'exit' }), 1);
    assert.equal(sample(all, 'observed_greetings_total', { kind: 'hello' }), 5);
    assert.deepEqual(imported(server.stderr()), ['prom-client']);
  });

  it('--metrics with a socket path serves /metrics on that Unix socket', async () => {
    const directory = tempDirectory();
    const path = join(directory, 'metrics.sock');
    const server = await start(['--metrics', path]);
    assert.equal(metricsUrl(server.stderr()), `unix:${path}:/metrics`);
    const body = await new Promise<string>((resolve, reject) => {
      request({ socketPath: path, path: '/metrics' }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    assert.match(body, /^tspdk_live_events 0$/m);
  });

  it('--otlp-endpoint loads the OpenTelemetry SDK only', async () => {
    const server = await start(['--otlp-endpoint', 'http://127.0.0.1:9/v1/traces']);
    assert.deepEqual(
      imported(server.stderr()).filter((name) => !name.startsWith('@opentelemetry/')),
      [],
      'no prom-client',
    );
    assert.ok(imported(server.stderr()).includes('@opentelemetry/sdk-trace-base'));
    assert.ok(imported(server.stderr()).includes('@opentelemetry/exporter-trace-otlp-proto'), 'http/protobuf by default');
    assert.ok(!imported(server.stderr()).includes('@opentelemetry/exporter-trace-otlp-http'), 'not the JSON exporter');
  });

  it('--otlp-protocol http/json loads the JSON exporter only; the default loads the protobuf one only', async () => {
    const json = await start(['--otlp-endpoint', 'http://127.0.0.1:9/v1/traces', '--otlp-protocol', 'http/json']);
    assert.ok(imported(json.stderr()).includes('@opentelemetry/exporter-trace-otlp-http'));
    assert.ok(!imported(json.stderr()).includes('@opentelemetry/exporter-trace-otlp-proto'));
  });

  it('refuses an OTLP protocol it cannot export with, at start, naming the variable and the accepted values', () => {
    const bad = spawnSync(process.execPath, [OBSERVED, '--socket', '/tmp/never.sock'], { encoding: 'utf8', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /OTEL_EXPORTER_OTLP_PROTOCOL: expected http\/protobuf or http\/json/);
  });

  it('refuses a --metrics address it cannot use, before listening, saying what to write', () => {
    const bad = spawnSync(process.execPath, [OBSERVED, '--socket', '/tmp/never.sock', '--metrics', ':9464'], { encoding: 'utf8', env: {} });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--metrics must be a port \(9464, served on 127\.0\.0\.1\), host:port \(0\.0\.0\.0:9464 for every interface\)/);
  });
});
