/**
 * `--kong-version` in the PDK: versions resolved against the generated
 * table (newer ones as master, with a warning), the functions a version
 * lacks per subsystem, a bridge that refuses those without sending
 * anything, the nil a Kong without a function answers told apart from a bad
 * result, and `ifAvailable`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KongVersionError, pdkTable, type KongPdkTable } from '../../pdk/availability.ts';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { ifAvailable } from '../../pdk/if-available.ts';
import { Kong } from '../../pdk/kong.ts';
import { KongVersionCheck, resolveKongVersion } from '../../pdk/version-check.ts';
import { MockBridge } from './mock-bridge.ts';

const newest = pdkTable.releases.filter((release) => release !== 'master').at(-1) as string;
const check = (text: string) => new KongVersionCheck(resolveKongVersion(text));

/** The PdkError a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<PdkError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PdkError, String(error));
    return error;
  }
  assert.fail('the call resolved');
}

describe('resolveKongVersion', () => {
  it('takes a release, a line (every release of it) and master, as the table has them', () => {
    assert.deepEqual(resolveKongVersion('3.4.2'), { text: '3.4.2', releases: ['3.4.2'], checkedAs: '3.4.2' });
    assert.deepEqual(resolveKongVersion('3.4'), { text: '3.4', releases: ['3.4.0', '3.4.1', '3.4.2'], checkedAs: '3.4' });
    assert.deepEqual(resolveKongVersion(' master '), { text: 'master', releases: ['master'], checkedAs: 'master' });
  });

  it('checks a version newer than the newest release as master, with a warning that says so', () => {
    for (const text of ['3.10', '3.10.0', '4.0', '4.1.2']) {
      const version = resolveKongVersion(text);
      assert.deepEqual(version.releases, ['master'], text);
      assert.equal(version.checkedAs, 'master');
      assert.match(version.warning ?? '', new RegExp(`Kong ${text.replaceAll('.', '\\.')} is newer than the newest release in tspdk's table .*\\(Kong 2\\.3\\.0 to ${newest.replaceAll('.', '\\.')}, and master\\): calls are checked as on master`));
    }
  });

  it('checks a patch release the table does not have as its line, with a warning', () => {
    const version = resolveKongVersion('3.4.9');
    assert.deepEqual(version.releases, ['3.4.0', '3.4.1', '3.4.2']);
    assert.equal(version.checkedAs, '3.4');
    assert.match(version.warning ?? '', /Kong 3\.4\.9 is not in tspdk's table of PDK functions .*: calls are checked as every 3\.4 release it has \(3\.4\.0, 3\.4\.1, 3\.4\.2\)/);
  });

  it('refuses what is not a version, what is older than 2.3, and a line Kong never released', () => {
    assert.throws(() => resolveKongVersion('3.x'), (error: unknown) => error instanceof KongVersionError && /'3\.x' is not a Kong version: write x\.y \(e\.g\. 3\.4\), x\.y\.z/.test(error.message));
    assert.throws(() => resolveKongVersion(''), KongVersionError);
    assert.throws(() => resolveKongVersion('2.2.1'), /Kong 2\.2\.1 is older than tspdk supports: plugin servers speak MsgPack:1 with Kong 2\.3\.0 and later/);
    assert.throws(() => resolveKongVersion('1.5'), /older than tspdk supports/);
    assert.throws(() => resolveKongVersion('2.9'), /there is no Kong 2\.9 release: Kong's release lines are 2\.3, 2\.4, .*, 3\.9 \(and master\)/);
  });
});

describe('KongVersionCheck', () => {
  it('refuses what a version lacks, from the table: get_start_time before 3.0, clear_query_arg before 3.9', () => {
    const kong28 = check('2.8');
    assert.equal(kong28.refuses('kong.request.get_start_time', 'access'), true);
    assert.equal(kong28.refuses('kong.service.request.clear_query_arg', 'access'), true);
    assert.equal(kong28.refuses('kong.nginx.req_start_time', 'access'), false);
    assert.equal(kong28.refuses('kong.vault.get', 'access'), false, 'kong.vault.get is in 2.8.0');
    assert.equal(check('2.7').refuses('kong.vault.get', 'access'), true);
    assert.equal(check('3.0.0').refuses('kong.request.get_start_time', 'access'), false);
    assert.equal(check('3.4').refuses('kong.service.request.clear_query_arg', 'access'), true);
    assert.equal(check('3.9').refuses('kong.service.request.clear_query_arg', 'access'), false);
    assert.equal(check('3.9.3').refuses('kong.request.get_header', 'access'), false);
  });

  it('refuses kong.service.request.enable_tls on every release, not on master', () => {
    for (const release of pdkTable.releases.filter((r) => r !== 'master')) {
      assert.equal(check(release).refuses('kong.service.request.enable_tls', 'access'), true, release);
    }
    assert.equal(check('master').refuses('kong.service.request.enable_tls', 'access'), false);
  });

  it('checks per subsystem: preread is stream, log is either', () => {
    // kong.service.set_tls_verify: http since 2.3.0, stream since 3.2.0.
    const kong31 = check('3.1');
    assert.equal(kong31.refuses('kong.service.set_tls_verify', 'access'), false);
    assert.equal(kong31.refuses('kong.service.set_tls_verify', 'preread'), true);
    assert.equal(kong31.refuses('kong.service.set_tls_verify', 'log'), false, 'the log phase may be http');
    assert.equal(check('3.2').refuses('kong.service.set_tls_verify', 'preread'), false);
    // kong.client.tls.*: http only.
    assert.equal(kong31.refuses('kong.client.tls.disable_session_reuse', 'preread'), true);
    assert.equal(kong31.refuses('kong.client.tls.disable_session_reuse', 'certificate'), false);
  });

  it('refuses through its bridge at once, sends nothing, and names the function, the first release and --kong-version', async () => {
    const mock = new MockBridge([{ method: 'kong.request.get_header', args: ['host'], ret: 'example.com' }]);
    const kong = new Kong(check('2.8').bridge(mock, 'access'));
    const error = await rejection(kong.request.getStartTime());
    assert.equal(error.code, ErrorCodes.Unavailable);
    assert.equal(error.code, 'PDK_UNAVAILABLE');
    assert.equal(error.method, 'kong.request.get_start_time');
    assert.equal(
      error.message,
      'kong.request.get_start_time: Kong 2.8 does not have it (Kong has it from 3.0.0 on); refused without asking Kong, because the plugin server runs with --kong-version 2.8',
    );
    assert.equal(await kong.request.getHeader('host'), 'example.com', 'other calls go through');
    assert.deepEqual(mock.calls.map((call) => call.method), ['kong.request.get_header']);
    mock.assertDone();
  });

  it('says where Kong has a function that only master has, or only one subsystem', async () => {
    const tls = await rejection(new Kong(check('3.9.3').bridge(new MockBridge([]), 'access')).service.request.enableTls());
    assert.match(tls.message, /Kong 3\.9\.3 does not have it \(no Kong release has it, only Kong's development branch \(master\)\)/);
    const stream = await rejection(new Kong(check('3.1').bridge(new MockBridge([]), 'preread')).service.setTlsVerify(true));
    assert.match(stream.message, /Kong 3\.1 does not have it for stream plugins \(Kong has it in 2\.3\.0 \(http\), 3\.2\.0 \(stream\)\)/);
  });

  it('refuses a call that never returns too, and exposes the phase to the bindings', async () => {
    const bridge = check('3.4').bridge(new MockBridge([]), 'preread');
    assert.equal(bridge.phase, 'preread');
    const error = await rejection(bridge.exit('kong.service.request.clear_query_arg', ['a']));
    assert.equal(error.code, 'PDK_UNAVAILABLE');
  });

  it('hands back the bridge itself where the version lacks nothing', () => {
    const table: KongPdkTable = {
      source: pdkTable.source,
      releases: ['2.3.0', '3.0.0', 'master'],
      host: [
        { from: '2.3.0', to: '2.3.0', stepError: true, layout: { dispatch: 'init.lua', exposedApi: 'init.lua', indexTable: 'init.lua' } },
        { from: '3.0.0', to: 'master', stepError: false, layout: { dispatch: 'mp_rpc.lua', exposedApi: 'init.lua', indexTable: 'mp_rpc.lua' } },
      ],
      functions: {
        'kong.request.get_header': { since: '2.3.0', params: [{ from: '2.3.0', params: ['name'] }] },
        'kong.request.get_start_time': { since: '3.0.0', params: [{ from: '3.0.0', params: [] }] },
      },
    };
    const mock = new MockBridge([]);
    assert.equal(new KongVersionCheck(resolveKongVersion('3.0', table), table).bridge(mock, 'access'), mock);
    assert.notEqual(new KongVersionCheck(resolveKongVersion('2.3', table), table).bridge(mock, 'access'), mock);
  });
});

describe('a nil from a Kong without the function, with no --kong-version', () => {
  it('rejects with PDK_UNAVAILABLE where the binding needs a value and some releases lack the function', async () => {
    const kong = new Kong(new MockBridge([{ method: 'kong.request.get_start_time', args: [] }]));
    const error = await rejection(kong.request.getStartTime());
    assert.equal(error.code, 'PDK_UNAVAILABLE');
    assert.match(error.message, /^kong\.request\.get_start_time: Kong answered nil, as a Kong without this function does \(Kong has it from 3\.0\.0 on\): the running Kong is probably older\. Start the plugin server with --kong-version/);
  });

  it('stays a bad result for a function every release has, and undefined where undefined is a result', async () => {
    const kong = new Kong(
      new MockBridge([
        { method: 'kong.node.get_id', args: [] },
        { method: 'kong.service.request.clear_query_arg', args: ['a'] },
      ]),
    );
    assert.equal((await rejection(kong.node.getId())).code, 'PDK_BAD_RESULT');
    assert.equal(await kong.service.request.clearQueryArg('a'), undefined);
  });
});

describe('ifAvailable', () => {
  it('resolves as the call does, undefined on PDK_UNAVAILABLE, and rejects with anything else', async () => {
    assert.equal(await ifAvailable(Promise.resolve(7)), 7);
    assert.equal(await ifAvailable(Promise.reject(new PdkError(ErrorCodes.Unavailable, 'kong.x', 'missing'))), undefined);
    await assert.rejects(ifAvailable(Promise.reject(new PdkError(ErrorCodes.PdkCallFailed, 'kong.x', 'failed'))), /failed/);
    await assert.rejects(ifAvailable(Promise.reject(new Error('boom'))), /boom/);
  });

  it('gives the fallback pattern its value on 2.8 with and without --kong-version', async () => {
    const startMs = async (kong: Kong) => (await ifAvailable(kong.request.getStartTime())) ?? (await kong.nginx.reqStartTime()) * 1000;
    const withoutCheck = new MockBridge([
      { method: 'kong.request.get_start_time', args: [] },
      { method: 'kong.nginx.req_start_time', args: [], ret: 1_700_000_000.5 },
    ]);
    assert.equal(await startMs(new Kong(withoutCheck)), 1_700_000_000_500);
    withoutCheck.assertDone();
    const withCheck = new MockBridge([{ method: 'kong.nginx.req_start_time', args: [], ret: 1_700_000_000.5 }]);
    assert.equal(await startMs(new Kong(check('2.8').bridge(withCheck, 'access'))), 1_700_000_000_500);
    withCheck.assertDone();
  });
});
