/**
 * Where `/metrics` is served (`--metrics`) and where spans go
 * (`--otlp-endpoint`): parsing and checking the values, with errors that
 * say what to write instead. Light on purpose: imports nothing, so the
 * settings and the command line check these values without loading any
 * metrics or tracing code.
 *
 * @module
 */

/** A parsed `--metrics` value. */
export type MetricsAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/**
 * Parses `--metrics`: a port alone (`9464`, on 127.0.0.1), `host:port`
 * (`0.0.0.0:9464` to listen on every interface, `[::1]:9464`), or a Unix
 * socket path (anything with a `/`).
 * @throws {@link TypeError} saying what is accepted.
 */
export function parseMetricsAddress(value: string): MetricsAddress {
  const text = value.trim();
  if (text.includes('/')) return { kind: 'unix', path: text };
  if (/^\d+$/.test(text)) return { kind: 'tcp', host: '127.0.0.1', port: port(text, value) };
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(text);
  if (match === null) {
    throw new TypeError(
      `--metrics must be a port (9464, served on 127.0.0.1), host:port (0.0.0.0:9464 for every interface) or a socket path; got ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  const host = (match[1] as string).replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', host, port: port(match[2] as string, value) };
}

function port(text: string, value: string): number {
  const number = Number(text);
  if (!Number.isSafeInteger(number) || number > 65535) throw new TypeError(`--metrics: the port must be 0 to 65535; got ${JSON.stringify(value.slice(0, 80))}`);
  return number;
}

/**
 * The URL spans are posted to, from `--otlp-endpoint`: an `http:` or
 * `https:` URL; one without a path gets OTLP/HTTP's `/v1/traces`.
 * @throws {@link TypeError} saying what is accepted.
 */
export function parseOtlpEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new TypeError(`--otlp-endpoint must be an http(s) URL such as http://127.0.0.1:4318/v1/traces; got ${JSON.stringify(value.slice(0, 80))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`--otlp-endpoint must be an http: or https: URL (OTLP over HTTP); got ${JSON.stringify(value.slice(0, 80))}`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.href;
}

/** The samplers of `--trace-sampler`, named as `OTEL_TRACES_SAMPLER` names them. */
export const TRACE_SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;

/** One of {@link TRACE_SAMPLERS}. */
export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

/** Whether `value` names a sampler. */
export function isTraceSampler(value: unknown): value is TraceSampler {
  return typeof value === 'string' && (TRACE_SAMPLERS as readonly string[]).includes(value);
}

/**
 * The encodings of OTLP over HTTP that `--otlp-protocol` and
 * `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` accept: protobuf bodies (the
 * default: about a third of JSON's serialising CPU and size) or JSON.
 */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** One of {@link OTLP_PROTOCOLS}. */
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** Whether `value` names an OTLP protocol tspdk can export with. */
export function isOtlpProtocol(value: unknown): value is OtlpProtocol {
  return typeof value === 'string' && (OTLP_PROTOCOLS as readonly string[]).includes(value);
}

/**
 * Parses `--otlp-protocol`'s value.
 * @throws {@link TypeError} naming the accepted values.
 */
export function parseOtlpProtocol(text: string): OtlpProtocol {
  const value = text.trim().toLowerCase();
  if (isOtlpProtocol(value)) return value;
  const grpc = value === 'grpc' ? ' (OTLP over gRPC is not supported: point the endpoint at the collector\'s HTTP port, 4318 by default)' : '';
  throw new TypeError(`expected ${OTLP_PROTOCOLS.join(' or ')}${grpc}; got ${JSON.stringify(text.slice(0, 40))}`);
}

/** What the standard `OTEL_*` variables ask of tracing; each is `undefined` when not set. */
export interface OtelEnvironment {
  readonly endpoint: string | undefined;
  readonly protocol: OtlpProtocol | undefined;
  readonly sampler: TraceSampler | undefined;
  readonly samplerArg: number | undefined;
}

/**
 * Reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL),
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL: `/v1/traces` is appended),
 * `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (else `OTEL_EXPORTER_OTLP_PROTOCOL`),
 * `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`. `OTEL_SDK_DISABLED=true`
 * or `OTEL_TRACES_EXPORTER=none` leave the endpoint unset.
 * @throws {@link TypeError} naming the variable whose value cannot be used.
 */
export function otelEnvironment(env: NodeJS.ProcessEnv): OtelEnvironment {
  const disabled = env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true' || env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase() === 'none';
  const full = nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  const base = nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  let endpoint: string | undefined;
  if (!disabled && full !== undefined) endpoint = checked('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', () => parseOtlpEndpoint(full));
  else if (!disabled && base !== undefined) endpoint = checked('OTEL_EXPORTER_OTLP_ENDPOINT', () => parseOtlpEndpoint(`${base.replace(/\/+$/, '')}/v1/traces`));
  const protocolVariable = nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocolText = nonEmpty(env[protocolVariable]);
  const protocol = protocolText === undefined ? undefined : checked(protocolVariable, () => parseOtlpProtocol(protocolText));
  const samplerName = nonEmpty(env['OTEL_TRACES_SAMPLER'])?.toLowerCase();
  if (samplerName !== undefined && !isTraceSampler(samplerName)) {
    throw new TypeError(`OTEL_TRACES_SAMPLER must be one of ${TRACE_SAMPLERS.join(', ')}; got ${JSON.stringify(samplerName.slice(0, 40))}`);
  }
  const argText = nonEmpty(env['OTEL_TRACES_SAMPLER_ARG']);
  const samplerArg = argText === undefined ? undefined : checked('OTEL_TRACES_SAMPLER_ARG', () => sampleRatio(argText));
  return { endpoint, protocol, sampler: samplerName, samplerArg };
}

/**
 * Parses a sampling ratio from 0 to 1.
 * @throws {@link TypeError} otherwise.
 */
export function sampleRatio(text: string): number {
  const number = Number(text);
  if (text.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) throw new TypeError(`expected a ratio from 0 to 1 (0.1 traces one event in ten); got ${JSON.stringify(text.slice(0, 40))}`);
  return number;
}

function nonEmpty(value: string | undefined): string | undefined {
  const text = value?.trim();
  return text === undefined || text === '' ? undefined : text;
}

function checked<T>(variable: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new TypeError(`${variable}: ${(error as Error).message}`);
  }
}
