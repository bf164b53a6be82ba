/**
 * What the bench asks of each server: which plugin instance an event runs,
 * and the PDK calls it must make, in order (checked before timing).
 *
 * @module
 */

import { createHmac } from 'node:crypto';

/** One kind of event. */
export interface Scenario {
  readonly name: string;
  /** The plugin to start (`hello`, or `calls` or `hmac` configured by `config`). */
  readonly plugin: 'hello' | 'calls' | 'hmac' | 'rate-limit-ts';
  readonly config: Readonly<Record<string, unknown>>;
  /** The PDK calls the event must make, method and arguments. */
  readonly expected: readonly (readonly [string, readonly unknown[]])[];
  /** The raw body returned by `kong.request.get_raw_body`. */
  readonly body?: Uint8Array;
  /** Request headers returned by `kong.request.get_header` (any other name: `example.com`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The server traces (`--otlp-endpoint`): an event may first read `traceparent`, beyond the expected calls. */
  readonly traced?: boolean;
}

const GET_HOST = ['kong.request.get_header', ['host']] as const;
const setHeader = (who: string): readonly [string, readonly unknown[]] => [
  'kong.response.set_header',
  ['x-hello-from-typescript', `TypeScript says ${who} to example.com`],
];

/** examples/hello.ts: two PDK calls. */
export const HELLO: Scenario = { name: 'hello (2 calls)', plugin: 'hello', config: {}, expected: [GET_HOST, setHeader('hello')] };

/** hello in a request that carries a sampled W3C trace context, for a server that traces. */
export const HELLO_TRACED: Scenario = {
  ...HELLO,
  name: 'hello (traced)',
  headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  traced: true,
};

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

/** The HMAC plugin's secret in the bench. */
export const HMAC_SECRET = 'bench-secret';

/**
 * bench/plugins/hmac.ts: reads `x-signature` and a raw body of `bodySize`
 * bytes, computes HMAC-SHA256 of the body `iterations` times and sets the
 * verdict header (`valid`); with `tampered`, the signature does not match
 * and the plugin answers 401 instead.
 */
export function hmac(iterations: number, bodySize = 1024, tampered = false): Scenario {
  const bytes = body(bodySize).body as Uint8Array;
  const mac = createHmac('sha256', HMAC_SECRET).update(bytes).digest();
  if (tampered) mac[0] = (mac[0] as number) ^ 1;
  return {
    name: `hmac ×${iterations} ${formatBytes(bodySize)}${tampered ? ' tampered' : ''}`,
    plugin: 'hmac',
    config: { secret: HMAC_SECRET, iterations },
    expected: [
      ['kong.request.get_header', ['x-signature']],
      ['kong.request.get_raw_body', []],
      tampered ? ['kong.response.exit', [401, { message: 'bad signature' }]] : ['kong.response.set_header', ['x-hmac-verdict', 'valid']],
    ],
    body: bytes,
    headers: { 'x-signature': mac.toString('hex') },
  };
}

/** `1 KB`, `32 MB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${n / (1024 * 1024)} MB`;
  if (n >= 1024) return `${n / 1024} KB`;
  return `${n} B`;
}

/**
 * examples/rate-limit.ts counting every event per client IP, headers hidden
 * (so that the PDK calls are the same for every event), with a limit no
 * event reaches: `policy` local (tspdk/shared in the server) or redis
 * (`redis` gives host and port).
 */
export function rateLimit(policy: 'local' | 'redis', redis?: { host: string; port: number }): Scenario {
  const config = { limit: 1_000_000_000, limit_by: 'ip', hide_client_headers: true, policy, ...(redis === undefined ? {} : { redis }) };
  return {
    name: `rate-limit ${policy}`,
    plugin: 'rate-limit-ts',
    config,
    expected: [
      ['kong.client.get_forwarded_ip', []],
      ['kong.request.get_start_time', []],
    ],
  };
}
