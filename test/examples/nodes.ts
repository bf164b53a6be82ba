/**
 * Kong nodes for the rate-limit tests: each a plugin server process of the
 * rate-limit example, started as Kong starts it, with Kong's side of it.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KongHost, type ConfiguredPlugin } from '../../testing/host/kong-host.ts';
import { spawnServer, type Spawned } from '../reliability/spawn.ts';
import { tempDirectory } from '../support/server.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The compiled rate-limit example. */
export const RATE_LIMIT = join(here, '..', '..', 'examples', 'rate-limit.js');

export interface Node {
  readonly server: Spawned;
  readonly host: KongHost;
}

const directories: string[] = [];
const nodes: Node[] = [];

/** Stops every node still running and removes their directories. */
export async function stopAllNodes(): Promise<void> {
  await Promise.all(nodes.map((started) => stop(started).catch(() => undefined)));
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
}

/** A plugin server process for one Kong node, and Kong's side of it. */
export async function node(...args: string[]): Promise<Node> {
  const directory = tempDirectory();
  directories.push(directory);
  const socket = join(directory, 'rate-limit-ts.socket');
  const server = await spawnServer([RATE_LIMIT, '--socket', socket, ...args], 30_000);
  const started = { server, host: new KongHost({ socket, workers: 4 }) };
  nodes.push(started);
  return started;
}

export async function stop(started: Node): Promise<void> {
  started.host.close();
  started.server.child.kill('SIGTERM');
  await started.server.exited;
}

export const plugin = (config: Record<string, unknown>, key = 'plugins:rate-limit-ts:nodes'): ConfiguredPlugin => ({ name: 'rate-limit-ts', config, phases: ['access'], key });

/** Sends `count` requests at once through `node` and gives their statuses. */
export async function burst(target: Node, configured: ConfiguredPlugin, count: number, clientIp: string): Promise<number[]> {
  const responses = await Promise.all(Array.from({ length: count }, () => target.host.request([configured], { clientIp })));
  return responses.map((response) => response.status);
}

export const tally = (statuses: readonly number[]): Record<number, number> => {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
};

