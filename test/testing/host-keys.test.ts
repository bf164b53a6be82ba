/**
 * The Kong host stand-in's plugin entities: requests share an instance only
 * when they are the same entity (same key and version), a request without a
 * key never reuses the instance of another config, and a key reused with
 * another config makes the request reject, naming it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Config, field, serve, type Kong } from 'tspdk';
import type { KongHost } from 'tspdk/testing';
import { probe } from '../fixtures/probe.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

class Tagger extends Config({ tag: field.string({ default: 't' }) }) {
  async access(kong: Kong): Promise<void> {
    await kong.response.setHeader('x-tag', this.tag);
  }
}
const tagger = serve(Tagger, { name: 'tagger', version: '1.0.0', priority: 1 });

describe('KongHost plugin entities', () => {
  let server: TestServer;
  let host: KongHost;
  before(async () => {
    server = await startTestServer([tagger, probe]);
    host = server.host({ workers: 1 });
  });
  after(async () => server.close());

  const tag = async (plugin: Parameters<KongHost['request']>[0][number]): Promise<string | undefined> => (await host.request([plugin])).headers.get('x-tag')?.[0];

  it('without a key, requests with different configs get their own instances, and equal configs share one', async () => {
    const before = host.instancesStarted;
    assert.equal(await tag({ name: 'tagger', config: { tag: 'a' }, phases: ['access'] }), 'a');
    assert.equal(await tag({ name: 'tagger', config: { tag: 'b' }, phases: ['access'] }), 'b');
    assert.equal(await tag({ name: 'tagger', config: { tag: 'a' }, phases: ['access'] }), 'a');
    assert.equal(host.instancesStarted - before, 2);
  });

  it('refuses a key given again with another config and the same seq, and takes a new seq as a new version', async () => {
    const entity = { name: 'tagger', config: { tag: 'one' }, phases: ['access'], key: 'plugins:tagger:route-1' };
    assert.equal(await tag(entity), 'one');
    await assert.rejects(host.request([{ ...entity, config: { tag: 'two' } }]), /key "plugins:tagger:route-1" already names an instance started with another config \(seq 1\)/);
    assert.equal(await tag({ ...entity, config: { tag: 'two' }, seq: 2 }), 'two');
  });
});
