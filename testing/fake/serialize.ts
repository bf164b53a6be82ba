/**
 * `kong.log.serialize()` of the fake Kong: the table Kong's logging plugins
 * write, built from the simulated request the way `kong/pdk/log.lua` builds
 * it, then edited by the `kong.log.set_serialize_value` calls in order.
 *
 * @module
 */
import { LuaError } from './errors.ts';
import { luaHeaders } from './headers.ts';
import type { FakeState, SerializeEdit } from './state.ts';

/** The default workspace's id. */
const DEFAULT_WORKSPACE = '0a0a0a0a-0000-4000-8000-0000000000ff';

/** The http log table, before `set_serialize_value` edits. */
function baseTable(state: FakeState): Record<string, unknown> {
  const requestUri = state.rawQuery === '' ? state.rawPath : `${state.rawPath}?${state.rawQuery}`;
  const host = (state.headers.get('host')?.[0] ?? '').replace(/:\d+$/, '');
  const headers = luaHeaders(state.headers);
  if (headers['authorization'] !== undefined) headers['authorization'] = 'REDACTED';
  if (headers['proxy-authorization'] !== undefined) headers['proxy-authorization'] = 'REDACTED';
  const credential = state.credential;
  const consumer = state.consumer;
  const upstreamUri = state.proxied ? `${state.service.path}${state.service.rawQuery === '' ? '' : `?${state.service.rawQuery}`}` : '';
  const responseBytes = state.exit?.body.length ?? state.upstream?.body.length ?? 0;
  const table: Record<string, unknown> = {
    request: {
      id: state.requestId,
      uri: requestUri,
      url: `${state.scheme}://${host}:${state.port}${requestUri}`,
      querystring: state.query(),
      method: state.method,
      headers,
      size: state.body.length + 64,
      ...(state.scheme === 'https' ? { tls: { version: state.world.tls?.version ?? 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', client_verify: state.clientVerify ?? 'NONE' } } : {}),
    },
    upstream_uri: upstreamUri,
    upstream_status: state.upstream === undefined ? '' : String(state.upstream.status),
    response: {
      status: state.finalStatus,
      headers: luaHeaders(state.responseHeaders),
      size: responseBytes + 128,
    },
    latencies: { kong: 1, proxy: state.proxied ? 2 : -1, request: 3, receive: 0 },
    client_ip: state.clientIp,
    started_at: state.startedAt,
    source: state.source === 'service' ? 'upstream' : 'kong',
    route: state.route,
    service: state.serviceEntity,
    workspace: DEFAULT_WORKSPACE,
    workspace_name: 'default',
  };
  if (state.proxied) {
    const target = state.service.target;
    table['tries'] = [{ ip: target?.host ?? '10.0.0.10', port: target?.port ?? state.serviceEntity.port, balancer_start: state.startedAt + 1, balancer_latency: 0 }];
  }
  if (credential !== undefined) {
    table['authenticated_entity'] = { id: credential.id, consumer_id: credential.consumer_id ?? consumer?.id };
  }
  if (consumer !== undefined) table['consumer'] = consumer;
  return table;
}

/** Applies one `set_serialize_value` edit (dotted keys, `\.` for a literal dot). */
function edit(root: Record<string, unknown>, change: SerializeEdit): void {
  const parts = change.key.split(/(?<!\\)\./).map((part) => part.replaceAll('\\.', '.'));
  const last = parts.pop() ?? '';
  let node: Record<string, unknown> = root;
  for (const part of parts) {
    const next = node[part];
    if (next === undefined) {
      if (change.mode === 'replace') return;
      const created: Record<string, unknown> = {};
      node[part] = created;
      node = created;
    } else if (next !== null && typeof next === 'object') {
      node = next as Record<string, unknown>;
    } else {
      throw new LuaError(`The key '${change.key}' could not be used as a serialize value. Subkey '${part}' is not a table. It's ${JSON.stringify(next)}`);
    }
  }
  const exists = node[last] !== undefined;
  if (change.mode === 'set' || (change.mode === 'add' && !exists) || (change.mode === 'replace' && exists)) {
    if (change.value === undefined || change.value === null) delete node[last];
    else node[last] = change.value;
  }
}

/** The log table of the simulated request, as `kong.log.serialize()` returns it. */
export function serializeLog(state: FakeState): Record<string, unknown> {
  const root = structuredClone(baseTable(state));
  for (const change of state.serializeEdits) edit(root, change);
  return root;
}
