/**
 * Walks the whole `pdkMethods` table against the availability table
 * generated from Kong's own sources (`pdk/availability.generated.ts`: every
 * `kong.*` name that resolves over MsgPack:1 in some release from 2.3.0 to
 * the newest, or on master). A misspelled name, a name no Kong has, a
 * function neither bound nor listed as omitted, or a bound name that exists
 * only on Kong's master branch without being marked so, fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pdkTable } from '../../pdk/availability.ts';
import { pdkMethods, pdkNamespaces } from '../../pdk/methods.ts';

/**
 * Bound names that no Kong release has, only master (after the newest
 * release tag). Each is a defect until Kong releases it: on every release a
 * call is logged as "could not find pdk method" and resolves with nothing.
 * Remove an entry once a regenerated table shows a release with it.
 */
const MASTER_ONLY: Readonly<Record<string, string>> = {
  'kong.service.request.enable_tls': 'added to Kong after 3.9.3 (commit 7fd7f0471b); in no release',
};

/** `kong.*` names Kong has (in some release or on master) that are left out on purpose (reasons in docs/pdk.md). */
const OMITTED: Readonly<Record<string, string>> = {
  'kong.client.tls.disable_http2_alpn': 'only in 3.9.x, gone again on master; an ALPN switch for Kong\'s own AI proxy',
  'kong.log.deprecation.write': 'the writer inside the kong.log.deprecation callable, not an API',
  'kong.log.inspect': 'debug pretty-printer for Lua values; kong.log.notice does the job for text',
  'kong.log.inspect.on': 'switches a per-worker Lua debugging flag',
  'kong.log.inspect.off': 'switches a per-worker Lua debugging flag',
  'kong.log.inspect.print': 'the writer behind kong.log.inspect, swapped by on/off',
  'kong.log.set_format': 'changes the format of the shared core logger for every plugin of the worker',
  'kong.log.trace': 'a no-op outside Kong test runs',
  'kong.log.new': 'returns a Lua logger object (functions) that cannot travel',
  'kong.response.get_raw_body': 'body_filter only',
  'kong.response.set_raw_body': 'body_filter only',
  'kong.service.set_target_retry_callback': 'takes a Lua function',
  'kong.service.set_tls_cert_key': 'takes OpenSSL cdata',
  'kong.service.set_tls_verify_store': 'takes a resty.openssl store object',
  'kong.table.new': 'Lua table utility',
  'kong.table.clear': 'Lua table utility',
  'kong.table.merge': 'Lua table utility',
  'kong.tracing.active_span': 'span objects hold functions and cdata',
  'kong.tracing.set_active_span': 'takes a span object',
  'kong.tracing.start_span': 'returns a span object that cannot be finished over RPC',
  'kong.tracing.create_span': 'takes a tracer object',
  'kong.tracing.link_span': 'takes a tracer and a span object',
  'kong.tracing.init_spans': "resets Kong's own span storage",
  'kong.tracing.get_spans': 'returns span objects',
  'kong.tracing.get_root_span': 'returns a span object',
  'kong.tracing.process_span': 'takes a Lua function',
  'kong.tracing.set_should_sample': 'a colon method: needs the tracer as self',
  'kong.tracing.get_sampling_decision': 'a colon method: needs the tracer as self',
  'kong.tracing.new': 'returns a tracer object',
  'kong.tracing.set_global_tracer': "replaces Kong's tracer for the whole worker",
  'kong.vault.try': 'takes a Lua function',
  'kong.vault.init_worker': "Kong's own worker start-up hook",
};

const known = pdkTable.functions;
const bound = Object.keys(pdkMethods);
const newest = pdkTable.releases.at(-2) as string;

/** Whether a name resolves in some release (either subsystem), not only on master. */
function inSomeRelease(name: string): boolean {
  const since = known[name]?.since;
  return since !== undefined && since !== 'master';
}

void test('every bound name resolves in some Kong release or on master', () => {
  assert.deepStrictEqual(bound.filter((name) => known[name] === undefined), []);
});

void test(`every bound name is in a release (2.3.0 … ${newest}), or is marked master-only`, () => {
  const masterOnly = bound.filter((name) => !inSomeRelease(name));
  assert.deepStrictEqual(masterOnly.sort(), Object.keys(MASTER_ONLY).sort(), 'bound names that no release has, and the marked ones, must be the same');
});

void test('every name Kong has is bound or listed as omitted', () => {
  const missing = Object.keys(known).filter((name) => !(name in pdkMethods) && !(name in OMITTED));
  assert.deepStrictEqual(missing, []);
});

void test('no omitted name is bound, and every omission is a name Kong has', () => {
  for (const name of Object.keys(OMITTED)) {
    assert.ok(known[name] !== undefined, `${name} is in no Kong release nor on master`);
    assert.ok(!(name in pdkMethods), `${name} is both omitted and bound`);
  }
});

void test('every host shim is bound, and the shims are the seven the host has always had', () => {
  const shims = Object.entries(known).filter(([, r]) => r.shim === true).map(([name]) => name);
  assert.deepStrictEqual(shims.filter((name) => !(name in pdkMethods)), []);
  assert.deepStrictEqual(shims.sort(), [
    'kong.ctx.shared.get',
    'kong.ctx.shared.set',
    'kong.nginx.get_ctx',
    'kong.nginx.get_tls1_version_str',
    'kong.nginx.get_var',
    'kong.nginx.req_start_time',
    'kong.nginx.set_ctx',
  ]);
});

void test('each namespace table holds only names of its own namespace', () => {
  for (const [namespace, table] of Object.entries(pdkNamespaces)) {
    for (const name of Object.keys(table)) {
      const rest = name.slice(namespace.length + 1);
      assert.ok(name.startsWith(`${namespace}.`) && !rest.includes('.'), `${name} is not a function of ${namespace}`);
    }
  }
});

void test('the union table has exactly the namespace tables', () => {
  const union = Object.values(pdkNamespaces).flatMap((table) => Object.keys(table));
  assert.equal(new Set(union).size, union.length, 'a name is in two namespace tables');
  assert.deepStrictEqual([...union].sort(), [...bound].sort());
});
