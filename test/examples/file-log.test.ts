/**
 * The file-log example, with the test kit and over the wire.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PluginInstance, runPlugin, startPluginServer, type WireServer } from 'tspdk/testing';
import fileLog, { closeLogFiles, FileLog, flushLogFiles } from '../../examples/file-log.ts';

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('file-log example', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'tspdk-file-log-'));
  });
  after(async () => {
    await closeLogFiles();
    rmSync(directory, { recursive: true, force: true });
  });

  it('writes Kong\'s log table in the log phase, after the response', async () => {
    const path = join(directory, 'access.log');
    const consumer = { id: 'c-9', username: 'carol', created_at: 1 };
    const { phases, response } = await runPlugin(
      FileLog,
      { path },
      { method: 'POST', path: '/pay?x=1&flag', headers: { Authorization: 'Bearer secret', 'X-Trace': ['a', 'b'] }, body: 'hello' },
      { consumer, credential: { id: 'cred-1', consumer_id: 'c-9' }, upstream: () => ({ status: 201, body: 'created' }) },
    );
    assert.deepEqual(phases, [{ phase: 'log', outcome: 'ret' }]);
    assert.equal(response.status, 201);
    await flushLogFiles();
    const [entry] = lines(path);
    assert.ok(entry !== undefined);
    const request = entry['request'] as Record<string, unknown>;
    assert.equal(request['method'], 'POST');
    assert.equal(request['uri'], '/pay?x=1&flag');
    assert.deepEqual(request['querystring'], { x: '1', flag: true });
    assert.deepEqual(request['headers'], { authorization: 'REDACTED', 'x-trace': ['a', 'b'], host: 'example.com' });
    assert.equal((entry['response'] as Record<string, unknown>)['status'], 201);
    assert.equal(entry['upstream_status'], '201');
    assert.equal(entry['source'], 'upstream');
    assert.deepEqual(entry['consumer'], consumer);
    assert.deepEqual(entry['authenticated_entity'], { id: 'cred-1', consumer_id: 'c-9' });
    assert.equal(entry['client_ip'], '127.0.0.1');
  });

  it('buffers lines without waiting for the disk, and a new config writes to its new path', async () => {
    const first = join(directory, 'first.log');
    const second = join(directory, 'second.log');
    const old = new PluginInstance(FileLog, { path: first });
    await Promise.all(Array.from({ length: 20 }, (_, i) => old.run({ path: `/r/${i}` })));
    const changed = new PluginInstance(FileLog, { path: second });
    await changed.run({ path: '/after-change' });
    await flushLogFiles();
    assert.equal(lines(first).length, 20);
    assert.deepEqual(lines(second).map((entry) => (entry['request'] as Record<string, unknown>)['uri']), ['/after-change']);
  });

  it('reports a write failure with kong.log.err on the next request', async () => {
    const plugin = new PluginInstance(FileLog, { path: join(directory, 'missing-dir', 'x.log') });
    await plugin.run();
    await flushLogFiles();
    const { logs } = await plugin.run();
    assert.equal(logs[0]?.level, 'err');
    assert.match(logs[0]?.message ?? '', /file-log: could not write to .*missing-dir.*ENOENT/);
  });

  it('refuses a relative path', async () => {
    await assert.rejects(runPlugin(FileLog, { path: 'relative.log' }), /config.path: invalid value: relative.log/);
  });

  describe('over the wire', () => {
    let server: WireServer;
    before(async () => {
      server = await startPluginServer([fileLog]);
    });
    after(() => server.close());

    it('logs through the real plugin server (kong.log.serialize arrives as a JSON string)', async () => {
      const path = join(directory, 'wire.log');
      await server.request(fileLog, { path }, { path: '/wire' });
      await flushLogFiles();
      const [entry] = lines(path);
      assert.equal((entry?.['request'] as Record<string, unknown>)['uri'], '/wire');
    });
  });
});
