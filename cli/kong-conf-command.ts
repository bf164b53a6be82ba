/**
 * `tspdk kong-conf <modules or dir>`: prints the kong.conf lines and the
 * equivalent `KONG_*` environment variables for serving the plugins found,
 * in each deployment layout (see kong-conf.ts).
 *
 * @module
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { kongConfLayouts, parseKongVersion, renderKongConf, type ConfFormat, type KongVersion, type LayoutId } from './kong-conf.ts';
import { loadForTool, noPluginFound } from './load.ts';
import { CliError, printResult } from './output.ts';
import { collect, DEFAULT_KONG_PREFIX } from './options.ts';
import { workerCount } from '../server/process/options.ts';
import { selectPlugins } from './serve.ts';
import { KongVersionError, pdkTable } from '../pdk/availability.ts';
import { resolveKongVersion } from '../pdk/version-check.ts';

/** Options of `tspdk kong-conf`. */
interface KongConfCommandOptions {
  readonly plugin: string[];
  readonly kongPrefix: string;
  readonly node: string;
  readonly kongVersion?: KongVersion;
  readonly layout?: LayoutId;
  readonly format: ConfFormat;
  readonly workers?: string;
}

/** Absolute path of this CLI's entry point (`dist/cli/main.js`). */
export function cliPath(): string {
  return fileURLToPath(new URL('./main.js', import.meta.url));
}

async function runKongConf(paths: string[], options: KongConfCommandOptions): Promise<void> {
  const loaded = await loadForTool(paths);
  const plugins = selectPlugins(loaded.plugins, options.plugin);
  if (plugins.length === 0) throw noPluginFound(paths, loaded);
  const confOptions = {
    plugins: plugins.map((plugin) => ({ name: plugin.definition.name, file: plugin.file })),
    prefix: resolve(options.kongPrefix),
    node: resolve(options.node),
    cli: cliPath(),
    kongVersion: options.kongVersion,
    layout: options.layout,
    workers: options.workers,
  };
  if (kongConfLayouts(confOptions).length === 0) throw new CliError(`layout ${options.layout ?? ''} does not work on that Kong version`, 2);
  await printResult(renderKongConf(confOptions, options.format));
}

/** Checks `--workers` as the server will, and keeps its text (`auto` must stay `auto`: it counts the CPUs where Kong runs). */
function workersText(value: string): string {
  workerCount(value);
  return value;
}

/**
 * Parses `--kong-version`: a version the servers can check PDK calls against
 * (`x.y`, `x.y.z` or `master`, which counts as the version of master the
 * table was made from), kept as written for their start commands.
 */
function kongVersion(value: string): KongVersion {
  let checked;
  try {
    checked = resolveKongVersion(value);
  } catch (error) {
    if (error instanceof KongVersionError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  const version = parseKongVersion(checked.text === 'master' ? pdkTable.source.master.version : checked.text);
  if (version === undefined) throw new InvalidArgumentError('expected a Kong version such as 3.9, 3.4.2 or master');
  return { ...version, text: checked.text };
}

/** The `kong-conf` subcommand. */
export function kongConfCommand(): Command {
  return new Command('kong-conf')
    .description('print kong.conf lines and KONG_* environment variables for serving these plugins')
    .argument('<paths...>', 'plugin modules, package directories or directories of plugins')
    .option('--plugin <name>', 'configure only this plugin (repeatable)', collect, [])
    .option('--kong-prefix <dir>', "Kong's prefix: sockets and pid files go there", DEFAULT_KONG_PREFIX)
    .option('--node <path>', 'the node binary Kong should run', process.execPath)
    .option('--kong-version <x.y[.z]|master>', 'only print layouts that work on this Kong version, and have the servers check PDK calls against it', kongVersion)
    .option('--workers <n|auto>', 'worker processes of each server Kong starts (see docs/multicore.md)', workersText)
    .addOption(new Option('--layout <id>', 'print one layout').choices(['per-plugin', 'shared', 'shared-single']))
    .addOption(new Option('--format <format>', 'kong.conf lines, environment lines, or both with comments').choices(['both', 'conf', 'env']).default('both'))
    .action((paths: string[], options: KongConfCommandOptions) => runKongConf(paths, options));
}
