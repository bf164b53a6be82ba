/**
 * One plugin awaiting something slow does not hold up other events: while
 * it waits `delayMs`, `rounds` rounds of 20 requests through other entities
 * all finish. faults.test.ts runs it for 1.5 s (`npm test`),
 * faults.slow.test.ts for 6 s (`npm run test:full`).
 */
import assert from 'node:assert/strict';
import { startTestServer } from '../support/server.ts';
import rely from './fixtures/rely.ts';

const entity = (mode: string, extra: Record<string, unknown>, key: string) => ({ name: 'rely', config: { mode, ...extra }, phases: ['access'], key });

/** Runs the check on a server of its own. */
export async function checkSlowAwait(delayMs: number, rounds: number): Promise<void> {
  const patient = await startTestServer([rely]);
  try {
    const host = patient.host({ workers: 4 });
    let slowDone = false;
    const slow = host.request([entity('slow', { delay: delayMs, tag: 'slow' }, 'slow')], {}, 0).then((response) => {
      slowDone = true;
      return response;
    });
    for (let round = 0; round < rounds; round++) {
      const fast = await Promise.all(Array.from({ length: 20 }, (_, i) => host.request([entity('echo', { tag: `f${i}` }, `echo${i}`)], {}, 1 + (i % 3))));
      for (const [i, response] of fast.entries()) assert.deepEqual(response.headers.get('x-echo-tag'), [`f${i}`]);
    }
    assert.equal(slowDone, false, 'all fast requests finished while the slow one was still running');
    assert.deepEqual((await slow).headers.get('x-echo-tag'), ['slow']);
  } finally {
    await patient.close();
  }
}
