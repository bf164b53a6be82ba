/**
 * `kong.service`: how Kong connects to the Service for this request
 * (target, retries, timeouts, upstream TLS), plus `kong.service.request`
 * and `kong.service.response`.
 *
 * Lua source: `kong/pdk/service.lua`. Not bound: `set_target_retry_callback`
 * (takes a Lua function), `set_tls_cert_key` (OpenSSL cdata) and
 * `set_tls_verify_store` (a `resty.openssl` store object).
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { ServiceRequest } from './service/request.ts';
import { ServiceResponse } from './service/response.ts';
import { asSuccess, asVoid } from './shape.ts';
import { ask, sig } from './signature.ts';

/** The Lua functions of `kong.service` and how they travel over MsgPack. */
export const serviceMethods = {
  'kong.service.set_upstream': sig<[host: string], boolean>(asSuccess),
  'kong.service.set_target': sig<[host: string, port: number], void>(asVoid),
  'kong.service.set_retries': sig<[retries: number], void>(asVoid),
  'kong.service.set_timeouts': sig<[connectTimeout: number, writeTimeout: number, readTimeout: number], void>(asVoid),
  'kong.service.set_tls_verify': sig<[on: boolean], boolean>(asSuccess),
  'kong.service.set_tls_verify_depth': sig<[depth: number], boolean>(asSuccess),
} as const;

/** `kong.service`: the connection to the Service. */
export class Service {
  readonly #bridge: Bridge;
  #request: ServiceRequest | undefined;
  #response: ServiceResponse | undefined;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** `kong.service.request`: the request Kong sends to the Service. */
  get request(): ServiceRequest {
    return (this.#request ??= new ServiceRequest(this.#bridge));
  }

  /** `kong.service.response`: the response the Service sent back. */
  get response(): ServiceResponse {
    return (this.#response ??= new ServiceResponse(this.#bridge));
  }

  /**
   * `kong.service.set_upstream(host)`: sends the request to the Upstream
   * entity named `host` (load-balanced over its Targets). `true` on success,
   * `false` when there is no such Upstream (Kong's message is lost on 3.x;
   * 2.x rejects with `PDK_CALL_FAILED`). Before Kong 3.7 ProtoBuf plugin
   * servers failed to encode the `true`; MsgPack is not affected.
   *
   * Phases: access.
   *
   * @since Kong 2.3.0
   */
  setUpstream(host: string): Promise<boolean> {
    return ask(this.#bridge, serviceMethods, 'kong.service.set_upstream', host);
  }

  /**
   * `kong.service.set_target(host, port)`: connects to this host (name or
   * IP) and port (an integer 0 to 65535) directly, skipping load balancing,
   * its retries and health checks.
   *
   * Phases: rewrite, access, preread.
   *
   * @since Kong 2.3.0
   */
  setTarget(host: string, port: number): Promise<void> {
    return ask(this.#bridge, serviceMethods, 'kong.service.set_target', host, port);
  }

  /**
   * `kong.service.set_retries(retries)`: how many times Kong retries a
   * failed connection for this request (an integer 0 to 32767), instead of
   * the Service's setting.
   *
   * Phases: access.
   *
   * @since Kong 3.8.0
   */
  setRetries(retries: number): Promise<void> {
    return ask(this.#bridge, serviceMethods, 'kong.service.set_retries', retries);
  }

  /**
   * `kong.service.set_timeouts(connect, write, read)`: the three upstream
   * timeouts for this request, in milliseconds (integers 1 to 2147483646).
   *
   * Phases: access.
   *
   * @since Kong 3.8.0
   */
  setTimeouts(connectTimeout: number, writeTimeout: number, readTimeout: number): Promise<void> {
    return ask(this.#bridge, serviceMethods, 'kong.service.set_timeouts', connectTimeout, writeTimeout, readTimeout);
  }

  /**
   * `kong.service.set_tls_verify(on)`: turns verification of the Service's
   * certificate on or off for this request. Verification needs a trusted
   * store (`proxy_ssl_trusted_certificate` or the Service's
   * `ca_certificates`). `true` on success, `false` on failure from Kong 3.0
   * (on Kong 2.x the failure rejects with `PDK_CALL_FAILED`).
   *
   * Phases: rewrite, access, preread.
   *
   * @since Kong 2.3.0 (http), 3.2.0 (stream)
   */
  setTlsVerify(on: boolean): Promise<boolean> {
    return ask(this.#bridge, serviceMethods, 'kong.service.set_tls_verify', on);
  }

  /**
   * `kong.service.set_tls_verify_depth(depth)`: the maximum certificate
   * chain depth when verifying the Service's certificate (verification must
   * be on). `true` on success, `false` on failure from Kong 3.0 (on Kong
   * 2.x the failure rejects with `PDK_CALL_FAILED`).
   *
   * Phases: rewrite, access, preread.
   *
   * @since Kong 2.3.0 (http), 3.2.0 (stream)
   */
  setTlsVerifyDepth(depth: number): Promise<boolean> {
    return ask(this.#bridge, serviceMethods, 'kong.service.set_tls_verify_depth', depth);
  }
}
