/**
 * The log levels of `--log-level`, without loading the logger (pino) itself:
 * option parsing, and so `-dump`, stays light.
 *
 * @module
 */

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];
