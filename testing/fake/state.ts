/**
 * Everything the fake Kong knows about one simulated request: the client's
 * request, the request going to the Service, the response, the contexts,
 * who authenticated, and what the plugin logged and called.
 *
 * @module
 */
import { BlockList, isIPv6 } from 'node:net';
import type { Consumer, Credential, Route, Service } from '../../pdk/entities.ts';
import { encodeArgs, parseArgs } from './http.ts';
import { copyBag, headerBag, type HeaderBag } from './headers.ts';
import type { RequestInit, WorldInit } from './options.ts';
import type { NormalizedReply } from './upstream.ts';

/** One line written with `kong.log.*`. */
export interface LogLine {
  /** `err`, `warn`, `notice`, `info`, `debug`, … (`deprecation` is written at `warn`). */
  readonly level: string;
  readonly message: string;
  /** The phase that wrote it. */
  readonly phase: string;
}

/** How the client's response was produced, as `kong.response.get_source` names it. */
export type ResponseSource = 'service' | 'exit' | 'error';

/** A response that `kong.response.exit`/`error` (or a failed phase) produced. */
interface ExitResponse {
  readonly status: number;
  readonly body: Uint8Array;
  readonly headers: HeaderBag;
  readonly source: 'exit' | 'error';
}

/** A `kong.log.set_serialize_value` call, applied when the log table is built. */
export interface SerializeEdit {
  readonly key: string;
  readonly value: unknown;
  readonly mode: 'set' | 'add' | 'replace';
}

const utf8 = new TextEncoder();

/** The default Route of a simulated request. */
export const DEFAULT_ROUTE: Route = {
  id: '0a0a0a0a-0000-4000-8000-00000000a001',
  name: 'example-route',
  created_at: 1700000000,
  updated_at: 1700000000,
  protocols: ['http', 'https'],
  paths: ['/'],
  https_redirect_status_code: 426,
  regex_priority: 0,
  strip_path: true,
  preserve_host: false,
  request_buffering: true,
  response_buffering: true,
  path_handling: 'v0',
  service: { id: '0a0a0a0a-0000-4000-8000-00000000b001' },
};

/** The default Service of a simulated request. */
export const DEFAULT_SERVICE: Service = {
  id: '0a0a0a0a-0000-4000-8000-00000000b001',
  name: 'example-service',
  created_at: 1700000000,
  updated_at: 1700000000,
  protocol: 'http',
  host: 'upstream.example.com',
  port: 80,
  retries: 5,
  connect_timeout: 60000,
  write_timeout: 60000,
  read_timeout: 60000,
  enabled: true,
};

/** The state of one simulated request. */
export class FakeState {
  // The client's request, as received.
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: HeaderBag;
  readonly body: Uint8Array;
  readonly scheme: 'http' | 'https';
  readonly port: number;
  readonly clientIp: string;
  readonly clientPort: number;
  readonly httpVersion: number;

  // The request to the Service, as plugins change it.
  readonly service = {
    method: '',
    scheme: 'http',
    path: '/',
    rawQuery: '',
    headers: new Map() as HeaderBag,
    body: new Uint8Array(0) as Uint8Array,
    upstream: undefined as string | undefined,
    target: undefined as { host: string; port: number } | undefined,
    balancer: {} as Record<string, unknown>,
    buffering: false,
  };

  // The response.
  status: number | undefined;
  /** Response headers (`ngx.header`): set by plugins, merged with the Service's once it answered. */
  responseHeaders: HeaderBag = new Map();
  upstream: NormalizedReply | undefined;
  exit: ExitResponse | undefined;
  proxied = false;

  // Contexts.
  readonly shared = new Map<string, unknown>();
  readonly ngxCtx = new Map<string, unknown>();
  readonly serializeEdits: SerializeEdit[] = [];
  readonly logs: LogLine[] = [];
  readonly telemetry: unknown[][] = [];
  clientVerify: string | undefined;

  // The world.
  readonly world: WorldInit;
  readonly route: Route;
  readonly serviceEntity: Service;
  readonly requestId: string;
  readonly startedAt: number;
  readonly trusted: BlockList;
  /** nginx buffered the request body to a file (it is larger than `clientBodyBufferSize`). */
  readonly bodyInFile: boolean;

  constructor(init: RequestInit = {}, world: WorldInit = {}) {
    this.world = world;
    this.method = (init.method ?? 'GET').toUpperCase();
    const path = init.path ?? '/';
    const q = path.indexOf('?');
    this.rawPath = q === -1 ? path : path.slice(0, q);
    const extra = init.query === undefined ? '' : encodeArgs(init.query);
    this.rawQuery = [q === -1 ? '' : path.slice(q + 1), extra].filter((part) => part !== '').join('&');
    this.headers = headerBag(init.headers);
    if (!this.headers.has('host')) this.headers.set('host', [init.host ?? 'example.com']);
    this.body = this.#body(init);
    this.bodyInFile = world.clientBodyBufferSize !== undefined && this.body.length > world.clientBodyBufferSize;
    this.scheme = init.scheme ?? 'http';
    this.port = init.port ?? (this.scheme === 'https' ? 8443 : 8000);
    this.clientIp = init.clientIp ?? '127.0.0.1';
    this.clientPort = init.clientPort ?? 54321;
    this.httpVersion = init.httpVersion ?? 1.1;

    this.route = world.route ?? DEFAULT_ROUTE;
    this.serviceEntity = world.service ?? DEFAULT_SERVICE;
    this.requestId = world.requestId ?? '6f3c1e2a9b8d4c5e7f6a1b2c3d4e5f60';
    this.startedAt = world.startedAt ?? 1_700_000_000_000;
    this.trusted = new BlockList();
    for (const entry of world.trustedIps ?? []) {
      const [address = '', prefix] = entry.split('/');
      const family = isIPv6(address) ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.trusted.addAddress(address, family);
      else this.trusted.addSubnet(address, Number(prefix), family);
    }

    this.service.method = this.method;
    this.service.scheme = this.serviceEntity.protocol === 'https' ? 'https' : 'http';
    this.service.path = this.rawPath;
    this.service.rawQuery = this.rawQuery;
    this.service.headers = copyBag(this.headers);
    this.service.body = this.body;
    for (const [key, value] of Object.entries(world.shared ?? {})) this.shared.set(key, value);
    for (const [key, value] of Object.entries(world.ngxCtx ?? {})) this.ngxCtx.set(key, value);
    if (world.consumer !== undefined) this.ngxCtx.set('authenticated_consumer', world.consumer);
    if (world.credential !== undefined) this.ngxCtx.set('authenticated_credential', world.credential);
  }

  #body(init: RequestInit): Uint8Array {
    if (init.json !== undefined) {
      if (!this.headers.has('content-type')) this.headers.set('content-type', ['application/json']);
      return utf8.encode(JSON.stringify(init.json));
    }
    if (init.form !== undefined) {
      if (!this.headers.has('content-type')) this.headers.set('content-type', ['application/x-www-form-urlencoded']);
      return utf8.encode(encodeArgs(init.form));
    }
    const body = init.body ?? '';
    return typeof body === 'string' ? utf8.encode(body) : body;
  }

  /** The client's query arguments as a Lua table. */
  query(maxArgs?: number): ReturnType<typeof parseArgs> {
    return parseArgs(this.rawQuery, maxArgs);
  }

  /** Whether Kong trusts `address` (`trusted_ips`). */
  isTrusted(address: string): boolean {
    try {
      return this.trusted.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
    } catch {
      return false;
    }
  }

  /** The consumer an auth plugin set (`ngx.ctx.authenticated_consumer`). */
  get consumer(): Consumer | undefined {
    return this.ngxCtx.get('authenticated_consumer') as Consumer | undefined;
  }

  /** The credential an auth plugin set (`ngx.ctx.authenticated_credential`). */
  get credential(): Credential | undefined {
    return this.ngxCtx.get('authenticated_credential') as Credential | undefined;
  }

  /** Where the response came from. */
  get source(): ResponseSource {
    return this.exit?.source ?? (this.proxied ? 'service' : 'error');
  }

  /** The status the client gets (or got). */
  get finalStatus(): number {
    return this.exit?.status ?? this.status ?? this.upstream?.status ?? 200;
  }

  /** Writes a log line. */
  log(level: string, message: string, phase: string): void {
    this.logs.push({ level, message, phase });
  }
}
