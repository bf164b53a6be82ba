/**
 * The command-line options every server mode shares (a standalone plugin
 * file and `tspdk serve`) and their parsers. Light on purpose: `-dump` parses
 * them without loading the server.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { LOG_LEVELS, type LogLevel } from './log-levels.ts';

/** Parsed values of the shared server options. */
export interface ServerCliOptions {
  readonly logLevel: LogLevel;
  readonly eventTimeout: number;
  readonly maxMessageSize: number;
  readonly socketMode: number;
  readonly allowInsecureSocketDir: boolean;
  readonly watchParent: boolean;
  readonly shutdownGrace: number;
  readonly serverPid: boolean;
  /** Worker processes; 1 serves from this process alone. */
  readonly workers: number;
}

/** Long names of the shared options, which may also be written go-style with one dash. */
export const SERVER_LONG_OPTIONS: readonly string[] = [
  'log-level',
  'event-timeout',
  'max-message-size',
  'socket-mode',
  'allow-insecure-socket-dir',
  'no-watch-parent',
  'shutdown-grace',
  'no-server-pid',
  'workers',
];

/** Most workers one server may have (ids encode the worker in 6 bits). */
export const MAX_WORKERS = 64;

/** Parses `--workers`: a count from 1 to 64, or `auto` for the CPUs this process may use. */
export function workerCount(value: string): number {
  if (value === 'auto') return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1 || number > MAX_WORKERS) {
    throw new InvalidArgumentError(`expected a number of workers from 1 to ${MAX_WORKERS}, or auto`);
  }
  return number;
}

/** Parses a positive integer option. */
export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

/** Parses a non-negative integer option. */
export function nonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw new InvalidArgumentError('expected an integer >= 0');
  return number;
}

/** Parses an octal permission mode such as `660`. */
export function octalMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError('expected an octal mode such as 660');
  return parseInt(value, 8);
}

/** Adds the shared server options to `command`. */
export function addServerOptions(command: Command): Command {
  return command
    .addOption(new Option('--log-level <level>', 'log level of the JSON lines on stderr').choices(LOG_LEVELS).default('info'))
    .option('--event-timeout <ms>', 'longest a phase may keep Kong waiting before it fails', positiveInteger, 50_000)
    .option('--max-message-size <bytes>', 'largest message accepted from Kong', positiveInteger, 128 * 1024 * 1024)
    .addOption(new Option('--socket-mode <octal>', 'permissions of the socket files').argParser(octalMode).default(0o660, '660'))
    .option('--allow-insecure-socket-dir', 'allow sockets in a world-writable directory without sticky bit', false)
    .option('--no-watch-parent', 'keep running when the process that started the server exits')
    .option('--shutdown-grace <ms>', 'on SIGTERM, how long running events may take to finish before the process exits', nonNegativeInteger, 5000)
    .addOption(
      new Option('--workers <n|auto>', 'worker processes sharing the socket (auto: one per CPU); 1 serves from this process')
        .argParser(workerCount)
        .default(1),
    )
    .option('--no-server-pid', 'do not send the serverPid notification on new connections (Kong then recovers through "No plugin instance")');
}
