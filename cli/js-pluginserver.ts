/**
 * `tspdk js-pluginserver` (also the bin `tspdk-js-pluginserver`): a drop-in
 * for kong-pdk's `kong-js-pluginserver`. Same flags, same plugins directory,
 * same socket (`<kong-prefix>/<sock-name>`), served by tspdk's server.
 *
 *   tspdk-js-pluginserver -d /usr/local/kong/js-plugins --kong-prefix /usr/local/kong
 *   tspdk-js-pluginserver -d /usr/local/kong/js-plugins --dump-all-plugins
 *   tspdk-js-pluginserver -d /usr/local/kong/js-plugins --dump-plugin-info my-plugin
 *
 * `--dump-plugin-info <name>` prints JSON, a one-element array Kong reads
 * (kong-pdk prints MessagePack there, which no Kong reads), so on Kong 3.9+,
 * which takes only the first plugin of a query command's output, each plugin
 * gets its own entry and query command. tspdk's own server flags
 * (`--workers`, `--event-timeout`, `--log-level`, …) apply too.
 *
 * @module
 */
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import type { CompatWarn } from '../compat/kong-pdk/kong-object.ts';
import type { loadKongPdkPlugins } from '../compat/kong-pdk/loader.ts';
import { workerIdentity } from '../server/cluster/role.ts';
import { describeFailure, type LoadResult } from '../server/modules/loader.ts';
import { Reloader } from '../server/modules/reload.ts';
import { installCrashGuards } from '../server/process/lifecycle.ts';
import { createLogger } from '../server/process/logger.ts';
import { addServerOptions, type ServerCliOptions } from '../server/process/options.ts';
import { serveOrExit } from '../server/process/serve-process.ts';
import { CliError, keepProcessAlive, printResult, warn } from './output.ts';
import { DEFAULT_KONG_PREFIX } from './options.ts';
import { removePidFile, writePidFile } from './pid-file.ts';

/** kong-js-pluginserver's default socket file name. */
const DEFAULT_SOCK_NAME = 'js_pluginserver.sock';

/** Options of `tspdk js-pluginserver`. */
interface JsPluginServerOptions extends ServerCliOptions {
  readonly pluginsDirectory: string;
  readonly kongPrefix: string;
  readonly sockName: string;
  readonly dumpPluginInfo?: string;
  readonly dumpAllPlugins: boolean;
  readonly verbose: number;
  readonly pidFile?: string;
}

/** The kong-pdk loader, imported when the command runs: the other `tspdk` commands never load it. */
function loader(): Promise<{ loadKongPdkPlugins: typeof loadKongPdkPlugins }> {
  return import('../compat/kong-pdk/loader.ts');
}

/** The dump of every plugin loaded, in load order. */
function dumpAll(result: LoadResult): string {
  return `${JSON.stringify(result.plugins.map((plugin) => plugin.definition.dump))}\n`;
}

/** `-v` is accepted as kong-js-pluginserver's; `-vv` turns on debug logs, unless --log-level says otherwise. */
function logLevelOf(options: JsPluginServerOptions, command: Command): JsPluginServerOptions['logLevel'] {
  if (command.getOptionValueSource('logLevel') !== 'default') return options.logLevel;
  return options.verbose >= 2 ? 'debug' : options.logLevel;
}

/** Prints a dump for Kong's query command. */
async function runDump(directory: string, options: JsPluginServerOptions): Promise<void> {
  const name = options.dumpPluginInfo;
  const { loadKongPdkPlugins } = await loader();
  const result = await loadKongPdkPlugins(directory, { find: name });
  for (const failure of result.failures) warn(describeFailure(failure));
  if (name === undefined) {
    if (result.plugins.length > 1) {
      warn(`dumped ${result.plugins.length} plugins; Kong 3.9+ reads only the first, so give each plugin its own entry with --dump-plugin-info <name>`);
    }
    await printResult(dumpAll(result));
    return;
  }
  const found = result.plugins.find((plugin) => plugin.definition.name === name.toLowerCase());
  if (found === undefined) {
    const known = result.plugins.map((plugin) => plugin.definition.name).join(', ') || 'none';
    throw new CliError(`no plugin named "${name}" in ${directory} (found: ${known})`);
  }
  await printResult(`${JSON.stringify([found.definition.dump])}\n`);
}

async function runServer(directory: string, options: JsPluginServerOptions, logger: Logger): Promise<void> {
  installCrashGuards(logger);
  const note: CompatWarn = (message, details) => logger.warn(details, message);
  const { loadKongPdkPlugins } = await loader();
  const loaded = await loadKongPdkPlugins(directory, { warn: note });
  for (const failure of loaded.failures) logger.error({ file: failure.file, err: failure.error }, describeFailure(failure).split('\n')[0] ?? '');
  for (const helper of loaded.helpers) logger.debug({ file: helper }, 'no Plugin export; not a plugin');
  if (loaded.plugins.length === 0) throw new CliError(`no plugin found in ${directory}`);
  const plugins = loaded.plugins.map((plugin) => plugin.definition);
  const socket = join(options.kongPrefix, options.sockName);
  const pidFile = workerIdentity() === undefined ? options.pidFile : undefined;
  if (pidFile !== undefined) writePidFile(pidFile);
  const beforeExit = pidFile === undefined ? undefined : () => removePidFile(pidFile);
  const running = await serveOrExit({ plugins, sockets: [socket], logger, beforeExit, reloadable: true }, options);
  keepProcessAlive();
  if (running === undefined) return;
  const reloader = new Reloader({
    server: running.server,
    files: [directory],
    baseline: plugins,
    logger,
    load: (generation) => loadKongPdkPlugins(directory, { generation, warn: note }),
  });
  process.on('SIGHUP', () => void reloader.reload());
}

async function run(options: JsPluginServerOptions, command: Command): Promise<void> {
  const directory = resolve(options.pluginsDirectory);
  try {
    if (options.dumpPluginInfo !== undefined || options.dumpAllPlugins) return await runDump(directory, options);
    return await runServer(directory, options, createLogger(logLevelOf(options, command)));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError((error as Error).message);
  }
}

/** Adds kong-js-pluginserver's options, then tspdk's server options, to `command`. */
export function withJsPluginServerOptions(command: Command): Command {
  command
    .requiredOption('-d, --plugins-directory <dir>', 'the kong-pdk plugins directory (also -plugins-directory)')
    .option('-p, --kong-prefix <prefix>', 'Kong prefix; the socket is <prefix>/<sock-name> (also -kong-prefix)', DEFAULT_KONG_PREFIX)
    .option('--sock-name <name>', 'socket file name inside the prefix', DEFAULT_SOCK_NAME)
    .option('--dump-plugin-info <name>', "print this plugin's info as JSON for Kong's query command and exit (one per Kong 3.9+ entry)")
    .option('--dump-all-plugins', 'print every plugin\'s info as a JSON array and exit (Kong 3.9+ reads only the first)', false)
    .addOption(new Option('-v, --verbose', 'accepted as kong-js-pluginserver\'s; -vv logs at debug level').argParser((_value, previous: number) => previous + 1).default(0))
    .option('--pid-file <path>', 'write the pid here (for `tspdk reload`); removed on exit');
  return addServerOptions(command).action((options: JsPluginServerOptions, self: Command) => run(options, self));
}

/** The `js-pluginserver` subcommand of `tspdk`. */
export function jsPluginServerCommand(): Command {
  return withJsPluginServerOptions(
    new Command('js-pluginserver').description("serve a kong-pdk plugins directory in place of kong-js-pluginserver, with kong-js-pluginserver's flags"),
  );
}
