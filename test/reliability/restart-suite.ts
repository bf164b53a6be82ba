/**
 * Reliability: kill -9 under load and restart, 100 times (issue 7,
 * docs/protocol.md §5.4). A Kong host stand-in with two workers keeps
 * requests running through four entities of the same plugin, each with its
 * own config tag; the server process is killed mid-traffic and a new one
 * takes over the same socket path. Every round: the new process hands out
 * instance ids no earlier process used, the host recovers (through "No plugin
 * instance" when the server does not announce its pid, through `serverPid`
 * when it does), and every event runs with the config its host sent: the tag
 * echoed in `x-echo-tag` is always the requested entity's.
 *
 * restart.slow.test.ts runs 100 rounds (`npm run test:full`), restart.test.ts
 * 6 (`npm test`); `TSPDK_RESTARTS` overrides both.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { tempDirectory, waitFor } from '../support/server.ts';
import { Prng } from './prng.ts';
import { spawnRely, type Spawned } from './spawn.ts';

const LOOPS = 6;
const ENTITIES = Array.from({ length: 4 }, (_, i) => ({
  name: 'rely',
  config: { mode: 'echo', tag: `service-${i}` },
  phases: ['access'],
  key: `plugins:rely:service-${i}`,
}));

/** The restart suite: `rounds` kill -9 restarts under load. */
export function describeRestarts(rounds: number): void {
  const ROUNDS = Number(process.env['TSPDK_RESTARTS'] ?? rounds);

  describe('restarts', () => {
    it(`survives ${ROUNDS} kill -9 restarts under load without ever running an event with another instance's config`, { timeout: 300_000 }, async (t) => {
      const directory = tempDirectory();
      const socket = join(directory, 'rely.socket');
      const host = new KongHost({ socket, workers: 2, poolSize: 8 });
      const rng = new Prng(0x5eed);
      const idsByRound = new Map<number, number>();
      const wrong: string[] = [];
      let served = 0;
      let failedDuringKills = 0;
      let recoveredByPid = 0;
      let recoveredByNoInstance = 0;
      let server: Spawned | undefined;
      // The traffic of the current round; stopped in `finally` too, so a failed assertion cannot leave it spinning.
      const traffic = { stop: false };
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const announce = round % 2 === 0;
          server = await spawnRely(socket, announce ? [] : ['--no-server-pid']);
          const resetsBefore = host.resets;
          let ok = 0;
          traffic.stop = false;
          const loop = async (): Promise<void> => {
            while (!traffic.stop) {
              const entity = ENTITIES[rng.int(ENTITIES.length)] as (typeof ENTITIES)[number];
              const response = await host.request([entity]);
              const tag = response.headers.get('x-echo-tag');
              if (tag === undefined) {
                failedDuringKills++;
                continue;
              }
              if (tag.length !== 1 || tag[0] !== entity.config.tag) wrong.push(`round ${round}: ${entity.config.tag} got ${tag.join(',')}`);
              ok++;
              served++;
            }
          };
          const loops = Array.from({ length: LOOPS }, loop);
          // Recovered: requests succeed again on this process.
          const killAfter = 20 + rng.int(40);
          await waitFor(() => ok >= killAfter, 60_000, `requests to succeed after restart ${round} (${ok} so far)`);
          if (round > 0) {
            assert.ok(host.resets > resetsBefore, `round ${round}: the host reset its instances`);
            if (announce) recoveredByPid++;
            else recoveredByNoInstance++;
          }
          const status = await host.call('plugin.GetStatus', null);
          const instances = (status.result as { Instances: Array<{ Id: number }> }).Instances;
          for (const { Id } of instances) {
            const earlier = idsByRound.get(Id);
            assert.ok(earlier === undefined || earlier === round, `instance id ${Id} of round ${round} was used in round ${String(earlier)}`);
            idsByRound.set(Id, round);
          }
          // kill -9 mid-traffic.
          server.child.kill('SIGKILL');
          const exit = await server.exited;
          assert.equal(exit.signal, 'SIGKILL', `round ${round}: the server exited by itself (${String(exit.code)}): ${server.stderr().slice(-2000)}`);
          traffic.stop = true;
          await Promise.all(loops);
        }
      } finally {
        traffic.stop = true;
        server?.child.kill('SIGKILL');
        host.close();
        rmSync(directory, { recursive: true, force: true });
      }
      t.diagnostic(
        `restarts: ${ROUNDS}; requests served: ${served}; failed around kills: ${failedDuringKills}; ` +
          `recovered via serverPid: ${recoveredByPid}, via "No plugin instance": ${recoveredByNoInstance}; distinct instance ids: ${idsByRound.size}`,
      );
      assert.deepEqual(wrong, []);
      assert.ok(idsByRound.size >= ROUNDS * 2, 'each round started instances (one per worker and entity used)');
    });
  });
}
