/**
 * The response-transform example, with the test kit and over the wire.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runPlugin, startPluginServer, type WireServer } from 'tspdk/testing';
import responseTransform, { ResponseTransform } from '../../examples/response-transform.ts';

const upstream = () => ({
  status: 200,
  headers: { 'Content-Type': 'application/json', 'X-Powered-By': 'php', 'X-Upstream': 'yes' },
  body: { id: 7, internal_note: 'do not leak' },
});
const config = { remove_headers: ['X-Powered-By'], add_headers: { 'X-Transformed': 'true' }, remove_json: ['internal_note'], add_json: { api: 'v2' }, wrap_json: 'data' };

describe('response-transform example', () => {
  it('runs in the response phase on the buffered Service response and replaces the JSON body', async () => {
    const { response, phases, calls } = await runPlugin(ResponseTransform, config, {}, { upstream });
    assert.deepEqual(phases, [{ phase: 'response', outcome: 'exit' }]);
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { data: { id: 7, api: 'v2' } });
    assert.equal(response.header('content-type'), 'application/json; charset=utf-8');
    assert.equal(response.header('content-length'), String(response.body.length));
    assert.equal(response.header('x-powered-by'), undefined);
    assert.equal(response.header('x-transformed'), 'true');
    assert.equal(response.header('x-upstream'), 'yes', 'the Service headers stay');
    assert.ok(calls.every((call) => call.phase === 'response'));
    assert.equal(calls.at(-1)?.method, 'kong.response.exit');
  });

  it('passes other statuses and non-JSON bodies through, changing only headers', async () => {
    const missing = await runPlugin(ResponseTransform, config, {}, { upstream: () => ({ status: 404, body: { error: 'nope' } }) });
    assert.equal(missing.response.status, 404);
    assert.deepEqual(missing.response.json(), { error: 'nope' });
    assert.equal(missing.response.header('x-transformed'), 'true');
    const text = await runPlugin(ResponseTransform, config, {}, { upstream: () => ({ headers: { 'content-type': 'text/plain' }, body: 'plain' }) });
    assert.equal(text.response.text, 'plain');
    assert.equal(text.response.source, 'service');
  });

  describe('over the wire', () => {
    let server: WireServer;
    before(async () => {
      server = await startPluginServer([responseTransform]);
    });
    after(() => server.close());

    it('rewrites the body through the real plugin server', async () => {
      const { response } = await server.request(responseTransform, config, {}, { upstream });
      assert.equal(response.status, 200);
      assert.deepEqual(response.json(), { data: { id: 7, api: 'v2' } });
      assert.equal(response.header('x-powered-by'), undefined);
    });
  });
});
