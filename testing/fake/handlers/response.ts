/**
 * `kong.response.*` on the fake Kong: the response to the client, and the
 * calls that end the request with one (`exit`, `error`).
 *
 * @module
 */
import { allowIn, ExitSignal, stringArg, type CallContext, type Handler } from '../call.ts';
import { errorBody, defaultErrorMessage, responseTypeFor } from '../error-body.ts';
import { LuaError } from '../errors.ts';
import { firstValue, headerValues, luaHeaders, type HeaderBag } from '../headers.ts';

const SETTERS = ['rewrite', 'access', 'response'];
const EXITS = ['rewrite', 'access', 'response', 'preread'];
const GETTERS = ['rewrite', 'access', 'response', 'log'];
const utf8 = new TextEncoder();

function setHeader(call: CallContext, args: readonly unknown[], add: boolean): void {
  allowIn(call, SETTERS);
  const { name, values } = headerValues(call.method, args[0], args[1]);
  const key = name.toLowerCase();
  if (key === 'transfer-encoding' || key === 'transfer_encoding') {
    call.state.log('warn', 'manually setting Transfer-Encoding. Ignored.', call.phase);
    return;
  }
  const bag = call.state.responseHeaders;
  bag.set(key, add ? [...(bag.get(key) ?? []), ...values] : values);
}

function headerTable(call: CallContext, raw: unknown): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || raw instanceof Uint8Array) throw new LuaError(`${call.method}: headers must be a nil or table`);
  if (Array.isArray(raw)) return {};
  return raw as Record<string, unknown>;
}

function checkStatus(call: CallContext, status: unknown, min: number): number {
  if (typeof status !== 'number') throw new LuaError(`${call.method}: code must be a number`);
  if (status < min || status > 599) throw new LuaError(`${call.method}: code must be a number between ${min} and 599`);
  return status;
}

/** Headers of the exit response: what plugins set so far, then the exit's own. */
function exitHeaders(call: CallContext, headers: Record<string, unknown> | undefined): HeaderBag {
  const bag: HeaderBag = new Map([...call.state.responseHeaders].map(([k, v]) => [k, [...v]]));
  for (const [name, value] of Object.entries(headers ?? {})) {
    const checked = headerValues(call.method, name, value);
    const key = name.toLowerCase();
    if (key === 'transfer-encoding' || key === 'transfer_encoding') continue;
    bag.set(key, checked.values);
  }
  return bag;
}

/** The status codes the stream subsystem's `exit` takes (nginx's stream codes). */
const STREAM_CODES = new Set([200, 400, 403, 500, 502, 503]);

/**
 * `exit` in the stream subsystem: headers are ignored, a table body is
 * JSON-encoded, and the body reaches the client only below 400 (from 400 on
 * Kong logs it instead).
 */
function streamExit(call: CallContext, args: readonly unknown[]): ExitSignal {
  const status = args[0];
  if (typeof status !== 'number') throw new LuaError(`${call.method}: code must be a number`);
  if (!STREAM_CODES.has(status)) throw new LuaError(`${call.method}: unacceptable code, only 200, 400, 403, 500, 502 and 503 are accepted`);
  let raw = args[1];
  if (raw !== undefined && raw !== null && typeof raw === 'object' && !(raw instanceof Uint8Array)) raw = JSON.stringify(raw);
  if (raw !== undefined && raw !== null && typeof raw !== 'string' && !(raw instanceof Uint8Array)) {
    throw new LuaError(`${call.method}: body must be a nil, string or table`);
  }
  const text = raw === undefined || raw === null ? undefined : raw;
  let body: Uint8Array = new Uint8Array(0);
  if (text !== undefined && status < 400) body = typeof text === 'string' ? utf8.encode(text) : text;
  else if (text !== undefined) {
    const shown = typeof text === 'string' ? text : new TextDecoder().decode(text);
    call.state.log('err', `unable to proxy stream connection, status: ${status}, err: ${shown}`, call.phase);
  }
  call.state.exit = { status, body, headers: new Map(), source: 'exit' };
  return new ExitSignal();
}

/** The `kong.response` functions. */
export const responseHandlers: Readonly<Record<string, Handler>> = {
  'kong.response.get_status': (call) => (allowIn(call, GETTERS), call.state.finalStatus),
  'kong.response.get_header': (call, args) => (allowIn(call, GETTERS), firstValue(call.state.responseHeaders, stringArg(call, args, 0, 'header name'))),
  'kong.response.get_headers': (call) => (allowIn(call, GETTERS), luaHeaders(call.state.responseHeaders)),
  'kong.response.get_source': (call) => (allowIn(call, ['response', 'log']), call.state.source),
  'kong.response.set_status': (call, args) => {
    allowIn(call, SETTERS);
    call.state.status = checkStatus(call, args[0], 100);
  },
  'kong.response.set_header': (call, args) => setHeader(call, args, false),
  'kong.response.add_header': (call, args) => setHeader(call, args, true),
  'kong.response.clear_header': (call, args) => {
    allowIn(call, SETTERS);
    call.state.responseHeaders.delete(stringArg(call, args, 0, 'header name').toLowerCase());
  },
  'kong.response.set_headers': (call, args) => {
    allowIn(call, SETTERS);
    const table = headerTable(call, args[0]);
    if (table === undefined) throw new LuaError(`${call.method}: headers must be a table`);
    for (const [name, value] of Object.entries(table)) setHeader(call, [name, value], false);
  },
  'kong.response.exit': (call, args) => {
    allowIn(call, EXITS);
    if (call.state.world.subsystem === 'stream') return streamExit(call, args);
    const status = checkStatus(call, args[0], 100);
    const raw = args[1];
    if (raw !== undefined && raw !== null && typeof raw !== 'string' && typeof raw !== 'object') {
      throw new LuaError(`${call.method}: body must be a nil, string or table`);
    }
    const explicit = headerTable(call, args[2]);
    const headers = exitHeaders(call, explicit);
    const given = new Set(Object.keys(explicit ?? {}).map((name) => name.toLowerCase().replaceAll('_', '-')));
    let body: Uint8Array;
    if (raw === undefined || raw === null) body = new Uint8Array(0);
    else if (typeof raw === 'string') body = utf8.encode(raw);
    else if (raw instanceof Uint8Array) body = raw;
    else {
      body = utf8.encode(JSON.stringify(raw));
      if (!given.has('content-type')) headers.set('content-type', ['application/json; charset=utf-8']);
    }
    if (!given.has('content-length')) headers.set('content-length', [String(body.length)]);
    call.state.exit = { status, body, headers, source: 'exit' };
    return new ExitSignal();
  },
  'kong.response.error': (call, args) => {
    allowIn(call, EXITS);
    const status = checkStatus(call, args[0], 400);
    let message = args[1];
    if (message !== undefined && message !== null && typeof message === 'object' && !(message instanceof Uint8Array)) message = JSON.stringify(message);
    if (message instanceof Uint8Array) message = new TextDecoder().decode(message);
    if (message !== undefined && message !== null && typeof message !== 'string') {
      throw new LuaError(`${call.method}: message must be a nil, a string or a table`);
    }
    const explicit = headerTable(call, args[2]) ?? {};
    const given = explicit['Content-Type'];
    const contentType = typeof given === 'string' ? given : Array.isArray(given) && typeof given[0] === 'string' ? given[0] : undefined;
    const type = contentType ?? responseTypeFor(call.state.headers.get('accept')?.join(','));
    const headers = exitHeaders(call, { ...explicit, 'Content-Type': type });
    const text = errorBody(type, (message as string | undefined) ?? defaultErrorMessage(status), call.state.requestId);
    const body = utf8.encode(text);
    headers.set('content-length', [String(body.length)]);
    call.state.exit = { status, body, headers, source: 'error' };
    return new ExitSignal();
  },
};
