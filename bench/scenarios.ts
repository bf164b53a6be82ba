/**
 * What the bench asks of each server: which plugin instance an event runs,
 * and the PDK calls it must make, in order (checked before timing).
 *
 * @module
 */

/** One kind of event. */
export interface Scenario {
  readonly name: string;
  /** The plugin to start (`hello`, or `calls` configured by `config`). */
  readonly plugin: 'hello' | 'calls';
  readonly config: Readonly<Record<string, unknown>>;
  /** The PDK calls the event must make, method and arguments. */
  readonly expected: readonly (readonly [string, readonly unknown[]])[];
  /** The raw body returned by `kong.request.get_raw_body`. */
  readonly body?: Uint8Array;
}

const GET_HOST = ['kong.request.get_header', ['host']] as const;
const setHeader = (who: string): readonly [string, readonly unknown[]] => [
  'kong.response.set_header',
  ['x-hello-from-typescript', `TypeScript says ${who} to example.com`],
];

/** examples/hello.ts: two PDK calls. */
export const HELLO: Scenario = { name: 'hello (2 calls)', plugin: 'hello', config: {}, expected: [GET_HOST, setHeader('hello')] };

/** An event that makes `n` (even) PDK calls; 0 is an event with no PDK call. */
export function calls(n: number): Scenario {
  const expected: (readonly [string, readonly unknown[]])[] = [];
  for (let i = 0; i < n; i += 2) expected.push(GET_HOST, setHeader('calls'));
  return { name: `${n} calls`, plugin: 'calls', config: { calls: n, mode: 'calls' }, expected };
}

/** `kong.response.exit(403)`: Kong sends no further Step. */
export const EXIT: Scenario = { name: 'exit', plugin: 'calls', config: { mode: 'exit' }, expected: [['kong.response.exit', [403]]] };

/** One `get_raw_body` Step carrying `size` bytes (not valid UTF-8, as bodies may be). */
export function body(size: number): Scenario {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + 7) & 0xff;
  return { name: `body ${formatBytes(size)}`, plugin: 'calls', config: { mode: 'body' }, expected: [['kong.request.get_raw_body', []]], body: bytes };
}

/** `1 KB`, `32 MB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${n / (1024 * 1024)} MB`;
  if (n >= 1024) return `${n / 1024} KB`;
  return `${n} B`;
}
