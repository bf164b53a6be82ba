/**
 * The rate-limit example, with the test kit and over the wire, with its
 * counters in the in-process shared store (one worker) or behind a
 * transport standing in for the primary (several workers).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { shared, SharedStoreError } from 'tspdk/shared';
import { checkConfig, PluginInstance, runPlugin, startPluginServer, type WireServer } from 'tspdk/testing';
import rateLimit, { RateLimit } from '../../examples/rate-limit.ts';
import { SharedStore, type SharedRequest, type SharedResult } from '../../server/shared/store.ts';
import { resetSharedTransport, setSharedTransport } from '../../server/shared/transport.ts';

const T0 = 1_700_000_080_000; // 40 s into a minute
const MINUTE = 1_700_000_040_000; // its start

describe('rate-limit example', () => {
  beforeEach(() => resetSharedTransport());
  afterEach(() => resetSharedTransport());

  it('counts per client IP, sends the standard headers, then answers 429 with Retry-After', async () => {
    const plugin = new PluginInstance(RateLimit, { limit: 2, limit_by: 'ip' });
    const world = { startedAt: T0 };
    const first = await plugin.run({ clientIp: '10.0.0.1' }, world);
    assert.equal(first.response.status, 200);
    assert.equal(first.response.header('RateLimit-Limit'), '2');
    assert.equal(first.response.header('RateLimit-Remaining'), '1');
    assert.equal(first.response.header('RateLimit-Reset'), '20');
    assert.equal(first.response.header('X-RateLimit-Remaining'), '1');
    assert.equal((await plugin.run({ clientIp: '10.0.0.1' }, world)).response.header('RateLimit-Remaining'), '0');

    const third = await plugin.run({ clientIp: '10.0.0.1', headers: { accept: 'text/plain' } }, world);
    assert.equal(third.response.status, 429);
    assert.equal(third.response.source, 'error');
    assert.equal(third.response.text, `API rate limit exceeded\nrequest_id: ${third.state.requestId}\n`);
    assert.equal(third.response.header('content-type'), 'text/plain; charset=utf-8');
    assert.equal(third.response.header('Retry-After'), '20');
    assert.equal(third.serviceRequest, undefined);

    const other = await plugin.run({ clientIp: '10.0.0.2' }, world);
    assert.equal(other.response.status, 200, 'another IP has its own counter');
    const nextWindow = await plugin.run({ clientIp: '10.0.0.1' }, { startedAt: T0 + 20_000 });
    assert.equal(nextWindow.response.status, 200, 'a new window starts afresh');
  });

  it('counts per consumer, shared by every instance', async () => {
    const consumer = { id: 'c-1', username: 'bob', created_at: 1 };
    const world = { startedAt: T0, consumer };
    const a = await runPlugin(RateLimit, { limit: 1 }, { clientIp: '10.0.0.1' }, world);
    assert.equal(a.response.status, 200);
    const b = await runPlugin(RateLimit, { limit: 1, hide_client_headers: true }, { clientIp: '10.0.0.9' }, world);
    assert.equal(b.response.status, 429, 'same consumer from another IP and another instance');
    assert.deepEqual(b.response.json(), { message: 'API rate limit exceeded', request_id: b.state.requestId });
    assert.equal(b.response.header('RateLimit-Limit'), undefined);
  });

  it('counts in the shared store, one counter per window that expires with it', async () => {
    const primary = new SharedStore();
    const requests: SharedRequest[] = [];
    setSharedTransport((request) => {
      requests.push(request);
      return Promise.resolve(JSON.parse(JSON.stringify(primary.apply(request, Date.now()))) as SharedResult);
    });
    // Two instances stand for two workers: each has its own memory, they share the primary's store.
    const workerA = new PluginInstance(RateLimit, { limit: 2, limit_by: 'ip' });
    const workerB = new PluginInstance(RateLimit, { limit: 2, limit_by: 'ip' });
    const world = { startedAt: T0 };
    assert.equal((await workerA.run({ clientIp: '10.0.0.1' }, world)).response.header('RateLimit-Remaining'), '1');
    assert.equal((await workerB.run({ clientIp: '10.0.0.1' }, world)).response.header('RateLimit-Remaining'), '0');
    assert.equal((await workerA.run({ clientIp: '10.0.0.1' }, world)).response.status, 429);
    const consumer = { id: 'c-1', username: 'bob', created_at: 1 };
    await runPlugin(RateLimit, { limit: 5, window_seconds: 3600 }, {}, { startedAt: T0, consumer });
    const key = `rate-limit-ts:ip:10.0.0.1:60:${MINUTE}`;
    assert.deepEqual(requests, [
      { op: 'incr', key, by: 1, ttlMs: 60_000 },
      { op: 'incr', key, by: 1, ttlMs: 60_000 },
      { op: 'incr', key, by: 1, ttlMs: 60_000 },
      { op: 'incr', key: `rate-limit-ts:consumer:c-1:3600:${T0 - (T0 % 3_600_000)}`, by: 1, ttlMs: 3_600_000 },
    ]);
    assert.deepEqual(primary.apply({ op: 'get', key }, Date.now()), { ok: true, value: 3 });
    assert.equal(primary.size, 2);
  });

  it('lets requests through uncounted, and logs why, when the store is unavailable or full (fault_tolerant)', async () => {
    const failures: Array<[string, () => Promise<SharedResult>]> = [
      ['the shared store is unavailable: channel closed', () => Promise.reject(new Error('channel closed'))],
      ['the shared store is full', () => Promise.resolve({ ok: false, code: 'SHARED_FULL', message: 'the shared store is full (9 keys)' })],
    ];
    for (const [reason, transport] of failures) {
      setSharedTransport(transport);
      const run = await runPlugin(RateLimit, { limit: 1, limit_by: 'ip' }, { clientIp: '10.0.0.1' }, { startedAt: T0 });
      assert.equal(run.response.status, 200);
      assert.notEqual(run.serviceRequest, undefined, 'the request reached the Service');
      assert.equal(run.response.header('RateLimit-Limit'), undefined, 'no headers without a count');
      const line = run.logs.find((entry) => entry.level === 'err');
      assert.ok(line?.message.startsWith(`rate-limit-ts: request not counted: shared.incr: ${reason}`), line?.message);
      assert.deepEqual(run.errors, []);
    }
  });

  it('fails the request when the store is unavailable and fault_tolerant is off', async () => {
    setSharedTransport(() => Promise.reject(new Error('channel closed')));
    const run = await runPlugin(RateLimit, { limit: 1, limit_by: 'ip', fault_tolerant: false }, { clientIp: '10.0.0.1' }, { startedAt: T0 });
    assert.equal(run.response.status, 500);
    assert.equal(run.serviceRequest, undefined);
    assert.ok(run.errors[0] instanceof SharedStoreError);
    assert.equal(run.errors[0].code, 'SHARED_UNAVAILABLE');
  });

  it('does not hide other errors behind fault_tolerant', async () => {
    await shared.set(`rate-limit-ts:ip:10.0.0.1:60:${MINUTE}`, 'not a counter');
    const run = await runPlugin(RateLimit, { limit: 1, limit_by: 'ip' }, { clientIp: '10.0.0.1' }, { startedAt: T0 });
    assert.equal(run.response.status, 500);
    assert.ok(run.errors[0] instanceof SharedStoreError);
    assert.equal(run.errors[0].code, 'SHARED_NOT_A_NUMBER');
  });

  it('refuses a limit out of range', async () => {
    await assert.rejects(runPlugin(RateLimit, { limit: 0 }), /config.limit: value should be between 1 and 1000000000/);
    assert.deepEqual(checkConfig(RateLimit, { limit: 5, limit_by: 'route' }).errors, ['config.limit_by: expected one of: consumer, ip']);
  });

  describe('over the wire', () => {
    let server: WireServer;
    before(async () => {
      server = await startPluginServer([rateLimit]);
    });
    after(() => server.close());

    it('limits through the real plugin server', async () => {
      const config = { limit: 1, limit_by: 'ip' };
      const ok = await server.request(rateLimit, config, { clientIp: '10.1.1.1' }, { startedAt: T0 });
      assert.equal(ok.response.status, 200);
      assert.equal(ok.response.header('ratelimit-remaining'), '0');
      const limited = await server.request(rateLimit, config, { clientIp: '10.1.1.1' }, { startedAt: T0 });
      assert.equal(limited.response.status, 429);
      assert.equal(limited.response.header('retry-after'), '20');
    });
  });
});
