/**
 * Conformance: instances (docs/protocol.md §3.3, §4.1–4.2, §5.1 and docs/conformance.md).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { IdSource } from '../../server/rpc/ids.ts';
import { HostConnection } from '../../testing/host/host-connection.ts';
import { clearCaptured, probe, probeConfig } from '../fixtures/probe.ts';
import { sleep, startTestServer, type TestServer } from '../support/server.ts';
import { startServer } from '../../server/start.ts';
import { silentLogger } from '../../server/process/logger.ts';

async function call(server: TestServer, method: string, arg: unknown) {
  const connection = await HostConnection.open(server.socket);
  try {
    return await connection.call(1, method, arg);
  } finally {
    connection.close();
  }
}

describe('instances', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer([probe]);
  });
  after(async () => server.close());
  beforeEach(() => clearCaptured());

  it('starts an instance with an Id and its config, without Kong meta keys', async () => {
    const config = {
      mode: 'hello',
      __seq__: 3,
      __key__: 'plugins:probe::::',
      __plugin_id: 'b6b3c1c6-7a1f-4b8e-8f1e-6d1f5c2b3a4d',
      __ws_id: 'e2a4c1c6-7a1f-4b8e-8f1e-6d1f5c2b3a4d',
      route_id: 'r',
      service_id: 's',
      consumer_id: 'c',
      plugin_instance_name: null,
    };
    const reply = await call(server, 'plugin.StartInstance', { Name: 'probe', Config: JSON.stringify(config) });
    assert.equal(reply.error, null);
    const result = reply.result as { Id: unknown; Config: Record<string, unknown>; Name: string };
    assert.equal(typeof result.Id, 'number');
    assert.equal(result.Name, 'probe');
    assert.deepEqual(result.Config, { mode: 'hello', delay: 0 });
  });

  it('never fails StartInstance for a bad config; its events fail closed and say why', async () => {
    for (const Config of ['not json', JSON.stringify({ mode: 42 }), JSON.stringify([1])]) {
      const reply = await call(server, 'plugin.StartInstance', { Name: 'probe', Config });
      assert.equal(reply.error, null, Config);
      assert.notEqual((reply.result as { Id: unknown }).Id, undefined);
    }
    const response = await server.host().request([{ name: 'probe', config: { mode: 42 }, phases: ['access'], key: 'bad' }]);
    assert.equal(response.status, 500);
    assert.ok(response.request.logs.some(([level, text]) => level === 'err' && /invalid config: config.mode/.test(text)));
  });

  it('fails StartInstance with a clear error only for a plugin it does not serve', async () => {
    const reply = await call(server, 'plugin.StartInstance', { Name: 'other', Config: '{}' });
    assert.match(String(reply.error), /no plugin named "other"/);
  });

  it('gives each StartInstance of the same config its own working instance', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      const reply = await call(server, 'plugin.StartInstance', { Name: 'probe', Config: '{"mode":"none"}' });
      ids.add((reply.result as { Id: unknown }).Id);
    }
    assert.equal(ids.size, 5);
    for (const id of ids) {
      const event = await call(server, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
      assert.equal(event.error, null);
      assert.equal((event.result as { Data: unknown }).Data, 'ret');
    }
  });

  it('answers "No plugin instance <id>" for an unknown id and another error for a missing id', async () => {
    const unknown = await call(server, 'plugin.HandleEvent', { InstanceId: 12345, EventName: 'access' });
    assert.equal(unknown.error, 'No plugin instance 12345');
    const missing = await call(server, 'plugin.HandleEvent', { EventName: 'access' });
    assert.equal(typeof missing.error, 'string');
    assert.doesNotMatch(String(missing.error).toLowerCase(), /no plugin instance/);
  });

  it('refuses events for phases external plugins cannot have, and for phases the plugin lacks', async () => {
    const started = await call(server, 'plugin.StartInstance', { Name: 'probe', Config: '{"mode":"none"}' });
    const id = (started.result as { Id: number }).Id;
    for (const phase of ['body_filter', 'header_filter', 'init_worker', 'configure']) {
      const reply = await call(server, 'plugin.HandleEvent', { InstanceId: id, EventName: phase });
      assert.equal(reply.error, `plugin.HandleEvent: unknown phase "${phase}"`);
    }
    const response = await server.host().request([{ name: 'probe', config: { mode: 'none' }, phases: ['rewrite'], key: 'rewrite' }]);
    assert.equal(response.status, 500);
    assert.ok(response.request.logs.some(([, text]) => /has no rewrite phase/.test(text)));
  });

  it('closes an instance but lets its running events finish', async () => {
    const started = await call(server, 'plugin.StartInstance', { Name: 'probe', Config: '{"mode":"slow","delay":50}' });
    const id = (started.result as { Id: number }).Id;
    const connection = await HostConnection.open(server.socket);
    const event = connection.call(1, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
    await sleep(5);
    const closed = await call(server, 'plugin.CloseInstance', id);
    assert.equal(closed.error, null);
    const step = await event;
    assert.deepEqual((step.result as { Data: unknown }).Data, { Method: 'kong.response.set_header', Args: ['x-slow', 'done'] });
    const done = await connection.call(2, 'plugin.Step', { EventId: (step.result as { EventId: number }).EventId });
    assert.equal((done.result as { Data: unknown }).Data, 'ret');
    const after = await call(server, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.equal(after.error, `No plugin instance ${id}`);
    connection.close();
  });

  it('reports instances through GetStatus and InstanceStatus', async () => {
    const started = await call(server, 'plugin.StartInstance', { Name: 'probe', Config: '{"mode":"none"}' });
    const id = (started.result as { Id: number }).Id;
    const status = (await call(server, 'plugin.GetStatus', null)).result as { Instances: Array<{ Id: number }>; Plugins: string[] };
    assert.ok(status.Instances.some((instance) => instance.Id === id));
    assert.deepEqual(status.Plugins, ['probe']);
    const one = (await call(server, 'plugin.InstanceStatus', id)).result as { Id: number };
    assert.equal(one.Id, id);
    const info = (await call(server, 'plugin.GetPluginInfo', 'probe')).result as { Name: string };
    assert.equal(info.Name, 'probe');
  });

  it('starts ids at a random point, never at 0, and never repeats one', () => {
    const starts = Array.from({ length: 20 }, () => new IdSource().next());
    assert.equal(new Set(starts).size, 20);
    for (const start of starts) assert.ok(start > 0 && start < 2 ** 46);
    const source = new IdSource(2 ** 46 - 2);
    const seen = new Set([source.next(), source.next(), source.next()]);
    assert.equal(seen.size, 3);
  });

  it('recovers after a server restart through "No plugin instance", with fresh ids', async () => {
    const first = await startTestServer([probe]);
    const host = first.host({ workers: 1, poolSize: 4 });
    await host.request([probeConfig('hello')]);
    const startedBefore = host.instancesStarted;
    await first.running.stop();
    const second = await startServer({ logger: silentLogger(), plugins: [probe], sockets: [first.socket], announcePid: false });
    await sleep(20); // the host notices its pooled connections were closed
    try {
      const response = await host.request([probeConfig('hello')]);
      assert.deepEqual(response.errors, []);
      assert.deepEqual(response.headers.get('x-probe'), ['hello example.com']);
      assert.equal(host.instancesStarted, startedBefore + 1);
      assert.ok(host.resets >= 1);
    } finally {
      host.close();
      await second.stop();
      await first.close().catch(() => undefined);
    }
  });

  it('resets instances at once when a new serverPid arrives on a new connection', async () => {
    const first = await startTestServer([probe], { pid: 1111 });
    const host = first.host({ workers: 1, poolSize: 0 });
    await host.request([probeConfig('hello')]);
    await first.running.stop();
    const second = await startServer({ logger: silentLogger(), plugins: [probe], sockets: [first.socket], pid: 2222 });
    try {
      const resetsBefore = host.resets;
      const response = await host.request([probeConfig('hello')]);
      assert.deepEqual(response.headers.get('x-probe'), ['hello example.com']);
      assert.ok(host.resets > resetsBefore);
    } finally {
      host.close();
      await second.stop();
      await first.close().catch(() => undefined);
    }
  });
});
