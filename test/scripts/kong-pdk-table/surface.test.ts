/**
 * What the generator reads from a release: the PDK surface per subsystem
 * and the plugin-server host, on the made-up sources of `fake-kong.ts`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostFacts } from '../../../scripts/kong-pdk-table/host-rpc.ts';
import { pdkSurface } from '../../../scripts/kong-pdk-table/pdk-surface.ts';
import { hostFiles, pdkFiles } from './fake-kong.ts';

const surface = (version: 'old' | 'new', subsystem: 'http' | 'stream') => {
  const files = pdkFiles(version);
  return pdkSurface((p) => files.get(p), subsystem);
};

void describe('PDK surface', () => {
  void test('modules come from the list in init.lua, with the http-only insert applied', () => {
    assert.deepStrictEqual(surface('old', 'http').modules, ['request', 'response', 'log', 'client.tls']);
    assert.deepStrictEqual(surface('old', 'stream').modules, ['request', 'response', 'log']);
  });

  void test('functions of each module, by subsystem, with their parameters', () => {
    const http = surface('new', 'http').functions;
    assert.deepStrictEqual([...http.keys()].sort(), [
      'kong.client.tls.request_certificate',
      'kong.log.err',
      'kong.log.info',
      'kong.log.inspect',
      'kong.log.inspect.on',
      'kong.log.new',
      'kong.log.opaque',
      'kong.log.set_levels',
      'kong.request.get_a',
      'kong.request.get_new',
    ]);
    assert.deepStrictEqual(http.get('kong.request.get_new')?.params, ['limit']);
    assert.deepStrictEqual(http.get('kong.log.err')?.params, ['...']);
    assert.deepStrictEqual(http.get('kong.log.inspect')?.params, ['...'], 'a callable table takes its __call parameters, less self');
    assert.equal(http.get('kong.log.opaque')?.params, null, 'a table with a metatable from a library may be callable');
    const stream = surface('new', 'stream').functions;
    assert.ok(stream.has('kong.request.stream_only') && !http.has('kong.request.stream_only'));
    assert.ok(!stream.has('kong.client.tls.request_certificate'));
  });

  void test('a missing module file or module list is a clear error', () => {
    const files = pdkFiles('old');
    files.delete('kong/pdk/log.lua');
    assert.throws(() => pdkSurface((p) => files.get(p), 'http'), /kong\/pdk\/log\.lua is missing/);
    files.set('kong/pdk/init.lua', 'local P = {}\nreturn P');
    assert.throws(() => pdkSurface((p) => files.get(p), 'http'), /expected one list of PDK module names/);
  });

  void test('a module without a new constructor is a clear error', () => {
    const files = pdkFiles('old');
    files.set('kong/pdk/request.lua', 'return {}');
    assert.throws(() => pdkSurface((p) => files.get(p), 'http'), /does not return a table with a 'new' constructor/);
  });
});

void describe('plugin-server host', () => {
  void test('an old host passes errors on; its wrapped multi-map loses them', () => {
    const host = hostFacts(hostFiles('old'));
    assert.equal(host.stepError, true);
    assert.deepStrictEqual(host.layout, { dispatch: 'mp_rpc.lua', exposedApi: 'mp_rpc.lua', indexTable: 'mp_rpc.lua' });
    assert.deepStrictEqual([...host.entries.keys()], ['kong.nginx.get_ctx', 'kong.request.get_list', 'kong.request.get_a', 'kong.nginx.ref']);
    assert.deepStrictEqual([...host.multiMap], ['kong.request.get_list']);
    assert.equal(host.entries.get('kong.nginx.get_ctx')?.errorsTravel, false);
    assert.equal(host.entries.get('kong.request.get_a')?.errorsTravel, true, 'returns the PDK call whole');
    assert.deepStrictEqual(host.entries.get('kong.nginx.ref'), { params: null, errorsTravel: true });
  });

  void test('a new host keeps only the first value, and rewrites per must_fix', () => {
    const host = hostFacts(hostFiles('new'));
    assert.equal(host.stepError, false);
    assert.deepStrictEqual([...host.rawBin], ['kong.request.get_a']);
    assert.deepStrictEqual([...host.multiMap].sort(), ['kong.request.get_list']);
  });

  void test('a host the reader does not recognise is an error that says what changed', () => {
    const noRoot = hostFiles('old');
    noRoot.set('mp_rpc.lua', (noRoot.get('mp_rpc.lua') as string).replace('kong = kong,', ''));
    assert.throws(() => hostFacts(noRoot), /no 'kong = kong' root/);
    const noLog = hostFiles('new');
    noLog.set('mp_rpc.lua', (noLog.get('mp_rpc.lua') as string).replace('could not find pdk method: ', 'no method '));
    assert.throws(() => hostFacts(noLog), /could not find pdk method/);
    const otherLookup = hostFiles('old');
    otherLookup.set('mp_rpc.lua', (otherLookup.get('mp_rpc.lua') as string).replace('"\\\\w+"', '"[^.]+"'));
    assert.throws(() => hostFacts(otherLookup), /index_table no longer looks up/);
    const two = hostFiles('old');
    two.set('init.lua', 'local exposed_api = { kong = kong }');
    assert.throws(() => hostFacts(two), /expected one the exposed_api table, found 2/);
  });
});
