/**
 * Option parsers and option sets shared by the commands.
 *
 * @module
 */
import { SERVER_LONG_OPTIONS } from '../server/process/options.ts';

export { positiveInteger } from '../server/process/options.ts';

/** Kong's default prefix. */
export const DEFAULT_KONG_PREFIX = '/usr/local/kong';

/** Collects a repeatable option (`--plugin a --plugin b`, or `--plugin a,b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((item) => item !== '')];
}

/** kong-js-pluginserver's long options, which it also takes with one dash (`-plugins-directory DIR`). */
export const JS_PLUGINSERVER_LONG_OPTIONS: readonly string[] = ['plugins-directory', 'sock-name', 'dump-plugin-info', 'dump-all-plugins'];

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
  'help',
  'version',
  'all',
  'pid',
  'watch',
  ...SERVER_LONG_OPTIONS,
  ...JS_PLUGINSERVER_LONG_OPTIONS,
]);
