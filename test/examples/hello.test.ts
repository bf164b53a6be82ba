/**
 * The hello example, with the test kit and over the wire.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runPlugin, startPluginServer, type WireServer } from 'tspdk/testing';
import hello, { Hello } from '../../examples/hello.ts';

describe('hello example', () => {
  it('greets through a response header, with the default message', async () => {
    const { response, calls } = await runPlugin(Hello, {}, { host: 'api.example.com' });
    assert.equal(response.header('x-hello-from-typescript'), 'TypeScript says hello to api.example.com');
    assert.deepEqual(calls.map((call) => [call.method, call.args]), [
      ['kong.request.get_header', ['host']],
      ['kong.response.set_header', ['x-hello-from-typescript', 'TypeScript says hello to api.example.com']],
    ]);
  });

  describe('over the wire', () => {
    let server: WireServer;
    before(async () => {
      server = await startPluginServer([hello]);
    });
    after(() => server.close());

    it('greets through the real plugin server', async () => {
      const { response } = await server.request(hello, { message: 'hi' }, { headers: { Host: 'shop.example.com' } });
      assert.equal(response.header('x-hello-from-typescript'), 'TypeScript says hi to shop.example.com');
    });
  });
});
