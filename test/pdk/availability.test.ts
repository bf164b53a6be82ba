/**
 * The generated availability table against facts checked by hand in Kong's
 * source (`git show <tag>:kong/pdk/…` of a mirror of github.com/Kong/kong),
 * and the questions `pdk/availability.ts` answers from it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  KongVersionError,
  availableIn,
  describeAvailability,
  firstReleaseWith,
  hostEraOf,
  paramsIn,
  parseKongVersion,
  pdkTable,
  reportsErrorsAsStepError,
  type KongPdkTable,
} from '../../pdk/availability.ts';

const record = (name: string) => {
  const r = pdkTable.functions[name];
  assert.ok(r !== undefined, `${name} is in the table`);
  return r;
};

void describe('the releases covered', () => {
  void test('every final tag from 2.3.0 to 3.9.3, then master; no rc, beta or alpha', () => {
    const releases = pdkTable.releases;
    assert.equal(releases[0], '2.3.0');
    assert.equal(releases.at(-1), 'master');
    for (const r of ['2.3.4', '2.4.0', '2.4.1', '2.8.5', '3.0.0', '3.4.2', '3.9.3']) assert.ok(releases.includes(r), r);
    assert.ok(releases.every((r) => r === 'master' || /^\d+\.\d+\.\d+$/.test(r)));
    assert.ok(!releases.includes('2.2.2'));
    const lines = new Set(releases.filter((r) => r !== 'master').map((r) => r.split('.').slice(0, 2).join('.')));
    assert.deepStrictEqual([...lines], ['2.3', '2.4', '2.5', '2.6', '2.7', '2.8', '3.0', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9']);
  });

  void test('the master commit read is recorded', () => {
    assert.match(pdkTable.source.master.commit, /^[0-9a-f]{40}$/);
    assert.match(pdkTable.source.master.version, /^\d+\.\d+\.\d+$/);
    assert.equal(pdkTable.source.repository, 'https://github.com/Kong/kong');
  });
});

void describe('first releases, checked in Kong source', () => {
  const firsts: Record<string, string> = {
    'kong.service.set_retries': '3.8.0',
    'kong.service.set_timeouts': '3.8.0',
    'kong.telemetry.log': '3.8.0',
    'kong.service.request.clear_query_arg': '3.9.0',
    'kong.vault.warmup': '3.5.0',
    'kong.request.get_raw_path': '3.0.0',
    'kong.request.get_start_time': '3.0.0',
    'kong.nginx.get_statistics': '3.0.0',
    'kong.request.get_uri_captures': '3.1.0',
    'kong.plugin.get_id': '3.3.0',
    'kong.vault.flush': '3.3.0',
    'kong.vault.update': '3.4.0',
    'kong.vault.get': '2.8.0',
    'kong.response.get_raw_body': '2.7.0',
    'kong.log.deprecation': '2.6.0',
    'kong.request.get_header': '2.3.0',
    'kong.nginx.get_ctx': '2.3.0',
  };
  for (const [name, since] of Object.entries(firsts)) {
    void test(`${name} since ${since}`, () => {
      assert.equal(firstReleaseWith(name), since);
      assert.equal(record(name).until, undefined, 'still on master');
    });
  }

  void test('the release just before has none of them', () => {
    const before: Record<string, string> = {
      'kong.service.set_retries': '3.7.1',
      'kong.telemetry.log': '3.7.1',
      'kong.service.request.clear_query_arg': '3.8.1',
      'kong.vault.warmup': '3.4.2',
      'kong.request.get_start_time': '2.8.5',
      'kong.request.get_uri_captures': '3.0.2',
      'kong.plugin.get_id': '3.2.2',
      'kong.vault.update': '3.3.1',
    };
    for (const [name, release] of Object.entries(before)) assert.equal(availableIn(name, release), false, `${name} in ${release}`);
  });

  void test('kong.service.request.enable_tls is in no release, only on master', () => {
    const name = 'kong.service.request.enable_tls';
    assert.equal(firstReleaseWith(name), 'master');
    assert.equal(availableIn(name, '3.9.3'), false);
    assert.equal(availableIn(name, 'master'), true);
    assert.equal(availableIn(name, 'master', 'stream'), false);
  });

  void test('kong.service.request.disable_tls: stream since 2.3.0, http only on master', () => {
    const name = 'kong.service.request.disable_tls';
    assert.equal(availableIn(name, '2.3.0', 'stream'), true);
    assert.equal(availableIn(name, '3.9.3', 'http'), false);
    assert.equal(availableIn(name, 'master', 'http'), true);
    assert.equal(describeAvailability(name), 'master (http), 2.3.0 (stream)');
    assert.equal(firstReleaseWith(name), '2.3.0', 'the first release with it in either subsystem');
  });

  void test('kong.client.tls.disable_http2_alpn was removed after 3.9.3', () => {
    const name = 'kong.client.tls.disable_http2_alpn';
    assert.equal(record(name).until, '3.9.3');
    assert.equal(availableIn(name, '3.9'), true);
    assert.equal(availableIn(name, 'master'), false);
    assert.equal(availableIn(name, '3.8.1'), false);
    assert.equal(describeAvailability(name), '3.9.0 to 3.9.3 (http only)');
  });

  void test('kong.client.tls.* never in stream; kong.service.set_tls_verify in stream from 3.2.0', () => {
    assert.equal(record('kong.client.tls.set_client_verify').stream, null);
    assert.equal(availableIn('kong.client.tls.set_client_verify', '3.4', 'stream'), false);
    assert.equal(availableIn('kong.service.set_tls_verify', '3.1.1', 'stream'), false);
    assert.equal(availableIn('kong.service.set_tls_verify', '3.2.0', 'stream'), true);
    assert.equal(availableIn('kong.service.set_tls_verify', '2.3.0', 'http'), true);
  });

  void test('names no Kong has are not available anywhere', () => {
    assert.equal(firstReleaseWith('kong.request.get_nothing'), undefined);
    assert.equal(availableIn('kong.request.get_nothing', 'master'), false);
    assert.throws(() => describeAvailability('kong.request.get_nothing'), /no Kong release/);
  });
});

void describe('what the host does, per release', () => {
  void test('2.3 to 2.8 report errors as StepError, 3.0 and later answer nil', () => {
    for (const v of ['2.3.0', '2.4', '2.8.5', '2.8']) assert.equal(reportsErrorsAsStepError(v), true, v);
    for (const v of ['3.0.0', '3.4.2', '3.9', 'master']) assert.equal(reportsErrorsAsStepError(v), false, v);
  });

  void test('on 2.x the multi-map getters and the host shims lose the error', () => {
    assert.equal(reportsErrorsAsStepError('2.8.5', 'kong.request.get_headers'), false);
    assert.equal(reportsErrorsAsStepError('2.8.5', 'kong.nginx.get_ctx'), false);
    assert.equal(reportsErrorsAsStepError('2.8.5', 'kong.service.request.set_body'), true);
    assert.equal(reportsErrorsAsStepError('2.8.5', 'kong.nginx.get_tls1_version_str'), true, 'a library function the host hands over as is');
  });

  void test('the RPC layer moved: 2.4.0, 2.4.1 and 3.9.0 change where exposed_api and the lookup live', () => {
    assert.deepStrictEqual(hostEraOf('2.3.4').layout, { dispatch: 'init.lua', exposedApi: 'init.lua', indexTable: 'init.lua' });
    assert.deepStrictEqual(hostEraOf('2.4.0').layout, { dispatch: 'mp_rpc.lua', exposedApi: 'mp_rpc.lua', indexTable: 'mp_rpc.lua' });
    assert.deepStrictEqual(hostEraOf('2.4.1').layout, { dispatch: 'mp_rpc.lua', exposedApi: 'init.lua', indexTable: 'mp_rpc.lua' });
    assert.deepStrictEqual(hostEraOf('3.9.0').layout, { dispatch: 'rpc/mp_rpc.lua', exposedApi: 'plugin.lua', indexTable: 'rpc/util.lua' });
    assert.equal(hostEraOf('master'), hostEraOf('3.9.3'));
  });

  void test('raw bodies are sent as bin from 3.0, multi-maps fixed in every release', () => {
    assert.deepStrictEqual(record('kong.request.get_raw_body').rawBin, [['3.0.0', 'master']]);
    assert.deepStrictEqual(record('kong.service.response.get_raw_body').rawBin, [['3.0.0', 'master']]);
    assert.deepStrictEqual(record('kong.response.get_headers').multiMap, [['2.3.0', 'master']]);
    assert.equal(record('kong.request.get_header').multiMap, undefined);
  });

  void test('the log-phase overrides appear when Kong added them', () => {
    assert.deepStrictEqual(record('kong.response.get_status').host, [['2.4.1', 'master']]);
    assert.deepStrictEqual(record('kong.request.get_header').host, [['2.7.0', 'master']]);
    assert.deepStrictEqual(record('kong.request.get_uri_captures').host, [['3.1.0', 'master']]);
  });
});

void describe('parameters over RPC', () => {
  void test('get_raw_body and get_body take max_allowed_file_size from 3.8.0', () => {
    assert.deepStrictEqual(paramsIn('kong.request.get_raw_body', '3.7.1'), []);
    assert.deepStrictEqual(paramsIn('kong.request.get_raw_body', '3.8.0'), ['max_allowed_file_size']);
    assert.deepStrictEqual(paramsIn('kong.request.get_body', '3.7.1'), ['mimetype', 'max_args']);
    assert.deepStrictEqual(paramsIn('kong.request.get_body', 'master'), ['mimetype', 'max_args', 'max_allowed_file_size']);
  });

  void test('kong.log.serialize takes no options over RPC: the host answers it itself', () => {
    assert.deepStrictEqual(paramsIn('kong.log.serialize', 'master'), []);
    assert.deepStrictEqual(record('kong.log.serialize').host, [['2.3.0', 'master']]);
  });

  void test('request_client_certificate takes ca_certs from 3.1.0', () => {
    assert.deepStrictEqual(paramsIn('kong.client.tls.request_client_certificate', '3.0.2'), []);
    assert.deepStrictEqual(paramsIn('kong.client.tls.request_client_certificate', '3.1.0'), ['ca_certs']);
  });

  void test('no parameters where the name does not resolve', () => {
    assert.equal(paramsIn('kong.vault.warmup', '3.4.2'), undefined);
  });
});

void describe('versions', () => {
  void test('x.y stands for every release of the line, x.y.z for one, master for master', () => {
    assert.deepStrictEqual(parseKongVersion('3.4').releases, ['3.4.0', '3.4.1', '3.4.2']);
    assert.deepStrictEqual(parseKongVersion('3.4.1').releases, ['3.4.1']);
    assert.deepStrictEqual(parseKongVersion('master').releases, ['master']);
    assert.deepStrictEqual(parseKongVersion('3.5').releases, ['3.5.0']);
  });

  void test('versions outside the table are errors that say what the table covers', () => {
    assert.throws(() => parseKongVersion('3.4.9'), (e: unknown) => e instanceof KongVersionError && /3\.4\.0, 3\.4\.1, 3\.4\.2/.test(e.message));
    assert.throws(() => parseKongVersion('2.2.0'), /covers Kong 2\.3\.0 to 3\.9\.3 and master/);
    assert.throws(() => parseKongVersion('3.10'), /not in the table/);
    for (const bad of ['v3.4', '3', '3.4.2.1', '', 'latest']) assert.throws(() => parseKongVersion(bad), /not a Kong version/, bad);
  });

  void test('availableIn over a line means every release of the line', () => {
    const table: KongPdkTable = {
      ...pdkTable,
      releases: ['2.4.0', '2.4.1', '2.5.0', 'master'],
      functions: { 'kong.x.f': { since: '2.4.1', params: [{ from: '2.4.1', params: [] }] } },
      host: [{ from: '2.4.0', to: 'master', stepError: true, layout: { dispatch: 'a', exposedApi: 'b', indexTable: 'c' } }],
    };
    assert.equal(availableIn('kong.x.f', '2.4', 'http', table), false);
    assert.equal(availableIn('kong.x.f', '2.4.1', 'http', table), true);
    assert.equal(availableIn('kong.x.f', '2.5', 'http', table), true);
  });

  void test('gaps and until are honoured', () => {
    const table: KongPdkTable = {
      ...pdkTable,
      releases: ['3.0.0', '3.1.0', '3.2.0', '3.3.0', 'master'],
      functions: { 'kong.x.g': { since: '3.0.0', until: '3.3.0', gaps: [['3.1.0', '3.1.0']], params: [{ from: '3.0.0', params: [] }] } },
    };
    assert.deepStrictEqual(
      ['3.0.0', '3.1.0', '3.2.0', '3.3.0', 'master'].map((v) => availableIn('kong.x.g', v, 'http', table)),
      [true, false, true, true, false],
    );
    assert.equal(describeAvailability('kong.x.g', table), '3.0.0 to 3.3.0, not in 3.1.0');
  });
});
