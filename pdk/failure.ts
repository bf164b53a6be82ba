/**
 * Describing whatever a plugin throws or rejects with, without ever throwing.
 *
 * A phase may fail with any value: an `Error`, a string, `undefined`, a
 * Symbol, an object without a prototype (which cannot be turned into text),
 * a Proxy whose every trap throws, an object whose `message` getter throws.
 * The server must still end the event (fail closed) and say why, so nothing
 * here lets an exception escape: each reading of the value is guarded, no
 * getter, `toString` or custom inspector of the plugin is called where it can
 * be avoided, and what cannot be read is described by its kind.
 *
 * @module
 */
import { inspect, type InspectOptions } from 'node:util';

/** Longest description kept (a plugin can throw a megabyte of text). */
const MAX_TEXT = 2000;

/** util.inspect without the value's own code: no custom inspector, no getters, Proxies shown as their target. */
const PREVIEW: InspectOptions = Object.freeze({
  depth: 2,
  customInspect: false,
  getters: false,
  showProxy: false,
  breakLength: Infinity,
  maxArrayLength: 10,
  maxStringLength: 200,
});

/** What the server logs of a failure: strings only, each bounded. */
export interface FailureDetails {
  /** The error's name (`TypeError`, `PdkError`), or the kind of value thrown. */
  readonly type: string;
  readonly message: string;
  /** The stack, when the value carries one as a string. */
  readonly stack?: string;
}

/**
 * One line saying what `value` is: an error's message (or name when the
 * message is empty), a string as it is, anything else as a short preview.
 * Never throws.
 */
export function describeFailure(value: unknown): string {
  let text: string;
  try {
    text = describe(value);
  } catch {
    text = `a thrown ${kindOf(value)} that cannot be described`;
  }
  return bounded(text);
}

/**
 * {@link describeFailure} with the type and stack, for the server's log (as
 * its `err` field), the message and stack passed through `redact`. Never
 * throws (unless `redact` does). The object has no prototype and a hidden
 * `name`, so that pino's error serializer keeps `type` as it is.
 */
export function failureDetails(value: unknown, redact: (text: string) => string = (text) => text): FailureDetails {
  const read = readFailure(value);
  const type = read.type;
  const message = redact(read.message);
  const stack = read.stack === undefined ? undefined : redact(read.stack);
  const details = Object.create(null) as Record<string, string>;
  Object.defineProperty(details, 'name', { value: type, enumerable: false });
  details['type'] = type;
  details['message'] = message;
  if (stack !== undefined) details['stack'] = stack;
  return details as unknown as FailureDetails;
}

function readFailure(value: unknown): FailureDetails {
  const message = describeFailure(value);
  let type = kindOf(value);
  let stack: string | undefined;
  try {
    const name = ownString(value, 'name') ?? (value instanceof Error ? value.name : undefined);
    if (typeof name === 'string' && name !== '') type = bounded(name);
    const own = ownString(value, 'stack') ?? (value instanceof Error ? value.stack : undefined);
    if (typeof own === 'string') stack = bounded(own, 8 * MAX_TEXT);
  } catch {
    // the kind of value says enough
  }
  return stack === undefined ? { type, message } : { type, message, stack };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value === '' ? 'an empty string' : value;
  if (value === null) return 'null';
  // A number, boolean, bigint, Symbol or undefined: String() runs no code of the value.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects are excluded just above
  if (typeof value !== 'object' && typeof value !== 'function') return String(value);
  const message = ownString(value, 'message');
  if (message !== undefined && message !== '') return message;
  if (value instanceof Error) {
    const name = ownString(value, 'name') ?? value.name;
    return typeof name === 'string' && name !== '' ? name : 'Error';
  }
  return inspect(value, PREVIEW);
}

/** The own data property `key` of `value` when it is a string; getters are not called. */
function ownString(value: unknown, key: string): string | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
  if (descriptor === undefined || !('value' in descriptor)) return undefined;
  const own: unknown = descriptor.value;
  return typeof own === 'string' ? own : undefined;
}

/** `typeof` in words; `typeof` never runs code of the value. */
function kindOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

function bounded(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}
