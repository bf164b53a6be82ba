/**
 * The command-line options every server mode shares (a standalone plugin
 * file and `tspdk serve`), their parsers, and the {@link ServerSettings} they
 * make. Light on purpose: `-dump` parses them without loading the server.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  DEFAULT_SERVER_SETTINGS,
  KONG_VERSION_EXPECTED,
  LOG_FORMATS,
  MAX_WORKERS,
  isKongVersionText,
  serverSettings,
  type LogFormat,
  type ServerSettings,
} from '../settings.ts';
import { LOG_LEVELS, type LogLevel } from './log-levels.ts';
import { redisSettingsFromUrl } from '../shared/redis-settings.ts';
import { otelEnvironment, parseMetricsAddress, parseOtlpEndpoint, parseOtlpProtocol, sampleRatio, TRACE_SAMPLERS, type OtlpProtocol, type TraceSampler } from '../observe/address.ts';

/**
 * The shared server options as commander parses them (named after the flags,
 * without units): {@link settingsFromCommandLine} makes them
 * {@link ServerSettings}.
 */
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
  readonly logFormat: LogFormat;
  /** The Kong version PDK calls are checked against; unset: no check. */
  readonly kongVersion?: string;
  /** `local`, or the Redis URL of `tspdk/shared`. */
  readonly sharedStore: string;
  readonly blockTimeout: number;
  readonly maxLiveEvents: number;
  readonly maxMapEntries: number;
  readonly maxArrayEntries: number;
  readonly maxNesting: number;
  readonly redactHeaders: readonly string[];
  readonly parentPid?: number;
  readonly metrics?: string;
  readonly otlpEndpoint?: string;
  readonly otlpProtocol?: OtlpProtocol;
  readonly traceSampler?: TraceSampler;
  readonly traceSamplerArg?: number;
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
  'log-format',
  'kong-version',
  'shared-store',
  'block-timeout',
  'max-live-events',
  'max-map-entries',
  'max-array-entries',
  'max-nesting',
  'redact-headers',
  'parent-pid',
  'metrics',
  'otlp-endpoint',
  'otlp-protocol',
  'trace-sampler',
  'trace-sampler-arg',
];

/** Parses `--workers`: a count from 1 to 64, or `auto` for the CPUs this process may use. */
export function workerCount(value: string): number {
  if (value === 'auto') return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1 || number > MAX_WORKERS) {
    throw new InvalidArgumentError(`expected a number of workers from 1 to ${MAX_WORKERS}, or auto`);
  }
  return number;
}

/** Parses `--kong-version`: `x.y`, `x.y.z` (2.3 or later) or `master`, kept as written. */
export function kongVersionText(value: string): string {
  if (!isKongVersionText(value)) throw new InvalidArgumentError(`expected ${KONG_VERSION_EXPECTED}`);
  return value;
}

/** Parses `--shared-store`: `local`, or a Redis URL checked in full (its password never shown). */
function sharedStoreOption(value: string): string {
  if (value === 'local') return value;
  try {
    redisSettingsFromUrl(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

/** Parses a positive integer option. */
export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

/** Parses a non-negative integer option. */
function nonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw new InvalidArgumentError('expected an integer >= 0');
  return number;
}

/** Parses a comma-separated list of header names, lower-cased. */
function headerNames(value: string): string[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  const bad = names.find((name) => !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name));
  if (bad !== undefined) throw new InvalidArgumentError(`${JSON.stringify(bad)} is not a header name`);
  return names;
}

/** Runs a parser that throws TypeError as a commander argument parser. */
function argument<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/** Parses an octal permission mode such as `660`. */
function octalMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError('expected an octal mode such as 660');
  return parseInt(value, 8);
}

const DEFAULTS = DEFAULT_SERVER_SETTINGS;

/** Adds the shared server options to `command`. */
export function addServerOptions(command: Command): Command {
  return command
    // commander quotes a refused argument: a --shared-store URL may hold a password.
    .configureOutput({ outputError: (text, write) => write(text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s']*:)[^@\s']*@/gi, '$1***@')) })
    .addOption(new Option('--log-level <level>', 'log level of the JSON lines on stderr').choices(LOG_LEVELS).default('info'))
    .option('--event-timeout <ms>', 'longest a phase may keep Kong waiting before it fails', positiveInteger, DEFAULTS.eventTimeoutMs)
    .option('--max-message-size <bytes>', 'largest message accepted from Kong', positiveInteger, DEFAULTS.maxMessageBytes)
    .addOption(
      new Option('--socket-mode <octal>', 'permissions of the socket files').argParser(octalMode).default(DEFAULTS.socketMode, DEFAULTS.socketMode.toString(8)),
    )
    .option('--allow-insecure-socket-dir', 'allow sockets in a world-writable directory without sticky bit', DEFAULTS.allowInsecureSocketDir)
    .option('--no-watch-parent', 'keep running when the process that started the server exits')
    .option('--shutdown-grace <ms>', 'on SIGTERM, how long running events may take to finish before the process exits', nonNegativeInteger, DEFAULTS.shutdownGraceMs)
    .addOption(
      new Option('--workers <n|auto>', 'worker processes sharing the socket (auto: one per CPU); 1 serves from this process')
        .argParser(workerCount)
        .default(DEFAULTS.workers),
    )
    .option('--no-server-pid', 'do not send the serverPid notification on new connections (Kong then recovers through "No plugin instance")')
    .addOption(
      new Option('--log-format <format>', 'log lines on stderr: pino JSON (for Kong) or pretty, coloured lines for people').choices(LOG_FORMATS).default(DEFAULTS.logFormat),
    )
    .option('--kong-version <x.y[.z]|master>', 'the Kong this server runs under: PDK calls it lacks reject at once with PDK_UNAVAILABLE (default: no check)', kongVersionText)
    .addOption(
      new Option('--shared-store <local|url>', 'where tspdk/shared keeps its keys: local (this server), or redis://[user:password@]host[:port][/db][?prefix=…] or rediss://… (shared by every server using it)')
        .argParser(sharedStoreOption)
        .default(DEFAULTS.sharedStore),
    )
    .option('--block-timeout <ms>', 'longest the event loop may stay blocked before the process logs what ran and is killed (SIGKILL, status 137; 0: never)', nonNegativeInteger, DEFAULTS.blockTimeoutMs)
    .option('--max-live-events <n>', 'events running at once; more fail closed at once', positiveInteger, DEFAULTS.maxLiveEvents)
    .option('--max-map-entries <n>', 'map entries in one message from Kong (raise it with Kong limits such as large JSON bodies)', positiveInteger, DEFAULTS.maxMapEntries)
    .option('--max-array-entries <n>', 'array elements in one message from Kong', positiveInteger, DEFAULTS.maxArrayEntries)
    .option('--max-nesting <n>', 'nesting depth of maps and arrays in one message from Kong', positiveInteger, DEFAULTS.maxNesting)
    .option('--redact-headers <names>', 'comma-separated header names kept out of the log, besides authorization, cookie, apikey and the like', headerNames, [])
    .option('--parent-pid <pid>', 'exit when this process is gone, checked before listening too (default: the parent process)', positiveInteger)
    .option('--metrics <address>', 'serve Prometheus metrics at http://<address>/metrics: a port (on 127.0.0.1), host:port or a socket path', (value: string) => {
      argument(parseMetricsAddress)(value);
      return value;
    })
    .option('--otlp-endpoint <url>', 'export OpenTelemetry spans over OTLP/HTTP to this URL (also OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)', argument(parseOtlpEndpoint))
    .option('--otlp-protocol <protocol>', 'how spans are encoded: http/protobuf (default) or http/json (also OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)', argument(parseOtlpProtocol))
    .addOption(new Option('--trace-sampler <name>', 'which events are traced (also OTEL_TRACES_SAMPLER; default parentbased_always_on)').choices(TRACE_SAMPLERS))
    .option('--trace-sampler-arg <ratio>', 'the ratio of the *traceidratio samplers, 0 to 1 (also OTEL_TRACES_SAMPLER_ARG)', argument(sampleRatio));
}

/**
 * The settings the shared options ask for. Tracing settings not given as
 * flags come from the standard `OTEL_*` variables of `env` (see
 * observe/address.ts, {@link otelEnvironment}).
 * @throws {@link TypeError} naming the setting, when a value is out of range
 *   (only possible when `options` did not come from commander, whose parsers check each flag).
 */
export function settingsFromCommandLine(options: ServerCliOptions, env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const otel = otelEnvironment(env);
  return serverSettings({
    metrics: options.metrics,
    otlpEndpoint: options.otlpEndpoint ?? otel.endpoint,
    otlpProtocol: options.otlpProtocol ?? otel.protocol,
    traceSampler: options.traceSampler ?? otel.sampler,
    traceSamplerArg: options.traceSamplerArg ?? otel.samplerArg,
    eventTimeoutMs: options.eventTimeout,
    maxMessageBytes: options.maxMessageSize,
    socketMode: options.socketMode,
    allowInsecureSocketDir: options.allowInsecureSocketDir,
    announcePid: options.serverPid,
    shutdownGraceMs: options.shutdownGrace,
    watchParent: options.watchParent,
    workers: options.workers,
    logFormat: options.logFormat,
    kongVersion: options.kongVersion,
    sharedStore: options.sharedStore,
    blockTimeoutMs: options.blockTimeout,
    maxLiveEvents: options.maxLiveEvents,
    maxMapEntries: options.maxMapEntries,
    maxArrayEntries: options.maxArrayEntries,
    maxNesting: options.maxNesting,
    redactHeaders: options.redactHeaders,
    parentPid: options.parentPid,
  });
}

/**
 * Settings from either form: the shared options as commander parses them
 * (it always sets `eventTimeout`), or settings (checked again, and completed
 * with the defaults).
 * @throws {@link TypeError} naming the setting, when a value is out of range.
 */
export function toServerSettings(options: ServerCliOptions | Partial<ServerSettings>): ServerSettings {
  return 'eventTimeout' in options ? settingsFromCommandLine(options) : serverSettings(options);
}
