/**
 * Conformance: event lifetime. Events end with "ret", with exit (no further
 * Step ever comes), when Kong abandons them, or when the plugin keeps Kong
 * waiting past the deadline; in every case the server forgets them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostConnection } from '../../testing/host/host-connection.ts';
import { probe, probeConfig, type ProbeMode } from '../fixtures/probe.ts';
import { startTestServer, waitFor, type TestServer } from '../support/server.ts';

const accessOnly = (mode: ProbeMode) => ({ ...probeConfig(mode), phases: ['access'] });

describe('event lifetime', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer([probe], { abandonAfterMs: 200, eventTimeoutMs: 300, sweepIntervalMs: 50 });
  });
  after(async () => server.close());

  it('keeps no event state after 100,000 events, a third ending in exit and a third making no PDK call', async () => {
    // Its own server with the default timeouts: on a loaded machine a Step can take longer than the short ones below.
    const own = await startTestServer([probe]);
    try {
      await drive(own);
    } finally {
      await own.close();
    }
  });

  async function drive(server: TestServer): Promise<void> {
    const host = server.host({ workers: 4, poolSize: 64 });
    const modes = [accessOnly('exit'), accessOnly('none'), accessOnly('hello')];
    const total = 100_000;
    const concurrency = 64;
    let next = 0;
    const counts = { exit: 0, none: 0, hello: 0 };
    const startedBefore = (server.running.server.status()['EventsStarted'] as number) ?? 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const plugin = modes[i % 3] as (typeof modes)[number];
          const response = await host.request([plugin], { headers: { host: 'h' } });
          if (plugin.config.mode === 'exit') {
            assert.equal(response.status, 403);
            counts.exit++;
          } else if (plugin.config.mode === 'none') {
            assert.equal(response.request.calls.length, 0);
            counts.none++;
          } else {
            assert.deepEqual(response.headers.get('x-probe'), ['hello h']);
            counts.hello++;
          }
        }
      }),
    );
    assert.equal(counts.exit + counts.none + counts.hello, total);
    assert.ok(counts.exit >= 33_333 && counts.none >= 33_333);
    assert.equal((server.running.server.status()['EventsStarted'] as number) - startedBefore, total);
    assert.equal(server.running.server.liveEvents, 0);
  }

  it('forgets an event Kong abandons after a host-side error (no Step ever comes)', async () => {
    const connection = await HostConnection.open(server.socket);
    const started = await connection.call(1, 'plugin.StartInstance', { Name: 'probe', Config: '{"mode":"hello"}' });
    const id = (started.result as { Id: number }).Id;
    const event = await connection.call(2, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.equal((event.result as { Data: { Method: string } }).Data.Method, 'kong.request.get_header');
    assert.equal(server.running.server.liveEvents, 1);
    await waitFor(() => server.running.server.liveEvents === 0, 2000, 'the abandoned event to be forgotten');
    const late = await connection.call(3, 'plugin.Step', { EventId: (event.result as { EventId: number }).EventId, Data: 'h' });
    assert.match(String(late.error), /no running event/);
    connection.close();
  });

  it('fails an event that keeps Kong waiting past the deadline: log, then 500, then forgotten', async () => {
    const response = await server.host().request([accessOnly('never')]);
    assert.equal(response.status, 500);
    assert.ok(response.request.logs.some(([level, text]) => level === 'err' && /did not answer within 300 ms/.test(text)));
    assert.equal(server.running.server.liveEvents, 0);
  });

  it('forgets an event whose connection closed while Kong waited for it', async () => {
    const connection = await HostConnection.open(server.socket);
    const started = await connection.call(1, 'plugin.StartInstance', { Name: 'probe', Config: '{"mode":"slow","delay":30}' });
    const id = (started.result as { Id: number }).Id;
    void connection.call(2, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' }).catch(() => undefined);
    await waitFor(() => server.running.server.liveEvents === 1, 1000, 'the event to start');
    connection.close();
    await waitFor(() => server.running.server.liveEvents === 0, 2000, 'the event to be forgotten');
  });

  it('answers a Step for an unknown event with a clear error that does not reset instances', async () => {
    const connection = await HostConnection.open(server.socket);
    const reply = await connection.call(1, 'plugin.Step', { EventId: 424242, Data: 'x' });
    assert.equal(reply.error, 'no running event 424242');
    assert.doesNotMatch(String(reply.error).toLowerCase(), /no plugin instance/);
    connection.close();
  });
});
