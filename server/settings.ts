/**
 * The settings a plugin server runs with, one name each. They are built once,
 * from the command line (process/options.ts) or from `startServer`'s options
 * (start.ts), and passed as they are to the single-process server, the
 * primary and every worker (which receives its primary's settings with its
 * identity, cluster/role.ts). Light on purpose: no imports.
 *
 * A setting's name is its command-line flag in camelCase, with its unit
 * where it has one (`--event-timeout` is `eventTimeoutMs`,
 * `--max-message-size` is `maxMessageBytes`); `--no-server-pid` sets
 * `announcePid` (the notification it turns off is Kong's `serverPid`).
 * Light on purpose: it imports only observe/address.ts, which imports nothing.
 *
 * @module
 */
import { isOtlpProtocol, isTraceSampler, OTLP_PROTOCOLS, parseMetricsAddress, parseOtlpEndpoint, TRACE_SAMPLERS, type OtlpProtocol, type TraceSampler } from './observe/address.ts';

/** How a plugin server runs. */
export interface ServerSettings {
  /**
   * `--event-timeout`: how long a phase method may keep Kong waiting (from
   * HandleEvent or a Step to its next PDK call or return) before the event
   * fails. Kong's own socket timeout is 60 s. Default 50,000.
   */
  readonly eventTimeoutMs: number;
  /** `--max-message-size`: the largest message accepted from Kong. Default 128 MiB. */
  readonly maxMessageBytes: number;
  /** `--socket-mode`: permission bits of the socket files. Default `0o660` (owner and group). */
  readonly socketMode: number;
  /**
   * `--allow-insecure-socket-dir`: listen in a directory anyone can write to
   * without the sticky bit, where another user could replace the socket.
   * Default `false`.
   */
  readonly allowInsecureSocketDir: boolean;
  /**
   * Send Kong `[2,"serverPid",pid]` as the first message of each connection
   * (`--no-server-pid` turns it off). Default `true`.
   */
  readonly announcePid: boolean;
  /** `--shutdown-grace`: on SIGTERM, how long running events may take to finish before the process exits. Default 5,000. */
  readonly shutdownGraceMs: number;
  /** Exit when the process that started the server is gone (`--no-watch-parent` turns it off). Default `true`. */
  readonly watchParent: boolean;
  /** `--workers`: worker processes sharing the sockets; 1 serves from this process alone. Default 1. */
  readonly workers: number;
  /**
   * `--metrics`: where `/metrics` is served in Prometheus' text format: a
   * port (on 127.0.0.1), `host:port` or a Unix socket path. With `--workers`
   * the primary serves it, with the sums over its workers. Default
   * `undefined`: no metrics, and no metrics code loaded.
   */
  readonly metrics: string | undefined;
  /**
   * `--otlp-endpoint`: the OTLP/HTTP URL spans are posted to (the command
   * line also reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` and
   * `OTEL_EXPORTER_OTLP_ENDPOINT`). Default `undefined`: no tracing, and no
   * tracing code loaded.
   */
  readonly otlpEndpoint: string | undefined;
  /**
   * `--otlp-protocol` (or `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`,
   * `OTEL_EXPORTER_OTLP_PROTOCOL`): how spans are encoded, `http/protobuf`
   * or `http/json`. Default `http/protobuf`.
   */
  readonly otlpProtocol: OtlpProtocol;
  /** `--trace-sampler`: which events are traced, named as `OTEL_TRACES_SAMPLER` names it. Default `parentbased_always_on`. */
  readonly traceSampler: TraceSampler;
  /** `--trace-sampler-arg`: the ratio of the `*traceidratio` samplers, 0 to 1. Default 1. */
  readonly traceSamplerArg: number;
}

/** Most workers one server may have (ids encode the worker in 6 bits). */
export const MAX_WORKERS = 64;

/** The settings of a server run without options. */
export const DEFAULT_SERVER_SETTINGS: ServerSettings = Object.freeze({
  eventTimeoutMs: 50_000,
  maxMessageBytes: 128 * 1024 * 1024,
  socketMode: 0o660,
  allowInsecureSocketDir: false,
  announcePid: true,
  shutdownGraceMs: 5000,
  watchParent: true,
  workers: 1,
  metrics: undefined,
  otlpEndpoint: undefined,
  otlpProtocol: 'http/protobuf',
  traceSampler: 'parentbased_always_on',
  traceSamplerArg: 1,
});

/** What each setting accepts, and how to say what was expected. */
const CHECKS: { readonly [K in keyof ServerSettings]: readonly [(value: unknown) => boolean, string] } = {
  eventTimeoutMs: [(value) => isInteger(value, 1), 'a positive integer of milliseconds'],
  maxMessageBytes: [(value) => isInteger(value, 1), 'a positive integer of bytes'],
  socketMode: [(value) => isInteger(value, 0, 0o777), 'permission bits from 0 to 0o777, such as 0o660'],
  allowInsecureSocketDir: [(value) => typeof value === 'boolean', 'true or false'],
  announcePid: [(value) => typeof value === 'boolean', 'true or false'],
  shutdownGraceMs: [(value) => isInteger(value, 0), 'an integer of milliseconds >= 0'],
  watchParent: [(value) => typeof value === 'boolean', 'true or false'],
  workers: [(value) => isInteger(value, 1, MAX_WORKERS), `a number of workers from 1 to ${MAX_WORKERS}`],
  metrics: [(value) => parses(value, parseMetricsAddress), 'a port (9464), host:port (0.0.0.0:9464) or a Unix socket path'],
  otlpEndpoint: [(value) => parses(value, parseOtlpEndpoint), 'an http(s) URL such as http://127.0.0.1:4318/v1/traces'],
  otlpProtocol: [isOtlpProtocol, `one of ${OTLP_PROTOCOLS.join(', ')}`],
  traceSampler: [isTraceSampler, `one of ${TRACE_SAMPLERS.join(', ')}`],
  traceSamplerArg: [(value) => typeof value === 'number' && value >= 0 && value <= 1, 'a ratio from 0 to 1'],
};

/**
 * Complete, checked and frozen settings: the defaults, overridden by the
 * settings in `given` that are not `undefined`.
 * @throws {@link TypeError} naming the setting, when one has a value it cannot take.
 */
export function serverSettings(given: Partial<ServerSettings> = {}): ServerSettings {
  if (typeof given !== 'object' || given === null) throw new TypeError('server settings must be an object');
  const settings: Record<string, unknown> = { ...DEFAULT_SERVER_SETTINGS };
  for (const [name, [accepts, expected]] of Object.entries(CHECKS)) {
    const value = (given as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (!accepts(value)) throw new TypeError(`the server setting ${name} must be ${expected}; got ${describe(value)}`);
    settings[name] = value;
  }
  return Object.freeze(settings as unknown as ServerSettings);
}

function parses(value: unknown, parse: (text: string) => unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}

function isInteger(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value === 'number' || typeof value === 'boolean' || value === null ? String(value) : typeof value;
}
