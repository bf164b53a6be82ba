/**
 * Bindings whose behaviour differs between Kong releases say how, in their
 * doc comment.
 *
 * On Kong 2.x a PDK function's `nil, err` reaches the plugin server as
 * `plugin.StepError` and the call rejects with `PDK_CALL_FAILED`. The bound
 * functions that return such an error, read from Kong 2.8.5's `kong/pdk`
 * (`git show 2.8.5:kong/pdk/<module>.lua`: a `return nil, err`, or a tail call
 * into `resty.kong.tls` or `ngx.ssl` helpers that return `nil, err`), must say
 * so; the 2.x host keeps the error for each of them. `maxAllowedFileSize`
 * exists from Kong 3.8, and `enable_tls` in no release.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { firstReleaseWith, paramsIn, reportsErrorsAsStepError } from '../../pdk/availability.ts';
import { bindingMethods } from '../../scripts/kong-pdk-table/bindings.ts';

/** Lua function → the failure in 2.8.5 that returns `nil, err`. */
const FAILS_ON_2X: Readonly<Record<string, string>> = {
  'kong.client.load_consumer': 'a database error',
  'kong.client.get_protocol': '"No active route found"',
  'kong.client.tls.request_client_certificate': 'resty.kong.tls returns nil, err',
  'kong.client.tls.disable_session_reuse': 'resty.kong.tls returns nil, err',
  'kong.client.tls.get_full_client_certificate_chain': 'resty.kong.tls returns nil, err',
  'kong.cluster.get_id': 'the cache lookup fails',
  'kong.request.get_raw_body': 'the body is in a file',
  'kong.request.get_body': 'missing or unsupported content type, invalid body',
  'kong.service.set_upstream': "could not find an Upstream named '…'",
  'kong.service.set_tls_verify': 'set_upstream_ssl_verify returns nil, err',
  'kong.service.set_tls_verify_depth': 'set_upstream_ssl_verify_depth returns nil, err',
  'kong.service.request.set_header': 'cannot set :authority pseudo-header on non-grpc requests',
  'kong.service.request.set_body': 'content type was neither explicitly given nor found',
  'kong.service.response.get_body': 'missing content type, invalid json body',
  'kong.vault.get': 'the vault cannot load the value',
  'kong.vault.parse_reference': 'not a reference',
};

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

/** The doc comment of the binding of `luaName`. */
function docOf(luaName: string, methods = bindingMethods(root)): string {
  const binding = methods.find((method) => method.luaName === luaName);
  assert.ok(binding?.doc !== undefined, `${luaName} has a documented binding`);
  return readFileSync(resolve(root, binding.file), 'utf8').slice(binding.doc.start, binding.doc.end).replace(/\s*\n\s*\* ?/g, ' ');
}

void test('the 2.x host reports the errors of these functions as StepError (none is rewritten or shimmed)', () => {
  for (const name of Object.keys(FAILS_ON_2X)) assert.equal(reportsErrorsAsStepError('2.8.5', name), true, name);
});

void test('their bindings say that Kong 2.x rejects with PDK_CALL_FAILED', () => {
  const methods = bindingMethods(root);
  const missing = Object.keys(FAILS_ON_2X).filter((name) => {
    const doc = docOf(name, methods);
    return !/2\.x/.test(doc) || !doc.includes('PDK_CALL_FAILED');
  });
  assert.deepEqual(missing, []);
});

void test('getRawBody and getBody say that maxAllowedFileSize is Kong 3.8+, and what 3.0 to 3.7 do instead', () => {
  assert.deepEqual(paramsIn('kong.request.get_raw_body', '3.7.1'), []);
  assert.deepEqual(paramsIn('kong.request.get_raw_body', '3.8.0'), ['max_allowed_file_size']);
  assert.match(docOf('kong.request.get_raw_body'), /`maxAllowedFileSize` is a Kong 3\.8\+ parameter: Kong 2\.3 to 3\.7 drop it and never read a body nginx buffered to a file/);
  assert.match(docOf('kong.request.get_raw_body'), /on Kong 3\.0 to 3\.7 nothing avoids it/);
  assert.match(docOf('kong.request.get_body'), /Kong 3\.8\+; Kong 2\.3 to 3\.7 drop it, and a body nginx buffered to a file then decodes to `undefined`/);
});

void test('enableTls says that no release has it, and that --kong-version of a release refuses it', () => {
  assert.equal(firstReleaseWith('kong.service.request.enable_tls'), 'master');
  const doc = docOf('kong.service.request.enable_tls');
  assert.match(doc, /\*\*Master only: no Kong release has it\.\*\*/);
  assert.match(doc, /`--kong-version` of a release rejects the call at once with `PDK_UNAVAILABLE`/);
});
