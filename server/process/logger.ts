/**
 * The server's own log: pino JSON lines on stderr (never stdout, which
 * belongs to `-dump`), no colours.
 *
 * @module
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

import type { LogLevel } from './log-levels.ts';
import type { LogFormat } from '../settings.ts';

export { LOG_LEVELS, type LogLevel } from './log-levels.ts';

/**
 * Creates the server logger writing JSON lines to file descriptor 2, or to
 * `destination` (tests capture the output this way).
 *
 * At the default level (`info`) the server logs no header, body or config
 * value; at `debug` it logs each RPC with secrets redacted (see `server/rpc/redact.ts`).
 */
export function createLogger(
  level: LogLevel = 'info',
  bindings: Record<string, unknown> = {},
  destination: DestinationStream = pino.destination({ dest: 2, sync: true }),
): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A logger that drops everything (tests, tools). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * The logger of a server process: {@link createLogger}'s JSON lines on
 * stderr, or, with `pretty`, the same records as coloured lines through
 * pino-pretty, which is imported only then (a `-dump` or a JSON server never
 * loads it).
 */
export async function createProcessLogger(level: LogLevel, format: LogFormat = 'json'): Promise<Logger> {
  if (format === 'json') return createLogger(level);
  const { default: pretty } = await import('pino-pretty');
  const stream = pretty({
    destination: 2,
    sync: true,
    colorize: process.stderr.isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  return pino({ level, base: { pid: process.pid } }, stream);
}
