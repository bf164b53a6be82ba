/**
 * The request-side state behind the host stand-in's PDK: what Kong's Lua PDK
 * would read and write for one proxied request, and the PDK functions over it,
 * returning values in the form Kong's host puts on the wire.
 *
 * @module
 */
import { LuaBytes, emptyMap } from './lua-msgpack.ts';

/** Kong versions whose host behaviour differs in ways a server can see. */
export type HostVersion = '2.x' | '3.x';

/** A request to simulate. */
export interface FakeRequestInit {
  readonly method?: string;
  readonly path?: string;
  readonly query?: Record<string, string | true | Array<string | true>>;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Uint8Array;
  readonly scheme?: string;
  readonly clientIp?: string;
  /** Values already in `kong.ctx.shared` (set by earlier Lua plugins). */
  readonly shared?: Record<string, unknown>;
}

/** Outcome of one PDK call on the host. */
export type PdkOutcome =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'fail'; readonly message: string } // Lua `nil, err`
  | { readonly kind: 'exit'; readonly status: number; readonly body?: unknown; readonly headers?: Record<string, unknown> }
  | { readonly kind: 'lua-error'; readonly message: string };

/**
 * What the host stand-in runs PDK calls against: a {@link FakeRequest}, or
 * the test kit's fuller fake Kong.
 */
export interface PdkHost {
  /** Runs one PDK function as Kong's host would, in `phase`. */
  call(method: string, args: readonly unknown[], phase: string, version: HostVersion): PdkOutcome;
}

const value = (v: unknown): PdkOutcome => ({ kind: 'value', value: v });
const NONE = value(undefined);

function lowerKeys<T>(record: Record<string, T>): Map<string, T> {
  return new Map(Object.entries(record).map(([key, v]) => [key.toLowerCase(), v]));
}

function toList(v: string | string[]): string[] {
  return Array.isArray(v) ? [...v] : [v];
}

/** One simulated request and everything plugins did to it. */
export class FakeRequest implements PdkHost {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | true | Array<string | true>>;
  readonly headers: Map<string, string[]>;
  readonly body: Uint8Array;
  readonly scheme: string;
  readonly clientIp: string;
  /** Response headers set by plugins. */
  readonly responseHeaders = new Map<string, string[]>();
  responseStatus = 200;
  /** Headers of the request as it goes to the service. */
  readonly serviceHeaders: Map<string, string[]>;
  servicePath: string;
  serviceBody: Uint8Array;
  /** `kong.ctx.shared`. */
  readonly shared = new Map<string, unknown>();
  /** `ngx.ctx`. */
  readonly ngxCtx = new Map<string, unknown>();
  /** `kong.log.*` lines: [level, text]. */
  readonly logs: Array<[string, string]> = [];
  /** Every PDK call the host answered: [phase, method, args]. */
  readonly calls: Array<[string, string, unknown[]]> = [];
  /** The service's response (set after the upstream ran). */
  upstream: { status: number; headers: Map<string, string[]>; body: Uint8Array } | undefined;
  /** `kong.response.exit`/`error` that ended the request. */
  exit: { status: number; body?: unknown; headers?: Record<string, unknown> } | undefined;

  constructor(init: FakeRequestInit = {}) {
    this.method = init.method ?? 'GET';
    this.path = init.path ?? '/';
    this.query = init.query ?? {};
    this.headers = new Map([...lowerKeys(init.headers ?? { host: 'example.com' })].map(([k, v]) => [k, toList(v)]));
    if (!this.headers.has('host')) this.headers.set('host', ['example.com']);
    this.body = typeof init.body === 'string' ? new TextEncoder().encode(init.body) : (init.body ?? new Uint8Array(0));
    this.scheme = init.scheme ?? 'http';
    this.clientIp = init.clientIp ?? '127.0.0.1';
    this.serviceHeaders = new Map([...this.headers].map(([k, v]) => [k, [...v]]));
    this.servicePath = this.path;
    this.serviceBody = this.body;
    for (const [key, v] of Object.entries(init.shared ?? {})) this.shared.set(key, v);
  }

  /** Runs one PDK function as Kong's host would, in `phase`. */
  call(method: string, args: readonly unknown[], phase: string, version: HostVersion): PdkOutcome {
    this.calls.push([phase, method, [...args]]);
    const arg = (i: number): unknown => args[i];
    const str = (i: number): string => {
      const v = args[i];
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new LuaError(`bad argument #${i + 1} to '${method}' (string expected, got ${v === undefined ? 'nil' : typeof v})`);
    };
    const bytes = (b: Uint8Array): unknown => (version === '3.x' ? b : new LuaBytes(b));
    try {
      switch (method) {
        case 'kong.request.get_header': {
          const v = this.headers.get(str(0).toLowerCase().replaceAll('_', '-'));
          return value(v?.[0]);
        }
        case 'kong.request.get_headers':
          return value(multiMap(this.headers));
        case 'kong.request.get_query': {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(this.query)) out[k] = v === true ? [] : Array.isArray(v) ? v : [v];
          return value(Object.keys(out).length === 0 ? emptyMap() : out);
        }
        case 'kong.request.get_query_arg': {
          const v = this.query[str(0)];
          return value(Array.isArray(v) ? v[0] : v);
        }
        case 'kong.request.get_raw_body':
          return value(bytes(this.body));
        case 'kong.request.get_method':
          return value(this.method);
        case 'kong.request.get_path':
          return value(this.path);
        case 'kong.request.get_scheme':
          return value(this.scheme);
        case 'kong.request.get_host':
          return value(this.headers.get('host')?.[0]);
        case 'kong.client.get_ip':
          return value(this.clientIp);
        case 'kong.response.get_status':
          return value(this.upstream?.status ?? this.responseStatus);
        case 'kong.response.set_status':
          this.responseStatus = Number(arg(0));
          return NONE;
        case 'kong.response.get_header':
          return value(this.#responseHeaders().get(str(0).toLowerCase())?.[0]);
        case 'kong.response.get_headers':
          return value(multiMap(this.#responseHeaders()));
        case 'kong.response.set_header':
          this.#phaseCheck(method, phase, ['rewrite', 'access', 'response']);
          this.responseHeaders.set(str(0).toLowerCase(), [str(1)]);
          return NONE;
        case 'kong.response.add_header':
          this.#phaseCheck(method, phase, ['rewrite', 'access', 'response']);
          this.responseHeaders.set(str(0).toLowerCase(), [...(this.responseHeaders.get(str(0).toLowerCase()) ?? []), str(1)]);
          return NONE;
        case 'kong.response.exit':
        case 'kong.response.error': {
          this.#phaseCheck(method, phase, ['rewrite', 'access', 'response', 'preread']);
          const status = arg(0);
          if (typeof status !== 'number') throw new LuaError(`${method}: code must be a number`);
          const body = method === 'kong.response.error' ? { message: arg(1) ?? 'An unexpected error occurred' } : arg(1);
          const headers = arg(2) as Record<string, unknown> | undefined;
          this.exit = { status, body, headers };
          return { kind: 'exit', status, body, headers };
        }
        case 'kong.service.request.set_header':
          this.serviceHeaders.set(str(0).toLowerCase(), [str(1)]);
          return NONE;
        case 'kong.service.request.add_header':
          this.serviceHeaders.set(str(0).toLowerCase(), [...(this.serviceHeaders.get(str(0).toLowerCase()) ?? []), str(1)]);
          return NONE;
        case 'kong.service.request.set_path':
          this.servicePath = str(0);
          return NONE;
        case 'kong.service.request.set_raw_body': {
          const b = arg(0);
          this.serviceBody = b instanceof Uint8Array ? b : new TextEncoder().encode(str(0));
          return NONE;
        }
        case 'kong.service.response.get_status':
          return value(this.upstream?.status);
        case 'kong.service.response.get_headers':
          return value(this.upstream === undefined ? emptyMap() : multiMap(this.upstream.headers));
        case 'kong.service.response.get_raw_body':
          return value(this.upstream === undefined ? undefined : bytes(this.upstream.body));
        case 'kong.ctx.shared.get':
          return value(this.shared.get(str(0)));
        case 'kong.ctx.shared.set':
          if (arg(1) === undefined) this.shared.delete(str(0));
          else this.shared.set(str(0), arg(1));
          return NONE;
        case 'kong.nginx.get_ctx':
          return value(this.ngxCtx.get(str(0)));
        case 'kong.nginx.set_ctx':
          this.ngxCtx.set(str(0), arg(1));
          return NONE;
        case 'kong.nginx.get_var':
          if (phase === 'log') throw new LuaError('API disabled in the context of log_by_lua* (timer)');
          return value(str(0) === 'request_uri' ? this.path : undefined);
        case 'kong.nginx.get_subsystem':
          return value('http');
        case 'kong.log.serialize':
          return value(JSON.stringify(this.serialize()));
        case 'kong.log.alert':
        case 'kong.log.crit':
        case 'kong.log.err':
        case 'kong.log.warn':
        case 'kong.log.notice':
        case 'kong.log.info':
        case 'kong.log.debug':
          this.logs.push([method.slice('kong.log.'.length), args.map((a) => (a === undefined ? 'nil' : typeof a === 'object' ? JSON.stringify(a) : String(a as string))).join('')]);
          return NONE;
        case 'kong.node.get_id':
          if (version === '2.x') return { kind: 'fail', message: 'could not get node id' };
          return value('0b3f4d2e-3c1c-4e38-9f71-2f9bd6c1f0a1');
        default:
          this.logs.push(['err', `could not find pdk method: ${method}`]);
          return NONE;
      }
    } catch (error) {
      if (error instanceof LuaError) return { kind: 'lua-error', message: error.message };
      throw error;
    }
  }

  /** What `kong.log.serialize()` would return, in Kong's shape. */
  serialize(): Record<string, unknown> {
    return {
      request: {
        method: this.method,
        uri: this.path,
        url: `${this.scheme}://${this.headers.get('host')?.[0] ?? ''}${this.path}`,
        headers: Object.fromEntries([...this.headers].map(([k, v]) => [k, v.length === 1 ? v[0] : v])),
        querystring: this.query,
        size: this.body.length,
      },
      response: {
        status: this.exit?.status ?? this.upstream?.status ?? this.responseStatus,
        headers: Object.fromEntries([...this.#responseHeaders()].map(([k, v]) => [k, v.length === 1 ? v[0] : v])),
        size: 0,
      },
      client_ip: this.clientIp,
      started_at: 1700000000000,
      latencies: { request: 1, kong: 0, proxy: 1 },
    };
  }

  #responseHeaders(): Map<string, string[]> {
    const merged = new Map(this.upstream?.headers ?? []);
    for (const [k, v] of this.responseHeaders) merged.set(k, v);
    return merged;
  }

  #phaseCheck(method: string, phase: string, allowed: readonly string[]): void {
    if (!allowed.includes(phase)) throw new LuaError(`${method} is only allowed in ${allowed.join(', ')}; called in ${phase}`);
  }
}

/** A Lua error raised inside a PDK function: Kong aborts the event. */
export class LuaError extends Error {}

function multiMap(headers: Map<string, string[]>): unknown {
  if (headers.size === 0) return emptyMap();
  return Object.fromEntries([...headers].map(([k, v]) => [k, v]));
}
