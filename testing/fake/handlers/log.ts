/**
 * `kong.log.*` on the fake Kong: lines are captured, `serialize` builds
 * Kong's log table and sends it as the JSON string the host sends.
 *
 * @module
 */
import { allowIn, stringArg, type Handler } from '../call.ts';
import { LuaError } from '../errors.ts';
import { serializeLog } from '../serialize.ts';

const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'] as const;

function text(value: unknown): string {
  if (value === undefined || value === null) return 'nil';
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/** The `kong.log` functions. */
export const logHandlers: Readonly<Record<string, Handler>> = {
  ...Object.fromEntries(
    LEVELS.map((level): [string, Handler] => [
      `kong.log.${level}`,
      (call, args) => call.state.log(level, args.map(text).join(''), call.phase),
    ]),
  ),
  'kong.log.deprecation': (call, args) => {
    const message = stringArg(call, args, 0, 'message');
    const info = (args[1] ?? {}) as Record<string, unknown>;
    const when = [info['after'] === undefined ? '' : `deprecated after ${text(info['after'])}`, info['removal'] === undefined ? '' : `scheduled for removal in ${text(info['removal'])}`]
      .filter((part) => part !== '')
      .join(', ');
    call.state.log('warn', when === '' ? message : `${message} (${when})`, call.phase);
  },
  'kong.log.serialize': (call) => {
    allowIn(call, ['log']);
    return JSON.stringify(serializeLog(call.state));
  },
  'kong.log.set_serialize_value': (call, args) => {
    allowIn(call, ['rewrite', 'access', 'response', 'log']);
    const key = stringArg(call, args, 0, 'key');
    const options = args[2] as Record<string, unknown> | undefined;
    const mode = options?.['mode'] ?? 'set';
    if (mode !== 'set' && mode !== 'add' && mode !== 'replace') throw new LuaError(`${call.method}: mode must be 'set', 'add' or 'replace'`);
    // In `log` the host already saved the serialized table: the edit is lost.
    if (call.phase === 'log') return;
    call.state.serializeEdits.push({ key, value: args[1], mode });
  },
};
