/**
 * `tspdk install <module or dir> --to /usr/local/bin`: one executable file per
 * plugin, so Kong's defaults apply with no start_cmd or query_cmd at all:
 * Kong 3.9+ starts `/usr/local/bin/<name>` and queries `/usr/local/bin/<name>
 * -dump`; Kong 2.3–3.8 query `/usr/local/bin/query_<name>` (also written).
 *
 * The file is a `/bin/sh` script that execs node, by absolute path, on tspdk
 * and the plugin's module, also by absolute paths: it runs under Kong's empty
 * environment. The plugin's code stays where it is (reinstall after moving it).
 *
 * @module
 */
import { chmodSync, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { cliPath } from './kong-conf-command.ts';
import { shellQuote } from './kong-conf.ts';
import { loadForTool, noPluginFound } from './load.ts';
import { CliError, printResult } from './output.ts';
import { collect, DEFAULT_KONG_PREFIX } from './options.ts';
import { selectPlugins } from './serve.ts';

/** Options of `tspdk install`. */
interface InstallOptions {
  readonly to: string;
  readonly plugin: string[];
  readonly kongPrefix: string;
  readonly node: string;
  readonly queryScript: boolean;
  readonly force: boolean;
}

/** What goes into an installed plugin's files. */
interface ScriptInput {
  readonly name: string;
  /** Absolute path of the plugin's module. */
  readonly file: string;
  readonly node: string;
  readonly cli: string;
  readonly kongPrefix: string;
}

/** The start script: `<name>` serves, `<name> -dump` dumps; extra arguments pass through. */
function startScript(input: ScriptInput): string {
  const args = [input.node, input.cli, 'serve', input.file, '--plugin', input.name, '--kong-prefix', input.kongPrefix, '--pid-file', `${input.kongPrefix}/${input.name}.tspdk.pid`];
  return [
    '#!/bin/sh',
    `# Kong plugin server for "${input.name}", written by \`tspdk install\`.`,
    `# Kong 3.9+ runs this file to start the plugin and "<this file> -dump" to query it when`,
    '# kong.conf sets no start_cmd/query_cmd. Paths are absolute: Kong gives plugin servers',
    '# an empty environment. Later arguments override the ones below (e.g. -kong-prefix DIR).',
    `exec ${args.map(shellQuote).join(' ')} "$@"`,
    '',
  ].join('\n');
}

/** The query script Kong 2.3–3.8 look for: `query_<name>`. */
function queryScript(input: ScriptInput): string {
  const args = [input.node, input.cli, 'dump', input.file, '--plugin', input.name];
  return [
    '#!/bin/sh',
    `# Query command of the Kong plugin "${input.name}" (Kong 2.3-3.8 default: query_<name>),`,
    '# written by `tspdk install`.',
    `exec ${args.map(shellQuote).join(' ')} "$@"`,
    '',
  ].join('\n');
}

function writeExecutable(path: string, text: string, force: boolean): void {
  if (existsSync(path) && !force) throw new CliError(`${path} exists; pass --force to replace it`);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o755 });
  chmodSync(temporary, 0o755);
  renameSync(temporary, path);
}

async function runInstall(paths: string[], options: InstallOptions): Promise<void> {
  const to = resolve(options.to);
  if (!existsSync(to) || !statSync(to).isDirectory()) throw new CliError(`${to} is not a directory`, 2);
  const loaded = await loadForTool(paths);
  const plugins = selectPlugins(loaded.plugins, options.plugin);
  if (plugins.length === 0) throw noPluginFound(paths, loaded);
  const written: string[] = [];
  for (const plugin of plugins) {
    const input: ScriptInput = {
      name: plugin.definition.name,
      file: plugin.file,
      node: resolve(options.node),
      cli: cliPath(),
      kongPrefix: resolve(options.kongPrefix),
    };
    const start = join(to, input.name);
    writeExecutable(start, startScript(input), options.force);
    written.push(start);
    if (options.queryScript) {
      const query = join(to, `query_${input.name}`);
      writeExecutable(query, queryScript(input), options.force);
      written.push(query);
    }
  }
  await printResult(`${written.join('\n')}\n`);
}

/** The `install` subcommand. */
export function installCommand(): Command {
  return new Command('install')
    .description("write one executable per plugin, so Kong's default start and query commands find it")
    .argument('<paths...>', 'plugin modules, package directories or directories of plugins')
    .requiredOption('--to <dir>', 'where to write the executables (Kong looks in /usr/local/bin)')
    .option('--plugin <name>', 'install only this plugin (repeatable)', collect, [])
    .option('--kong-prefix <dir>', "Kong's prefix: the socket is <dir>/<name>.socket", DEFAULT_KONG_PREFIX)
    .option('--node <path>', 'the node binary to run', process.execPath)
    .option('--no-query-script', 'do not write query_<name> (only Kong 2.3-3.8 look for it)')
    .option('--force', 'replace existing files', false)
    .action((paths: string[], options: InstallOptions) => runInstall(paths, options));
}
