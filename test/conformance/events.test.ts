/**
 * Conformance: events, Steps and PDK calls as Kong's host drives them
 * (docs/protocol.md §4.3–4.5 and §5; the checklist in docs/conformance.md).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PdkError } from '../../pdk/errors.ts';
import { LuaBytes } from '../../testing/host/lua-msgpack.ts';
import { captured, clearCaptured, probe, probeConfig } from '../fixtures/probe.ts';
import { startTestServer, waitFor, type TestServer } from '../support/server.ts';

describe('events', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer([probe]);
  });
  after(async () => server.close());
  beforeEach(() => clearCaptured());

  it('answers HandleEvent with {EventId, Data:{Method, Args}} and ends with "ret"', async () => {
    const host = server.host();
    const response = await host.request([probeConfig('hello')], { headers: { host: 'kong.test' } });
    assert.deepEqual(response.phases[0], ['probe:access', 'ret']);
    assert.deepEqual(response.headers.get('x-probe'), ['hello kong.test']);
    assert.deepEqual(
      response.request.calls.map(([, method, args]) => [method, args]),
      [
        ['kong.request.get_header', ['host']],
        ['kong.response.set_header', ['x-probe', 'hello kong.test']],
      ],
    );
    assert.equal(server.running.server.liveEvents, 0);
  });

  it('resumes an event with Data, and with undefined when Data is absent (unknown PDK method)', async () => {
    const host = server.host();
    // The probe calls kong.request.get_forwarded_prefix: this Kong has no such function.
    const response = await host.request([probeConfig('unknown-method')], { absent: ['kong.request.get_forwarded_prefix'] });
    assert.deepEqual(response.phases[0], ['probe:access', 'ret']);
    assert.deepEqual(captured, [undefined]);
    assert.ok(response.request.logs.some(([, text]) => text.includes('could not find pdk method')));
  });

  it('handles StepMultiMap: header multi-values and an empty result sent as a map', async () => {
    const host = server.host();
    await host.request([probeConfig('headers')], { headers: { host: 'h', accept: ['a', 'b'] } });
    await host.request([probeConfig('query')], { query: {} });
    await host.request([probeConfig('query')], { query: { flag: true, a: ['1', true], b: 'x' } });
    assert.deepEqual(captured, [{ host: ['h'], accept: ['a', 'b'] }, {}, { flag: [''], a: ['1', ''], b: ['x'] }]);
  });

  it('receives raw bodies as bytes from Kong 3.x (bin) and 2.x (str, even invalid UTF-8)', async () => {
    const body = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x80, 0x41]);
    await server.host({ version: '3.x' }).request([probeConfig('raw-body')], { body });
    await server.host({ version: '2.x' }).request([probeConfig('raw-body')], { body });
    await server.host({ version: '2.x' }).request([probeConfig('raw-body')], { body: 'plain text body' });
    assert.deepEqual(captured[0], body);
    assert.deepEqual(captured[1], body);
    assert.deepEqual(captured[2], new TextEncoder().encode('plain text body'));
  });

  it('reads values Kong stored in kong.ctx.shared, an empty Lua table arriving as an empty array', async () => {
    const host = server.host();
    const big = 'x'.repeat(100);
    const response = await host.request([probeConfig('shared')], {
      shared: { in: { s: 'short-but-over-31-bytes-long-string!', big, n: 2 ** 40, f: 1.5, neg: -5, nested: {}, bytes: new LuaBytes(Uint8Array.from([0xc3, 0x28])) } },
    });
    const seen = captured[0] as Record<string, unknown>;
    assert.equal(seen['s'], 'short-but-over-31-bytes-long-string!');
    assert.equal(seen['big'], big);
    assert.equal(seen['n'], 2 ** 40);
    assert.equal(seen['f'], 1.5);
    assert.equal(seen['neg'], -5);
    assert.deepEqual(seen['nested'], []);
    assert.deepEqual(seen['bytes'], Uint8Array.from([0xc3, 0x28]));
    assert.deepEqual(response.request.shared.get('out'), { from: 'probe', n: 1 });
  });

  it('rejects the pending PDK call with a PdkError on plugin.StepError (Kong 2.x)', async () => {
    await server.host({ version: '2.x' }).request([probeConfig('node-id')], { failures: { 'kong.node.get_id': 'could not get node id' } });
    await server.host({ version: '3.x' }).request([probeConfig('node-id')]);
    assert.ok(captured[0] instanceof PdkError);
    assert.equal(captured[0].code, 'PDK_CALL_FAILED');
    assert.equal(captured[0].method, 'kong.node.get_id');
    assert.match(captured[0].message, /could not get node id/);
    assert.equal(captured[1], '0b3f4d2e-3c1c-4e38-9f71-2f9bd6c1f0a1');
  });

  it('sends kong.response.exit without waiting, ends the handler and keeps no state', async () => {
    const host = server.host();
    const response = await host.request([probeConfig('exit')]);
    assert.equal(response.status, 403);
    assert.deepEqual(response.body, { message: 'go away' });
    assert.deepEqual(response.headers.get('x-exit'), ['yes']);
    assert.deepEqual(response.phases[0], ['probe:access', 'exit']);
    assert.deepEqual(captured, []);
    assert.equal(server.running.server.liveEvents, 0);
  });

  it('wraps a map argument inside the Args array and trims trailing nils', async () => {
    const host = server.host();
    const response = await host.request([probeConfig('error')]);
    assert.equal(response.status, 401);
    assert.deepEqual(response.request.calls.at(-1)?.slice(1), ['kong.response.error', [401]]);
    const exit = await host.request([probeConfig('exit')]);
    assert.deepEqual(exit.request.calls.at(-1)?.slice(1), ['kong.response.exit', [403, { message: 'go away' }, { 'x-exit': 'yes' }]]);
  });

  it('fails closed with a 500 and kong.log.err when access throws or rejects', async () => {
    const host = server.host();
    for (const mode of ['throw', 'reject', 'throw-sync'] as const) {
      const response = await host.request([probeConfig(mode)]);
      assert.equal(response.status, 500, mode);
      assert.deepEqual(response.phases[0], ['probe:access', 'exit'], mode);
      const errors = response.request.logs.filter(([level]) => level === 'err');
      assert.equal(errors.length, 1, mode);
      assert.match(errors[0]?.[1] ?? '', /plugin probe failed in access, request ends with 500: .*probe/);
    }
    assert.equal(server.running.server.liveEvents, 0);
  });

  it('queues concurrent PDK calls of one event and sends them one per step', async () => {
    const response = await server.host().request([probeConfig('concurrent')], { headers: { a: '1', b: '2', c: '3' } });
    assert.deepEqual(response.headers.get('x-abc'), ['123']);
  });

  it('lets a floating (not awaited) PDK call finish before answering "ret"', async () => {
    const response = await server.host().request([probeConfig('floating')]);
    assert.deepEqual(response.headers.get('x-floating'), ['yes']);
    assert.deepEqual(response.phases[0], ['probe:access', 'ret']);
    assert.equal(server.running.server.liveEvents, 0);
  });

  it('rejects an argument MessagePack cannot carry, naming the method, and the event goes on', async () => {
    const response = await server.host().request([probeConfig('bad-arg')]);
    assert.ok(captured[0] instanceof PdkError);
    assert.equal(captured[0].method, 'kong.response.set_header');
    assert.deepEqual(response.headers.get('x-after-bad-arg'), ['still here']);
  });

  it('rejects PDK calls made after the event ended', async () => {
    const response = await server.host().request([probeConfig('after-exit')]);
    assert.equal(response.status, 200);
    await waitFor(() => captured.length === 1);
    assert.ok(captured[0] instanceof PdkError);
    assert.equal(captured[0].code, 'PDK_EVENT_ENDED');
  });

  it('parses kong.log.serialize from the JSON string Kong sends, in the log phase', async () => {
    const response = await server.host().request([probeConfig('serialize')], { path: '/a/b' });
    assert.deepEqual(response.phases, [['probe:access', 'ret'], ['probe:log', 'ret']]);
    const log = captured[0] as { request: { uri: string }; response: { status: number } };
    assert.equal(log.request.uri, '/a/b');
    assert.equal(log.response.status, 200);
  });

  it('runs events concurrently across workers, with Steps arriving over different connections', async () => {
    // Any idle connection, as the stand-in's default: with OpenResty's order Steps of non-yielding calls never hop.
    const host = server.host({ workers: 4, shuffle: true, pool: 'random' });
    const requests = Array.from({ length: 200 }, (_, i) =>
      host.request([probeConfig('concurrent')], { headers: { a: `${i}`, b: '-', c: `${i}` } }),
    );
    const responses = await Promise.all(requests);
    responses.forEach((response, i) => assert.deepEqual(response.headers.get('x-abc'), [`${i}-${i}`]));
    assert.ok(host.maxHops > 1, 'some event moved between connections');
    assert.equal(server.running.server.liveEvents, 0);
  });
});
