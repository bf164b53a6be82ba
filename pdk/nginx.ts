/**
 * `kong.nginx`: nginx-level details. Besides the two Lua PDK functions
 * (`get_subsystem`, `get_statistics`), Kong's plugin-server host adds shims
 * under this name for external plugins: `get_var`, `get_ctx`, `set_ctx`,
 * `req_start_time` and `get_tls1_version_str` (`exposed_api` in
 * `kong/runloop/plugin_servers/plugin.lua`).
 *
 * Lua source: `kong/pdk/nginx.lua`.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import type { NginxStatistics } from './entities.ts';
import { asAny, asNumber, asOptionalString, asRecord, asString, asVoid } from './shape.ts';
import { ask, sig } from './signature.ts';

/** A value that can be stored in `ngx.ctx` through {@link Nginx.setCtx}: anything MsgPack carries. */
export type CtxValue = string | number | boolean | Uint8Array | CtxValue[] | { [key: string]: CtxValue };

/** The Lua functions (and host shims) of `kong.nginx` and how they travel over MsgPack. */
export const nginxMethods = {
  'kong.nginx.get_subsystem': sig<[], 'http' | 'stream'>(asString as (raw: unknown, method: string) => 'http' | 'stream'),
  'kong.nginx.get_statistics': sig<[], NginxStatistics>(asRecord),
  'kong.nginx.get_var': sig<[name: string], string | undefined>(asOptionalString),
  'kong.nginx.get_tls1_version_str': sig<[], string | undefined>(asOptionalString),
  'kong.nginx.get_ctx': sig<[key: string], unknown>(asAny),
  'kong.nginx.set_ctx': sig<[key: string, value: CtxValue | null | undefined], void>(asVoid),
  'kong.nginx.req_start_time': sig<[], number>(asNumber),
} as const;

/** `kong.nginx`: nginx variables, the request's `ngx.ctx`, and server statistics. */
export class Nginx {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.nginx.get_subsystem()`: `http` or `stream`, the nginx subsystem
   * the request runs in.
   *
   * Phases: all.
   *
   * @since Kong 2.3.0
   */
  getSubsystem(): Promise<'http' | 'stream'> {
    return ask(this.#bridge, nginxMethods, 'kong.nginx.get_subsystem');
  }

  /**
   * `kong.nginx.get_statistics()`: nginx's connection and request counters,
   * as `ngx_http_stub_status_module` reports them.
   *
   * Phases: all.
   *
   * @since Kong 3.0.0
   */
  getStatistics(): Promise<NginxStatistics> {
    return ask(this.#bridge, nginxMethods, 'kong.nginx.get_statistics');
  }

  /**
   * `kong.nginx.get_var(name)` (host shim for `ngx.var[name]`): the value of
   * an nginx variable, e.g. `request_id` or `upstream_uri`, or `undefined`.
   * Kong raises a Lua error for a variable nginx does not define.
   *
   * Phases: certificate, rewrite, access, response, preread. Fails in `log`:
   * the log timer has no request to read variables from.
   *
   * @since Kong 2.3.0
   */
  getVar(name: string): Promise<string | undefined> {
    return ask(this.#bridge, nginxMethods, 'kong.nginx.get_var', name);
  }

  /**
   * `kong.nginx.get_tls1_version_str()` (host shim for
   * `ngx.ssl.get_tls1_version_str`): the TLS version of the client
   * connection, such as `TLSv1.3`, or `undefined` for plain connections.
   *
   * Phases: certificate, rewrite, access, response, preread; fails in `log`.
   *
   * @since Kong 2.3.0
   */
  getTls1VersionStr(): Promise<string | undefined> {
    return ask(this.#bridge, nginxMethods, 'kong.nginx.get_tls1_version_str');
  }

  /**
   * `kong.nginx.get_ctx(key)` (host shim for `ngx.ctx[key]`): a value from
   * the request's nginx context, where Kong and Lua plugins keep per-request
   * state (e.g. `KONG_ACCESS_START`). An empty Lua table arrives as `[]`.
   *
   * Phases: all request phases; in `log` it reads the copy of `ngx.ctx` Kong
   * saved for the log timer.
   *
   * @since Kong 2.3.0
   */
  getCtx<T = unknown>(key: string): Promise<T | undefined> {
    return ask(this.#bridge, nginxMethods, 'kong.nginx.get_ctx', key) as Promise<T | undefined>;
  }

  /**
   * `kong.nginx.set_ctx(key, value)` (host shim for `ngx.ctx[key] = value`):
   * stores a copy of `value` in the request's nginx context; `null` or
   * `undefined` removes the key.
   *
   * Phases: all request phases; in `log` it writes to the saved copy, which
   * nothing else reads any more.
   *
   * @since Kong 2.3.0
   */
  setCtx(key: string, value: CtxValue | null | undefined): Promise<void> {
    return ask(this.#bridge, nginxMethods, 'kong.nginx.set_ctx', key, value ?? null);
  }

  /**
   * `kong.nginx.req_start_time()` (host shim for `ngx.req.start_time()`):
   * when the request started, in seconds since the epoch with millisecond
   * precision.
   *
   * Phases: all request phases; in `log` Kong 3.1+ answers from the value it
   * saved (older versions fail there).
   *
   * @since Kong 2.3.0
   */
  reqStartTime(): Promise<number> {
    return ask(this.#bridge, nginxMethods, 'kong.nginx.req_start_time');
  }
}
