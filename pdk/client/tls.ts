/**
 * `kong.client.tls`: the TLS connection between the client and Kong
 * (mutual TLS). HTTP subsystem only.
 *
 * Lua source: `kong/pdk/client/tls.lua`.
 *
 * @module
 */
import type { Bridge } from '../bridge.ts';
import { asOptionalString, asSuccess, asVoid } from '../shape.ts';
import { ask, sig } from '../signature.ts';

/** Values `kong.client.tls.set_client_verify` accepts. */
export type ClientVerify = 'SUCCESS' | 'NONE' | `FAILED:${string}`;

/** The Lua functions of `kong.client.tls` and how they travel over MsgPack. */
export const clientTlsMethods = {
  'kong.client.tls.request_client_certificate': sig<[], boolean>(asSuccess),
  'kong.client.tls.disable_session_reuse': sig<[], boolean>(asSuccess),
  'kong.client.tls.get_full_client_certificate_chain': sig<[], string | undefined>(asOptionalString),
  'kong.client.tls.set_client_verify': sig<[verify: ClientVerify], void>(asVoid),
} as const;

/** `kong.client.tls`: mutual TLS with the client. */
export class ClientTls {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.client.tls.request_client_certificate()`: asks the client for a
   * certificate during the handshake (it may still connect without one;
   * check with {@link ClientTls.getFullClientCertificateChain} later).
   * Resolves `true` on success, `false` on failure (Kong's error text is lost
   * on 3.x; 2.x rejects with `PDK_CALL_FAILED`).
   *
   * The Lua function's optional CA list is an OpenSSL cdata pointer, which
   * cannot be sent over RPC, so no CA names are hinted to the client.
   *
   * Phases: certificate.
   *
   * @since Kong 2.3.0 (http only)
   */
  requestClientCertificate(): Promise<boolean> {
    return ask(this.#bridge, clientTlsMethods, 'kong.client.tls.request_client_certificate');
  }

  /**
   * `kong.client.tls.disable_session_reuse()`: turns off session tickets and
   * session ids for this connection, so that every connection does a full
   * handshake (and presents its certificate again). `true` on success;
   * on failure `false` from Kong 3.0 (the reason is lost), while Kong 2.x
   * reports it and the promise rejects with `PDK_CALL_FAILED`.
   *
   * Phases: certificate.
   *
   * @since Kong 2.3.0 (http only)
   */
  disableSessionReuse(): Promise<boolean> {
    return ask(this.#bridge, clientTlsMethods, 'kong.client.tls.disable_session_reuse');
  }

  /**
   * `kong.client.tls.get_full_client_certificate_chain()`: the client's
   * certificate followed by its intermediates, PEM-encoded, or `undefined`
   * when the client presented none (or on error from Kong 3.0; Kong 2.x
   * reports an error, and the promise rejects with `PDK_CALL_FAILED`).
   *
   * Phases: rewrite, access, response, log.
   *
   * @since Kong 2.3.0 (http only)
   */
  getFullClientCertificateChain(): Promise<string | undefined> {
    return ask(this.#bridge, clientTlsMethods, 'kong.client.tls.get_full_client_certificate_chain');
  }

  /**
   * `kong.client.tls.set_client_verify(v)`: overrides the
   * `request.tls.client_verify` field of the log serializer (normally
   * nginx's `$ssl_client_verify`), for plugins that verify the client
   * certificate themselves. Kong raises a Lua error (aborting the event) for
   * any other value than `SUCCESS`, `NONE` or `FAILED:<reason>`.
   *
   * Phases: rewrite, access, response.
   *
   * @since Kong 2.3.0 (http only)
   */
  setClientVerify(verify: ClientVerify): Promise<void> {
    return ask(this.#bridge, clientTlsMethods, 'kong.client.tls.set_client_verify', verify);
  }
}
