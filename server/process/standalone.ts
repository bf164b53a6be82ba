/**
 * The command line of a plugin microservice, go-pdk style:
 * `node hello.js -dump`, `node hello.js -kong-prefix /usr/local/kong`.
 *
 * @module
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { normalizeLongOptions } from './argv.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { SERVER_LONG_OPTIONS, addServerOptions, type ServerCliOptions } from './options.ts';
import { writeStdout } from './stdout-guard.ts';
// The parent as early as the plugin file loads (see parent.ts).
import './parent.ts';

/** Parsed options of a plugin microservice. */
export interface StandaloneOptions extends ServerCliOptions {
  readonly dump: boolean;
  readonly kongPrefix: string;
  readonly socket?: string;
  readonly socketName?: string;
}

const LONG_OPTIONS = new Set(['dump', 'kong-prefix', 'socket', 'socket-name', 'help', 'version', ...SERVER_LONG_OPTIONS]);

/** The commander program of a plugin microservice. */
function standaloneCommand(plugin: PluginDefinition): Command {
  const command = new Command(plugin.name)
    .description(`Kong plugin server for "${plugin.name}" ${plugin.version} (tspdk, MsgPack:1)`)
    .version(`${plugin.name} ${plugin.version}`, '--version', 'print the plugin name and version')
    .helpOption('-h, --help', 'show this help (also -help)')
    .option('--dump', "print the plugin's info as JSON for Kong's query_cmd and exit (also -dump)", false)
    .option('--kong-prefix <dir>', 'Kong prefix; the socket is <dir>/<name>.socket (also -kong-prefix)', '/usr/local/kong')
    .option('--socket <path>', 'full socket path (overrides --kong-prefix)')
    .option('--socket-name <file>', 'socket file name inside the prefix', `${plugin.name}.socket`)
    .allowExcessArguments(false);
  return addServerOptions(command);
}

/** Parses `argv` (as `process.argv`) for `plugin`. Exits on `--help`, `--version` and bad options. */
export function parseStandaloneArgs(plugin: PluginDefinition, argv: readonly string[]): StandaloneOptions {
  const command = standaloneCommand(plugin);
  command.parse(normalizeLongOptions(argv, LONG_OPTIONS), { from: 'node' });
  return command.opts<StandaloneOptions>();
}

/** The socket path chosen by the options. */
function socketPathOf(plugin: PluginDefinition, options: StandaloneOptions): string {
  return options.socket ?? join(options.kongPrefix, options.socketName ?? `${plugin.name}.socket`);
}

/** Runs `plugin` as a standalone plugin microservice with the process's arguments. */
export async function runStandalone(plugin: PluginDefinition, argv: readonly string[] = process.argv): Promise<void> {
  const options = parseStandaloneArgs(plugin, argv);
  if (options.dump) {
    writeStdout(`${JSON.stringify([plugin.dump])}\n`, () => process.exit(0));
    return;
  }
  // Loaded only to serve: Kong runs `-dump` at every start, and it needs none of this.
  const [{ createProcessLogger }, { serveOrExit }] = await Promise.all([import('./logger.ts'), import('./serve-process.ts')]);
  const logger = await createProcessLogger(options.logLevel, options.logFormat);
  await serveOrExit({ plugins: [plugin], sockets: [socketPathOf(plugin, options)], logger }, options);
}
