/**
 * Every bound PDK function is simulated by the fake Kong or refused loudly;
 * a refused or unknown function fails the run with its name, even when the
 * plugin catches the rejection; the in-process runner and the wire agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { definePlugin, type Kong } from 'tspdk';
import { pdkMethods } from 'tspdk/pdk';
import { FakeKong, HANDLERS, runPlugin, startPluginServer, UNSUPPORTED, UnsupportedPdkMethodError, type RunResult, type WireServer } from 'tspdk/testing';

describe('coverage of the PDK', () => {
  it('every function in pdkMethods is simulated or explicitly refused, and nothing else is simulated', () => {
    const bound = Object.keys(pdkMethods).sort();
    const missing = bound.filter((name) => !(name in HANDLERS) && !(name in UNSUPPORTED));
    assert.deepEqual(missing, []);
    assert.deepEqual(Object.keys(HANDLERS).filter((name) => !(name in pdkMethods)), []);
    assert.deepEqual(Object.keys(UNSUPPORTED).filter((name) => name in HANDLERS || !(name in pdkMethods)), []);
    for (const reason of Object.values(UNSUPPORTED)) assert.ok(reason.length > 20);
  });

  it('a refused function fails the run naming it, even when the plugin catches the error', async () => {
    class Swallower {
      async access(kong: Kong): Promise<void> {
        await kong.vault.flush().catch(() => undefined);
      }
    }
    await assert.rejects(runPlugin(Swallower), (error: unknown) => {
      assert.ok(error instanceof UnsupportedPdkMethodError);
      assert.equal(error.method, 'kong.vault.flush');
      assert.match(error.message, /kong.vault.flush is not supported by the tspdk test kit: /);
      return true;
    });
  });

  it('over the wire too, a refused function fails the request naming it', async () => {
    class Flusher {
      async access(kong: Kong): Promise<void> {
        await kong.vault.flush();
      }
    }
    const flusher = definePlugin(Flusher, { name: 'flusher', version: '1.0.0', priority: 1 });
    const server = await startPluginServer([flusher]);
    try {
      await assert.rejects(server.request(flusher), /kong.vault.flush is not supported by the tspdk test kit/);
    } finally {
      await server.close();
    }
  });

  it('a name that is not a Kong PDK function fails loudly instead of answering undefined', () => {
    const fake = new FakeKong();
    assert.throws(() => fake.call('kong.request.get_hedaer', ['x'], 'access', '3.x'), /kong.request.get_hedaer is not supported by the tspdk test kit: not a Kong PDK function/);
    assert.equal(fake.run('kong.request.get_hedaer', [], 'access', '3.x').kind, 'unsupported');
  });
});

/** A plugin that touches many namespaces, for comparing the two ways of running. */
class Busy {
  async access(kong: Kong): Promise<void> {
    const headers = await kong.request.getHeaders();
    const query = await kong.request.getQuery();
    const body = await kong.request.getBody();
    const raw = await kong.request.getRawBody();
    await kong.ctx.shared.set('seen', { headers: Object.keys(headers).length, query, body: JSON.stringify(body ?? null), raw: raw?.length ?? -1 });
    await kong.service.request.setHeader('x-from', await kong.request.getPath());
    await kong.response.addHeader('x-multi', 'a');
    await kong.response.addHeader('x-multi', 'b');
  }
  async log(kong: Kong): Promise<void> {
    const entry = await kong.log.serialize();
    await kong.log.info(entry.request.uri, ' ', entry.response.status);
  }
}
const busy = definePlugin(Busy, { name: 'busy', version: '1.0.0', priority: 1 });

function comparable(run: RunResult): unknown {
  return {
    status: run.response.status,
    headers: run.response.headers,
    body: run.response.text,
    service: run.serviceRequest,
    logs: run.logs,
    shared: run.shared,
    calls: run.calls.map((call) => [call.phase, call.method, call.outcome.kind]),
    phases: run.phases,
  };
}

describe('in process and over the wire', () => {
  let server: WireServer;
  before(async () => {
    server = await startPluginServer([busy]);
  });
  after(() => server.close());

  for (const version of ['3.x', '2.x'] as const) {
    it(`give the same result (Kong ${version})`, async () => {
      const request = { path: '/a/b?x=1&flag&x=2', json: { k: [1, {}] }, headers: { 'X-Multi': ['1', '2'] } };
      const local = await runPlugin(busy, {}, request, { version });
      const wireServer = version === '3.x' ? server : await startPluginServer([busy], { version });
      const wire = await wireServer.request(busy, {}, request, { version });
      if (wireServer !== server) await wireServer.close();
      assert.deepEqual(comparable(wire), comparable(local));
      assert.deepEqual(local.shared['seen'], { headers: 3, query: { x: ['1', '2'], flag: [''] }, body: '{"k":[1,[]]}', raw: 12 });
      assert.deepEqual(local.response.headers['x-multi'], ['a', 'b']);
    });
  }
});
