/**
 * The command line of a plugin microservice, go-pdk style:
 * `node hello.js -dump`, `node hello.js -kong-prefix /usr/local/kong`.
 *
 * @module
 */
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { normalizeLongOptions } from './argv.ts';
import { installCrashGuards, manageProcess } from './lifecycle.ts';
import { LOG_LEVELS, createLogger, type LogLevel } from './logger.ts';
import type { PluginDefinition } from './plugin.ts';
import { startServer } from './start.ts';
import { writeStdout } from './stdout-guard.ts';

/** Parsed options of a plugin microservice. */
export interface StandaloneOptions {
  readonly dump: boolean;
  readonly kongPrefix: string;
  readonly socket?: string;
  readonly socketName?: string;
  readonly logLevel: LogLevel;
  readonly eventTimeout: number;
  readonly maxMessageSize: number;
  readonly socketMode: number;
  readonly allowInsecureSocketDir: boolean;
  readonly watchParent: boolean;
  readonly shutdownGrace: number;
  readonly serverPid: boolean;
}

const LONG_OPTIONS = new Set([
  'dump',
  'kong-prefix',
  'socket',
  'socket-name',
  'log-level',
  'event-timeout',
  'max-message-size',
  'socket-mode',
  'allow-insecure-socket-dir',
  'no-watch-parent',
  'shutdown-grace',
  'no-server-pid',
  'help',
  'version',
]);

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

function nonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw new InvalidArgumentError('expected an integer >= 0');
  return number;
}

function octalMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError('expected an octal mode such as 660');
  return parseInt(value, 8);
}

/** The commander program of a plugin microservice. */
export function standaloneCommand(plugin: PluginDefinition): Command {
  return new Command(plugin.name)
    .description(`Kong plugin server for "${plugin.name}" ${plugin.version} (tspdk, MsgPack:1)`)
    .version(`${plugin.name} ${plugin.version}`, '--version', 'print the plugin name and version')
    .helpOption('-h, --help', 'show this help (also -help)')
    .option('--dump', "print the plugin's info as JSON for Kong's query_cmd and exit (also -dump)", false)
    .option('--kong-prefix <dir>', 'Kong prefix; the socket is <dir>/<name>.socket (also -kong-prefix)', '/usr/local/kong')
    .option('--socket <path>', 'full socket path (overrides --kong-prefix)')
    .option('--socket-name <file>', 'socket file name inside the prefix', `${plugin.name}.socket`)
    .addOption(new Option('--log-level <level>', 'log level of the JSON lines on stderr').choices(LOG_LEVELS).default('info'))
    .option('--event-timeout <ms>', 'longest a phase may keep Kong waiting before it fails', positiveInteger, 50_000)
    .option('--max-message-size <bytes>', 'largest message accepted from Kong', positiveInteger, 128 * 1024 * 1024)
    .option('--socket-mode <octal>', 'permissions of the socket file', octalMode, 0o660)
    .option('--allow-insecure-socket-dir', 'allow a socket in a world-writable directory without sticky bit', false)
    .option('--no-watch-parent', 'keep running when the process that started the server exits')
    .option('--shutdown-grace <ms>', 'on SIGTERM, how long running events may take to finish before the process exits', nonNegativeInteger, 5000)
    .option('--no-server-pid', 'do not send the serverPid notification on new connections (Kong then recovers through "No plugin instance")')
    .allowExcessArguments(false);
}

/** Parses `argv` (as `process.argv`) for `plugin`. Exits on `--help`, `--version` and bad options. */
export function parseStandaloneArgs(plugin: PluginDefinition, argv: readonly string[]): StandaloneOptions {
  const command = standaloneCommand(plugin);
  command.parse(normalizeLongOptions(argv, LONG_OPTIONS), { from: 'node' });
  return command.opts<StandaloneOptions>();
}

/** The socket path chosen by the options. */
export function socketPathOf(plugin: PluginDefinition, options: StandaloneOptions): string {
  return options.socket ?? join(options.kongPrefix, options.socketName ?? `${plugin.name}.socket`);
}

/** Runs `plugin` as a standalone plugin microservice with the process's arguments. */
export async function runStandalone(plugin: PluginDefinition, argv: readonly string[] = process.argv): Promise<void> {
  const options = parseStandaloneArgs(plugin, argv);
  if (options.dump) {
    writeStdout(`${JSON.stringify([plugin.dump])}\n`, () => process.exit(0));
    return;
  }
  const logger = createLogger(options.logLevel);
  installCrashGuards(logger);
  const socket = socketPathOf(plugin, options);
  let running;
  try {
    running = await startServer({
      plugins: [plugin],
      sockets: [socket],
      logger,
      eventTimeoutMs: options.eventTimeout,
      maxMessageBytes: options.maxMessageSize,
      mode: options.socketMode,
      allowInsecureDirectory: options.allowInsecureSocketDir,
      announcePid: options.serverPid,
    });
  } catch (error) {
    logger.fatal({ err: error, socket }, 'cannot listen');
    process.exit(1);
  }
  const server = running.server;
  manageProcess({ logger, liveEvents: () => server.liveEvents, watchParent: options.watchParent, graceMs: options.shutdownGrace });
}
