/**
 * `tspdk serve <modules or dirs…>`: many plugins in one process, each on its
 * own socket `<kong-prefix>/<plugin name>.socket`, so each plugin can have its
 * own `pluginserver_names` entry (Kong 3.9+ registers one plugin per entry)
 * while they share one Node process.
 *
 * All sockets are served by one plugin server: Kong names the plugin in every
 * StartInstance, and instance and event ids are unique process-wide, so a
 * socket does not need to know which plugin it was opened for.
 *
 * SIGHUP reloads the plugin code (see server/modules/reload.ts); SIGTERM exits once
 * running events finish, without removing the sockets; the server exits when
 * the process that started it (Kong's worker) is gone.
 *
 * @module
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { workerIdentity } from '../server/cluster/role.ts';
import { installCrashGuards } from '../server/process/lifecycle.ts';
import { describeFailure, loadPlugins, type LoadedPlugin } from '../server/modules/loader.ts';
import { createProcessLogger } from '../server/process/logger.ts';
import { Reloader } from '../server/modules/reload.ts';
import type { Logger } from '../server/process/logger.ts';
import { serveOrExit } from '../server/process/serve-process.ts';
import { addServerOptions, type ServerCliOptions } from '../server/process/options.ts';
import { noPluginFound } from './load.ts';
import { CliError, keepProcessAlive, printResult } from './output.ts';
import { collect, DEFAULT_KONG_PREFIX } from './options.ts';
import { removePidFile, writePidFile } from './pid-file.ts';
import { watchPlugins } from './watch.ts';

/** Options of `tspdk serve`. */
interface ServeOptions extends ServerCliOptions {
  readonly plugin: string[];
  readonly kongPrefix: string;
  readonly socket: string[];
  readonly pidFile?: string;
  readonly dump: boolean;
  readonly watch: boolean;
}

/** Picks the plugins named by `--plugin` (all when none is named). */
export function selectPlugins(loaded: readonly LoadedPlugin[], names: readonly string[]): LoadedPlugin[] {
  if (names.length === 0) return [...loaded];
  return names.map((name) => {
    const found = loaded.find((plugin) => plugin.definition.name === name);
    if (found === undefined) {
      const known = loaded.map((plugin) => plugin.definition.name).join(', ') || 'none';
      throw new CliError(`no plugin named "${name}" was loaded (found: ${known})`);
    }
    return found;
  });
}

/** The socket paths `tspdk serve` listens on. */
function servedSockets(plugins: readonly LoadedPlugin[], options: Pick<ServeOptions, 'kongPrefix' | 'socket'>): string[] {
  if (options.socket.length > 0) return [...options.socket];
  return plugins.map((plugin) => join(options.kongPrefix, `${plugin.definition.name}.socket`));
}

async function runServe(paths: string[], options: ServeOptions): Promise<void> {
  const logger = await createProcessLogger(options.logLevel, options.logFormat);
  installCrashGuards(logger);
  let loaded;
  try {
    loaded = await loadPlugins(paths);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  for (const failure of loaded.failures) logger.error({ file: failure.file, err: failure.error }, describeFailure(failure));
  const plugins = selectPlugins(loaded.plugins, options.plugin);
  if (plugins.length === 0) throw noPluginFound(paths, loaded);
  if (options.dump) {
    // `<installed script> -dump`: Kong 3.9+'s default query command.
    if (plugins.length !== 1) {
      throw new CliError(`-dump prints one plugin (Kong 3.9+ reads one per query command); pick one with --plugin or use \`tspdk dump --all\``, 2);
    }
    await printResult(`${JSON.stringify(plugins.map((plugin) => plugin.definition.dump))}\n`);
    process.exit(0);
  }
  const sockets = servedSockets(plugins, options);
  const definitions = plugins.map((plugin) => plugin.definition);
  // Written before listening: once a socket answers, `tspdk reload` finds the server.
  // The pid file names the process `tspdk reload` signals: the primary with --workers, never a worker.
  const pidFile = workerIdentity() === undefined ? options.pidFile : undefined;
  if (pidFile !== undefined) writePidFile(pidFile);
  const beforeExit = pidFile === undefined ? undefined : () => removePidFile(pidFile);
  const running = await serveOrExit({ plugins: definitions, sockets, logger, beforeExit, reloadable: true }, options);
  keepProcessAlive();
  const files = [...new Set(plugins.map((plugin) => plugin.file))];
  // The primary of --workers reloads by passing SIGHUP on to its workers.
  const reloader = running === undefined ? undefined : new Reloader({ server: running.server, files, baseline: definitions, logger });
  if (reloader !== undefined) process.on('SIGHUP', () => void reloader.reload());
  if (options.watch && workerIdentity() === undefined) {
    watchPlugins(files, () => (reloader === undefined ? process.kill(process.pid, 'SIGHUP') : void reloadOnChange(reloader, logger)), logger);
  }
}

/** A reload from --watch; when refused, says how to apply the change. */
async function reloadOnChange(reloader: Reloader, logger: Logger): Promise<void> {
  const outcome = await reloader.reload();
  if (!outcome.reloaded) {
    logger.warn(
      { generation: outcome.generation },
      'this change needs a restart: stop tspdk serve and start it again (and restart Kong, which reads the schema, phases and priority at start-up); the previous code keeps serving until then',
    );
  }
}

/** The `serve` subcommand. */
export function serveCommand(): Command {
  const command = new Command('serve')
    .description('serve plugin modules (files, packages or directories of plugins) from one process, each plugin on <kong-prefix>/<name>.socket')
    .argument('<paths...>', 'plugin modules (.js, .mjs, .cjs), package directories or directories of plugins')
    .option('--plugin <name>', 'serve only this plugin (repeatable)', collect, [])
    .option('--kong-prefix <dir>', 'Kong prefix; plugin <name> listens on <dir>/<name>.socket (also -kong-prefix)', DEFAULT_KONG_PREFIX)
    .option('--socket <path>', 'listen on this path instead, serving every plugin (repeatable; Kong ≤ 3.8 single-entry layout)', collect, [])
    .option('--pid-file <path>', 'write the pid here (for `tspdk reload`); removed on exit')
    .option('--dump', "print the selected plugin's info for Kong's query command and exit (also -dump)", false)
    .option('--watch', 'reload the plugin code when files in the plugins\' folders change (development; as SIGHUP does)', false);
  return addServerOptions(command).action((paths: string[], options: ServeOptions) => runServe(paths, options));
}
