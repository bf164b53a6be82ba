/**
 * The canary example, with the test kit and over the wire.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runPlugin, startPluginServer, type WireServer } from 'tspdk/testing';
import canary, { Canary } from '../../examples/canary.ts';

describe('canary example', () => {
  it('sends a request with X-Canary: always to the canary Upstream', async () => {
    const { serviceRequest, response } = await runPlugin(Canary, { upstream: 'orders-canary' }, { headers: { 'x-canary': 'Always' } }, { upstreams: ['orders-canary'] });
    assert.equal(serviceRequest?.upstream, 'orders-canary');
    assert.equal(serviceRequest?.host, 'orders-canary');
    assert.deepEqual(serviceRequest?.headers['x-canary-release'], ['true']);
    assert.equal(response.header('x-canary-release'), 'true');
  });

  it('uses set_target for a host and port, and X-Canary: never wins over 100 %', async () => {
    const config = { target: { host: '10.0.0.42', port: 8080 }, percentage: 100 };
    const chosen = await runPlugin(Canary, config);
    assert.deepEqual(chosen.serviceRequest?.target, { host: '10.0.0.42', port: 8080 });
    assert.equal(chosen.serviceRequest?.port, 8080);
    const never = await runPlugin(Canary, config, { headers: { 'X-Canary': 'never' } });
    assert.equal(never.serviceRequest?.target, undefined);
    assert.equal(never.serviceRequest?.host, 'upstream.example.com');
  });

  it('splits clients by a stable hash of their address', async () => {
    let canaries = 0;
    for (let i = 0; i < 200; i++) {
      const ip = `10.0.${i >> 8}.${i & 255}`;
      const first = await runPlugin(Canary, { upstream: 'canary', percentage: 25 }, { clientIp: ip });
      const again = await runPlugin(Canary, { upstream: 'canary', percentage: 25 }, { clientIp: ip });
      assert.equal(first.serviceRequest?.upstream, again.serviceRequest?.upstream, 'sticky per client');
      if (first.serviceRequest?.upstream === 'canary') canaries++;
    }
    assert.ok(canaries > 25 && canaries < 75, `${canaries} of 200`);
  });

  it('stays on the stable release when the Upstream does not exist, and logs why', async () => {
    const { serviceRequest, logs } = await runPlugin(Canary, { upstream: 'missing', percentage: 100 }, {}, { upstreams: ['other'] });
    assert.equal(serviceRequest?.upstream, undefined);
    assert.deepEqual(logs.map((line) => [line.level, line.message]), [['err', 'canary: no Upstream named missing; request goes to the stable release']]);
  });

  describe('over the wire', () => {
    let server: WireServer;
    before(async () => {
      server = await startPluginServer([canary]);
    });
    after(() => server.close());

    it('routes through the real plugin server', async () => {
      const { serviceRequest } = await server.request(canary, { target: { host: 'canary.internal' } }, { headers: { 'x-canary': 'always' } });
      assert.deepEqual(serviceRequest?.target, { host: 'canary.internal', port: 80 });
    });
  });
});
