/**
 * Logic-only reload (SIGHUP, `tspdk reload`): re-import the plugin code and
 * rebuild every live instance from the config Kong sent, under the same
 * instance id, while events already running finish on the old code.
 *
 * Kong reads a plugin's name, priority, phases and schema once, from the
 * query command at start-up. A reload whose code would dump anything else is
 * refused and the old code keeps running: schema changes need Kong to re-run
 * the query command (a Kong restart), and in Konnect or hybrid mode the
 * upgrade path that the logged diff names.
 *
 * ES modules cannot be unloaded: each reload keeps the previous copy of the
 * plugin's modules in memory (and whatever timers or sockets they opened at
 * import time keep running). Reload to ship fixes, not in a loop.
 *
 * @module
 */
import { register } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { diffSchemas, diffToText } from '../../schema/diff.ts';
import { describeFailure, loadPlugins, type LoadResult } from './loader.ts';
import type { PluginServer } from '../rpc/plugin-server.ts';
import { retireRedisConnections } from '../shared/redis-pool.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';

/** Options of a {@link Reloader}. */
interface ReloaderOptions {
  /** The server whose plugins are replaced. */
  readonly server: PluginServer;
  /** The module files that declared the served plugins. */
  readonly files: readonly string[];
  /** The served plugins as loaded at start-up: what Kong queried. */
  readonly baseline: readonly PluginDefinition[];
  readonly logger: Logger;
  /**
   * Loads a fresh copy of the plugins for reload `generation`; defaults to
   * {@link loadPlugins} of `files`. Servers of another module format
   * (compat/kong-pdk) bring their own loader.
   */
  readonly load?: (generation: number) => Promise<LoadResult>;
}

/** Why a plugin cannot be swapped. */
interface ReloadRefusal {
  readonly plugin: string;
  readonly reason: string;
  /** The schema diff as text, with Konnect's upgrade path, when the schema changed. */
  readonly diff?: string;
}

/** What a reload did. */
type ReloadOutcome =
  | { readonly reloaded: true; readonly generation: number; readonly plugins: readonly string[]; readonly instances: number }
  | { readonly reloaded: false; readonly generation: number; readonly refusals: readonly ReloadRefusal[] };

let hooksRegistered = false;

/** Lets a reloaded module re-import its own helper files (see reload-hooks.ts). */
function registerHooks(logger: Logger): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  try {
    register(new URL('./reload-hooks.js', import.meta.url));
  } catch (error) {
    logger.warn({ err: error }, 'cannot register the reload hook; helper modules keep their first version');
  }
}

/** Compares what Kong loaded with the reloaded code's dump. */
export function compareForReload(before: PluginDefinition, after: PluginDefinition | undefined): ReloadRefusal | undefined {
  const plugin = before.name;
  if (after === undefined) return { plugin, reason: 'the reloaded code no longer declares this plugin' };
  if (!isDeepStrictEqual(before.dump.Schema, after.dump.Schema)) {
    const diff = diffSchemas(before.dump.Schema, after.dump.Schema);
    return {
      plugin,
      reason: `the config schema changed (upgrade path: ${diff.upgrade}); Kong must re-run the query command, so restart Kong instead`,
      diff: diffToText(diff),
    };
  }
  if (!isDeepStrictEqual(before.dump.Phases, after.dump.Phases)) {
    return {
      plugin,
      reason: `the phases changed (${before.dump.Phases.join(',')} → ${after.dump.Phases.join(',')}); Kong reads them at start-up, so restart Kong instead`,
    };
  }
  if (before.dump.Priority !== after.dump.Priority) {
    return {
      plugin,
      reason: `the priority changed (${before.dump.Priority} → ${after.dump.Priority}); Kong reads it at start-up, so restart Kong instead`,
    };
  }
  return undefined;
}

/** Re-imports plugin code on demand and swaps it in when Kong would not notice. */
export class Reloader {
  readonly #options: ReloaderOptions;
  #generation = 0;
  #running: Promise<ReloadOutcome> | undefined;
  #queued: Promise<ReloadOutcome> | undefined;

  constructor(options: ReloaderOptions) {
    this.#options = options;
  }

  /** Reloads done or attempted so far. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Re-imports the code and swaps each plugin in, all or none. A request
   * made while a reload runs is done once after it (requests coalesce).
   * Never rejects: failures are logged and returned.
   */
  reload(): Promise<ReloadOutcome> {
    if (this.#running === undefined) {
      this.#running = this.#reload().finally(() => (this.#running = undefined));
      return this.#running;
    }
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.reload();
    });
    return this.#queued;
  }

  async #reload(): Promise<ReloadOutcome> {
    const { logger, server, baseline, files } = this.#options;
    const generation = ++this.#generation;
    logger.info({ generation, files }, 'reloading plugin code');
    registerHooks(logger);
    let refusals: ReloadRefusal[] = [];
    const fresh = new Map<string, PluginDefinition>();
    try {
      const result = await (this.#options.load?.(generation) ?? loadPlugins(files, { generation }));
      for (const failure of result.failures) {
        refusals.push({ plugin: failure.file, reason: describeFailure(failure) });
      }
      for (const loaded of result.plugins) fresh.set(loaded.definition.name, loaded.definition);
    } catch (error) {
      refusals.push({ plugin: '*', reason: (error as Error).message });
    }
    if (refusals.length === 0) {
      refusals = baseline.map((plugin) => compareForReload(plugin, fresh.get(plugin.name))).filter((r) => r !== undefined);
    }
    if (refusals.length > 0) {
      for (const refusal of refusals) {
        logger.error(
          { generation, plugin: refusal.plugin, reason: refusal.reason, ...(refusal.diff === undefined ? {} : { diff: refusal.diff }) },
          'reload refused; the previous code keeps running',
        );
      }
      server.observer?.reloaded('refused');
      return { reloaded: false, generation, refusals };
    }
    let instances = 0;
    for (const plugin of baseline) {
      const next = fresh.get(plugin.name) as PluginDefinition;
      if (next.version !== plugin.version) {
        logger.info({ plugin: plugin.name, from: plugin.version, to: next.version }, 'version changed; Kong keeps reporting the old one until it restarts');
      }
      instances += server.replacePlugin(next);
    }
    for (const name of fresh.keys()) {
      if (!baseline.some((plugin) => plugin.name === name)) {
        logger.debug({ plugin: name }, 'the reloaded code declares a plugin that is not served; serving it needs a restart');
      }
    }
    const plugins = baseline.map((plugin) => plugin.name);
    logger.info({ generation, plugins, instances }, 'reloaded');
    // Redis connections of tspdk/shared: made again on next use, so settings the new code dropped close.
    void retireRedisConnections();
    server.observer?.reloaded('reloaded');
    return { reloaded: true, generation, plugins, instances };
  }
}
