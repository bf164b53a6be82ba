/**
 * Reliability: faults in plugins and in Kong (issue 7). Plugins that throw,
 * reject, never settle or block the event loop fail closed and leave no
 * state; one slow plugin does not hold up the events of others beyond its
 * own blocking; Kong closing connections mid-event, dropping idle pooled
 * connections and restarting (new msgids, Steps for events the server never
 * saw) are all survived. faults.slow.test.ts runs the slow-await check longer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostConnection } from '../../testing/host/host-connection.ts';
import { KongHost } from '../../testing/host/kong-host.ts';
import { sleep, startTestServer, waitFor, type TestServer } from '../support/server.ts';
import rely from './fixtures/rely.ts';
import { Prng } from './prng.ts';
import { checkSlowAwait } from './slow-await.ts';

const entity = (mode: string, extra: Record<string, unknown> = {}, key = `${mode}:${JSON.stringify(extra)}`) => ({
  name: 'rely',
  config: { mode, ...extra },
  phases: ['access'],
  key,
});

describe('faults', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer([rely], { eventTimeoutMs: 1000, abandonAfterMs: 400, sweepIntervalMs: 50 });
  });
  after(async () => server.close());

  for (const mode of ['throw', 'reject', 'never']) {
    it(`fails closed when the plugin ${mode === 'never' ? 'never settles' : `${mode}s`}: 500, kong.log.err, no state left`, async () => {
      const host = server.host();
      const responses = await Promise.all(Array.from({ length: 20 }, () => host.request([entity(mode)])));
      for (const response of responses) {
        assert.equal(response.status, 500);
        assert.ok(response.request.logs.some(([level, text]) => level === 'err' && text.includes('plugin rely failed in access')));
      }
      await waitFor(() => server.running.server.liveEvents === 0, 5000, 'no events left');
    });
  }

  it('blocks other events only while a plugin blocks the event loop', { timeout: 60_000 }, async () => {
    const host = server.host({ workers: 4 });
    const blocking = host.request([entity('busy', { delay: 400, tag: 'busy' })], {}, 0);
    await sleep(0);
    const started = Date.now();
    const fast = await Promise.all(Array.from({ length: 40 }, (_, i) => host.request([entity('echo', { tag: `f${i}` }, `echo${i}`)], {}, 1 + (i % 3))));
    const took = Date.now() - started;
    for (const [i, response] of fast.entries()) assert.deepEqual(response.headers.get('x-echo-tag'), [`f${i}`]);
    assert.deepEqual((await blocking).headers.get('x-echo-tag'), ['busy']);
    // 400 ms of blocking plus generous room for a loaded machine.
    assert.ok(took < 400 + 8000, `fast requests took ${took} ms`);
  });

  it('does not hold up other events while a plugin awaits something slow', { timeout: 60_000 }, () => checkSlowAwait(1500, 2));

  it('goes on when Kong closes the connection of a running event: the next Step may come on another connection', async () => {
    const a = await HostConnection.open(server.socket);
    const started = await a.call(1, 'plugin.StartInstance', { Name: 'rely', Config: '{"mode":"secrets","tag":"x"}' });
    const id = (started.result as { Id: number }).Id;
    const event = await a.call(2, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
    const eventId = (event.result as { EventId: number }).EventId;
    a.close();
    const b = await HostConnection.open(server.socket);
    const step = await b.call(1, 'plugin.Step', { EventId: eventId, Data: 'Bearer abc' });
    assert.equal(step.error, null);
    assert.equal((step.result as { Data: { Method: string } }).Data.Method, 'kong.request.get_headers');
    b.close();
    await waitFor(() => server.running.server.liveEvents === 0, 5000, 'the abandoned event to be forgotten');
  });

  it('forgets every event when Kong drops connections at random points of 300 events', { timeout: 60_000 }, async () => {
    const rng = new Prng(42);
    const base = server.running.connections;
    const connection = await HostConnection.open(server.socket);
    const started = await connection.call(1, 'plugin.StartInstance', { Name: 'rely', Config: '{"mode":"secrets","tag":"x"}' });
    const id = (started.result as { Id: number }).Id;
    connection.close();
    await Promise.all(
      Array.from({ length: 300 }, async () => {
        const c = await HostConnection.open(server.socket);
        const plan = rng.int(4);
        if (plan === 0) {
          // closed while the server holds Kong's HandleEvent
          void c.call(1, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' }).catch(() => undefined);
          c.close();
          return;
        }
        const event = await c.call(1, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
        const eventId = (event.result as { EventId: number }).EventId;
        if (plan === 1) {
          // closed while the event waits for a Step that will never come
          c.close();
          return;
        }
        // a Step in flight, then closed, maybe mid-message
        if (plan === 2) c.writeRaw(Uint8Array.of(0x94, 0x00, 0x02, 0xab));
        else void c.call(2, 'plugin.Step', { EventId: eventId, Data: 'Bearer t' }).catch(() => undefined);
        await sleep(rng.int(3));
        c.close();
      }),
    );
    await waitFor(() => server.running.server.liveEvents === 0, 10_000, 'every event to be forgotten');
    await waitFor(() => server.running.connections === base, 5000, 'every connection to close');
    const response = await server.host().request([entity('echo', { tag: 'still' })]);
    assert.deepEqual(response.headers.get('x-echo-tag'), ['still']);
  });

  it('serves on after Kong drops its idle pooled connections without notice', async () => {
    const base = server.running.connections;
    const host = server.host({ workers: 2, poolSize: 16 });
    await Promise.all(Array.from({ length: 32 }, (_, i) => host.request([entity('echo', { tag: `a${i}` })])));
    host.close();
    assert.ok(server.running.connections > base);
    await waitFor(() => server.running.connections === base, 5000, 'the server to drop the connections');
    const response = await host.request([entity('echo', { tag: 'b' })]);
    assert.deepEqual(response.headers.get('x-echo-tag'), ['b']);
    for (const connection of host.connections) assert.deepEqual(connection.unsolicited, []);
  });

  it('survives Kong restarting: msgids from 1 again, old instances reused, Steps for unknown events refused clearly', async () => {
    const before = server.host({ workers: 2 });
    const first = await before.request([entity('echo', { tag: 'one' }, 'restart')], {}, 0);
    assert.deepEqual(first.headers.get('x-echo-tag'), ['one']);
    // An event of the old Kong is left waiting for a Step that will never come.
    const started = await before.call('plugin.StartInstance', { Name: 'rely', Config: '{"mode":"secrets"}' }, 0);
    const event = await before.call('plugin.HandleEvent', { InstanceId: (started.result as { Id: number }).Id, EventName: 'access' }, 0);
    const oldEvent = (event.result as { EventId: number }).EventId;
    before.close();
    const restarted = new KongHost({ socket: server.socket, workers: 2 });
    const again = await restarted.request([entity('echo', { tag: 'two' }, 'restart')], {}, 0);
    assert.deepEqual(again.headers.get('x-echo-tag'), ['two']);
    const unknown = await restarted.call('plugin.Step', { EventId: oldEvent + 1_000_000, Data: 'x' });
    assert.match(String(unknown.error), /^no running event \d+$/);
    assert.doesNotMatch(String(unknown.error).toLowerCase(), /no plugin instance/);
    await waitFor(() => server.running.server.liveEvents === 0, 5000, 'the old event to be abandoned');
    const late = await restarted.call('plugin.Step', { EventId: oldEvent, Data: 'x' });
    assert.equal(late.error, `no running event ${oldEvent}`);
    restarted.close();
  });
});
