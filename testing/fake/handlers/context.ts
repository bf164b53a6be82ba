/**
 * `kong.ctx.shared.*` and `kong.nginx.*` on the fake Kong: values shared
 * between plugins and phases, `ngx.ctx`, nginx variables.
 *
 * @module
 */
import { allowIn, stringArg, type Handler } from '../call.ts';
import { firstValue } from '../headers.ts';
import type { FakeState } from '../state.ts';

function variable(state: FakeState, name: string): string | undefined {
  const given = state.world.vars?.[name];
  if (given !== undefined) return given;
  const query = state.rawQuery === '' ? '' : `?${state.rawQuery}`;
  switch (name) {
    case 'request_uri':
      return `${state.rawPath}${query}`;
    case 'uri':
      return state.rawPath;
    case 'args':
    case 'query_string':
      return state.rawQuery;
    case 'is_args':
      return query === '' ? '' : '?';
    case 'scheme':
      return state.scheme;
    case 'host':
      return (firstValue(state.headers, 'host') ?? '').replace(/:\d+$/, '');
    case 'request_method':
      return state.method;
    case 'remote_addr':
    case 'realip_remote_addr':
      return state.clientIp;
    case 'remote_port':
      return String(state.clientPort);
    case 'server_port':
      return String(state.port);
    case 'request_id':
      return state.requestId;
    case 'upstream_uri':
      return `${state.service.path}${state.service.rawQuery === '' ? '' : `?${state.service.rawQuery}`}`;
    default:
      if (name.startsWith('http_')) return firstValue(state.headers, name.slice(5));
      if (name.startsWith('arg_')) {
        const value = state.query()[name.slice(4)];
        const first = Array.isArray(value) ? value[0] : value;
        return first === true ? '' : first;
      }
      return undefined;
  }
}

/** The `kong.ctx.shared` host shims. */
export const ctxHandlers: Readonly<Record<string, Handler>> = {
  'kong.ctx.shared.get': (call, args) => call.state.shared.get(stringArg(call, args, 0, 'key')),
  'kong.ctx.shared.set': (call, args) => {
    const key = stringArg(call, args, 0, 'key');
    if (args[1] === undefined || args[1] === null) call.state.shared.delete(key);
    else call.state.shared.set(key, args[1]);
  },
};

/** The `kong.nginx` functions and host shims. */
export const nginxHandlers: Readonly<Record<string, Handler>> = {
  'kong.nginx.get_subsystem': (call) => call.state.world.subsystem ?? 'http',
  'kong.nginx.get_statistics': () => ({
    connections_active: 1,
    connections_reading: 0,
    connections_writing: 1,
    connections_waiting: 0,
    connections_accepted: 1,
    connections_handled: 1,
    total_requests: 1,
  }),
  'kong.nginx.get_var': (call, args) => {
    allowIn(call, ['certificate', 'rewrite', 'access', 'response', 'preread']);
    return variable(call.state, stringArg(call, args, 0, 'name'));
  },
  'kong.nginx.get_tls1_version_str': (call) => (call.state.scheme === 'https' || call.state.world.tls !== undefined ? (call.state.world.tls?.version ?? 'TLSv1.3') : undefined),
  'kong.nginx.get_ctx': (call, args) => call.state.ngxCtx.get(stringArg(call, args, 0, 'key')),
  'kong.nginx.set_ctx': (call, args) => {
    const key = stringArg(call, args, 0, 'key');
    // In `log` the host writes to a clone of ngx.ctx: nothing reaches the request.
    if (call.phase === 'log') return;
    if (args[1] === undefined || args[1] === null) call.state.ngxCtx.delete(key);
    else call.state.ngxCtx.set(key, args[1]);
  },
  'kong.nginx.req_start_time': (call) => call.state.startedAt / 1000,
};
