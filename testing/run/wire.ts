/**
 * The wire in a test: the real plugin server started in this process on a
 * temporary Unix socket, driven by the Kong host stand-in over MsgPack:1,
 * with the same fake Kong and the same phase order as {@link runPlugin}.
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../server/process/logger.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { tableVersionText, type HostVersion } from '../fake/version.ts';
import { FakeKong } from '../fake/fake-kong.ts';
import type { RequestInit } from '../fake/options.ts';
import { KongHost, type PhaseOutcome as HostOutcome } from '../host/kong-host.ts';
import { runFlow, type PhaseOutcome } from './flow.ts';
import { buildResult, type RunResult } from './result.ts';
import { kongVersionOf, type RunOptions } from './run-plugin.ts';

/** Options of {@link startPluginServer}. */
export interface WireServerOptions {
  /**
   * The Kong release the host stand-in plays, for every request of this
   * server (as `runPlugin`'s `kongVersion`). Defaults to `'3.x'`, the newest
   * release in tspdk's table of PDK functions.
   */
  readonly kongVersion?: HostVersion;
  /** @deprecated The old name of {@link WireServerOptions.kongVersion}, still honoured. */
  readonly version?: HostVersion;
  /**
   * Start the plugin server with `--kong-version` set to that release, so
   * that a call it lacks rejects at once with `PDK_UNAVAILABLE`. Defaults to
   * `false`.
   */
  readonly checkVersion?: boolean;
  /** nginx workers of the host stand-in. Defaults to 2. */
  readonly workers?: number;
  /** Serve `/metrics` (on a free port of 127.0.0.1), for {@link WireServer.metrics}. Defaults to `false`. */
  readonly metrics?: boolean;
}

/** A plugin server under test. */
export interface WireServer {
  /** The temporary socket the server listens on. */
  readonly socket: string;
  /** The running server (its `server` has the instances and events). */
  readonly running: RunningServer;
  /** The Kong host stand-in connected to it. */
  readonly host: KongHost;
  /**
   * Sends one simulated request through `plugin` with `config`, over the
   * socket: `StartInstance` (once per config), then `HandleEvent` and the
   * Steps of each phase, PDK calls answered by the fake Kong. The Kong
   * version is the server's ({@link WireServerOptions.kongVersion}); the
   * `kongVersion` of `options` is not used here.
   */
  request(plugin: PluginDefinition, config?: Readonly<Record<string, unknown>>, request?: RequestInit, options?: RunOptions): Promise<RunResult>;
  /**
   * The server's `/metrics` text (Prometheus' format), fetched over HTTP:
   * the server's figures and the plugin's own (`tspdk/metrics`).
   * @throws (as a rejection) unless started with `metrics: true`.
   */
  metrics(): Promise<string>;
  /** Stops the server and removes the socket's directory. */
  close(): Promise<void>;
}

const OUTCOMES: Record<HostOutcome, PhaseOutcome> = { ret: 'ret', exit: 'exit', aborted: 'aborted', error: 'failed' };

/**
 * Starts `plugins` (what `serve(...)` returned) in a plugin server on a
 * temporary socket.
 *
 * @example
 * const server = await startPluginServer([keyAuth]);
 * try {
 *   const { response } = await server.request(keyAuth, { keys: ['k1'] }, { headers: { apikey: 'nope' } });
 *   assert.equal(response.status, 401);
 * } finally {
 *   await server.close();
 * }
 */
export async function startPluginServer(plugins: readonly PluginDefinition[], options: WireServerOptions = {}): Promise<WireServer> {
  const directory = mkdtempSync(join(tmpdir(), 'tspdk-wire-'));
  const socket = join(directory, 'plugin.socket');
  const version = kongVersionOf(options);
  const kongVersion = options.checkVersion === true ? tableVersionText(version) : undefined;
  let running: RunningServer;
  try {
    running = await startServer({ logger: silentLogger(), plugins, sockets: [socket], kongVersion, ...(options.metrics === true ? { metrics: '127.0.0.1:0' } : {}) });
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const host = new KongHost({ socket, version, workers: options.workers ?? 2 });
  let seq = 0;
  const seqs = new Map<string, number>();
  return {
    socket,
    running,
    host,
    async request(plugin, config = {}, request = {}, runOptions = {}) {
      const json = JSON.stringify(config);
      const key = `${plugin.name}:${json}`;
      let configSeq = seqs.get(key);
      if (configSeq === undefined) seqs.set(key, (configSeq = ++seq));
      const configured = { name: plugin.name, config: { ...config }, phases: plugin.phases, key: `plugins:${plugin.name}:${configSeq}`, seq: configSeq };
      const kong = new FakeKong(request, runOptions);
      const hostErrors: string[] = [];
      const flow = await runFlow(kong, plugin.phases, async (phase) => OUTCOMES[await host.runPhase(configured, phase, kong, 0, hostErrors)]);
      const [unsupported] = kong.unsupported;
      if (unsupported !== undefined) throw unsupported;
      return buildResult(kong, flow, hostErrors);
    },
    async metrics() {
      const url = running.metricsUrl;
      if (url === undefined) throw new Error('start the server with startPluginServer(plugins, { metrics: true }) to read its metrics');
      const response = await fetch(url);
      if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
      return response.text();
    },
    async close() {
      host.close();
      await running.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
