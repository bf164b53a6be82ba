/**
 * The Service side of a simulated request: the request as Kong sends it
 * upstream, what the Service answers, and the default echo Service.
 *
 * @module
 */

/** The request as Kong sent it to the Service, after every plugin change. */
export interface ServiceRequestSnapshot {
  readonly method: string;
  readonly scheme: string;
  /** The upstream host: the Service's host, an Upstream entity name (`set_upstream`) or a target (`set_target`). */
  readonly host: string;
  readonly port: number;
  /** The path, not encoded again. */
  readonly path: string;
  /** The raw query string without `?` (`""` for none). */
  readonly rawQuery: string;
  /** The query parsed: every name with its values (`""` for a flag). */
  readonly query: Record<string, string[]>;
  /** Headers, lower-case names, every value. */
  readonly headers: Record<string, string[]>;
  readonly body: Uint8Array;
  /** The body as UTF-8 text. */
  readonly text: string;
  /** `kong.service.set_upstream(name)`, when a plugin called it. */
  readonly upstream?: string;
  /** `kong.service.set_target(host, port)`, when a plugin called it. */
  readonly target?: { readonly host: string; readonly port: number };
  /** `kong.service.set_retries`, `set_timeouts`, `set_tls_verify`, `set_tls_verify_depth` calls. */
  readonly balancer: Readonly<Record<string, unknown>>;
}

/** What the Service answers. */
export interface UpstreamReply {
  /** 200 by default. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Text, bytes, or a value sent as JSON (with `Content-Type: application/json` unless given). */
  readonly body?: string | Uint8Array | object | number | boolean | null;
}

/** A reply with its body as bytes and headers as lower-case multi-values. */
export interface NormalizedReply {
  readonly status: number;
  readonly headers: Map<string, string[]>;
  readonly body: Uint8Array;
}

const utf8 = new TextEncoder();

/** Turns an {@link UpstreamReply} into status, header multi-map and bytes. */
export function normalizeReply(reply: UpstreamReply): NormalizedReply {
  const headers = new Map<string, string[]>();
  for (const [name, value] of Object.entries(reply.headers ?? {})) {
    headers.set(name.toLowerCase(), typeof value === 'string' ? [value] : [...value]);
  }
  let body: Uint8Array;
  const raw = reply.body;
  if (raw === undefined) body = new Uint8Array(0);
  else if (typeof raw === 'string') body = utf8.encode(raw);
  else if (raw instanceof Uint8Array) body = raw;
  else {
    body = utf8.encode(JSON.stringify(raw));
    if (!headers.has('content-type')) headers.set('content-type', ['application/json']);
  }
  return { status: reply.status ?? 200, headers, body };
}

/** The default Service: answers 200 with the request it got, as JSON. */
export function echoUpstream(request: ServiceRequestSnapshot): UpstreamReply {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', server: 'echo-upstream' },
    body: {
      method: request.method,
      path: request.path,
      query: request.query,
      headers: request.headers,
      body: request.text,
    },
  };
}
