/**
 * Every example as Kong 2.8, 3.4 and the newest release run it (the test
 * kit plays each release from the table generated out of Kong's sources),
 * with and without the server's `--kong-version` check: each does what its
 * doc comment says on all of them. Then the defects Kong's own host code
 * showed (issue 15), over the wire: the API key reaching the Service before
 * 3.9, and the 500s on 2.x.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NEWEST_KONG_RELEASE, PluginInstance, runPlugin, startPluginServer, type RunOptions } from 'tspdk/testing';
import canary, { Canary } from '../../examples/canary.ts';
import { closeLogFiles, FileLog, flushLogFiles } from '../../examples/file-log.ts';
import { Hello } from '../../examples/hello.ts';
import keyAuth, { KeyAuth, withoutArgument } from '../../examples/key-auth.ts';
import rateLimit, { RateLimit } from '../../examples/rate-limit.ts';
import requestTransform, { RequestTransform } from '../../examples/request-transform.ts';
import { ResponseTransform } from '../../examples/response-transform.ts';

const RELEASES = ['2.8', '3.4', NEWEST_KONG_RELEASE] as const;
const alice = { id: '5f1d4c3e-0000-4000-8000-00000000a11c', username: 'alice', created_at: 1700000000 };
const keys = { credentials: [{ key: 'alice-secret-key', consumer: 'alice' }] };
const T0 = 1_700_000_080_000; // 40 s into a minute

/** Kong's log lines that say a function was missing. */
const missing = (logs: readonly { message: string }[]): string[] => logs.map((line) => line.message).filter((message) => message.startsWith('could not find pdk method'));

let client = 0;

for (const kongVersion of RELEASES) {
  for (const checkVersion of [false, true]) {
    const as: RunOptions = { kongVersion, checkVersion };
    describe(`the examples on Kong ${kongVersion}${checkVersion ? ', server started with --kong-version' : ''}`, () => {
      let directory: string;
      before(() => {
        directory = mkdtempSync(join(tmpdir(), 'tspdk-versions-'));
      });
      after(async () => {
        await closeLogFiles();
        rmSync(directory, { recursive: true, force: true });
      });

      it('hello sets its header', async () => {
        const { response, logs } = await runPlugin(Hello, {}, { host: 'api.example.com' }, as);
        assert.equal(response.header('x-hello-from-typescript'), 'TypeScript says hello to api.example.com');
        assert.deepEqual(logs, []);
      });

      it('key-auth authenticates, hides a query key from the Service, and refuses a request without a key', async () => {
        const world = { ...as, consumers: [alice] };
        const header = await runPlugin(KeyAuth, { ...keys, hide_credentials: true }, { headers: { apikey: 'alice-secret-key' } }, world);
        assert.equal(header.response.status, 200);
        assert.deepEqual(header.consumer, alice);
        assert.equal(header.serviceRequest?.headers['apikey'], undefined);
        const query = await runPlugin(KeyAuth, { ...keys, hide_credentials: true }, { path: '/orders?apikey=alice-secret-key&page=2&q=a%20b' }, world);
        assert.equal(query.response.status, 200);
        assert.equal(query.serviceRequest?.rawQuery, 'page=2&q=a%20b', 'the key never reaches the Service');
        assert.deepEqual(missing(query.logs), []);
        const none = await runPlugin(KeyAuth, keys, {}, world);
        assert.equal(none.response.status, 401);
        assert.equal(none.response.header('www-authenticate'), 'Key realm="kong"');
      });

      it('rate-limit counts with the time Kong started the request, then answers 429', async () => {
        const plugin = new PluginInstance(RateLimit, { limit: 1, limit_by: 'ip' });
        const clientIp = `10.15.0.${++client}`;
        const first = await plugin.run({ clientIp }, { ...as, startedAt: T0 });
        assert.equal(first.response.status, 200);
        assert.equal(first.response.header('RateLimit-Reset'), '20', 'the window is computed from the start time');
        const second = await plugin.run({ clientIp }, { ...as, startedAt: T0 });
        assert.equal(second.response.status, 429);
        assert.equal(second.response.header('Retry-After'), '20');
        const onTwo = kongVersion === '2.8';
        assert.equal(first.calls.some((call) => call.method === 'kong.nginx.req_start_time'), onTwo, 'kong.nginx.req_start_time only where get_start_time is missing');
        assert.deepEqual(missing(first.logs), onTwo && !checkVersion ? ['could not find pdk method: kong.request.get_start_time'] : []);
      });

      it('request-transform transforms a JSON body, and lets a body labelled JSON that does not parse through unchanged', async () => {
        const config = { add_json: { source: 'gateway' }, add_headers: { 'X-Gateway': 'kong' } };
        const good = await runPlugin(RequestTransform, config, { method: 'POST', json: { user: 'alice' } }, as);
        assert.deepEqual(JSON.parse(good.serviceRequest?.text ?? ''), { user: 'alice', source: 'gateway' });
        const bad = await runPlugin(RequestTransform, config, { method: 'POST', body: '{"user":', headers: { 'content-type': 'application/json' } }, as);
        assert.equal(bad.response.status, 200);
        assert.deepEqual(bad.phases, [{ phase: 'access', outcome: 'ret' }]);
        assert.equal(bad.serviceRequest?.text, '{"user":');
        assert.deepEqual(bad.serviceRequest?.headers['x-gateway'], ['kong']);
      });

      it('response-transform rewrites a JSON body, and lets a Service body that does not parse through unchanged', async () => {
        const config = { add_json: { api: 'v2' }, add_headers: { 'X-Transformed': 'true' } };
        const json = { 'Content-Type': 'application/json' };
        const good = await runPlugin(ResponseTransform, config, {}, { ...as, upstream: () => ({ headers: json, body: { id: 7 } }) });
        assert.deepEqual(good.response.json(), { id: 7, api: 'v2' });
        const bad = await runPlugin(ResponseTransform, config, {}, { ...as, upstream: () => ({ headers: json, body: '{"id":' }) });
        assert.deepEqual(bad.phases, [{ phase: 'response', outcome: 'ret' }]);
        assert.equal(bad.response.status, 200);
        assert.equal(bad.response.text, '{"id":');
        assert.equal(bad.response.header('x-transformed'), 'true');
      });

      it('canary routes to an existing Upstream, and keeps the stable release for a missing one, saying why', async () => {
        const world = { ...as, upstreams: ['orders-canary'] };
        const found = await runPlugin(Canary, { upstream: 'orders-canary' }, { headers: { 'x-canary': 'always' } }, world);
        assert.equal(found.serviceRequest?.upstream, 'orders-canary');
        const lost = await runPlugin(Canary, { upstream: 'missing' }, { headers: { 'x-canary': 'always' } }, world);
        assert.equal(lost.response.status, 200);
        assert.equal(lost.serviceRequest?.upstream, undefined);
        assert.deepEqual(lost.logs.map((line) => [line.level, line.message]), [['err', 'canary: no Upstream named missing; request goes to the stable release']]);
      });

      it('file-log writes the serialized log table', async () => {
        const path = join(directory, 'access.log');
        const { phases } = await runPlugin(FileLog, { path }, { path: '/pay?x=1' }, as);
        assert.deepEqual(phases, [{ phase: 'log', outcome: 'ret' }]);
        await flushLogFiles();
        const entry = JSON.parse(readFileSync(path, 'utf8').trim()) as { request: { uri: string } };
        assert.equal(entry.request.uri, '/pay?x=1');
      });
    });
  }
}

describe('the defects Kong 2.x and 3.x before 3.9 showed, over the wire', () => {
  it('key-auth: a Kong without kong.service.request.clear_query_arg (before 3.9) no longer gets the key', async () => {
    const server = await startPluginServer([keyAuth]);
    try {
      const plugin = { name: keyAuth.name, config: { ...keys, hide_credentials: true }, phases: keyAuth.phases };
      const response = await server.host.request([plugin], { path: '/orders?apikey=alice-secret-key&page=2', consumers: [alice], absent: ['kong.service.request.clear_query_arg'] });
      assert.equal(response.status, 200);
      assert.equal(response.request.state.service.rawQuery, 'page=2');
    } finally {
      await server.close();
    }
  });

  it('rate-limit: a Kong without kong.request.get_start_time (2.x) no longer answers 500', async () => {
    const server = await startPluginServer([rateLimit]);
    try {
      const plugin = { name: rateLimit.name, config: { limit: 5, limit_by: 'ip' }, phases: rateLimit.phases };
      const response = await server.host.request([plugin], { clientIp: '10.16.0.1', startedAt: T0, absent: ['kong.request.get_start_time'] });
      assert.equal(response.status, 200);
      assert.deepEqual(response.headers.get('ratelimit-reset'), ['20']);
    } finally {
      await server.close();
    }
  });

  it('request-transform and canary: Kong 2.x StepErrors no longer answer 500', async () => {
    const server = await startPluginServer([requestTransform, canary], { version: '2.x' });
    try {
      const transform = { name: requestTransform.name, config: { add_json: { a: '1' } }, phases: requestTransform.phases };
      const body = await server.host.request([transform], { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } });
      assert.equal(body.status, 200);
      assert.deepEqual(body.errors, []);
      const route = { name: canary.name, config: { upstream: 'missing' }, phases: canary.phases };
      const upstream = await server.host.request([route], { headers: { 'x-canary': 'always' }, upstreams: ['stable'] });
      assert.equal(upstream.status, 200);
      assert.deepEqual(upstream.request.logs, [['err', 'canary: no Upstream named missing; request goes to the stable release']]);
    } finally {
      await server.close();
    }
  });
});

describe('key-auth withoutArgument', () => {
  it('drops every argument of that name, decoded as Kong decodes names, and keeps the others byte for byte', () => {
    assert.equal(withoutArgument('apikey=k&page=2', 'apikey'), 'page=2');
    assert.equal(withoutArgument('a=1&apikey=k&b=%20x+y&apikey=k2&flag', 'apikey'), 'a=1&b=%20x+y&flag');
    assert.equal(withoutArgument('api%6Bey=k&x=1', 'apikey'), 'x=1');
    assert.equal(withoutArgument('apikey', 'apikey'), '');
    assert.equal(withoutArgument('apikeys=1&%E0%A4%A=2', 'apikey'), 'apikeys=1&%E0%A4%A=2', 'a bad escape is kept, not decoded');
  });
});
