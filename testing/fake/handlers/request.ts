/**
 * `kong.request.*` on the fake Kong: the client's request as received.
 *
 * @module
 */
import { allowIn, Fail, optionalNumber, REQUEST_PHASES, stringArg, type CallContext, type Handler } from '../call.ts';
import { firstValue, luaHeaders } from '../headers.ts';
import { parseArgs, parseMultipart } from '../http.ts';
import type { FakeState } from '../state.ts';

const utf8 = new TextDecoder();
const LOG_TOO = [...REQUEST_PHASES, 'log'];

/** Kong's path normalization: decode unreserved escapes, resolve dot segments, merge slashes. */
function normalizePath(raw: string): string {
  const decoded = raw.replace(/%([0-9a-fA-F]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : escape.toUpperCase();
  });
  const out: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const trailing = decoded.length > 1 && /\/\.{0,2}$/.test(decoded) ? '/' : '';
  return `/${out.join('/')}${out.length > 0 ? trailing : ''}`;
}

function forwarded(call: CallContext, header: string): string | undefined {
  const { state } = call;
  return state.isTrusted(state.clientIp) ? firstValue(state.headers, header) : undefined;
}

function host(state: FakeState): string {
  return (firstValue(state.headers, 'host') ?? '').replace(/:\d+$/, '').toLowerCase();
}

function contentType(state: FakeState): string | undefined {
  return firstValue(state.headers, 'content-type');
}

/**
 * Decodes a body by MIME type as `get_body` does (the type, parameters
 * stripped, must start with a supported one); shared with
 * `kong.service.response.get_body`.
 */
export function decodeBody(body: Uint8Array, mimetype: string | undefined, maxArgs: number | undefined): unknown {
  if (mimetype === undefined) return new Fail('missing content type');
  const type = (mimetype.split(';')[0] ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) return parseArgs(utf8.decode(body), maxArgs);
  if (type.startsWith('application/json')) {
    try {
      const json: unknown = JSON.parse(utf8.decode(body));
      return json !== null && typeof json === 'object' ? json : new Fail('invalid json body');
    } catch {
      return new Fail('invalid json body');
    }
  }
  if (type.startsWith('multipart/form-data')) return parseMultipart(body, mimetype) ?? new Fail('unable to decode multipart body');
  return new Fail('unsupported content type');
}

/**
 * The raw body as `get_raw_body(max_allowed_file_size)` gives it: a body
 * nginx buffered to a file is read only with a size limit (0: none), which
 * Kong takes from 3.8 on (before, the argument is dropped and the call fails).
 */
function rawBody(call: CallContext, args: readonly unknown[], index: number): Uint8Array | Fail {
  const { body } = call.state;
  if (!call.state.bodyInFile) return body;
  const limit = optionalNumber(call, args, index, 'max_allowed_file_size');
  if (limit === undefined || limit < 0) return new Fail("request body did not fit into client body buffer, consider raising 'client_body_buffer_size'");
  if (limit > 0 && body.length > limit) return new Fail(`request body file too big: ${body.length} > ${limit}`);
  return body;
}

/** `get_body`: a urlencoded body in a file is refused by nginx; the others go through {@link rawBody}. */
function decodedBody(call: CallContext, args: readonly unknown[]): unknown {
  const mimetype = args[0] === undefined ? contentType(call.state) : stringArg(call, args, 0, 'mimetype');
  const maxArgs = optionalNumber(call, args, 1, 'max_args');
  if (call.state.bodyInFile && (mimetype ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return new Fail('request body in temp file not supported');
  }
  const raw = rawBody(call, args, 2);
  return raw instanceof Fail ? raw : decodeBody(raw, mimetype, maxArgs);
}

/** The `kong.request` functions. */
export const requestHandlers: Readonly<Record<string, Handler>> = {
  'kong.request.get_scheme': (call) => (allowIn(call, REQUEST_PHASES), call.state.scheme),
  'kong.request.get_host': (call) => (allowIn(call, REQUEST_PHASES), host(call.state)),
  'kong.request.get_port': (call) => (allowIn(call, ['certificate', ...REQUEST_PHASES]), call.state.port),
  'kong.request.get_forwarded_scheme': (call) => (allowIn(call, REQUEST_PHASES), forwarded(call, 'x-forwarded-proto')?.toLowerCase() ?? call.state.scheme),
  'kong.request.get_forwarded_host': (call) => (allowIn(call, REQUEST_PHASES), forwarded(call, 'x-forwarded-host')?.replace(/:\d+$/, '') ?? host(call.state)),
  'kong.request.get_forwarded_port': (call) => {
    allowIn(call, REQUEST_PHASES);
    const port = Number(forwarded(call, 'x-forwarded-port'));
    return Number.isInteger(port) && port > 0 ? port : call.state.port;
  },
  'kong.request.get_forwarded_path': (call) => (allowIn(call, REQUEST_PHASES), forwarded(call, 'x-forwarded-path') ?? call.state.rawPath),
  'kong.request.get_forwarded_prefix': (call) => (allowIn(call, REQUEST_PHASES), forwarded(call, 'x-forwarded-prefix')),
  'kong.request.get_http_version': (call) => (allowIn(call, REQUEST_PHASES), call.state.httpVersion),
  'kong.request.get_method': (call) => (allowIn(call, REQUEST_PHASES), call.state.method),
  'kong.request.get_path': (call) => (allowIn(call, REQUEST_PHASES), normalizePath(call.state.rawPath)),
  'kong.request.get_raw_path': (call) => (allowIn(call, REQUEST_PHASES), call.state.rawPath),
  'kong.request.get_path_with_query': (call) => {
    allowIn(call, REQUEST_PHASES);
    return call.state.rawQuery === '' ? call.state.rawPath : `${call.state.rawPath}?${call.state.rawQuery}`;
  },
  'kong.request.get_raw_query': (call) => (allowIn(call, REQUEST_PHASES), call.state.rawQuery),
  'kong.request.get_query_arg': (call, args) => {
    allowIn(call, REQUEST_PHASES);
    const value = call.state.query()[stringArg(call, args, 0, 'query argument name')];
    return Array.isArray(value) ? value[0] : value;
  },
  'kong.request.get_query': (call, args) => (allowIn(call, REQUEST_PHASES), call.state.query(optionalNumber(call, args, 0, 'max_args'))),
  'kong.request.get_header': (call, args) => (allowIn(call, LOG_TOO), firstValue(call.state.headers, stringArg(call, args, 0, 'header name'))),
  'kong.request.get_headers': (call, args) => (allowIn(call, LOG_TOO), luaHeaders(call.state.headers, optionalNumber(call, args, 0, 'max_headers'))),
  'kong.request.get_raw_body': (call, args) => (allowIn(call, REQUEST_PHASES), rawBody(call, args, 0)),
  'kong.request.get_body': (call, args) => (allowIn(call, REQUEST_PHASES), decodedBody(call, args)),
  'kong.request.get_start_time': (call) => call.state.startedAt,
  'kong.request.get_uri_captures': (call) => {
    allowIn(call, LOG_TOO);
    const captures = call.state.world.uriCaptures;
    const unnamed = Object.fromEntries((captures?.unnamed ?? []).map((value, index) => [String(index), value]));
    return { unnamed, named: { ...captures?.named } };
  },
};
