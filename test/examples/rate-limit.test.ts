/**
 * The rate-limit example, with the test kit and over the wire.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { checkConfig, PluginInstance, runPlugin, startPluginServer, type WireServer } from 'tspdk/testing';
import rateLimit, { RateLimit, resetRateLimits } from '../../examples/rate-limit.ts';

const T0 = 1_700_000_080_000; // 40 s into a minute

describe('rate-limit example', () => {
  beforeEach(() => resetRateLimits());

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

  it('counts per consumer, shared by every instance in the process', async () => {
    const consumer = { id: 'c-1', username: 'bob', created_at: 1 };
    const world = { startedAt: T0, consumer };
    const a = await runPlugin(RateLimit, { limit: 1 }, { clientIp: '10.0.0.1' }, world);
    assert.equal(a.response.status, 200);
    const b = await runPlugin(RateLimit, { limit: 1, hide_client_headers: true }, { clientIp: '10.0.0.9' }, world);
    assert.equal(b.response.status, 429, 'same consumer from another IP and another instance');
    assert.deepEqual(b.response.json(), { message: 'API rate limit exceeded', request_id: b.state.requestId });
    assert.equal(b.response.header('RateLimit-Limit'), undefined);
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
