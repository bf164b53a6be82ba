/**
 * `--metrics` in one process: `/metrics` scraped with a real HTTP client
 * after known events gives exact counts, by plugin, phase and outcome, per
 * PDK method, for RPC and decode errors, and the plugin's own
 * `tspdk/metrics` counter.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { hostPlugins } from '../../plugin/serve.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { KongHost } from '../../testing/host/kong-host.ts';
import { observed, observedConfig } from '../fixtures/observed.ts';
import { sample, samples, scrape } from '../support/metrics.ts';
import { tempDirectory, waitFor } from '../support/server.ts';

hostPlugins();

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('metrics, one process', () => {
  const directory = tempDirectory();
  const socket = join(directory, 'observed.socket');
  let running: RunningServer;
  let url: string;
  let host: KongHost;

  before(async () => {
    running = await startServer({
      plugins: [observed],
      sockets: [socket],
      logger: silentLogger(),
      metrics: '127.0.0.1:0',
      eventTimeoutMs: 300,
      abandonAfterMs: 300,
      sweepIntervalMs: 50,
    });
    url = running.metricsUrl as string;
    host = new KongHost({ socket, workers: 1 });
  });
  after(async () => {
    host.close();
    await running.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('serves /metrics on 127.0.0.1 in the Prometheus text format, and nothing else', async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await scrape(url);
    assert.match(text, /^# HELP tspdk_events_total /m);
    assert.match(text, /^# TYPE tspdk_event_duration_seconds histogram$/m);
    assert.ok(sample(samples(text), 'process_cpu_seconds_total') !== undefined, "Node's default metrics are there");
    assert.equal((await fetch(url.replace('/metrics', '/'))).status, 404);
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);
  });

  it('counts events by plugin, phase and outcome, PDK calls by method and outcome, exactly', async () => {
    for (let i = 0; i < 3; i++) await host.request([observedConfig('ok')], { headers: { host: 'kong.test' } });
    await host.request([observedConfig('exit')]);
    await host.request([observedConfig('throw')]);
    await host.request([observedConfig('log-throw')]);
    const all = samples(await scrape(url));
    const events = (phase: string, outcome: string): number | undefined => sample(all, 'tspdk_events_total', { plugin: 'observed', phase, outcome });
    assert.equal(events('access', 'ok'), 4);
    assert.equal(events('access', 'exit'), 1);
    assert.equal(events('access', 'fail_closed'), 1);
    assert.equal(events('access', 'timeout'), 0);
    // Kong runs log after every request, an exit's too.
    assert.equal(events('log', 'ok'), 5);
    assert.equal(events('log', 'fail_open'), 1);
    assert.equal(sample(all, 'tspdk_event_duration_seconds_count', { plugin: 'observed', phase: 'access' }), 6);
    assert.equal(sample(all, 'tspdk_event_duration_seconds_bucket', { plugin: 'observed', phase: 'access', le: '+Inf' }), 6);
    assert.equal(sample(all, 'tspdk_event_duration_seconds_bucket', { plugin: 'observed', phase: 'access', le: '60' }), 6);
    const calls = (method: string, outcome: string): number | undefined => sample(all, 'tspdk_pdk_calls_total', { method, outcome });
    assert.equal(calls('kong.request.get_header', 'ok'), 4);
    assert.equal(calls('kong.response.set_header', 'ok'), 3);
    assert.equal(calls('kong.response.exit', 'exit'), 1);
    // Each failure is logged through kong.log.err; the one in access then ends the request with a 500.
    assert.equal(calls('kong.log.err', 'ok'), 2);
    assert.equal(calls('kong.response.error', 'exit'), 1);
    assert.equal(sample(all, 'tspdk_pdk_call_duration_seconds_count', { method: 'kong.request.get_header' }), 4);
    // An exit is never answered: counted, not timed.
    assert.equal(sample(all, 'tspdk_pdk_call_duration_seconds_count', { method: 'kong.response.exit' }), 0);
    assert.equal(sample(all, 'observed_greetings_total', { kind: 'hello' }), 3);
    assert.equal(sample(all, 'tspdk_instances', { plugin: 'observed' }), 4);
    assert.equal(sample(all, 'tspdk_live_events'), 0);
    assert.equal(sample(all, 'tspdk_connections'), running.connections);
    assert.ok(running.connections >= 1);
  });

  it('counts timed-out and abandoned events, and the PDK call an abandoned event left unanswered', async () => {
    await host.request([observedConfig('never')]);
    // An event whose Step never comes: HandleEvent, then silence.
    const started = await host.call('plugin.StartInstance', { Name: 'observed', Config: JSON.stringify({ mode: 'ok' }) });
    const instanceId = (started.result as { Id: number }).Id;
    await host.call('plugin.HandleEvent', { InstanceId: instanceId, EventName: 'access' });
    await waitFor(() => running.server.liveEvents === 0, 5000, 'the abandoned event to be forgotten');
    const all = samples(await scrape(url));
    assert.equal(sample(all, 'tspdk_events_total', { plugin: 'observed', phase: 'access', outcome: 'timeout' }), 1);
    assert.equal(sample(all, 'tspdk_events_total', { plugin: 'observed', phase: 'access', outcome: 'abandoned' }), 1);
    assert.equal(sample(all, 'tspdk_pdk_calls_total', { method: 'kong.request.get_header', outcome: 'abandoned' }), 1);
  });

  it('counts RPC errors by kind', async () => {
    const before = samples(await scrape(url));
    await host.call('plugin.Step', { EventId: 12345, Data: null }).catch(() => undefined);
    await host.call('plugin.HandleEvent', { InstanceId: 999_999, EventName: 'access' }).catch(() => undefined);
    await host.call('plugin.NoSuchMethod', {}).catch(() => undefined);
    const all = samples(await scrape(url));
    const delta = (kind: string): number => (sample(all, 'tspdk_rpc_errors_total', { kind }) ?? NaN) - (sample(before, 'tspdk_rpc_errors_total', { kind }) ?? NaN);
    assert.equal(delta('no_event'), 1);
    assert.equal(delta('no_instance'), 1);
    assert.equal(delta('bad_request'), 1);
    assert.equal(delta('internal'), 0);
  });

  it('counts what cannot be decoded: a stream that cannot be framed, a message that is not a request', async () => {
    const before = samples(await scrape(url));
    // 0xc1 is the one byte MessagePack never uses: the stream cannot be framed.
    await sendAndWaitForClose(socket, Uint8Array.from([0xc1, 0x00]));
    // A string, not [0, msgid, method, params], with no msgid to answer.
    await sendAndWaitForClose(socket, encode('just a string'));
    const all = samples(await scrape(url));
    const delta = (kind: string): number => (sample(all, 'tspdk_rpc_errors_total', { kind }) ?? NaN) - (sample(before, 'tspdk_rpc_errors_total', { kind }) ?? NaN);
    assert.equal(delta('unreadable'), 1);
    assert.equal(delta('malformed'), 1);
    assert.equal(delta('internal'), 0);
  });

  it('are the metrics docs/observability.md lists, and the Grafana dashboard queries no other', async () => {
    const served = new Set([...(await scrape(url)).matchAll(/^# TYPE (tspdk_\w+) /gm)].map((match) => match[1] as string));
    // The primary's own, with --workers (test/observe/workers.slow.test.ts scrapes them).
    served.add('tspdk_workers').add('tspdk_worker_restarts_total');
    const documented = new Set([...readFileSync(join(root, 'docs', 'observability.md'), 'utf8').matchAll(/^\| `(tspdk_\w+)` \|/gm)].map((match) => match[1] as string));
    assert.deepEqual([...documented].sort(), [...served].sort());
    const dashboard = readFileSync(join(root, 'docs', 'grafana-dashboard.json'), 'utf8');
    const queried = new Set([...dashboard.matchAll(/(tspdk_\w+?)(?:_bucket|_sum|_count)?\{/g)].map((match) => match[1] as string));
    assert.ok(queried.size >= 10);
    for (const name of queried) assert.ok(served.has(name), `the dashboard queries ${name}, which is not served`);
  });
});

/** Connects to `path`, sends `bytes`, and resolves once the server closed the connection. */
function sendAndWaitForClose(path: string, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = connect(path, () => client.write(bytes));
    client.on('data', () => undefined);
    client.on('error', reject);
    client.on('close', () => resolve());
    client.setTimeout(5000, () => reject(new Error('the server kept a connection that sent bytes it cannot decode')));
  });
}
