/**
 * Many events through one server, a third ending in exit, a third making no
 * PDK call, a third making calls: afterwards the server holds no event state.
 * lifetime.test.ts runs 5,000 (`npm test`), lifetime.slow.test.ts 100,000
 * (`npm run test:full`).
 */
import assert from 'node:assert/strict';
import { probeConfig, type ProbeMode } from '../fixtures/probe.ts';
import type { TestServer } from '../support/server.ts';

/** The probe plugin in `mode`, with only its access phase. */
export const accessOnly = (mode: ProbeMode) => ({ ...probeConfig(mode), phases: ['access'] });

/** Runs `total` events through `server`, 64 at a time, and checks each outcome and that none is left. */
export async function driveEvents(server: TestServer, total: number): Promise<void> {
  const host = server.host({ workers: 4, poolSize: 64 });
  const modes = [accessOnly('exit'), accessOnly('none'), accessOnly('hello')];
  const concurrency = 64;
  let next = 0;
  const counts = { exit: 0, none: 0, hello: 0 };
  const startedBefore = (server.running.server.status()['EventsStarted'] as number) ?? 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const plugin = modes[i % 3] as (typeof modes)[number];
        const response = await host.request([plugin], { headers: { host: 'h' } });
        if (plugin.config.mode === 'exit') {
          assert.equal(response.status, 403);
          counts.exit++;
        } else if (plugin.config.mode === 'none') {
          assert.equal(response.request.calls.length, 0);
          counts.none++;
        } else {
          assert.deepEqual(response.headers.get('x-probe'), ['hello h']);
          counts.hello++;
        }
      }
    }),
  );
  assert.equal(counts.exit + counts.none + counts.hello, total);
  assert.ok(counts.exit >= Math.floor(total / 3) && counts.none >= Math.floor(total / 3));
  assert.equal((server.running.server.status()['EventsStarted'] as number) - startedBefore, total);
  assert.equal(server.running.server.liveEvents, 0);
}
