/**
 * kong-pdk plugins, unchanged, through tspdk: a plugins directory loaded as
 * `tspdk js-pluginserver` loads it, served by the real plugin server on a
 * socket and driven by the Kong host stand-in (2.x and 3.x hosts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadKongPdkPlugins } from '../../compat/kong-pdk/loader.ts';
import type { LoadResult } from '../../server/modules/loader.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { startPluginServer, type WireServer } from '../../testing/run/wire.ts';
import { KongHost } from '../../testing/host/kong-host.ts';
import type { FakeRequestInit } from '../../testing/host/host-request.ts';
import { FIXTURE_PLUGINS, TempDirectories } from './fixtures.ts';

const temp = new TempDirectories();
after(() => temp.cleanup());

describe('a kong-pdk plugins directory', () => {
  let directory: string;
  let result: LoadResult;
  const notes: Array<[string, Readonly<Record<string, unknown>>]> = [];

  before(async () => {
    directory = temp.plugins();
    result = await loadKongPdkPlugins(directory, { warn: (message, details) => notes.push([message, details]) });
  });

  it('loads single files, ES modules, package directories and TypeScript, by kong-pdk names', () => {
    const names = result.plugins.map((plugin) => plugin.definition.name).sort();
    assert.deepEqual(names, Object.keys(FIXTURE_PLUGINS).sort());
    for (const plugin of result.plugins) {
      assert.deepEqual(plugin.definition.phases, FIXTURE_PLUGINS[plugin.definition.name as keyof typeof FIXTURE_PLUGINS], plugin.definition.name);
    }
    const gatekeeper = result.plugins.find((plugin) => plugin.definition.name === 'gatekeeper');
    assert.equal(gatekeeper?.source, join(directory, 'gatekeeper'));
    assert.equal(gatekeeper?.file, join(directory, 'gatekeeper', 'lib', 'main.js'));
  });

  it('reports what cannot load, skips helpers, tests and assets, and never lets one module break the others', () => {
    const failed = result.failures.map((failure) => [failure.file.slice(directory.length + 1), String(failure.error)]);
    assert.deepEqual(failed.map(([file]) => file).sort(), ['bad-schema.js', 'broken.js']);
    assert.match(String(failed.find(([file]) => file === 'broken.js')?.[1]), /broken at load/);
    assert.match(String(failed.find(([file]) => file === 'bad-schema.js')?.[1]), /config\.mode: attribute 'eq' is not supported by tspdk/);
    assert.deepEqual(result.helpers, [join(directory, 'stamp-helper.js')]);
  });

  it('dumps each plugin as Kong reads it: the declared Schema under config, Version, Priority, Phases', () => {
    const stamp = result.plugins.find((plugin) => plugin.definition.name === 'header-stamp')?.definition;
    assert.deepEqual(stamp?.dump, {
      Name: 'header-stamp',
      Version: '1.2.0',
      Priority: 900,
      Phases: ['access', 'log'],
      Schema: {
        name: 'header-stamp',
        fields: [{ config: { type: 'record', fields: [{ stamp: { type: 'string', default: 'on' } }, { upper: { type: 'boolean', default: false } }] } }],
      },
    });
    const flag = result.plugins.find((plugin) => plugin.definition.name === 'esm-flag')?.definition;
    assert.equal(flag?.dump.Version, '3');
    assert.deepEqual(flag?.dump.Schema.fields, [{ config: { type: 'record', fields: [{ flag: { type: 'string', one_of: ['red', 'green'], default: 'green' } }] } }]);
  });

  describe('served over the wire', () => {
    let server: WireServer;
    let plugins: Map<string, PluginDefinition>;

    before(async () => {
      plugins = new Map(result.plugins.map((plugin) => [plugin.definition.name, plugin.definition]));
      server = await startPluginServer([...plugins.values()]);
    });
    after(() => server.close());

    const plugin = (name: string): PluginDefinition => plugins.get(name) as PluginDefinition;
    const configured = (name: string, config: Record<string, unknown> = {}) => ({ name, config, phases: plugin(name).phases });

    it('gives the constructor the config exactly as Kong sent it, and answers a missing header with undefined', async () => {
      const response = await server.host.request([configured('header-stamp', { stamp: 'v9', upper: false })]);
      assert.deepEqual(response.errors, []);
      assert.deepEqual(response.headers.get('x-missing'), ['yes']);
      assert.deepEqual(response.headers.get('x-stamp'), ['v9:-']);
      const { Plugin } = createRequire(import.meta.url)(join(directory, 'header-stamp.js')) as { Plugin: { lastConfig: Record<string, unknown> } };
      assert.equal(Plugin.lastConfig['__seq__'], 1, "Kong's meta keys reach the constructor, as under kong-pdk");
      assert.equal(Plugin.lastConfig['stamp'], 'v9');
      const logged = response.request.logs.find(([level]) => level === 'notice');
      assert.deepEqual(logged, ['notice', 'header-stamp saw 200 {"upper":false}']);
    });

    it('delivers raw bodies as Buffers on Kong 3.x', async () => {
      const response = await server.host.request([configured('body-echo')], { method: 'POST', body: 'héllo wörld' });
      assert.equal(response.status, 200);
      assert.equal(response.body, 'HÉLLO WÖRLD');
      assert.deepEqual(response.headers.get('x-body-kind'), ['buffer']);
      assert.deepEqual(response.headers.get('x-body-length'), [String(Buffer.byteLength('héllo wörld'))]);
    });

    it('loads a package directory with its own node_modules; exit resolves and the code after it runs, as under kong-pdk', async () => {
      const { Stats } = createRequire(import.meta.url)(join(directory, 'gatekeeper', 'lib', 'main.js')) as { Stats: { deniedAfterExit: number; challenged: number } };
      const config = { tokens: ['t-1', 't-2'] };
      const denied = await server.host.request([configured('gatekeeper', config)], { headers: { 'x-token': 'nope' } });
      assert.equal(denied.status, 403);
      assert.deepEqual(denied.body, { message: 'token refused' });
      assert.deepEqual(denied.headers.get('x-denied'), ['yes']);
      assert.equal(denied.request.serviceHeaders.has('x-gatekeeper'), false);
      await waitFor(() => Stats.deniedAfterExit === 1);

      const challenged = await server.host.request([configured('gatekeeper', config)]);
      assert.equal(challenged.status, 401);
      assert.deepEqual(challenged.headers.get('www-authenticate'), ['Token'], 'exit(status, null, headers) keeps the headers');
      await waitFor(() => Stats.challenged === 1);

      const passed = await server.host.request([configured('gatekeeper', config)], { headers: { 'x-token': 't-2' } });
      assert.equal(passed.status, 200);
      assert.deepEqual(passed.request.serviceHeaders.get('x-gatekeeper'), ['passed']);
    });

    it('runs ES modules, default exports and TypeScript files', async () => {
      const flag = await server.host.request([configured('esm-flag', { flag: 'red' })]);
      assert.deepEqual(flag.request.serviceHeaders.get('x-flag'), ['red']);
      const ctx = await server.host.request([configured('ctx-pair', { key: 'k1' })]);
      assert.deepEqual(ctx.headers.get('x-ctx'), ['from-access']);
      const typed = await server.host.request([configured('typed-greeting', { greeting: 'hey', times: 3 })]);
      assert.deepEqual(typed.headers.get('x-greeting'), ['hey hey hey']);
    });

    it('fails closed where kong-pdk let the request through: a phase that throws, a constructor that throws', async () => {
      const thrown = await server.host.request([configured('misbehave')], { headers: { 'x-mode': 'throw' } });
      assert.equal(thrown.status, 500);
      assert.equal(thrown.response.source, 'error');
      assert.match(thrown.request.logs.map(([, message]) => message).join('\n'), /misbehave failed in access, request ends with 500: misbehave threw on purpose/);

      const probe = await server.host.request([configured('config-probe', { explode: true })]);
      assert.equal(probe.status, 500);
      assert.match(probe.request.logs.map(([, message]) => message).join('\n'), /constructor refused this config/);
      // Kong fills in defaults before it sends a config; the constructor gets what was sent, no more.
      const fine = await server.host.request([configured('config-probe', { explode: false })]);
      assert.deepEqual(fine.headers.get('x-config-keys'), ['__key__,__plugin_id,__seq__,explode']);
    });

    it('sends a name Kong lacks to Kong, which answers nil, and notes it once', async () => {
      const init: FakeRequestInit = { headers: { 'x-mode': 'unknown' }, absent: ['kong.request.get_nonexistent_thing'] };
      const response = await server.host.request([configured('misbehave')], init);
      assert.deepEqual(response.headers.get('x-unknown'), ['undefined']);
      assert.ok(response.request.logs.some(([, message]) => message === 'could not find pdk method: kong.request.get_nonexistent_thing'));
      assert.ok(notes.some(([message]) => message.startsWith('kong.request.get_nonexistent_thing is not a PDK function of any Kong release')));
    });

    it('drops arguments after a nil as Kong does, and notes it', async () => {
      const response = await server.host.request([configured('misbehave')], { headers: { 'x-mode': 'hole' } });
      assert.deepEqual(response.errors.filter((error) => !/x-hole/.test(error)), []);
      assert.ok(notes.some(([message]) => /kong\.service\.request\.set_header: argument 2 is null but later arguments are set/.test(message)));
    });

    it('rejects an argument MessagePack cannot carry with PDK_BAD_ARGUMENT instead of stranding the event', async () => {
      const response = await server.host.request([configured('misbehave')], { headers: { 'x-mode': 'function-arg' } });
      assert.deepEqual(response.headers.get('x-bad-arg'), ['PDK_BAD_ARGUMENT']);
    });

    it('is not a thenable: awaiting a namespace sends nothing', async () => {
      const response = await server.host.request([configured('misbehave')], { headers: { 'x-mode': 'thenable' } });
      assert.deepEqual(response.headers.get('x-thenable'), ['function']);
      assert.equal(response.request.calls.some(([, method]) => method.endsWith('.then')), false);
    });

    it('ends the request with kong.response.error', async () => {
      const response = await server.host.request([configured('misbehave')], { headers: { 'x-mode': 'error-exit' } });
      assert.equal(response.status, 418);
    });
  });

  describe('served with --kong-version', () => {
    let server: WireServer;

    before(async () => {
      server = await startPluginServer(result.plugins.map((plugin) => plugin.definition), { kongVersion: '3.4', checkVersion: true });
    });
    after(() => server.close());

    it('rejects a call that release lacks at once with PDK_UNAVAILABLE, as for tspdk plugins', async () => {
      const response = await server.host.request([{ name: 'misbehave', phases: ['access'] }], { headers: { 'x-mode': 'newer-call' } });
      const [answer] = response.headers.get('x-newer-call') ?? [];
      assert.match(answer ?? '', /^PDK_UNAVAILABLE\|.*kong\.service\.request\.clear_query_arg.*3\.9/);
      assert.equal(response.request.calls.some(([, method]) => method === 'kong.service.request.clear_query_arg'), false, 'nothing was sent to Kong');
    });

    it('sends the same call to a Kong that has it', async () => {
      const newest = await startPluginServer(result.plugins.map((plugin) => plugin.definition), { kongVersion: 'master', checkVersion: true });
      try {
        const response = await newest.host.request([{ name: 'misbehave', phases: ['access'] }], { headers: { 'x-mode': 'newer-call' }, query: { apikey: 'k' } });
        assert.deepEqual(response.headers.get('x-newer-call'), ['sent']);
      } finally {
        await newest.close();
      }
    });
  });

  describe('served to a Kong 2.x host', () => {
    let host: KongHost;
    let server: WireServer;

    before(async () => {
      server = await startPluginServer(result.plugins.map((plugin) => plugin.definition), { version: '2.x' });
      host = new KongHost({ socket: server.socket, version: '2.x' });
    });
    after(async () => {
      host.close();
      await server.close();
    });

    it('rejects a call Kong reports as failed with a PDKError worded as kong-pdk words it', async () => {
      const response = await host.request([{ name: 'misbehave', phases: ['access'] }], {
        headers: { 'x-mode': 'step-error' },
        failures: { 'kong.service.set_upstream': 'could not find an Upstream named nowhere' },
      });
      assert.deepEqual(response.headers.get('x-step-error'), ['PDKError|PDK method kong.service.set_upstream failed:  could not find an Upstream named nowhere']);
    });

    it('gives Kong 2.x raw bodies (str) as strings, as kong-pdk does', async () => {
      const response = await host.request([{ name: 'body-echo', phases: ['access'] }], { method: 'POST', body: 'plain text' });
      assert.equal(response.body, 'PLAIN TEXT');
      assert.deepEqual(response.headers.get('x-body-kind'), ['string']);
    });
  });
});

describe('two modules giving one name', () => {
  const source = (tag: string, name?: string): string =>
    `class P { async access (kong) { await kong.response.setHeader('x-from', '${tag}') } }\n` +
    `module.exports = { Plugin: P, Version: '1.0.0'${name === undefined ? '' : `, Name: '${name}'`} }\n`;

  it('serve the one named after the plugin, and a query for that plugin finds the same one', async () => {
    const directory = temp.make();
    writeFileSync(join(directory, 'alpha.js'), source('alpha', 'twin'));
    writeFileSync(join(directory, 'twin.js'), source('twin.js'));
    writeFileSync(join(directory, 'zeta.js'), source('zeta', 'Twin'));
    const all = await loadKongPdkPlugins(directory);
    assert.deepEqual(all.plugins.map((plugin) => plugin.file), [join(directory, 'twin.js')]);
    assert.deepEqual(all.failures.map((failure) => failure.file).sort(), [join(directory, 'alpha.js'), join(directory, 'zeta.js')]);
    assert.match(String(all.failures[0]?.error), /two modules are named "twin"; serving .*twin\.js/);
    const one = await loadKongPdkPlugins(directory, { find: 'twin' });
    assert.deepEqual(one.plugins.map((plugin) => plugin.file), [join(directory, 'twin.js')]);
    assert.deepEqual(one.failures, [], 'the query loaded the module named after the plugin and stopped');
  });

  it('serve the first in name order when none is named after the plugin', async () => {
    const directory = temp.make();
    writeFileSync(join(directory, 'b.js'), source('b', 'pair'));
    writeFileSync(join(directory, 'a.js'), source('a', 'pair'));
    const all = await loadKongPdkPlugins(directory);
    assert.deepEqual(all.plugins.map((plugin) => plugin.file), [join(directory, 'a.js')]);
    const one = await loadKongPdkPlugins(directory, { find: 'pair' });
    assert.deepEqual(one.plugins.map((plugin) => plugin.file), [join(directory, 'a.js')]);
  });
});

/** Resolves once `check` holds (the code after an exit runs after Kong has the exit). */
async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
