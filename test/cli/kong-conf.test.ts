/**
 * `tspdk kong-conf`: the output is parsed and read the way Kong's conf loader
 * and plugin-server code read it (docs/protocol.md §2): names lower-cased,
 * `-` → `_` in property names, default sockets per version, one plugin per
 * query command in 3.9+, readiness only for servers Kong starts in 3.1–3.4.
 * Then the commands are run as Kong runs them (`/bin/sh -c "exec …"`, empty
 * environment) and every plugin is reached through its entry's socket.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { parseKongVersion, propertyName, shellQuote, type KongVersion } from '../../cli/kong-conf.ts';
import { FIXTURES, runCli, Scratch, startProcess, type Child } from './support.ts';

const PLUGINS = ['alpha', 'beta-two', 'gamma'];

/** One layout as printed: its id, kong.conf properties and environment. */
interface PrintedLayout {
  readonly id: string;
  readonly title: string;
  readonly conf: Map<string, string>;
  readonly env: Map<string, string>;
}

/** Splits `tspdk kong-conf` output into layouts, parsing kong.conf lines as Kong does (`key = value`, `\#`). */
function parseOutput(text: string): PrintedLayout[] {
  const layouts: PrintedLayout[] = [];
  let current: PrintedLayout | undefined;
  let section: 'conf' | 'env' | undefined;
  for (const line of text.split('\n')) {
    const header = /^# ==== Layout \d+ \(([a-z-]+)\): (.*) ====$/.exec(line);
    if (header !== null) {
      current = { id: header[1] as string, title: header[2] as string, conf: new Map(), env: new Map() };
      layouts.push(current);
      section = undefined;
    } else if (line.startsWith('# ---- kong.conf')) section = 'conf';
    else if (line.startsWith('# ---- environment')) section = 'env';
    else if (line === '' || line.startsWith('#')) continue;
    else if (current !== undefined && section === 'conf') {
      const match = /^([a-z0-9_]+) = (.*)$/.exec(line);
      assert.ok(match !== null, `kong.conf line: ${line}`);
      current.conf.set(match[1] as string, (match[2] as string).replaceAll('\\#', '#'));
    } else if (current !== undefined && section === 'env') {
      const match = /^(KONG_[A-Z0-9_]+)=(.*)$/.exec(line);
      assert.ok(match !== null, `environment line: ${line}`);
      current.env.set(match[1] as string, match[2] as string);
    } else assert.fail(`unexpected line: ${line}`);
  }
  return layouts;
}

/** A plugin server entry as Kong's conf loader builds it. */
interface KongServerDef {
  readonly name: string;
  readonly socket: string;
  readonly startCmd?: string;
  readonly queryCmd?: string;
}

/** Kong's reading of `pluginserver_names` and its properties for a version (docs/protocol.md §2.1). */
function kongServerDefs(conf: Map<string, string>, version: KongVersion, prefix: string): KongServerDef[] {
  const names = (conf.get('pluginserver_names') ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  return names.map((raw) => {
    const name = version.major === 2 && version.minor === 3 ? raw : raw.toLowerCase();
    const base = `pluginserver_${name.replaceAll('-', '_')}`;
    const defaultSocket = version.major > 3 || (version.major === 3 && version.minor >= 9) ? `${prefix}/${name}.socket` : `/usr/local/kong/${name}.socket`;
    const startCmd = conf.get(`${base}_start_cmd`);
    const queryCmd = conf.get(`${base}_query_cmd`);
    return {
      name,
      socket: conf.get(`${base}_socket`) ?? defaultSocket,
      ...(startCmd === undefined ? {} : { startCmd }),
      ...(queryCmd === undefined ? {} : { queryCmd }),
    };
  });
}

/** Runs a query command as Kong does (popen through /bin/sh), stdout only; cached. */
const queries = new Map<string, unknown>();
function query(command: string): unknown {
  if (!queries.has(command)) {
    const result = spawnSync('/bin/sh', ['-c', command], { env: {}, encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 0, `${command}\n${result.stderr}`);
    queries.set(command, JSON.parse(result.stdout) as unknown);
  }
  return queries.get(command);
}

/** Which server each plugin name is registered with, as Kong `version` registers dumps (docs/protocol.md §2.2). */
function registeredPlugins(defs: readonly KongServerDef[], version: KongVersion): Map<string, KongServerDef> {
  const registered = new Map<string, KongServerDef>();
  for (const def of defs) {
    if (def.queryCmd === undefined) {
      assert.ok(version.major < 3 || version.minor < 9, `Kong 3.9+ refuses a server without query_cmd (${def.name})`);
      continue;
    }
    const dump = query(def.queryCmd) as { Plugins?: unknown[] } | unknown[];
    const infos = (Array.isArray(dump) ? dump : (dump.Plugins ?? [])) as Array<{ Name: string }>;
    const used = version.major > 3 || (version.major === 3 && version.minor >= 9) ? infos.slice(0, 1) : infos;
    for (const info of used) registered.set(info.Name, def);
  }
  return registered;
}

describe('tspdk kong-conf', () => {
  const scratch = new Scratch();
  const children: Child[] = [];
  after(() => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    scratch.cleanup();
  });

  function kongConf(prefix: string, extra: string[] = []): PrintedLayout[] {
    const result = runCli(['kong-conf', FIXTURES, '--kong-prefix', prefix, ...extra]);
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /alpha loading/, 'plugin output stays off stdout');
    return parseOutput(result.stdout);
  }

  it('prints three layouts whose environment variables mirror their kong.conf lines', () => {
    const prefix = scratch.directory();
    const layouts = kongConf(prefix);
    assert.deepEqual(layouts.map((layout) => layout.id), ['per-plugin', 'shared', 'shared-single']);
    for (const layout of layouts) {
      assert.equal(layout.conf.get('plugins'), `bundled,${PLUGINS.join(',')}`);
      // Kong lower-cases env names into properties.
      const fromEnv = new Map([...layout.env].map(([key, value]) => [key.slice('KONG_'.length).toLowerCase(), value]));
      assert.deepEqual(fromEnv, layout.conf);
      for (const [key, value] of layout.conf) {
        if (!key.endsWith('_cmd')) continue;
        const [node, cli] = value.split(' ');
        assert.equal(node, process.execPath, 'absolute node: Kong gives servers a minimal PATH');
        assert.ok(cli?.startsWith('/') && cli.endsWith('/dist/cli/main.js'));
      }
    }
    const perPlugin = layouts[0] as PrintedLayout;
    // "-" becomes "_" in property names only; the entry and the socket keep the dash.
    assert.equal(perPlugin.conf.get('pluginserver_names'), 'alpha,beta-two,gamma');
    assert.equal(perPlugin.conf.get('pluginserver_beta_two_socket'), `${prefix}/beta-two.socket`);
    assert.equal([...perPlugin.conf.keys()].some((key) => key.includes('-')), false);
    const shared = layouts[1] as PrintedLayout;
    assert.ok(shared.conf.has('pluginserver_alpha_start_cmd'));
    assert.equal(shared.conf.has('pluginserver_beta_two_start_cmd'), false, 'one start_cmd for the shared process');
    assert.equal(shared.conf.has('pluginserver_gamma_start_cmd'), false);
  });

  it('spells out every socket, so the defaults of 2.3-3.8 (/usr/local/kong) and 3.9+ (<prefix>) never apply', () => {
    const prefix = scratch.directory();
    for (const layout of kongConf(prefix)) {
      for (const version of [parseKongVersion('2.8.5'), parseKongVersion('3.9.1')] as KongVersion[]) {
        for (const def of kongServerDefs(layout.conf, version, prefix)) {
          assert.ok(layout.conf.has(propertyName(def.name, 'socket')), `${layout.id}: ${def.name} has a socket line`);
          assert.ok(def.socket.startsWith(`${prefix}/`));
        }
      }
    }
  });

  for (const [versionText, expected] of [
    ['2.3', ['per-plugin', 'shared', 'shared-single']],
    ['3.2', ['per-plugin', 'shared-single']],
    ['3.6', ['per-plugin', 'shared', 'shared-single']],
    ['3.9', ['per-plugin', 'shared']],
  ] as const) {
    it(`prints only layouts that work on Kong ${versionText}, and each registers every plugin there`, () => {
      const version = parseKongVersion(versionText) as KongVersion;
      const prefix = scratch.directory();
      const layouts = kongConf(prefix, ['--kong-version', versionText]);
      assert.deepEqual(layouts.map((layout) => layout.id), expected);
      for (const layout of layouts) {
        const defs = kongServerDefs(layout.conf, version, prefix);
        const registered = registeredPlugins(defs, version);
        const wanted = (layout.conf.get('plugins') ?? '').split(',').filter((name) => name !== 'bundled');
        assert.deepEqual([...registered.keys()].sort(), [...wanted].sort(), `${layout.id} on ${versionText}`);
        if (version.major === 3 && version.minor >= 1 && version.minor <= 4) {
          // Readiness check: only servers Kong starts ever become ready.
          for (const name of wanted) assert.ok(registered.get(name)?.startCmd !== undefined, `${layout.id}: ${name} would never run on ${versionText}`);
        }
        assert.ok(defs.some((def) => def.startCmd !== undefined));
      }
    });
  }

  for (const layoutId of ['per-plugin', 'shared', 'shared-single']) {
    it(`starts the ${layoutId} layout's servers as Kong does and reaches every plugin through its entry's socket`, async () => {
      const prefix = scratch.directory();
      const [layout] = kongConf(prefix, ['--layout', layoutId]);
      assert.equal(layout?.id, layoutId);
      const version = parseKongVersion(layoutId === 'shared-single' ? '3.4' : '3.9') as KongVersion;
      const defs = kongServerDefs(layout.conf, version, prefix);
      const started: Child[] = [];
      for (const def of defs) {
        if (def.startCmd === undefined) continue;
        const child = startProcess('/bin/sh', ['-c', `exec ${def.startCmd}`]);
        children.push(child);
        started.push(child);
      }
      for (const child of started) await child.waitForLog('"listening"');
      const registered = registeredPlugins(defs, version);
      for (const [name, def] of registered) {
        const host = new KongHost({ socket: def.socket });
        try {
          const started = await host.call('plugin.StartInstance', { Name: name, Config: '{}' });
          assert.equal(started.error, null, `${name} via ${def.socket}`);
        } finally {
          host.close();
        }
      }
      for (const child of started) {
        child.process.kill('SIGTERM');
        assert.equal(await child.exited(), 0);
        assert.equal(child.stdout(), '');
      }
      for (const def of defs) assert.ok(existsSync(def.socket), `${def.socket} stays after SIGTERM`);
      rmSync(prefix, { recursive: true, force: true });
    });
  }

  it('passes --workers to every start command, and the server Kong starts runs that many workers', async () => {
    const prefix = scratch.directory();
    const [layout] = kongConf(prefix, ['--layout', 'shared', '--workers', '2']);
    const starts = [...(layout?.conf ?? new Map<string, string>())].filter(([key]) => key.endsWith('_start_cmd'));
    assert.equal(starts.length, 1);
    const startCmd = starts[0]?.[1] ?? '';
    assert.match(startCmd, / --workers 2$/);
    const child = startProcess('/bin/sh', ['-c', `exec ${startCmd}`]);
    children.push(child);
    await child.waitForLog('"listening"');
    assert.match(child.stderr(), /"workers":2/);
    const host = new KongHost({ socket: join(prefix, 'beta-two.socket') });
    try {
      assert.equal((await host.call('plugin.StartInstance', { Name: 'beta-two', Config: '{}' })).error, null);
    } finally {
      host.close();
    }
    child.process.kill('SIGTERM');
    assert.equal(await child.exited(), 0);
    // `auto` stays `auto`: it counts the CPUs of the machine Kong runs on.
    for (const printed of kongConf(prefix, ['--workers', 'auto'])) {
      for (const [key, value] of printed.conf) if (key.endsWith('_start_cmd')) assert.match(value, / --workers auto$/, key);
    }
    const refused = runCli(['kong-conf', FIXTURES, '--kong-prefix', prefix, '--workers', '0']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /expected a number of workers from 1 to 64, or auto/);
  });

  it('passes --kong-version to every start command, where the server checks PDK calls against it', async () => {
    const prefix = scratch.directory();
    const layouts = kongConf(prefix, ['--kong-version', '3.4', '--workers', '2']);
    assert.deepEqual(layouts.map((layout) => layout.id), ['per-plugin', 'shared-single']);
    for (const layout of layouts) {
      const starts = [...layout.conf].filter(([key]) => key.endsWith('_start_cmd'));
      assert.ok(starts.length > 0);
      for (const [key, value] of starts) assert.match(value, / --workers 2 --kong-version 3\.4$/, key);
      for (const [key, value] of layout.conf) if (key.endsWith('_query_cmd')) assert.doesNotMatch(value, /--kong-version/, key);
    }
    const [first] = [...(layouts[0]?.conf ?? new Map<string, string>())].filter(([key]) => key.endsWith('_start_cmd'));
    const child = startProcess('/bin/sh', ['-c', `exec ${first?.[1] ?? ''}`]);
    children.push(child);
    await child.waitForLog('PDK calls are checked against Kong 3.4');
    await child.waitForLog('"listening"');
    child.process.kill('SIGTERM');
    assert.equal(await child.exited(), 0);
    // master counts as the version of master the table was read at (3.9+ layouts); a version that cannot be checked is refused.
    assert.deepEqual(kongConf(prefix, ['--kong-version', 'master']).map((layout) => layout.id), ['per-plugin', 'shared']);
    const unknown = runCli(['kong-conf', FIXTURES, '--kong-prefix', prefix, '--kong-version', '2.9']);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /there is no Kong 2\.9 release/);
    const malformed = runCli(['kong-conf', FIXTURES, '--kong-prefix', prefix, '--kong-version', 'three']);
    assert.match(malformed.stderr, /'three' is not a Kong version/);
  });

  it('quotes arguments for /bin/sh and parses Kong versions', () => {
    assert.equal(shellQuote('/opt/tspdk/dist/cli/main.js'), '/opt/tspdk/dist/cli/main.js');
    assert.equal(shellQuote('/my plugins/a.js'), "'/my plugins/a.js'");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.deepEqual(parseKongVersion('3.4.2'), { major: 3, minor: 4 });
    assert.equal(parseKongVersion('three'), undefined);
    assert.equal(propertyName('My-Plugin', 'start_cmd'), 'pluginserver_my_plugin_start_cmd');
  });
});
