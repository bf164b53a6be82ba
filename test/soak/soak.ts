/**
 * The soak (issue 7): 1,000,000 events through a real plugin server process,
 * with mixed phases (rewrite, access, response, log), exits in rewrite and
 * access, and events that make no PDK call, from a Kong host stand-in with
 * four workers. Prints the server's RSS and event-map size at the start and
 * at the end. Not part of the default test command:
 *
 *   npm run soak                       # 1,000,000 events
 *   node dist/test/soak/soak.js 200000 # fewer
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KongHost, type ConfiguredPlugin } from '../../testing/host/kong-host.ts';
import { tempDirectory } from '../support/server.ts';
import { Prng } from '../reliability/prng.ts';
import { spawnRely } from '../reliability/spawn.ts';

const TARGET = Number(process.argv[2] ?? 1_000_000);
const CONCURRENCY = 64;
const PHASES = ['rewrite', 'access', 'response', 'log'];

/** Entities and how often a request goes through each (weights). */
const MIX: ReadonlyArray<[ConfiguredPlugin, number]> = [
  [{ name: 'rely', config: { mode: 'echo', tag: 'echo' }, phases: PHASES, key: 'soak:echo' }, 45],
  [{ name: 'rely', config: { mode: 'none' }, phases: PHASES, key: 'soak:none' }, 25],
  [{ name: 'rely', config: { mode: 'exit' }, phases: PHASES, key: 'soak:exit' }, 20],
  [{ name: 'rely', config: { mode: 'exit-rewrite' }, phases: PHASES, key: 'soak:exit-rewrite' }, 10],
];

function pick(rng: Prng): ConfiguredPlugin {
  let roll = rng.int(100);
  for (const [entity, weight] of MIX) {
    if (roll < weight) return entity;
    roll -= weight;
  }
  return (MIX[0] as [ConfiguredPlugin, number])[0];
}

/** The server's resident set, in MiB, from /proc. */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Math.round(Number(match[1]) / 1024);
}

async function status(host: KongHost): Promise<{ events: number; started: number; instances: number }> {
  const reply = await host.call('plugin.GetStatus', null);
  const result = reply.result as { Events: number; EventsStarted: number; Instances: unknown[] };
  return { events: result.Events, started: result.EventsStarted, instances: result.Instances.length };
}

async function main(): Promise<void> {
  const directory = tempDirectory('tspdk-soak-');
  const socket = join(directory, 'rely.socket');
  const server = await spawnRely(socket);
  const pid = server.child.pid as number;
  const host = new KongHost({ socket, workers: 4, poolSize: 64 });
  const rng = new Prng(0x50a4);
  const outcomes = new Map<string, number>();
  let requests = 0;
  let errors = 0;

  const run = async (until: () => boolean): Promise<void> => {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (!until()) {
          const response = await host.request([pick(rng)]);
          requests++;
          if (response.errors.length > 0) errors++;
          for (const [, outcome] of response.phases) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }),
    );
  };

  // Warm up, then take the starting figures.
  let warm = 0;
  await run(() => warm++ >= 5000);
  const start = { ...(await status(host)), rss: rssMiB(pid), at: Date.now() };
  console.log(`start: server RSS ${start.rss} MiB, events in the map ${start.events}, instances ${start.instances}`);

  let lastReport = Date.now();
  let done = false;
  const watcher = (async () => {
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const now = await status(host);
      if (now.started - start.started >= TARGET) done = true;
      if (Date.now() - lastReport >= 15_000) {
        lastReport = Date.now();
        console.log(`  ${now.started - start.started} events, RSS ${rssMiB(pid)} MiB, map ${now.events}`);
      }
    }
  })();
  await run(() => done);
  await watcher;
  // Let in-flight log events end.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const end = { ...(await status(host)), rss: rssMiB(pid), at: Date.now() };
  const events = end.started - start.started;
  const seconds = (end.at - start.at) / 1000;
  console.log(`end:   server RSS ${end.rss} MiB, events in the map ${end.events}, instances ${end.instances}`);
  console.log(
    `soaked ${events} events (${requests} requests, ${Math.round(events / seconds)} events/s over ${seconds.toFixed(0)} s); ` +
      `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; requests with host errors ${errors}`,
  );
  console.log(JSON.stringify({ events, requests, seconds, rssStartMiB: start.rss, rssEndMiB: end.rss, mapStart: start.events, mapEnd: end.events }));
  host.close();
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(directory, { recursive: true, force: true });
  if (end.events !== 0 || errors > 0) process.exitCode = 1;
}

await main();
