/**
 * Conformance: event lifetime. Events end with "ret", with exit (no further
 * Step ever comes), when Kong abandons them, or when the plugin keeps Kong
 * waiting past the deadline; in every case the server forgets them.
 * lifetime.slow.test.ts runs the many-events check with 100,000 events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostConnection } from '../../testing/host/host-connection.ts';
import { probe } from '../fixtures/probe.ts';
import { startTestServer, waitFor, type TestServer } from '../support/server.ts';
import { accessOnly, driveEvents } from './many-events.ts';

describe('event lifetime', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer([probe], { abandonAfterMs: 200, eventTimeoutMs: 300, sweepIntervalMs: 50 });
  });
  after(async () => server.close());

  it('keeps no event state after 5,000 events, a third ending in exit and a third making no PDK call', async () => {
    // Its own server with the default timeouts: on a loaded machine a Step can take longer than the short ones below.
    const own = await startTestServer([probe]);
    try {
      await driveEvents(own, 5000);
    } finally {
      await own.close();
    }
  });

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
