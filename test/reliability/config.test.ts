/**
 * Reliability: hostile plugin configs (issue 7). Kong sends the config as
 * JSON text in StartInstance; keys such as `__proto__` and
 * `constructor.prototype`, wrong types and unknown meta keys must never
 * pollute a prototype, never fail StartInstance and never crash an instance:
 * the instance either runs with what is valid or fails its events closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostConnection } from '../../testing/host/host-connection.ts';
import { startTestServer, waitFor, type TestServer } from '../support/server.ts';
import rely from './fixtures/rely.ts';

const HOSTILE: ReadonlyArray<[string, string]> = [
  ['__proto__ at the top', '{"__proto__":{"polluted":"yes","mode":"throw"},"mode":"echo","tag":"a"}'],
  ['__proto__ in a record', '{"mode":"echo","tag":"b","nested":{"__proto__":{"polluted":"yes"},"label":"l"}}'],
  ['constructor.prototype', '{"constructor":{"prototype":{"polluted":"yes"}},"mode":"echo","tag":"c"}'],
  ['prototype', '{"prototype":{"polluted":"yes"},"mode":"echo","tag":"d"}'],
  ['Object methods as keys', '{"toString":"x","hasOwnProperty":1,"valueOf":null,"then":"x","mode":"echo","tag":"e"}'],
  ['__proto__ escaped', '{"\\u005f_proto__":{"polluted":"yes"},"mode":"echo","tag":"f"}'],
  ['duplicate keys', '{"mode":"throw","mode":"echo","tag":"g"}'],
  [
    'every Kong meta key, and unknown ones',
    JSON.stringify({
      mode: 'echo',
      tag: 'h',
      __key__: 'plugins:rely::::',
      __seq__: 9,
      __plugin_id: '6d6c1bd2-6a8f-4d3e-9c8e-1f2a3b4c5d6e',
      __ws_id: '0f0f0f0f-6a8f-4d3e-9c8e-1f2a3b4c5d6e',
      route_id: null,
      service_id: 'svc',
      consumer_id: null,
      plugin_instance_name: null,
      __future_meta__: { a: [1, 2] },
      unexpected: 'ignored',
    }),
  ],
];

const WRONG_TYPES: readonly string[] = [
  '{"mode":42}',
  '{"mode":"echo","tag":["x"]}',
  '{"mode":"echo","delay":"soon"}',
  '{"mode":"echo","delay":1.5}',
  '{"mode":"echo","nested":"not a record"}',
  '{"mode":"echo","nested":{"password":7}}',
  '{"mode":"echo","token":{"vault":"x"}}',
  '[1,2,3]',
  '"a string"',
  'null',
  '12',
  '',
  'not json at all',
  `${'['.repeat(100_000)}`,
  `{"mode":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`,
];

describe('hostile configs', () => {
  let server: TestServer;
  let connection: HostConnection;
  let msgid = 0;
  before(async () => {
    server = await startTestServer([rely]);
    connection = await HostConnection.open(server.socket);
  });
  after(async () => {
    connection.close();
    await server.close();
  });

  const start = async (config: unknown) => {
    const reply = await connection.call(++msgid, 'plugin.StartInstance', { Name: 'rely', Config: config });
    assert.equal(reply.error, null, `StartInstance never fails: ${String(reply.error)}`);
    return (reply.result as { Id: number }).Id;
  };

  /** Runs an access event to its end, answering PDK calls with nothing; returns the methods called. */
  const run = async (id: number) => {
    const calls: string[] = [];
    let reply = await connection.call(++msgid, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
    for (;;) {
      assert.equal(reply.error, null);
      const result = reply.result as { EventId: number; Data: 'ret' | { Method: string; Args: unknown[] } };
      if (result.Data === 'ret') return calls;
      calls.push(`${result.Data.Method}(${JSON.stringify(result.Data.Args)})`);
      if (result.Data.Method === 'kong.response.error' || result.Data.Method === 'kong.response.exit') return calls;
      reply = await connection.call(++msgid, 'plugin.Step', { EventId: result.EventId });
    }
  };

  const prototypes = [Object.prototype, Array.prototype, Function.prototype, rely.pluginClass.prototype as object];
  const snapshot = () => prototypes.map((p) => Object.getOwnPropertyNames(p).sort().join(','));

  for (const [what, json] of HOSTILE) {
    it(`ignores ${what} without polluting any prototype`, async () => {
      const before = snapshot();
      const id = await start(json);
      const calls = await run(id);
      assert.deepEqual(snapshot(), before);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
      assert.equal((Object.create(rely.pluginClass.prototype as object) as Record<string, unknown>)['polluted'], undefined);
      const tag = JSON.parse(json) as { tag: string };
      assert.deepEqual(calls, [`kong.response.set_header(["x-echo-tag","${tag.tag}"])`]);
    });
  }

  it('starts an instance for every wrong-typed config and fails its events closed, without crashing', { timeout: 30_000 }, async () => {
    const before = snapshot();
    for (const json of WRONG_TYPES) {
      const id = await start(json);
      const calls = await run(id);
      assert.equal(calls.length, 2, `${json.slice(0, 40)}: ${calls.join(' ')}`);
      assert.match(calls[0] as string, /^kong\.log\.err\(\["\[tspdk\] plugin rely failed in access, request ends with 500: invalid config/);
      assert.equal(calls[1], 'kong.response.error([500])');
    }
    for (const config of [undefined, null, 42, { mode: 'echo' }, ['{}']]) {
      const id = await start(config);
      assert.equal((await run(id)).at(-1), 'kong.response.error([500])');
    }
    assert.deepEqual(snapshot(), before);
    await waitFor(() => server.running.server.liveEvents === 0, 5000, 'no events left');
  });

  it('never quotes config text in the error it reports for a config that is not JSON', async () => {
    const id = await start('{"token":"s3cr3t-value",');
    const calls = await run(id);
    assert.doesNotMatch(calls.join(' '), /s3cr3t/);
    assert.match(calls[0] as string, /not valid JSON/);
  });
});
