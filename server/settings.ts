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
   * `--log-format`: the server's log on stderr as pino JSON lines (`json`,
   * what Kong's error log expects) or as coloured lines for people
   * (`pretty`, through pino-pretty, loaded only then). Servers started with
   * `startServer` log through the logger they are given. Default `json`.
   */
  readonly logFormat: LogFormat;
  /**
   * `--kong-version`: the Kong the server runs under (`x.y`, `x.y.z` from
   * 2.3 on, or `master`). A PDK call that version lacks then rejects at once
   * with `PDK_UNAVAILABLE`, without a round trip; a version newer than tspdk's
   * table is checked as master (with a warning at start). Unset by default:
   * no check, calls go to Kong as they are.
   */
  readonly kongVersion?: string;
  /**
   * `--shared-store`: where `tspdk/shared` keeps its keys. `local` (the
   * default): in this process, or in the primary with several workers.
   * A `redis://` or `rediss://` URL: in that Redis, which every worker
   * reaches on its own connection, so that every plugin server pointed at it
   * (every Kong node) shares the keys (docs/shared.md).
   */
  readonly sharedStore: string;
  /**
   * `--block-timeout`: how long the event loop may stay blocked (a plugin's
   * synchronous loop) before the process logs what ran and is killed
   * (SIGKILL: status 137 as a shell reports it), so that Kong (or the
   * primary) starts a new one; 0 turns the watchdog off. Default 10,000 (see
   * docs/reliability.md for the choice).
   */
  readonly blockTimeoutMs: number;
  /** `--max-live-events`: events running at once; events beyond fail closed at once. Default 100,000. */
  readonly maxLiveEvents: number;
  /** `--max-map-entries`: map entries (all maps together) in one message from Kong. Default 16,384. */
  readonly maxMapEntries: number;
  /** `--max-array-entries`: array elements (all arrays together) in one message from Kong. Default 262,144. */
  readonly maxArrayEntries: number;
  /** `--max-nesting`: how deeply maps and arrays may nest in one message from Kong, the envelope included. Default 1,024. */
  readonly maxNesting: number;
  /**
   * `--redact-headers`: header names (lower case) whose values are kept out
   * of the log, besides the built-in credential headers (`authorization`,
   * `cookie`, `apikey`, …). Default none.
   */
  readonly redactHeaders: readonly string[];
  /**
   * `--parent-pid`: the process whose end ends the server, checked before
   * listening too (a server whose starter is already gone never serves).
   * Default: the parent process, as seen at start.
   */
  readonly parentPid?: number;
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

/** The formats of the server's log. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
/** A format of the server's log. */
export type LogFormat = (typeof LOG_FORMATS)[number];

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
  logFormat: 'json',
  sharedStore: 'local',
  blockTimeoutMs: 10_000,
  maxLiveEvents: 100_000,
  maxMapEntries: 16_384,
  maxArrayEntries: 262_144,
  maxNesting: 1024,
  redactHeaders: Object.freeze([]),
  metrics: undefined,
  otlpEndpoint: undefined,
  otlpProtocol: 'http/protobuf',
  traceSampler: 'parentbased_always_on',
  traceSamplerArg: 1,
});

/** What `kongVersion` takes, as messages say it. */
export const KONG_VERSION_EXPECTED = 'a Kong version: x.y or x.y.z from 2.3 on (e.g. 3.4 or 3.4.2), or master';

/**
 * Whether `value` is written as a Kong version calls can be checked
 * against: `x.y` or `x.y.z` from 2.3 on (tspdk serves nothing older), or
 * `master`. Which releases it stands for is decided at start, from the
 * table of PDK functions (pdk/version-check.ts).
 */
export function isKongVersionText(value: unknown): value is string {
  if (value === 'master') return true;
  const match = typeof value === 'string' ? /^(\d{1,4})\.(\d{1,4})(?:\.\d{1,4})?$/.exec(value) : null;
  if (match === null) return false;
  const major = Number(match[1]);
  return major > 2 || (major === 2 && Number(match[2]) >= 3);
}

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
  logFormat: [(value) => (LOG_FORMATS as readonly unknown[]).includes(value), 'json or pretty'],
  kongVersion: [isKongVersionText, KONG_VERSION_EXPECTED],
  sharedStore: [(value) => value === 'local' || (typeof value === 'string' && /^rediss?:\/\//.test(value)), 'local, or a redis:// or rediss:// URL'],
  blockTimeoutMs: [(value) => isInteger(value, 0), 'an integer of milliseconds >= 0 (0: no watchdog)'],
  maxLiveEvents: [(value) => isInteger(value, 1), 'a positive integer'],
  maxMapEntries: [(value) => isInteger(value, 1), 'a positive integer'],
  maxArrayEntries: [(value) => isInteger(value, 1), 'a positive integer'],
  maxNesting: [(value) => isInteger(value, 1), 'a positive integer'],
  redactHeaders: [(value) => Array.isArray(value) && value.every(isHeaderName), 'a list of lower-case header names'],
  parentPid: [(value) => isInteger(value, 1), 'a process id'],
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
    if (!accepts(value)) {
      // A store URL may hold a password: never echo it.
      const got = name === 'sharedStore' ? (typeof value === 'string' ? 'another string' : typeof value) : describe(value);
      throw new TypeError(`the server setting ${name} must be ${expected}; got ${got}`);
    }
    settings[name] = Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
  }
  return Object.freeze(settings as unknown as ServerSettings);
}

/** A lower-case HTTP header name (an RFC 9110 token). */
function isHeaderName(value: unknown): boolean {
  return typeof value === 'string' && /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(value);
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
