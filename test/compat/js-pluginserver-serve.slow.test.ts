/**
 * `tspdk-js-pluginserver` serving a kong-pdk plugins directory as Kong
 * starts it (child process, empty environment), driven by the Kong host
 * stand-in over `<kong-prefix>/<sock-name>`: what tspdk's own plugins get,
 * these get too (logs on stderr only, serverPid, ids that differ across
 * restarts, SIGTERM, SIGHUP reload, --workers).
 */
import assert from 'node:assert/strict';
import { lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { CLI, NODE, startProcess, type Child } from '../cli/support.ts';
import { JS_PLUGINSERVER, TempDirectories } from './fixtures.ts';

const stamp = { name: 'header-stamp', config: { stamp: 's', upper: false }, phases: ['access', 'log'] };
const gatekeeper = { name: 'gatekeeper', config: { tokens: ['t'] }, phases: ['access'] };
const flag = { name: 'esm-flag', config: { flag: 'red' }, phases: ['rewrite'] };

describe('tspdk-js-pluginserver serving', () => {
  const temp = new TempDirectories();
  const children: Child[] = [];
  const start = (args: readonly string[], program = JS_PLUGINSERVER): Child => {
    const child = startProcess(NODE, [program, ...args]);
    children.push(child);
    return child;
  };
  after(() => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    temp.cleanup();
  });

  it('serves every plugin of the directory on <kong-prefix>/js_pluginserver.sock, logs on stderr only, and keeps the socket on SIGTERM', async () => {
    const directory = temp.plugins();
    const prefix = temp.make();
    const server = start(['--plugins-directory', directory, '--kong-prefix', prefix, '-v']);
    await server.waitForLog('"listening"');
    const host = new KongHost({ socket: join(prefix, 'js_pluginserver.sock') });
    try {
      const first = await host.request([stamp, gatekeeper, flag], { headers: { 'x-in': 'a', 'x-token': 't' } });
      assert.deepEqual(first.errors, []);
      assert.deepEqual(first.headers.get('x-stamp'), ['s:a']);
      assert.deepEqual(first.request.serviceHeaders.get('x-gatekeeper'), ['passed']);
      assert.deepEqual(first.request.serviceHeaders.get('x-flag'), ['red']);
      const denied = await host.request([gatekeeper], { headers: { 'x-token': 'no' } });
      assert.equal(denied.status, 403);
      assert.deepEqual(host.connections[0]?.notifications[0], ['serverPid', server.process.pid]);
    } finally {
      host.close();
    }
    server.process.kill('SIGTERM');
    assert.equal(await server.exited(), 0);
    assert.ok(lstatSync(join(prefix, 'js_pluginserver.sock')).isSocket(), 'SIGTERM leaves the socket to the next server');
    assert.equal(server.stdout(), '', 'stdout carries nothing, not even the plugins console.log');
    assert.match(server.stderr(), /noisy plugin loading/);
    assert.match(server.stderr(), /"msg":"skipped broken\.js/);
    for (const line of server.stderr().split('\n').filter((text) => text.startsWith('{'))) JSON.parse(line);
  });

  it('gives instances ids a restarted server does not reuse, and Kong resets on the new serverPid', async () => {
    const directory = temp.plugins({ trouble: false });
    const prefix = temp.make();
    const host = new KongHost({ socket: join(prefix, 'js_pluginserver.sock'), workers: 1 });
    const ids: unknown[] = [];
    try {
      for (let round = 0; round < 2; round++) {
        const server = start(['-d', directory, '-p', prefix]);
        await server.waitForLog('"listening"');
        const response = await host.request([stamp], { headers: { 'x-in': String(round) } });
        assert.deepEqual(response.headers.get('x-stamp'), [`s:${round}`]);
        ids.push((await host.call('plugin.GetStatus', null)).result);
        server.process.kill('SIGKILL');
        await server.exited();
      }
    } finally {
      host.close();
    }
    const instanceIds = ids.map((status) => ((status as { Instances: Array<{ Id: number }> }).Instances[0] as { Id: number }).Id);
    assert.notEqual(instanceIds[0], instanceIds[1]);
    assert.ok(host.resets >= 1, 'the second server announced a new pid; Kong dropped the old instance ids');
  });

  it('reloads the plugin code on SIGHUP, keeping the instances, and serves through --workers 2 on a --sock-name', async () => {
    const directory = temp.plugins({ trouble: false });
    const prefix = temp.make();
    const server = start(['js-pluginserver', '-plugins-directory', directory, '-kong-prefix', prefix, '--sock-name', 'js.sock', '--workers', '2'], CLI);
    await server.waitForLog(/"workers":2,"msg":"listening"/);
    const host = new KongHost({ socket: join(prefix, 'js.sock') });
    try {
      const before = await Promise.all(Array.from({ length: 8 }, (_, i) => host.request([stamp], { headers: { 'x-in': `r${i}` } })));
      for (const [i, response] of before.entries()) assert.deepEqual(response.headers.get('x-stamp'), [`s:r${i}`]);
      const started = host.instancesStarted;
      writeFileSync(join(directory, 'stamp-helper.js'), "'use strict'\nexports.stampOf = (config, incoming) => 'v2/' + config.stamp + ':' + incoming\n");
      const from = server.stderr().length;
      server.process.kill('SIGHUP');
      await server.waitForLog('"msg":"reloaded"', 10_000, from);
      await server.waitForLog(/"msg":"reloaded"[\s\S]*"msg":"reloaded"/, 10_000, from);
      const afterReload = await Promise.all(Array.from({ length: 4 }, () => host.request([stamp], { headers: { 'x-in': 'z' } })));
      for (const response of afterReload) assert.deepEqual(response.headers.get('x-stamp'), ['v2/s:z']);
      assert.equal(host.instancesStarted, started, 'Kong started no new instance: the reload kept them');
    } finally {
      host.close();
    }
    server.process.kill('SIGTERM');
    assert.equal(await server.exited(), 0);
    assert.equal(server.stdout(), '');
  });
});
