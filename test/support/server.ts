/**
 * Starts a plugin server in-process on a temporary socket for a test, with
 * a host stand-in pointed at it.
 *
 * `TSPDK_TEST_WORKERS=N` (N > 1) runs the same tests against an in-process
 * cluster of N workers (test/support/cluster.ts), and `TSPDK_TEST_POOL=openresty`
 * makes the stand-in reuse connections as OpenResty does (LIFO) instead of
 * picking any idle one: `npm run test:workers` runs the conformance and
 * reliability suites both ways. `TSPDK_TEST_READS=data` makes connections
 * read through `'data'` events instead of in place (server/wire/direct-reads.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostPlugins } from '../../plugin/serve.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { startServer, type StartOptions } from '../../server/start.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { KongHost, type KongHostOptions } from '../../testing/host/kong-host.ts';
import { startLocalCluster, type ServerView } from './cluster.ts';

hostPlugins();

/** Workers of the servers that {@link startTestServer} starts (`TSPDK_TEST_WORKERS`, default 1). */
export const TEST_WORKERS = Math.max(1, Number(process.env['TSPDK_TEST_WORKERS'] ?? 1) || 1);

/** `TSPDK_TEST_READS=data`: connections read through `'data'` events, not in place. */
const TEST_READ_IN_PLACE = process.env['TSPDK_TEST_READS'] !== 'data';

/** The stand-in's pool order for these tests (`TSPDK_TEST_POOL`). */
const TEST_POOL = process.env['TSPDK_TEST_POOL'] === 'openresty' ? 'openresty' : undefined;

/** What a test reads of the running server, single process or cluster. */
export interface RunningTestServer {
  readonly server: ServerView;
  readonly connections: number;
  stop(): Promise<void>;
}

/** A server under test and a way to drive it. */
export interface TestServer {
  readonly running: RunningTestServer;
  readonly socket: string;
  readonly directory: string;
  /** A new host stand-in for this server. */
  host(options?: Omit<KongHostOptions, 'socket'>): KongHost;
  /** Stops the server, closes hosts, removes the directory. */
  close(): Promise<void>;
}

/** A fresh temporary directory (removed by the caller). */
export function tempDirectory(prefix = 'tspdk-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Socket paths, each in a fresh temporary directory, and how to remove them all (for `after`). */
export function tempSockets(): { readonly socketIn: () => string; readonly removeAll: () => void } {
  const directories: string[] = [];
  return {
    socketIn: () => {
      const directory = tempDirectory();
      directories.push(directory);
      return join(directory, 'p.socket');
    },
    removeAll: () => {
      for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Starts `plugins` on a temporary socket. */
export async function startTestServer(
  plugins: readonly PluginDefinition[],
  options: Partial<Omit<StartOptions, 'plugins' | 'sockets'>> = {},
): Promise<TestServer> {
  const directory = tempDirectory();
  const socket = join(directory, 'plugin.socket');
  const running: RunningTestServer =
    TEST_WORKERS > 1
      ? await startLocalCluster(plugins, socket, directory, TEST_WORKERS, options)
      : await startServer({ logger: silentLogger(), readInPlace: TEST_READ_IN_PLACE, ...options, plugins, sockets: [socket] });
  const hosts: KongHost[] = [];
  return {
    running,
    socket,
    directory,
    host(hostOptions = {}) {
      const host = new KongHost({ socket, ...(TEST_POOL === undefined ? {} : { pool: TEST_POOL }), ...hostOptions });
      hosts.push(host);
      return host;
    },
    async close() {
      for (const host of hosts) host.close();
      await running.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` (sync or async) until it is true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
