/**
 * `tspdk-js-pluginserver` / `tspdk js-pluginserver`: kong-js-pluginserver's
 * flags and query commands, run as Kong runs them (an empty environment, a
 * child process), and read as Kong 3.9 and 3.4 read their output.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { PluginDump } from '../../plugin/definition.ts';
import { CLI, NODE } from '../cli/support.ts';
import { FIXTURE_PLUGINS, JS_PLUGINSERVER, TempDirectories } from './fixtures.ts';

function run(args: readonly string[], program = JS_PLUGINSERVER): SpawnSyncReturns<string> {
  return spawnSync(NODE, [program, ...args], { env: {}, encoding: 'utf8', timeout: 30_000 });
}

/** What Kong 3.9 registers from a query command's output: `(dump.Plugins or dump)[1]`. */
function kong39Reads(stdout: string): PluginDump {
  const dump = JSON.parse(stdout) as { Plugins?: PluginDump[] } | PluginDump[];
  const list = Array.isArray(dump) ? dump : (dump.Plugins ?? []);
  assert.ok(list[0] !== undefined, 'Kong 3.9 indexes the first element; an empty or non-array dump fails its start');
  return list[0];
}

describe('tspdk-js-pluginserver query commands', () => {
  const temp = new TempDirectories();
  let directory: string;
  before(() => {
    directory = temp.plugins();
  });
  after(() => temp.cleanup());

  it('--dump-all-plugins prints every plugin as one JSON array, and nothing else on stdout', () => {
    const result = run(['--plugins-directory', directory, '--dump-all-plugins']);
    assert.equal(result.status, 0, result.stderr);
    const dump = JSON.parse(result.stdout) as PluginDump[];
    assert.deepEqual(dump.map((plugin) => plugin.Name).sort(), Object.keys(FIXTURE_PLUGINS).sort());
    assert.match(result.stderr, /noisy plugin loading/, "a plugin's console.log goes to stderr");
    assert.match(result.stderr, /skipped broken\.js .*broken at load/);
    assert.match(result.stderr, /skipped bad-schema\.js .*'eq' is not supported/);
    assert.match(result.stderr, /Kong 3\.9\+ reads only the first, so give each plugin its own entry with --dump-plugin-info/);
  });

  it('--dump-plugin-info <name> prints that plugin alone, as JSON Kong 3.9 reads, for every plugin', () => {
    for (const name of Object.keys(FIXTURE_PLUGINS)) {
      const result = run(['-d', directory, '--dump-plugin-info', name]);
      assert.equal(result.status, 0, result.stderr);
      const dump = JSON.parse(result.stdout) as PluginDump[];
      assert.equal(dump.length, 1);
      const info = kong39Reads(result.stdout);
      assert.equal(info.Name, name);
      assert.deepEqual(info.Phases, FIXTURE_PLUGINS[name as keyof typeof FIXTURE_PLUGINS]);
      assert.equal(info.Schema.name, name);
    }
  });

  it("takes kong-js-pluginserver's one-dash spellings, also as a tspdk subcommand", () => {
    const single = run(['-plugins-directory', directory, '-dump-plugin-info', 'gatekeeper']);
    assert.equal(single.status, 0, single.stderr);
    assert.equal(kong39Reads(single.stdout).Priority, 1500);
    const sub = run(['js-pluginserver', '-plugins-directory', directory, '-dump-plugin-info', 'esm-flag', '-kong-prefix', '/tmp', '-v'], CLI);
    assert.equal(sub.status, 0, sub.stderr);
    assert.equal(kong39Reads(sub.stdout).Name, 'esm-flag');
  });

  it('refuses a plugin the directory does not have, naming the ones it has', () => {
    const result = run(['-d', directory, '--dump-plugin-info', 'nope']);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /no plugin named "nope" in .* \(found: .*gatekeeper.*\)/);
  });

  it('asks for the plugins directory, as kong-js-pluginserver does', () => {
    const result = run(['--dump-all-plugins']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /--plugins-directory/);
  });
});
