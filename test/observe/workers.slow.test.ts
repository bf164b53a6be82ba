/**
 * `--metrics` with `--workers 2`, as Kong runs it: one endpoint, on the
 * primary, whose counts are the exact sums over both workers; a worker
 * killed with SIGKILL is replaced without its counts going backwards or
 * being counted twice.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { spawnServer, type Spawned } from '../reliability/spawn.ts';
import { observedConfig, type ObservedMode } from '../fixtures/observed.ts';
import { sample, samples, scrape } from '../support/metrics.ts';
import { tempDirectory, waitFor } from '../support/server.ts';

const here = dirname(fileURLToPath(import.meta.url));
const OBSERVED = join(here, '..', 'fixtures', 'observed.js');

const spawned: Spawned[] = [];
after(() => {
  for (const server of spawned) server.child.kill('SIGKILL');
});

/** The pids of `pid`'s child processes (Linux). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('metrics with --workers 2', () => {
  it('serves the sums over the workers, exactly, and keeps a replaced worker\'s counts', async () => {
    const socket = join(tempDirectory(), 'observed.socket');
    const server = await spawnServer([OBSERVED, '--socket', socket, '--workers', '2', '--metrics', '127.0.0.1:0'], 60_000);
    spawned.push(server);
    const line = server.stderr().split('\n').find((text) => text.includes('"msg":"metrics endpoint listening"'));
    const url = (JSON.parse(line as string) as { metrics: string }).metrics;
    // Two nginx workers: two connections, which the primary hands to different workers.
    const host = new KongHost({ socket, workers: 2, callTimeoutMs: 10_000 });
    const served = { ok: 0, exit: 0 };
    const run = async (mode: ObservedMode, count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const response = await host.request([observedConfig(mode)]);
        const outcome = response.phases[0]?.[1];
        if (mode === 'ok' && outcome === 'ret') served.ok++;
        if (mode === 'exit' && outcome === 'exit') served.exit++;
      }
    };
    await run('ok', 20);
    await run('exit', 4);
    assert.deepEqual(served, { ok: 20, exit: 4 });
    const status = await host.call('plugin.GetStatus', null);
    const workers = (status.result as { Workers: Array<{ EventsStarted: number }> }).Workers;
    assert.equal(workers.length, 2);
    assert.ok(workers.every((worker) => worker.EventsStarted > 0), 'both workers served events');

    let all = samples(await scrape(url));
    const events = (outcome: string, phase = 'access'): number | undefined => sample(all, 'tspdk_events_total', { plugin: 'observed', phase, outcome });
    assert.equal(events('ok'), 20);
    assert.equal(events('exit'), 4);
    assert.equal(events('ok', 'log'), 24);
    assert.equal(sample(all, 'tspdk_event_duration_seconds_count', { plugin: 'observed', phase: 'access' }), 24);
    assert.equal(sample(all, 'observed_greetings_total', { kind: 'hello' }), 20);
    assert.equal(sample(all, 'tspdk_pdk_calls_total', { method: 'kong.request.get_header', outcome: 'ok' }), 20);
    // Each nginx worker started its own instance of each config; a worker's copy of a sibling's is not counted.
    assert.equal(sample(all, 'tspdk_instances', { plugin: 'observed' }), 4);
    assert.equal(sample(all, 'tspdk_workers'), 2);
    assert.equal(sample(all, 'tspdk_worker_restarts_total'), 0);
    assert.equal(sample(all, 'tspdk_connections'), 2);

    const pid = server.child.pid as number;
    const [victim] = childPids(pid);
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    await waitFor(() => childPids(pid).length === 2 && !childPids(pid).includes(victim), 15_000, 'a new worker');
    for (let tries = 0; sample(samples(await scrape(url)), 'tspdk_workers') !== 2; tries++) {
      assert.ok(tries < 100, 'the new worker serves within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    all = samples(await scrape(url));
    assert.equal(events('ok'), 20, 'the dead worker\'s counts stay');
    assert.equal(events('exit'), 4);
    assert.equal(sample(all, 'observed_greetings_total', { kind: 'hello' }), 20);
    assert.equal(sample(all, 'tspdk_worker_restarts_total'), 1);

    // Kong reconnects and starts the lost instances again ("No plugin instance"); every new event counts once.
    await run('ok', 10);
    all = samples(await scrape(url));
    assert.equal(events('ok'), served.ok);
    assert.ok(served.ok >= 28, `most requests after the kill were served: ${served.ok - 20} of 10`);
    assert.equal(sample(all, 'observed_greetings_total', { kind: 'hello' }), served.ok);
    assert.ok((sample(all, 'tspdk_rpc_errors_total', { kind: 'no_instance' }) ?? 0) >= 1, 'Kong was told its instances were gone');
    host.close();
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  });
});
