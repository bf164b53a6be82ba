/**
 * Reliability: load (issue 7). 1,000 concurrent connections from Kong and
 * 10,000 events in flight at once: 9,000 parked waiting for Kong's Step
 * (they hold no connection, as in Kong) and 1,000 in a slow plugin that
 * keeps its connection busy. Every event then finishes and no state remains.
 *
 * load.slow.test.ts runs it with 1,000 connections (`npm run test:full`),
 * load.test.ts with 100 (`npm test`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostConnection, type CallResult } from '../../testing/host/host-connection.ts';
import { startTestServer, waitFor, type TestServer } from '../support/server.ts';
import rely from './fixtures/rely.ts';

const PARKED_PER_CONNECTION = 9;

type StepOut = { EventId: number; Data: 'ret' | { Method: string } };

/** The load suite with `CONNECTIONS` connections from Kong, 10 events in flight on each. */
export function describeLoad(CONNECTIONS: number): void {
  describe('load', () => {
    let server: TestServer;
    const connections: HostConnection[] = [];
    before(async () => {
      server = await startTestServer([rely]);
    });
    after(async () => {
      for (const connection of connections) connection.close();
      await server.close();
    });

    it(`holds ${CONNECTIONS} connections and ${CONNECTIONS * (PARKED_PER_CONNECTION + 1)} events in flight, then finishes them all`, { timeout: 120_000 }, async (t) => {
      for (let i = 0; i < CONNECTIONS; i += 100) {
        connections.push(...(await Promise.all(Array.from({ length: 100 }, () => HostConnection.open(server.socket)))));
      }
      await waitFor(() => server.running.connections === CONNECTIONS, 10_000, 'every connection to be accepted');
      const first = connections[0] as HostConnection;
      const start = async (msgid: number, config: Record<string, unknown>) =>
        ((await first.call(msgid, 'plugin.StartInstance', { Name: 'rely', Config: JSON.stringify(config) })).result as { Id: number }).Id;
      const parkedInstance = await start(1, { mode: 'busy', delay: 0, tag: 'parked' });
      const slowInstance = await start(2, { mode: 'slow', delay: 2000, tag: 'slow' });

      // 9 events per connection that made a PDK call and wait for Kong's answer.
      const parked: number[] = [];
      await Promise.all(
        connections.map(async (connection) => {
          for (let i = 0; i < PARKED_PER_CONNECTION; i++) {
            const reply = await connection.call(10 + i, 'plugin.HandleEvent', { InstanceId: parkedInstance, EventName: 'access' });
            const out = reply.result as StepOut;
            assert.deepEqual(out.Data, { Method: 'kong.request.get_header', Args: ['host'] });
            parked.push(out.EventId);
          }
        }),
      );
      // An event in a slow plugin on each connection, Kong waiting on each.
      const slow = connections.map((connection) => connection.call(100, 'plugin.HandleEvent', { InstanceId: slowInstance, EventName: 'access' }));
      await waitFor(() => server.running.server.liveEvents === CONNECTIONS * (PARKED_PER_CONNECTION + 1), 10_000, 'every event in flight');
      const peak = server.running.server.liveEvents;
      const rss = Math.round(process.memoryUsage().rss / 1048576);

      // Finish everything.
      const drive = async (connection: HostConnection, reply: CallResult, msgid: number) => {
        for (;;) {
          assert.equal(reply.error, null);
          const out = reply.result as StepOut;
          if (out.Data === 'ret') return;
          reply = await connection.call(++msgid, 'plugin.Step', { EventId: out.EventId, Data: out.Data.Method === 'kong.request.get_header' ? 'h' : undefined });
        }
      };
      await Promise.all(connections.map(async (connection, i) => drive(connection, await (slow[i] as Promise<CallResult>), 200)));
      await Promise.all(
        connections.map(async (connection, i) => {
          for (let k = 0; k < PARKED_PER_CONNECTION; k++) {
            const eventId = parked[i * PARKED_PER_CONNECTION + k] as number;
            const reply = await connection.call(1000 + k * 10, 'plugin.Step', { EventId: eventId, Data: 'h' });
            await drive(connection, reply, 1000 + k * 10);
          }
        }),
      );
      t.diagnostic(`connections: ${server.running.connections}; events in flight at peak: ${peak}; test process RSS then: ${rss} MiB`);
      assert.equal(server.running.server.liveEvents, 0);
      assert.equal(server.running.connections, CONNECTIONS);
      for (const connection of connections) assert.deepEqual(connection.unsolicited, []);
    });
  });
}
