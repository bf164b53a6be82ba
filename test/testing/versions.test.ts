/**
 * The test kit runs a plugin as a given Kong release would, from the table
 * generated out of Kong's sources: the functions that release lacks (logged
 * and answered with nil), its hosts' StepErrors (2.x) and raw-body packing,
 * the arguments its functions take (`max_allowed_file_size` from 3.8), and,
 * when asked, the plugin server's `--kong-version` check. In process and
 * over the wire, with the aliases `'2.x'` and `'3.x'`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePlugin, ErrorCodes, PdkError, type Kong } from 'tspdk';
import { KongHost, NEWEST_KONG_RELEASE, runPlugin, startPluginServer, type RunOptions } from 'tspdk/testing';

const outcomes: unknown[] = [];
const settle = (promise: Promise<unknown>): Promise<void> =>
  promise.then(
    (value) => void outcomes.push(value),
    (error: unknown) => void outcomes.push(error),
  );

class StartTime {
  async access(kong: Kong): Promise<void> {
    await settle(kong.request.getStartTime());
  }
}

class RawBody {
  async access(kong: Kong): Promise<void> {
    await settle(kong.request.getRawBody(0));
  }
}

class JsonBody {
  async access(kong: Kong): Promise<void> {
    await settle(kong.request.getBody('application/json', 100, 0));
  }
}

class Headers {
  async access(kong: Kong): Promise<void> {
    await settle(kong.request.getHeaders());
    await settle(kong.service.setUpstream('missing'));
  }
}

async function run(plugin: new () => object, request = {}, options: RunOptions = {}) {
  outcomes.length = 0;
  const result = await runPlugin(plugin, {}, request, options);
  return { ...result, seen: [...outcomes] };
}

describe('runPlugin as a given Kong release', () => {
  it('answers a function the release lacks with nil, logging "could not find pdk method", as Kong does', async () => {
    const old = await run(StartTime, {}, { kongVersion: '2.8' });
    assert.deepEqual(old.logs.map((line) => [line.level, line.message]), [['err', 'could not find pdk method: kong.request.get_start_time']]);
    assert.deepEqual(old.calls.map((call) => call.outcome), [{ kind: 'value', value: undefined }]);
    const error = old.seen[0];
    assert.ok(error instanceof PdkError);
    assert.equal(error.code, ErrorCodes.Unavailable, 'get_start_time needs a number: the nil means this Kong lacks it');
    const newer = await run(StartTime, {}, { kongVersion: '3.0' });
    assert.deepEqual(newer.seen, [1_700_000_000_000]);
    assert.deepEqual(newer.logs, []);
  });

  it('refuses the call at once, as a server with --kong-version does, when asked to check', async () => {
    const { seen, calls, logs } = await run(StartTime, {}, { kongVersion: '2.8', checkVersion: true });
    const error = seen[0];
    assert.ok(error instanceof PdkError);
    assert.equal(error.code, 'PDK_UNAVAILABLE');
    assert.match(error.message, /Kong 2\.8 does not have it \(Kong has it from 3\.0\.0 on\); refused without asking Kong, because the plugin server runs with --kong-version 2\.8/);
    assert.deepEqual(calls, [], 'nothing reached Kong');
    assert.deepEqual(logs, []);
  });

  it("reports errors as the release's host does: StepError on 2.x, nil on 3.x, and nil on 2.x where the host rewrites the result", async () => {
    const world: RunOptions = { upstreams: ['stable'] };
    const old = await run(Headers, {}, { ...world, kongVersion: '2.8' });
    assert.deepEqual(old.seen[0], { host: ['example.com'] }, 'get_headers: the 2.x host rewrites the multi-map, errors and all');
    assert.ok(old.seen[1] instanceof PdkError);
    assert.equal(old.seen[1].code, 'PDK_CALL_FAILED');
    assert.match(old.seen[1].message, /could not find an Upstream named 'missing'/);
    const now = await run(Headers, {}, { ...world, kongVersion: '3.4' });
    assert.deepEqual(now.seen, [{ host: ['example.com'] }, false]);
  });

  it('drops the arguments a release does not take: max_allowed_file_size before 3.8', async () => {
    const big = { body: 'x'.repeat(64), headers: { 'content-type': 'application/json' } };
    const world: RunOptions = { clientBodyBufferSize: 16 };
    // 3.8 reads a body nginx buffered to a file when given a limit (0: none).
    const read = await run(RawBody, big, { ...world, kongVersion: '3.8' });
    assert.deepEqual(read.phases, [{ phase: 'access', outcome: 'ret' }]);
    assert.equal(new TextDecoder().decode(read.seen[0] as Uint8Array), 'x'.repeat(64));
    // 3.4 drops the argument: get_raw_body's nil, err cannot be packed as bin and the event aborts (a 500).
    const aborted = await run(RawBody, big, { ...world, kongVersion: '3.4' });
    assert.deepEqual(aborted.phases, [{ phase: 'access', outcome: 'aborted' }]);
    assert.equal(aborted.response.status, 500);
    assert.match(String(aborted.errors[0]), /kong\.request\.get_raw_body returned nil \(request body did not fit into client body buffer/);
    assert.deepEqual(aborted.calls[0]?.args, [0], 'the call carried the argument; Kong dropped it');
    // get_body is not packed as bin: 3.4 answers nil, 2.8 a StepError.
    assert.deepEqual((await run(JsonBody, big, { ...world, kongVersion: '3.4' })).seen, [undefined]);
    const old = (await run(JsonBody, big, { ...world, kongVersion: '2.8' })).seen[0];
    assert.ok(old instanceof PdkError && old.code === 'PDK_CALL_FAILED' && /did not fit into client body buffer/.test(old.message));
    // A body that fits in memory is read whatever the release.
    assert.equal(((await run(RawBody, { body: 'small' }, { ...world, kongVersion: '3.4' })).seen[0] as Uint8Array).length, 5);
  });

  it("takes '2.x' for 2.8 and '3.x' (the default) for the newest release, and refuses an unknown version", async () => {
    assert.deepEqual((await run(StartTime, {}, { kongVersion: '2.x' })).logs.map((line) => line.message), ['could not find pdk method: kong.request.get_start_time']);
    assert.deepEqual((await run(StartTime, {}, { version: '2.x' })).logs.map((line) => line.message), ['could not find pdk method: kong.request.get_start_time']);
    assert.match(NEWEST_KONG_RELEASE, /^\d+\.\d+\.\d+$/);
    class EnableTls {
      async access(kong: Kong): Promise<void> {
        await settle(kong.service.request.enableTls());
      }
    }
    for (const options of [{}, { kongVersion: '3.x' }, { kongVersion: NEWEST_KONG_RELEASE }]) {
      const { logs } = await run(EnableTls, {}, options);
      assert.deepEqual(logs.map((line) => line.message), ['could not find pdk method: kong.service.request.enable_tls'], 'only master has it');
    }
    assert.deepEqual((await run(EnableTls, {}, { kongVersion: 'master' })).logs.filter((line) => line.message.startsWith('could not')), []);
    await assert.rejects(runPlugin(StartTime, {}, {}, { kongVersion: '2.9' }), /unknown Kong version "2\.9" for the test kit: there is no Kong 2\.9 release/);
    await assert.rejects(runPlugin(StartTime, {}, {}, { kongVersion: '2.8', version: '3.x' }), /got both kongVersion \(2\.8\) and version \(3\.x, its old name\)/);
  });

  it('plays the stream subsystem: a function http has but stream lacks is missing in preread', async () => {
    class Verify {
      async preread(kong: Kong): Promise<void> {
        await settle(kong.service.setTlsVerify(true));
      }
    }
    const old = await run(Verify, {}, { kongVersion: '3.1', subsystem: 'stream' });
    assert.deepEqual(old.logs.map((line) => line.message), ['could not find pdk method: kong.service.set_tls_verify']);
    const now = await run(Verify, {}, { kongVersion: '3.2', subsystem: 'stream' });
    assert.deepEqual(now.logs, []);
  });
});

describe('over the wire as a given Kong release', () => {
  const plugin = definePlugin(StartTime, { name: 'start-time', version: '1.0.0', priority: 1 });

  it('plays the release in the host stand-in, and starts the server with --kong-version when asked to check', async () => {
    const plain = await startPluginServer([plugin], { kongVersion: '2.8' });
    try {
      outcomes.length = 0;
      const { logs, calls } = await plain.request(plugin);
      assert.deepEqual(logs.map((line) => line.message), ['could not find pdk method: kong.request.get_start_time']);
      assert.deepEqual(calls.map((call) => call.method), ['kong.request.get_start_time']);
      assert.equal((outcomes[0] as PdkError).code, 'PDK_UNAVAILABLE');
    } finally {
      await plain.close();
    }
    const checked = await startPluginServer([plugin], { kongVersion: '2.8', checkVersion: true });
    try {
      outcomes.length = 0;
      const { logs, calls } = await checked.request(plugin);
      assert.deepEqual(calls, [], 'the server refused the call without a round trip');
      assert.deepEqual(logs, []);
      assert.match((outcomes[0] as PdkError).message, /--kong-version 2\.8/);
    } finally {
      await checked.close();
    }
  });

  it('KongHost takes a release and refuses a version the table does not know', () => {
    assert.equal(new KongHost({ socket: '/nonexistent', version: '3.4' }).version, '3.4');
    assert.throws(() => new KongHost({ socket: '/nonexistent', version: 'next' }), /unknown Kong version "next"/);
  });
});
