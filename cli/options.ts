/**
 * Option parsers and option sets shared by the commands.
 *
 * @module
 */
import { InvalidArgumentError } from 'commander';

/** Kong's default prefix. */
export const DEFAULT_KONG_PREFIX = '/usr/local/kong';

/** Parses a positive integer option. */
export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

/** Parses a non-negative integer option. */
export function nonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return number;
}

/** Parses an octal permission mode such as `660`. */
export function octalMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError('expected an octal mode such as 660');
  return parseInt(value, 8);
}

/** Collects a repeatable option (`--plugin a --plugin b`, or `--plugin a,b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((item) => item !== '')];
}

/**
 * Long options that may also be written go-style with one dash
 * (`-kong-prefix DIR`, `-dump`), as Kong's docs and go-pdk spell them.
 */
export const LONG_OPTIONS: ReadonlySet<string> = new Set([
  'dump',
  'kong-prefix',
  'socket',
  'plugin',
  'pid-file',
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
  'all',
  'pid',
]);
