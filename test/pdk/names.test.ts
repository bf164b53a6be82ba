/**
 * Walks the whole `pdkMethods` table against the Lua PDK as read from
 * Kong's source (`kong/pdk/**.lua` and the host shims in
 * `kong/runloop/plugin_servers/plugin.lua`, master after 3.9.3). A
 * misspelled name, a missing module or a function neither bound nor listed
 * as omitted fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pdkMethods, pdkNamespaces } from '../../pdk/methods.ts';

/** Public functions of each Lua PDK module. */
const LUA_PDK: Readonly<Record<string, readonly string[]>> = {
  'kong.client': [
    'get_ip',
    'get_forwarded_ip',
    'get_port',
    'get_forwarded_port',
    'get_credential',
    'load_consumer',
    'get_consumer',
    'authenticate',
    'get_protocol',
  ],
  'kong.client.tls': ['request_client_certificate', 'disable_session_reuse', 'get_full_client_certificate_chain', 'set_client_verify'],
  'kong.cluster': ['get_id'],
  'kong.ip': ['is_trusted'],
  'kong.log': [
    'emerg',
    'alert',
    'crit',
    'err',
    'warn',
    'notice',
    'info',
    'debug',
    'deprecation',
    'inspect',
    'inspect.on',
    'inspect.off',
    'set_serialize_value',
    'serialize',
    'set_format',
    'trace',
    'new',
  ],
  'kong.nginx': ['get_subsystem', 'get_statistics'],
  'kong.node': ['get_id', 'get_memory_stats', 'get_hostname'],
  'kong.plugin': ['get_id'],
  'kong.request': [
    'get_scheme',
    'get_host',
    'get_port',
    'get_forwarded_scheme',
    'get_forwarded_host',
    'get_forwarded_port',
    'get_forwarded_path',
    'get_forwarded_prefix',
    'get_http_version',
    'get_method',
    'get_path',
    'get_raw_path',
    'get_path_with_query',
    'get_raw_query',
    'get_query_arg',
    'get_query',
    'get_header',
    'get_headers',
    'get_raw_body',
    'get_body',
    'get_start_time',
    'get_uri_captures',
  ],
  'kong.response': [
    'get_status',
    'get_header',
    'get_headers',
    'get_source',
    'set_status',
    'set_header',
    'add_header',
    'clear_header',
    'set_headers',
    'get_raw_body',
    'set_raw_body',
    'exit',
    'error',
  ],
  'kong.router': ['get_route', 'get_service'],
  'kong.service': [
    'set_upstream',
    'set_target',
    'set_target_retry_callback',
    'set_retries',
    'set_timeouts',
    'set_tls_cert_key',
    'set_tls_verify',
    'set_tls_verify_depth',
    'set_tls_verify_store',
  ],
  'kong.service.request': [
    'enable_buffering',
    'set_scheme',
    'set_path',
    'set_raw_query',
    'set_method',
    'set_query',
    'clear_query_arg',
    'set_header',
    'add_header',
    'clear_header',
    'set_headers',
    'set_raw_body',
    'set_body',
    'disable_tls',
    'enable_tls',
  ],
  'kong.service.response': ['get_status', 'get_headers', 'get_header', 'get_raw_body', 'get_body'],
  'kong.table': ['new', 'clear', 'merge'],
  'kong.telemetry': ['log'],
  'kong.tracing': [
    'active_span',
    'set_active_span',
    'start_span',
    'create_span',
    'link_span',
    'init_spans',
    'get_spans',
    'get_root_span',
    'process_span',
    'set_should_sample',
    'get_sampling_decision',
  ],
  'kong.vault': ['get', 'is_reference', 'parse_reference', 'update', 'flush', 'warmup', 'try', 'init_worker'],
};

/** Names the plugin-server host answers itself (`exposed_api`); they are not Lua PDK functions. */
const HOST_SHIMS: readonly string[] = [
  'kong.ctx.shared.get',
  'kong.ctx.shared.set',
  'kong.nginx.get_var',
  'kong.nginx.get_tls1_version_str',
  'kong.nginx.get_ctx',
  'kong.nginx.set_ctx',
  'kong.nginx.req_start_time',
];

/** Lua PDK functions left out on purpose (reasons in docs/pdk.md). */
const OMITTED: Readonly<Record<string, string>> = {
  'kong.log.inspect': 'debug pretty-printer for Lua values; kong.log.notice does the job for text',
  'kong.log.inspect.on': 'switches a per-worker Lua debugging flag',
  'kong.log.inspect.off': 'switches a per-worker Lua debugging flag',
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
  'kong.vault.try': 'takes a Lua function',
  'kong.vault.init_worker': "Kong's own worker start-up hook",
};

const luaNames = new Set(Object.entries(LUA_PDK).flatMap(([module, names]) => names.map((name) => `${module}.${name}`)));
const bound = Object.keys(pdkMethods);

void test('every bound name is a Lua PDK function or a host shim', () => {
  const unknown = bound.filter((name) => !luaNames.has(name) && !HOST_SHIMS.includes(name));
  assert.deepStrictEqual(unknown, []);
});

void test('every Lua PDK function is bound or listed as omitted', () => {
  const missing = [...luaNames].filter((name) => !(name in pdkMethods) && !(name in OMITTED));
  assert.deepStrictEqual(missing, []);
});

void test('no omitted function is bound, and every omission is a real Lua function', () => {
  for (const name of Object.keys(OMITTED)) {
    assert.ok(luaNames.has(name), `${name} is not in the Lua PDK list`);
    assert.ok(!(name in pdkMethods), `${name} is both omitted and bound`);
  }
});

void test('every host shim is bound', () => {
  assert.deepStrictEqual(
    HOST_SHIMS.filter((name) => !(name in pdkMethods)),
    [],
  );
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
