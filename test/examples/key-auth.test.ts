/**
 * The key-auth example, with the test kit and over the wire.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PluginConfigError, runPlugin, startPluginServer, type WireServer } from 'tspdk/testing';
import keyAuth, { KeyAuth } from '../../examples/key-auth.ts';

const alice = { id: '5f1d4c3e-0000-4000-8000-00000000a11c', username: 'alice', created_at: 1700000000 };
const config = { credentials: [{ key: 'alice-secret-key', consumer: 'alice' }] };
const world = { consumers: [alice] };

describe('key-auth example', () => {
  it('authenticates a key from a header and tells the Service who the consumer is', async () => {
    const { response, serviceRequest, consumer, credential, phases } = await runPlugin(KeyAuth, config, { headers: { ApiKey: 'alice-secret-key' } }, world);
    assert.equal(response.status, 200);
    assert.deepEqual(phases, [{ phase: 'access', outcome: 'ret' }]);
    assert.deepEqual(consumer, alice);
    assert.equal(credential?.consumer_id, alice.id);
    assert.deepEqual(serviceRequest?.headers['x-consumer-id'], [alice.id]);
    assert.deepEqual(serviceRequest?.headers['x-consumer-username'], ['alice']);
    assert.deepEqual(serviceRequest?.headers['apikey'], ['alice-secret-key']);
  });

  it('takes the key from the query string and hides it from the Service when asked', async () => {
    const { response, serviceRequest } = await runPlugin(
      KeyAuth,
      { ...config, hide_credentials: true },
      { path: '/orders?apikey=alice-secret-key&page=2' },
      world,
    );
    assert.equal(response.status, 200);
    assert.equal(serviceRequest?.rawQuery, 'page=2');
    assert.deepEqual(serviceRequest?.query, { page: ['2'] });
  });

  it('answers 401 through kong.response.exit without a key, and the request never reaches the Service', async () => {
    const { response, serviceRequest, phases, calls } = await runPlugin(KeyAuth, config, {}, world);
    assert.equal(response.status, 401);
    assert.equal(response.source, 'exit');
    assert.deepEqual(response.json(), { message: 'No API key found in request' });
    assert.equal(response.header('content-type'), 'application/json; charset=utf-8');
    assert.equal(response.header('www-authenticate'), 'Key realm="kong"');
    assert.equal(serviceRequest, undefined);
    assert.deepEqual(phases, [{ phase: 'access', outcome: 'exit' }]);
    assert.equal(calls.at(-1)?.method, 'kong.response.exit');
  });

  it('answers 401 for a wrong key, and ignores the query when key_in_query is off', async () => {
    const wrong = await runPlugin(KeyAuth, config, { headers: { apikey: 'not-the-key' } }, world);
    assert.equal(wrong.response.status, 401);
    assert.deepEqual(wrong.response.json(), { message: 'Invalid authentication credentials' });
    const off = await runPlugin(KeyAuth, { ...config, key_in_query: false }, { query: { apikey: 'alice-secret-key' } }, world);
    assert.equal(off.response.status, 401);
  });

  it('validates its config as Kong would', async () => {
    await assert.rejects(runPlugin(KeyAuth, {}), (error: unknown) => {
      assert.ok(error instanceof PluginConfigError);
      assert.deepEqual(error.problems, ['config.credentials: required field missing']);
      return true;
    });
    await assert.rejects(runPlugin(KeyAuth, { credentials: [{ key: 'short', consumer: 'x' }] }), /config.credentials\[1\].key: length must be at least 8/);
  });

  describe('over the wire', () => {
    let server: WireServer;
    before(async () => {
      server = await startPluginServer([keyAuth], { metrics: true });
    });
    after(() => server.close());

    it('authenticates and refuses through the real plugin server', async () => {
      const ok = await server.request(keyAuth, config, { headers: { apikey: 'alice-secret-key' } }, world);
      assert.equal(ok.response.status, 200);
      assert.deepEqual(ok.consumer, alice);
      assert.deepEqual(ok.serviceRequest?.headers['x-consumer-username'], ['alice']);
      const refused = await server.request(keyAuth, config, { headers: { apikey: 'nope-nope' } }, world);
      assert.equal(refused.response.status, 401);
      assert.deepEqual(refused.response.json(), { message: 'Invalid authentication credentials' });
    });

    it('counts its decisions with tspdk/metrics, beside the server\'s own metrics', async () => {
      await server.request(keyAuth, config, {}, world);
      const text = await server.metrics();
      assert.match(text, /^key_auth_ts_requests_total\{result="authenticated"\} 1$/m);
      assert.match(text, /^key_auth_ts_requests_total\{result="invalid_key"\} 1$/m);
      assert.match(text, /^key_auth_ts_requests_total\{result="no_key"\} 1$/m);
      assert.match(text, /^tspdk_events_total\{plugin="key-auth-ts",phase="access",outcome="exit"\} 2$/m);
    });
  });
});
