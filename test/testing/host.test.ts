/**
 * The Kong host stand-in (`KongHost`) answers PDK calls with the same fake
 * Kong as `runPlugin`: every simulated function, the world around the
 * request (Service, consumer, trusted IPs, start time), and what a protocol
 * test changes about Kong (a function it lacks, a function that fails).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { definePlugin, type Kong, type PluginDefinition } from 'tspdk';
import { ifAvailable, PdkError } from 'tspdk/pdk';
import { startPluginServer, UnsupportedPdkMethodError, type HostResponse, type WireServer } from 'tspdk/testing';

/** Reads functions the host stand-in used to answer with "could not find pdk method", in three phases. */
class Inspector {
  async access(kong: Kong): Promise<void> {
    const seen = {
      started: await startTime(kong),
      query: await kong.request.getRawQuery(),
      clientPort: await kong.client.getPort(),
      uri: await kong.nginx.getVar('request_uri'),
      route: (await kong.router.getRoute())?.name,
      consumer: (await kong.client.getConsumer())?.username,
      trusted: await kong.ip.isTrusted('10.1.2.3'),
    };
    await kong.response.setHeader('x-seen', JSON.stringify(seen));
  }

  async response(kong: Kong): Promise<void> {
    const status = await kong.service.response.getStatus();
    await kong.response.setHeader('x-service-seen', `${status ?? 'nil'} ${(await kong.service.response.getHeader('x-service')) ?? 'nil'}`);
  }

  async log(kong: Kong): Promise<void> {
    await kong.log.info('started at ', await startTime(kong));
  }
}

/** `kong.request.get_start_time` (Kong 3.0+), or `kong.nginx.req_start_time` in seconds where Kong lacks it (2.x). */
async function startTime(kong: Kong): Promise<number> {
  return (await ifAvailable(kong.request.getStartTime())) ?? (await kong.nginx.reqStartTime()) * 1000;
}
const inspector = definePlugin(Inspector, { name: 'inspector', version: '1.0.0', priority: 1 });

/** Reports what a failing PDK function gave it. */
const outcomes: unknown[] = [];
class NodeReader {
  async access(kong: Kong): Promise<void> {
    try {
      outcomes.push(await kong.node.getId());
    } catch (error) {
      outcomes.push(error);
    }
  }
}
const nodeReader = definePlugin(NodeReader, { name: 'node-reader', version: '1.0.0', priority: 1 });

class Flusher {
  async access(kong: Kong): Promise<void> {
    await kong.vault.flush().catch(() => undefined);
  }
}
const flusher = definePlugin(Flusher, { name: 'flusher', version: '1.0.0', priority: 1 });

const configured = (plugin: PluginDefinition) => ({ name: plugin.name, config: {}, phases: plugin.phases });

/** What the inspector saw in access (its `x-seen` header). */
function seen(response: HostResponse): Record<string, unknown> {
  return JSON.parse(response.headers.get('x-seen')?.[0] ?? 'null') as Record<string, unknown>;
}

describe('the Kong host stand-in answers with the fake Kong', () => {
  let server: WireServer;
  before(async () => {
    server = await startPluginServer([inspector, nodeReader, flusher]);
  });
  after(() => server.close());

  for (const version of ['3.x', '2.x'] as const) {
    it(`answers every function the fake Kong simulates, from the request's world (Kong ${version})`, async () => {
      const wire = version === '3.x' ? server : await startPluginServer([inspector], { version });
      const response = await wire.host.request([configured(inspector)], {
        path: '/orders?id=7',
        clientPort: 40000,
        startedAt: 1_700_000_123_456,
        consumer: { id: '5d6a7b8c-0000-4000-8000-000000000001', created_at: 1700000000, username: 'alice' },
        trustedIps: ['10.0.0.0/8'],
        upstream: () => ({ status: 201, headers: { 'x-service': 'yes' }, body: 'made' }),
      });
      if (wire !== server) await wire.close();
      assert.deepEqual(response.errors, []);
      assert.deepEqual(response.phases, [
        ['inspector:access', 'ret'],
        ['inspector:response', 'ret'],
        ['inspector:log', 'ret'],
      ]);
      assert.deepEqual(seen(response), {
        started: 1_700_000_123_456,
        query: 'id=7',
        clientPort: 40000,
        uri: '/orders?id=7',
        route: 'example-route',
        consumer: 'alice',
        trusted: true,
      });
      assert.equal(response.status, 201);
      assert.deepEqual(response.headers.get('x-service-seen'), ['201 yes']);
      assert.equal(new TextDecoder().decode(response.body as Uint8Array), 'made');
      assert.ok(response.request.calls.every(([, method]) => method.startsWith('kong.')));
      const startCalls = response.request.kong.calls.filter((call) => call.method === 'kong.request.get_start_time');
      assert.equal(startCalls.length, 2);
      if (version === '3.x') {
        assert.deepEqual(response.request.logs, [['info', 'started at 1700000123456']]);
        assert.deepEqual(startCalls.map((call) => call.outcome), [1_700_000_123_456, 1_700_000_123_456].map((value) => ({ kind: 'value', value })));
      } else {
        // Kong 2.8 has no kong.request.get_start_time: its host logs and answers nil, and the plugin falls back.
        const missing = ['err', 'could not find pdk method: kong.request.get_start_time'];
        assert.deepEqual(response.request.logs, [missing, missing, ['info', 'started at 1700000123456']]);
        assert.deepEqual(startCalls.map((call) => call.outcome), [{ kind: 'value', value: undefined }, { kind: 'value', value: undefined }]);
        assert.equal(response.request.kong.calls.filter((call) => call.method === 'kong.nginx.req_start_time').length, 2);
      }
    });
  }

  it('reports a failing function as Kong does: a StepError on 2.x, nil on 3.x', async () => {
    outcomes.length = 0;
    const failures = { 'kong.node.get_id': 'could not get node id' };
    const old = await startPluginServer([nodeReader], { version: '2.x' });
    try {
      await old.host.request([configured(nodeReader)], { failures });
    } finally {
      await old.close();
    }
    await server.host.request([configured(nodeReader)], { failures });
    await server.host.request([configured(nodeReader)]);
    assert.ok(outcomes[0] instanceof PdkError);
    assert.equal(outcomes[0].code, 'PDK_CALL_FAILED');
    assert.match(outcomes[0].message, /could not get node id/);
    // 3.x sends nil, which kong.node.getId() (typed as a string) refuses as a bad result, not as a failed call.
    assert.ok(outcomes[1] instanceof PdkError);
    assert.equal(outcomes[1].code, 'PDK_BAD_RESULT');
    assert.match(outcomes[1].message, /got undefined/);
    assert.equal(outcomes[2], '0b3f4d2e-3c1c-4e38-9f71-2f9bd6c1f0a1');
  });

  it('answers a function this Kong lacks with nil and "could not find pdk method", and runs it when present', async () => {
    const lacking = await server.host.request([configured(inspector)], { path: '/here', absent: ['kong.nginx.get_var'] });
    assert.deepEqual(lacking.errors, []);
    assert.equal(seen(lacking)['uri'], undefined);
    assert.ok(lacking.request.logs.some(([level, text]) => level === 'err' && text === 'could not find pdk method: kong.nginx.get_var'));
    const present = await server.host.request([configured(inspector)], { path: '/here' });
    assert.equal(seen(present)['uri'], '/here');
    assert.ok(!present.request.logs.some(([, text]) => text.includes('could not find pdk method')));
  });

  it('rejects a request whose plugin called a function the kit does not simulate, naming it', async () => {
    await assert.rejects(server.host.request([configured(flusher)]), (error: unknown) => {
      assert.ok(error instanceof UnsupportedPdkMethodError);
      assert.equal(error.method, 'kong.vault.flush');
      return true;
    });
  });
});
