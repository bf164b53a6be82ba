/**
 * Reliability: SIGTERM and the event deadline of a real server process
 * (docs/protocol.md §2.3): events in flight finish within the grace period
 * (`--shutdown-grace`), those beyond it are cut, the process exits 0 and
 * never unlinks the socket path, also when a newer server already owns it
 * (Kong starts the new server before it stops the old one). The per-event
 * deadline (`--event-timeout`) fails a stuck event closed and frees it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { tempDirectory, waitFor } from '../support/server.ts';
import { RELY, spawnRely, type Spawned } from './spawn.ts';

const slow = (delay: number, tag: string) => ({ name: 'rely', config: { mode: 'slow', delay, tag }, phases: ['access'], key: `slow:${delay}:${tag}` });

/** Events running in the server, as `plugin.GetStatus` reports them. */
async function liveEvents(host: KongHost): Promise<number> {
  const status = await host.call('plugin.GetStatus', null, 1);
  return (status.result as { Events: number }).Events;
}

describe('shutdown', () => {
  const directories: string[] = [];
  const servers: Spawned[] = [];
  const hosts: KongHost[] = [];
  const setup = async (args: string[]) => {
    const directory = tempDirectory();
    directories.push(directory);
    const socket = join(directory, 'rely.socket');
    const server = await spawnRely(socket, args);
    servers.push(server);
    const host = new KongHost({ socket, workers: 2, poolSize: 64 });
    hosts.push(host);
    return { socket, server, host };
  };
  after(() => {
    for (const host of hosts) host.close();
    for (const server of servers) server.child.kill('SIGKILL');
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('lets events in flight finish after SIGTERM, then exits 0 and leaves the socket', { timeout: 60_000 }, async () => {
    const { socket, server, host } = await setup(['--shutdown-grace', '20000']);
    const requests = Array.from({ length: 20 }, (_, i) => host.request([slow(1500, `t${i}`)], {}, 0));
    await waitFor(async () => (await liveEvents(host)) === 20, 20_000, 'all events to be running');
    const started = Date.now();
    server.child.kill('SIGTERM');
    const responses = await Promise.all(requests);
    for (const [i, response] of responses.entries()) assert.deepEqual(response.headers.get('x-echo-tag'), [`t${i}`], response.errors.join('; '));
    const exit = await server.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - started < 15_000, 'exited once the events were done, well before the grace period ended');
    assert.ok(lstatSync(socket).isSocket(), 'SIGTERM must not unlink the socket path');
    assert.match(server.stderr(), /"msg":"stopping"/);
    assert.doesNotMatch(server.stderr(), /grace period over/);
  });

  it('cuts events still running when the grace period ends, exits 0 and leaves the socket', { timeout: 60_000 }, async () => {
    const { socket, server, host } = await setup(['--shutdown-grace', '300']);
    const requests = Array.from({ length: 10 }, (_, i) => host.request([slow(60_000, `t${i}`)], {}, 0));
    await waitFor(async () => (await liveEvents(host)) === 10, 20_000, 'all events to be running');
    const started = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    const took = Date.now() - started;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(took >= 250 && took < 10_000, `exited after ${took} ms`);
    for (const response of await Promise.all(requests)) {
      assert.equal(response.headers.get('x-echo-tag'), undefined);
      assert.match(response.errors.join('; '), /no data/);
    }
    assert.ok(lstatSync(socket).isSocket());
    assert.match(server.stderr(), /grace period over; exiting with events still running/);
  });

  it('exits on SIGTERM without touching the socket a newer server now owns (Kong reload order)', { timeout: 60_000 }, async () => {
    const { socket, server: old, host } = await setup([]);
    const first = await host.request([{ name: 'rely', config: { tag: 'old' }, phases: ['access'] }]);
    assert.deepEqual(first.headers.get('x-echo-tag'), ['old']);
    const newer = await spawnRely(socket, []);
    servers.push(newer);
    old.child.kill('SIGTERM');
    assert.deepEqual(await old.exited, { code: 0, signal: null });
    assert.ok(existsSync(socket));
    const fresh = new KongHost({ socket });
    hosts.push(fresh);
    const response = await fresh.request([{ name: 'rely', config: { tag: 'new' }, phases: ['access'] }]);
    assert.deepEqual(response.headers.get('x-echo-tag'), ['new']);
    const status = await fresh.call('plugin.GetStatus', null);
    assert.equal((status.result as { Pid: number }).Pid, newer.child.pid);
  });

  it('fails an event stuck past --event-timeout closed (500) and frees it', { timeout: 60_000 }, async () => {
    const { host } = await setup(['--event-timeout', '300']);
    const started = Date.now();
    const response = await host.request([{ name: 'rely', config: { mode: 'never' }, phases: ['access'] }], {}, 0);
    assert.equal(response.status, 500);
    assert.ok(Date.now() - started < 10_000);
    assert.ok(response.request.logs.some(([level, text]) => level === 'err' && /did not answer within 300 ms/.test(text)));
    await waitFor(async () => (await liveEvents(host)) === 0, 20_000, 'the event to be freed');
  });

  it('survives exceptions and rejections a plugin leaves outside its phase, logging them', { timeout: 60_000 }, async () => {
    const { server, host } = await setup([]);
    for (let i = 0; i < 5; i++) {
      const response = await host.request([{ name: 'rely', config: { mode: 'stray', tag: `s${i}` }, phases: ['access'], key: `stray${i}` }]);
      assert.deepEqual(response.headers.get('x-echo-tag'), [`s${i}`]);
    }
    await waitFor(() => /stray timer failure/.test(server.stderr()) && /stray rejection/.test(server.stderr()), 20_000, 'the stray failures to be logged');
    assert.equal(server.child.exitCode, null, 'still running');
    const after = await host.request([{ name: 'rely', config: { tag: 'after' }, phases: ['access'], key: 'after' }]);
    assert.deepEqual(after.headers.get('x-echo-tag'), ['after']);
    assert.match(server.stderr(), /uncaught exception \(thrown outside a phase method\)/);
    assert.match(server.stderr(), /unhandled promise rejection/);
    assert.match(server.stderr(), /"message":"a thrown object that cannot be described"/);
    assert.match(server.stderr(), /"message":"\[Object: null prototype\] \{\}"/);
  });

  it('keeps serving after SIGHUP, which a standalone plugin file does not reload, and says so', { timeout: 60_000 }, async () => {
    const { server, host } = await setup([]);
    server.child.kill('SIGHUP');
    await waitFor(() => server.stderr().includes('SIGHUP ignored'), 20_000, 'the SIGHUP to be logged');
    assert.equal(server.child.exitCode, null, 'still running');
    const response = await host.request([{ name: 'rely', config: { tag: 'after-hup' }, phases: ['access'], key: 'after-hup' }]);
    assert.deepEqual(response.headers.get('x-echo-tag'), ['after-hup']);
  });

  it('refuses a bad --shutdown-grace or --event-timeout', () => {
    for (const args of [['--shutdown-grace', '-1'], ['--shutdown-grace', 'soon'], ['--event-timeout', '0']]) {
      const result = spawnSync(process.execPath, [RELY, ...args], { env: {}, encoding: 'utf8', timeout: 10_000 });
      assert.notEqual(result.status, 0, args.join(' '));
      assert.match(result.stderr, /expected/);
    }
  });
});
