/**
 * The fake PDK state behind the bindings: case-insensitive multi-value
 * headers, query parsing with flags, raw and parsed bodies by content type,
 * service request changes visible to the Service, consumer and credential
 * after authenticate, router entities, `kong.log.serialize`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kong } from 'tspdk';
import { DEFAULT_ROUTE, runPlugin, type RunOptions, type RequestInit } from 'tspdk/testing';

/** Runs `body` as the access phase and returns what it returned, with the run. */
async function inAccess<T>(body: (kong: Kong) => Promise<T>, request: RequestInit = {}, options: RunOptions = {}) {
  let value: T | undefined;
  class Probe {
    async access(kong: Kong): Promise<void> {
      value = await body(kong);
    }
  }
  const run = await runPlugin(Probe, {}, request, options);
  return { value: value as T, run };
}

describe('headers', () => {
  const headers = { 'X-Multi': ['one', 'two'], 'Content-Type': 'text/plain', 'x-api_key': 'k' };

  it('get_header is case-insensitive, matches _ with -, and returns the first value', async () => {
    const { value } = await inAccess(async (kong) => [
      await kong.request.getHeader('x-multi'),
      await kong.request.getHeader('X-MULTI'),
      await kong.request.getHeader('content_type'),
      await kong.request.getHeader('missing'),
    ], { headers });
    assert.deepEqual(value, ['one', 'one', 'text/plain', undefined]);
  });

  it('get_headers gives every value under the lower-case name', async () => {
    const { value } = await inAccess((kong) => kong.request.getHeaders(), { headers });
    assert.deepEqual(value, { 'x-multi': ['one', 'two'], 'content-type': ['text/plain'], 'x-api_key': ['k'], host: ['example.com'] });
  });

  it('add_header appends, set_header replaces, clear_header removes; on the response and the service request', async () => {
    const { run } = await inAccess(
      async (kong) => {
        await kong.response.addHeader('X-A', '1');
        await kong.response.addHeader('x-a', '2');
        await kong.response.setHeader('X-B', ['3', '4']);
        await kong.response.setHeader('X-B', 5);
        await kong.service.request.addHeader('X-Multi', 'three');
        await kong.service.request.clearHeader('content-type');
        return undefined;
      },
      { headers },
    );
    assert.deepEqual(run.response.headers['x-a'], ['1', '2']);
    assert.deepEqual(run.response.headers['x-b'], ['5']);
    assert.deepEqual(run.serviceRequest?.headers['x-multi'], ['one', 'two', 'three']);
    assert.equal(run.serviceRequest?.headers['content-type'], undefined);
  });

  it('a header value Kong refuses is a Lua error naming the function', async () => {
    const { run } = await inAccess((kong) => kong.response.setHeader('X-Bad', [1 as unknown as string]));
    assert.equal(run.response.status, 500);
    assert.match(String(run.errors[0]), /kong.response.set_header: invalid header value in array "X-Bad"/);
  });
});

describe('query and body', () => {
  it('parses the query like nginx: repeated names, flags, empty values, + and escapes', async () => {
    const { value } = await inAccess(
      async (kong) => [await kong.request.getQuery(), await kong.request.getQueryArg('flag'), await kong.request.getQueryArg('a'), await kong.request.getRawQuery()],
      { path: '/p?a=1&a=2&flag&empty=&sp=a+b%21', query: { extra: 'x' } },
    );
    assert.deepEqual(value, [{ a: ['1', '2'], flag: [''], empty: [''], sp: ['a b!'], extra: ['x'] }, '', '1', 'a=1&a=2&flag&empty=&sp=a+b%21&extra=x']);
  });

  it('gives the raw body as bytes and decodes it by content type', async () => {
    const json = await inAccess(async (kong) => [await kong.request.getRawBody(), await kong.request.getBody()], { json: { a: [1, 2], o: {} } });
    assert.deepEqual(json.value[0], new TextEncoder().encode('{"a":[1,2],"o":{}}'));
    assert.deepEqual(json.value[1], { a: [1, 2], o: [] }, 'an empty Lua table arrives as []');
    const form = await inAccess((kong) => kong.request.getBody(), { form: { x: '1', flag: true, many: ['a', 'b'] } });
    assert.deepEqual(form.value, { flag: true, many: ['a', 'b'], x: '1' });
    const multipart = await inAccess((kong) => kong.request.getBody(), {
      headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' },
      body: '--XyZ\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n--XyZ\r\nContent-Disposition: form-data; name="many"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name="many"\r\n\r\n2\r\n--XyZ--\r\n',
    });
    assert.deepEqual(multipart.value, { field: 'value', many: ['1', '2'] });
    const vendor = await inAccess((kong) => kong.request.getBody(), { headers: { 'Content-Type': 'application/vnd.api+json' }, body: '{}' });
    assert.equal(vendor.value, undefined, 'the type must start with a supported one, as in Kong');
    const unsupported = await inAccess((kong) => kong.request.getBody(), { headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    assert.equal(unsupported.value, undefined);
    const broken = await inAccess((kong) => kong.request.getBody('application/json'), { body: '{nope' });
    assert.equal(broken.value, undefined);
  });

  it('service request changes are what the Service gets: method, path, query, body', async () => {
    const { run } = await inAccess(
      async (kong) => {
        await kong.service.request.setMethod('PUT');
        await kong.service.request.setPath('/new');
        await kong.service.request.setQuery({ b: 'x y', a: ['1', '2'], f: true });
        return kong.service.request.setBody({ k: 'v' }, 'application/x-www-form-urlencoded');
      },
      { path: '/old?gone=1' },
    );
    const sent = run.serviceRequest;
    assert.equal(sent?.method, 'PUT');
    assert.equal(sent?.path, '/new');
    assert.equal(sent?.rawQuery, 'a=1&a=2&b=x%20y&f');
    assert.equal(sent?.text, 'k=v');
    assert.deepEqual(sent?.headers['content-type'], ['application/x-www-form-urlencoded']);
    assert.deepEqual(run.response.json<{ method: string }>().method, 'PUT');
  });
});

describe('client, router, context, log', () => {
  it('authenticate sets the consumer and credential for later phases and plugins', async () => {
    class Auth {
      async access(kong: Kong): Promise<void> {
        await kong.client.authenticate({ id: 'c-1', username: 'dana' }, { id: 'cred-1', consumer_id: 'c-1' });
        await kong.service.request.setHeader('x-who', (await kong.client.getConsumer())?.username ?? '-');
      }
      async log(kong: Kong): Promise<void> {
        await kong.log.info((await kong.client.getCredential())?.id ?? '-');
      }
    }
    const run = await runPlugin(Auth);
    assert.deepEqual(run.consumer, { id: 'c-1', username: 'dana' });
    assert.deepEqual(run.ngxCtx['authenticated_credential'], { id: 'cred-1', consumer_id: 'c-1' });
    assert.deepEqual(run.serviceRequest?.headers['x-who'], ['dana']);
    assert.deepEqual(run.logs.map((l) => l.message), ['cred-1']);
    assert.deepEqual(run.serialized['authenticated_entity'], { id: 'cred-1', consumer_id: 'c-1' });
  });

  it('load_consumer finds consumers by uuid, or by username when asked; a non-uuid id alone is a Lua error', async () => {
    const erin = { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', username: 'erin', created_at: 1 };
    const found = await inAccess(
      async (kong) => [(await kong.client.loadConsumer(erin.id))?.username, (await kong.client.loadConsumer('erin', true))?.id, await kong.client.loadConsumer('nobody', true)],
      {},
      { consumers: [erin] },
    );
    assert.deepEqual(found.value, ['erin', erin.id, undefined]);
    const refused = await inAccess((kong) => kong.client.loadConsumer('erin'), {}, { consumers: [erin] });
    assert.equal(refused.run.response.status, 500);
    assert.match(String(refused.run.errors[0]), /cannot load a consumer with an id that is not a uuid/);
  });

  it('router entities come from the options, with plain defaults', async () => {
    const route = { ...DEFAULT_ROUTE, id: 'r-2', name: 'orders' };
    const { value } = await inAccess(async (kong) => [(await kong.router.getRoute())?.name, (await kong.router.getService())?.host], {}, { route });
    assert.deepEqual(value, ['orders', 'upstream.example.com']);
  });

  it('forwarded IP and trusted addresses follow trusted_ips', async () => {
    const request = { clientIp: '10.0.0.5', headers: { 'X-Forwarded-For': '203.0.113.9, 10.0.0.5' } };
    const untrusted = await inAccess((kong) => kong.client.getForwardedIp(), request);
    assert.equal(untrusted.value, '10.0.0.5');
    const trusted = await inAccess(async (kong) => [await kong.client.getForwardedIp(), await kong.ip.isTrusted('10.9.9.9')], request, { trustedIps: ['10.0.0.0/8'] });
    assert.deepEqual(trusted.value, ['203.0.113.9', true]);
  });

  it('kong.log.serialize has Kong\'s shape, with set_serialize_value edits and credentials redacted', async () => {
    class Logger {
      async access(kong: Kong): Promise<void> {
        await kong.log.setSerializeValue('request.tenant', 'acme');
        await kong.log.setSerializeValue('request.method', 'NOPE', { mode: 'add' });
        await kong.log.setSerializeValue('missing.key', 1, { mode: 'replace' });
      }
      async log(kong: Kong): Promise<void> {
        const entry = await kong.log.serialize();
        await kong.log.info(JSON.stringify([entry.request['tenant'], entry.request.method, entry.request.headers, entry.response.status, entry['missing']]));
      }
    }
    const run = await runPlugin(Logger, {}, { method: 'delete', headers: { authorization: 'Basic x', 'Proxy-Authorization': 'y' } });
    assert.deepEqual(JSON.parse(run.logs[0]?.message ?? ''), ['acme', 'DELETE', { authorization: 'REDACTED', 'proxy-authorization': 'REDACTED', host: 'example.com' }, 200, null]);
    const keys = Object.keys(run.serialized).sort();
    for (const key of ['request', 'response', 'latencies', 'route', 'service', 'client_ip', 'started_at', 'upstream_uri', 'upstream_status', 'source', 'tries', 'workspace']) {
      assert.ok(keys.includes(key), key);
    }
  });

  it('kong.ctx.shared values given by earlier plugins are visible, and kong.log lines are captured per phase', async () => {
    const { value, run } = await inAccess(async (kong) => {
      await kong.log.warn('careful ', 1, ' ', true);
      return kong.ctx.shared.get('from_lua');
    }, {}, { shared: { from_lua: { n: 1 } } });
    assert.deepEqual(value, { n: 1 });
    assert.deepEqual(run.logs, [{ level: 'warn', message: 'careful 1 true', phase: 'access' }]);
  });

  it('a nil, err result is undefined on Kong 3.x and a PdkError on 2.x', async () => {
    const v3 = await inAccess((kong) => kong.vault.get('{vault://env/missing}'));
    assert.equal(v3.value, undefined);
    const v2 = await inAccess((kong) => kong.vault.get('{vault://env/missing}').catch((error: unknown) => error), {}, { version: '2.x' });
    assert.match(String(v2.value), /PdkError: kong.vault.get: could not get value from external vault/);
    const found = await inAccess((kong) => kong.vault.get('{vault://env/token}'), {}, { secrets: { '{vault://env/token}': 's3cr3t' } });
    assert.equal(found.value, 's3cr3t');
  });
});
