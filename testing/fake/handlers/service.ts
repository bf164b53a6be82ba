/**
 * `kong.service.*`, `kong.service.request.*` and `kong.service.response.*`
 * on the fake Kong: where the request goes, what it looks like when it
 * gets there, and what the Service answered.
 *
 * @module
 */
import { allowIn, Fail, stringArg, type CallContext, type Handler } from '../call.ts';
import { LuaError } from '../errors.ts';
import { firstValue, headerValues, luaHeaders } from '../headers.ts';
import { buildMultipart, encodeArgs } from '../http.ts';
import { decodeBody } from './request.ts';

const BEFORE_PROXY = ['rewrite', 'access'];
const BALANCER = ['rewrite', 'access', 'preread'];
const AFTER_PROXY = ['response', 'log'];
const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK', 'PATCH', 'TRACE']);
const utf8 = new TextEncoder();
const MULTIPART_BOUNDARY = 'tspdk-test-kit-boundary';

function setServiceHeader(call: CallContext, args: readonly unknown[], add: boolean): void {
  allowIn(call, BEFORE_PROXY);
  const { name, values } = headerValues(call.method, args[0], args[1]);
  const bag = call.state.service.headers;
  const key = name.toLowerCase();
  bag.set(key, add ? [...(bag.get(key) ?? []), ...values] : values);
}

function setRawBody(call: CallContext, body: Uint8Array): void {
  call.state.service.body = body;
  call.state.service.headers.set('content-length', [String(body.length)]);
}

function integer(call: CallContext, value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LuaError(`${call.method}: ${what} must be an integer between ${min} and ${max}`);
  }
  return value;
}

/** The `kong.service` functions. */
export const serviceHandlers: Readonly<Record<string, Handler>> = {
  'kong.service.set_upstream': (call, args) => {
    allowIn(call, BALANCER);
    const name = stringArg(call, args, 0, 'host');
    const known = call.state.world.upstreams;
    if (known !== undefined && !known.includes(name)) return new Fail(`could not find an Upstream named '${name}'`);
    call.state.service.upstream = name;
    call.state.service.target = undefined;
    return true;
  },
  'kong.service.set_target': (call, args) => {
    allowIn(call, BALANCER);
    const host = stringArg(call, args, 0, 'host');
    const port = integer(call, args[1], 'port', 0, 65535);
    call.state.service.target = { host, port };
    call.state.service.upstream = undefined;
  },
  'kong.service.set_retries': (call, args) => {
    allowIn(call, BALANCER);
    call.state.service.balancer['retries'] = integer(call, args[0], 'retries', 0, 32767);
  },
  'kong.service.set_timeouts': (call, args) => {
    allowIn(call, BALANCER);
    const [connect, write, read] = [args[0], args[1], args[2]].map((value, i) => integer(call, value, ['connect_timeout', 'write_timeout', 'read_timeout'][i] ?? '', 1, 2147483646));
    call.state.service.balancer['timeouts'] = { connect, write, read };
  },
  'kong.service.set_tls_verify': (call, args) => {
    allowIn(call, BALANCER);
    if (typeof args[0] !== 'boolean') throw new LuaError(`${call.method}: argument must be a boolean`);
    call.state.service.balancer['tls_verify'] = args[0];
    return true;
  },
  'kong.service.set_tls_verify_depth': (call, args) => {
    allowIn(call, BALANCER);
    call.state.service.balancer['tls_verify_depth'] = integer(call, args[0], 'depth', 0, 64);
    return true;
  },
};

/** The `kong.service.request` functions. */
export const serviceRequestHandlers: Readonly<Record<string, Handler>> = {
  'kong.service.request.enable_buffering': (call) => {
    allowIn(call, BEFORE_PROXY);
    call.state.service.buffering = true;
  },
  'kong.service.request.set_scheme': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    const scheme = stringArg(call, args, 0, 'scheme');
    if (scheme !== 'http' && scheme !== 'https') throw new LuaError(`${call.method}: invalid scheme: ${scheme}`);
    call.state.service.scheme = scheme;
  },
  'kong.service.request.set_path': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    const path = stringArg(call, args, 0, 'path');
    if (!path.startsWith('/')) throw new LuaError(`${call.method}: path must start with /`);
    call.state.service.path = path;
  },
  'kong.service.request.set_raw_query': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    call.state.service.rawQuery = stringArg(call, args, 0, 'query');
  },
  'kong.service.request.set_method': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    const method = stringArg(call, args, 0, 'method');
    if (!METHODS.has(method)) throw new LuaError(`${call.method}: invalid method: ${method}`);
    call.state.service.method = method;
  },
  'kong.service.request.set_query': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    const table = args[0];
    if (table === null || typeof table !== 'object' || table instanceof Uint8Array) throw new LuaError(`${call.method}: args must be a table`);
    call.state.service.rawQuery = Array.isArray(table) ? '' : encodeArgs(table as Record<string, unknown>);
  },
  'kong.service.request.clear_query_arg': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    const name = stringArg(call, args, 0, 'query argument name');
    const kept = call.state.service.rawQuery.split('&').filter((part) => part !== '' && decodeURIComponent(part.split('=')[0] ?? '') !== name);
    call.state.service.rawQuery = kept.join('&');
  },
  'kong.service.request.set_header': (call, args) => setServiceHeader(call, args, false),
  'kong.service.request.add_header': (call, args) => setServiceHeader(call, args, true),
  'kong.service.request.clear_header': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    call.state.service.headers.delete(stringArg(call, args, 0, 'header name').toLowerCase());
  },
  'kong.service.request.set_headers': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    const table = args[0];
    if (table === null || typeof table !== 'object' || table instanceof Uint8Array) throw new LuaError(`${call.method}: headers must be a table`);
    for (const [name, value] of Object.entries(Array.isArray(table) ? {} : table)) setServiceHeader(call, [name, value], false);
  },
  'kong.service.request.set_raw_body': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    const body = args[0];
    if (typeof body === 'string') setRawBody(call, utf8.encode(body));
    else if (body instanceof Uint8Array) setRawBody(call, body);
    else throw new LuaError(`${call.method}: body must be a string`);
  },
  'kong.service.request.set_body': (call, args) => {
    allowIn(call, BEFORE_PROXY);
    const table = args[0];
    if (table === null || typeof table !== 'object' || table instanceof Uint8Array) throw new LuaError(`${call.method}: args must be a table`);
    const given = args[1] === undefined ? undefined : stringArg(call, args, 1, 'mimetype');
    const mime = given ?? firstValue(call.state.service.headers, 'content-type');
    if (mime === undefined) return new Fail('content type was neither explicitly given as an argument or received as a header');
    const type = mime.toLowerCase();
    let body: string;
    if (type.includes('application/json')) body = JSON.stringify(table);
    else if (type.includes('application/x-www-form-urlencoded')) body = encodeArgs(Array.isArray(table) ? {} : (table as Record<string, unknown>));
    else if (type.includes('multipart/form-data')) body = buildMultipart(Array.isArray(table) ? {} : (table as Record<string, unknown>), MULTIPART_BOUNDARY);
    else return new Fail(`unsupported content type '${mime}'`);
    const contentType = type.includes('multipart/form-data') && !type.includes('boundary=') ? `${mime}; boundary=${MULTIPART_BOUNDARY}` : mime;
    if (given !== undefined || contentType !== mime) call.state.service.headers.set('content-type', [contentType]);
    setRawBody(call, utf8.encode(body));
    return true;
  },
  'kong.service.request.disable_tls': (call) => {
    allowIn(call, ['preread']);
    call.state.service.balancer['tls'] = false;
    return true;
  },
  'kong.service.request.enable_tls': (call) => {
    allowIn(call, ['preread']);
    call.state.service.balancer['tls'] = true;
    return true;
  },
};

/** The `kong.service.response` functions (the buffered response, in `response` and `log`). */
export const serviceResponseHandlers: Readonly<Record<string, Handler>> = {
  'kong.service.response.get_status': (call) => (allowIn(call, AFTER_PROXY), call.state.upstream?.status),
  'kong.service.response.get_headers': (call, args) => {
    allowIn(call, AFTER_PROXY);
    // Kong hands out a lookup-only proxy in `response`, which the host's
    // multi-map fix iterates as empty (docs/pdk.md, caveats).
    if (call.phase === 'response') return {};
    const max = typeof args[0] === 'number' ? args[0] : undefined;
    return call.state.upstream === undefined ? {} : luaHeaders(call.state.upstream.headers, max);
  },
  'kong.service.response.get_header': (call, args) => {
    allowIn(call, AFTER_PROXY);
    const name = stringArg(call, args, 0, 'header name');
    return call.state.upstream === undefined ? undefined : firstValue(call.state.upstream.headers, name);
  },
  'kong.service.response.get_raw_body': (call) => (allowIn(call, AFTER_PROXY), call.state.upstream?.body),
  'kong.service.response.get_body': (call, args) => {
    allowIn(call, AFTER_PROXY);
    const upstream = call.state.upstream;
    if (upstream === undefined) return undefined;
    const mimetype = args[0] === undefined ? firstValue(upstream.headers, 'content-type') : stringArg(call, args, 0, 'mimetype');
    return decodeBody(upstream.body, mimetype, typeof args[1] === 'number' ? args[1] : undefined);
  },
};
