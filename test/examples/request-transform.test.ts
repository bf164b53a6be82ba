/**
 * The request-transform example, with the test kit and over the wire.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runPlugin, startPluginServer, type WireServer } from 'tspdk/testing';
import requestTransform, { RequestTransform } from '../../examples/request-transform.ts';

const config = {
  add_headers: { 'X-Gateway': 'kong' },
  rename_headers: { 'X-Old': 'X-New' },
  remove_headers: ['Cookie'],
  add_query: { version: '2' },
  remove_query: ['debug'],
  replace_path: '/v2/orders',
  add_json: { source: 'gateway' },
  remove_json: ['password'],
};
const request = {
  method: 'POST',
  path: '/orders?debug&page=3',
  headers: { 'X-Old': 'legacy', Cookie: ['a=1', 'b=2'] },
  json: { user: 'alice', password: 'hunter2' },
};

describe('request-transform example', () => {
  it('changes headers, query, path and JSON body of the service request, not the client request', async () => {
    const { serviceRequest, response, state } = await runPlugin(RequestTransform, config, request);
    assert.equal(response.status, 200);
    assert.ok(serviceRequest !== undefined);
    assert.equal(serviceRequest.path, '/v2/orders');
    assert.deepEqual(serviceRequest.query, { page: ['3'], version: ['2'] });
    assert.deepEqual(serviceRequest.headers['x-gateway'], ['kong']);
    assert.deepEqual(serviceRequest.headers['x-new'], ['legacy']);
    assert.equal(serviceRequest.headers['x-old'], undefined);
    assert.equal(serviceRequest.headers['cookie'], undefined);
    assert.deepEqual(JSON.parse(serviceRequest.text), { user: 'alice', source: 'gateway' });
    assert.deepEqual(serviceRequest.headers['content-length'], [String(serviceRequest.body.length)]);
    assert.deepEqual(state.headers.get('cookie'), ['a=1', 'b=2'], 'the client request is untouched');
    assert.deepEqual(response.json<{ path: string }>().path, '/v2/orders', 'the echo Service saw the changes');
  });

  it('leaves bodies that are not JSON alone, and does nothing with the default config', async () => {
    const form = await runPlugin(RequestTransform, { remove_json: ['password'] }, { method: 'POST', form: { password: 'x' } });
    assert.equal(form.serviceRequest?.text, 'password=x');
    const idle = await runPlugin(RequestTransform, {}, request);
    assert.deepEqual(idle.calls, []);
  });

  describe('over the wire', () => {
    let server: WireServer;
    before(async () => {
      server = await startPluginServer([requestTransform]);
    });
    after(() => server.close());

    it('transforms through the real plugin server', async () => {
      const { serviceRequest } = await server.request(requestTransform, config, request);
      assert.equal(serviceRequest?.path, '/v2/orders');
      assert.equal(serviceRequest?.rawQuery, 'page=3&version=2');
      assert.deepEqual(JSON.parse(serviceRequest?.text ?? ''), { user: 'alice', source: 'gateway' });
    });
  });
});
