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
 *
 * @module
 */

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
  blockTimeoutMs: 10_000,
  maxLiveEvents: 100_000,
  maxMapEntries: 16_384,
  maxArrayEntries: 262_144,
  maxNesting: 1024,
  redactHeaders: Object.freeze([]),
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
  blockTimeoutMs: [(value) => isInteger(value, 0), 'an integer of milliseconds >= 0 (0: no watchdog)'],
  maxLiveEvents: [(value) => isInteger(value, 1), 'a positive integer'],
  maxMapEntries: [(value) => isInteger(value, 1), 'a positive integer'],
  maxArrayEntries: [(value) => isInteger(value, 1), 'a positive integer'],
  maxNesting: [(value) => isInteger(value, 1), 'a positive integer'],
  redactHeaders: [(value) => Array.isArray(value) && value.every(isHeaderName), 'a list of lower-case header names'],
  parentPid: [(value) => isInteger(value, 1), 'a process id'],
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
    settings[name] = Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
  }
  return Object.freeze(settings as unknown as ServerSettings);
}

/** A lower-case HTTP header name (an RFC 9110 token). */
function isHeaderName(value: unknown): boolean {
  return typeof value === 'string' && /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(value);
}

function isInteger(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value === 'number' || typeof value === 'boolean' || value === null ? String(value) : typeof value;
}
