/**
 * `tspdk dump <modules or dir> --plugin <name>`: the query command of one
 * plugin. It prints a JSON array with exactly that plugin's info, the one
 * form every Kong version from 2.3 reads in full (Kong 3.9+ reads only the
 * first element of a dump). `--all` prints every plugin found, for tools and
 * for Kong 2.3–3.8's single-entry layout.
 *
 * A module that fails to load is reported on stderr and left out; stdout
 * holds nothing but the JSON, even when modules print while loading.
 *
 * @module
 */
import { Command } from 'commander';
import { loadForTool, noPluginFound } from './load.ts';
import { CliError, printResult } from './output.ts';
import { collect } from './options.ts';
import { selectPlugins } from './serve.ts';

/** Options of `tspdk dump`. */
interface DumpOptions {
  readonly plugin: string[];
  readonly all: boolean;
}

async function runDump(paths: string[], options: DumpOptions): Promise<void> {
  const loaded = await loadForTool(paths);
  if (options.all && options.plugin.length > 0) throw new CliError('use either --plugin or --all', 2);
  const plugins = selectPlugins(loaded.plugins, options.plugin);
  if (plugins.length === 0) throw noPluginFound(paths, loaded);
  if (!options.all && options.plugin.length === 0 && plugins.length > 1) {
    throw new CliError(
      `found ${plugins.length} plugins (${plugins.map((p) => p.definition.name).join(', ')}); Kong 3.9+ reads only the first plugin of a dump, ` +
        'so pick one with --plugin <name> (one pluginserver entry per plugin), or pass --all',
      2,
    );
  }
  await printResult(`${JSON.stringify(plugins.map((plugin) => plugin.definition.dump))}\n`);
}

/** The `dump` subcommand. */
export function dumpCommand(): Command {
  return new Command('dump')
    .description("print one plugin's info as a JSON array, for Kong's query_cmd")
    .argument('<paths...>', 'plugin modules, package directories or directories of plugins')
    .option('--plugin <name>', 'the plugin to dump (repeatable, or a,b,c: several, in that order)', collect, [])
    .option('--all', 'dump every plugin found (Kong 3.9+ would read only the first)', false)
    .action((paths: string[], options: DumpOptions) => runDump(paths, options));
}
