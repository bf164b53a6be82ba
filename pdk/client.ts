/**
 * `kong.client`: who is connected to Kong and who they authenticated as.
 *
 * Lua source: `kong/pdk/client.lua`. OSS Kong has no consumer-group
 * functions in this module (they are Enterprise-only), so none are bound.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { ClientTls } from './client/tls.ts';
import { ErrorCodes, PdkError } from './errors.ts';
import type { AuthenticatedEntity, Consumer, Credential, Protocol } from './entities.ts';
import { asOptionalNumber, asOptionalRecord, asOptionalString, asVoid } from './shape.ts';
import { ask, sig } from './signature.ts';

/** The Lua functions of `kong.client` and how they travel over MsgPack. */
export const clientMethods = {
  'kong.client.get_ip': sig<[], string | undefined>(asOptionalString),
  'kong.client.get_forwarded_ip': sig<[], string | undefined>(asOptionalString),
  'kong.client.get_port': sig<[], number | undefined>(asOptionalNumber),
  'kong.client.get_forwarded_port': sig<[], number | undefined>(asOptionalNumber),
  'kong.client.get_credential': sig<[], Credential | undefined>(asOptionalRecord),
  'kong.client.load_consumer': sig<[consumerId: string, searchByUsername?: boolean], Consumer | undefined>(asOptionalRecord),
  'kong.client.get_consumer': sig<[], Consumer | undefined>(asOptionalRecord),
  'kong.client.authenticate': sig<[consumer: AuthenticatedEntity | null, credential?: AuthenticatedEntity | null], void>(asVoid),
  'kong.client.get_protocol': sig<[allowTerminated?: boolean], Protocol | undefined>(asOptionalString as (raw: unknown, method: string) => Protocol | undefined),
} as const;

/** The host shim that {@link Client.authenticate} falls back on for a credential without a consumer. */
const setCtxMethods = {
  'kong.nginx.set_ctx': sig<[key: string, value?: AuthenticatedEntity], void>(asVoid),
} as const;

/** `kong.client`: the connected client and the authenticated consumer. */
export class Client {
  readonly #bridge: Bridge;
  #tls: ClientTls | undefined;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** `kong.client.tls`: the client's TLS connection. */
  get tls(): ClientTls {
    return (this.#tls ??= new ClientTls(this.#bridge));
  }

  /**
   * `kong.client.get_ip()`: the address of the peer directly connected to
   * Kong (a load balancer in front of Kong, not the end client; see
   * {@link Client.getForwardedIp}).
   *
   * Phases: certificate, rewrite, access, response, preread. In `log` it
   * reads an nginx variable, which Kong's log timer does not have: the call
   * fails there (read it in an earlier phase and keep it in `kong.ctx.shared`).
   *
   * @since Kong 2.3.0
   */
  getIp(): Promise<string | undefined> {
    return ask(this.#bridge, clientMethods, 'kong.client.get_ip');
  }

  /**
   * `kong.client.get_forwarded_ip()`: the client address, taking
   * `X-Forwarded-For`/PROXY protocol into account when the sender is in
   * Kong's `trusted_ips` (per `real_ip_header` and `real_ip_recursive`).
   *
   * Phases: certificate, rewrite, access, response, preread; fails in `log` like {@link Client.getIp}.
   *
   * @since Kong 2.3.0
   */
  getForwardedIp(): Promise<string | undefined> {
    return ask(this.#bridge, clientMethods, 'kong.client.get_forwarded_ip');
  }

  /**
   * `kong.client.get_port()`: the remote port of the directly connected peer.
   *
   * Phases: certificate, rewrite, access, response, preread; fails in `log` like {@link Client.getIp}.
   *
   * @since Kong 2.3.0
   */
  getPort(): Promise<number | undefined> {
    return ask(this.#bridge, clientMethods, 'kong.client.get_port');
  }

  /**
   * `kong.client.get_forwarded_port()`: the client port, taking forwarding
   * headers from trusted peers into account.
   *
   * Phases: certificate, rewrite, access, response, preread; fails in `log` like {@link Client.getIp}.
   *
   * @since Kong 2.3.0
   */
  getForwardedPort(): Promise<number | undefined> {
    return ask(this.#bridge, clientMethods, 'kong.client.get_forwarded_port');
  }

  /**
   * `kong.client.get_credential()`: the credential an authentication plugin
   * attached to the request, or `undefined` when none did (yet).
   *
   * Phases: access, response, log (it reads the request context, which the
   * log timer keeps).
   *
   * @since Kong 2.3.0
   */
  getCredential(): Promise<Credential | undefined> {
    return ask(this.#bridge, clientMethods, 'kong.client.get_credential');
  }

  /**
   * `kong.client.load_consumer(consumer_id, search_by_username?)`: reads a
   * Consumer from Kong's datastore (through its cache) by id, and, when
   * `searchByUsername` is true and no Consumer has that id, by username.
   * Resolves with `undefined` when there is none.
   *
   * Kong raises a Lua error (the event is aborted) when `consumerId` is not a
   * UUID and `searchByUsername` is not set. A database error arrives as
   * `undefined` on Kong 3.x and rejects with `PDK_CALL_FAILED` on 2.x.
   *
   * Phases: access, response, log.
   *
   * @since Kong 2.3.0
   */
  loadConsumer(consumerId: string, searchByUsername?: boolean): Promise<Consumer | undefined> {
    return ask(this.#bridge, clientMethods, 'kong.client.load_consumer', consumerId, searchByUsername);
  }

  /**
   * `kong.client.get_consumer()`: the Consumer the request is authenticated
   * as, or `undefined` (not authenticated yet, or a credential without a
   * Consumer).
   *
   * Phases: access, response, log.
   *
   * @since Kong 2.3.0
   */
  getConsumer(): Promise<Consumer | undefined> {
    return ask(this.#bridge, clientMethods, 'kong.client.get_consumer');
  }

  /**
   * `kong.client.authenticate(consumer, credential)`: marks the request as
   * authenticated; pass `null` for the one you do not have (at least one
   * must be given, or the promise rejects with `PDK_BAD_ARGUMENT`). The tables are copied to Kong; give them at least an
   * `id` (and the credential a `consumer_id`) so that other plugins and the
   * log serializer can use them.
   *
   * A nil first argument cannot travel ahead of a second one (Kong's
   * `unpack` would drop the credential), so for a credential without a
   * consumer the binding does what the Lua function does in two host calls:
   * `kong.nginx.set_ctx("authenticated_consumer")` then
   * `kong.nginx.set_ctx("authenticated_credential", credential)`. That path
   * skips Kong's check that the call happens in `access`.
   *
   * Phases: access.
   *
   * @since Kong 2.3.0
   */
  authenticate(consumer: AuthenticatedEntity | null, credential?: AuthenticatedEntity | null): Promise<void> {
    if (consumer == null && credential == null) {
      const error = new PdkError(ErrorCodes.BadArgument, 'kong.client.authenticate', 'give a consumer, a credential or both');
      return Promise.reject(error);
    }
    if (consumer == null) {
      return ask(this.#bridge, setCtxMethods, 'kong.nginx.set_ctx', 'authenticated_consumer').then(() =>
        ask(this.#bridge, setCtxMethods, 'kong.nginx.set_ctx', 'authenticated_credential', credential ?? undefined),
      );
    }
    return ask(this.#bridge, clientMethods, 'kong.client.authenticate', consumer, credential ?? undefined);
  }

  /**
   * `kong.client.get_protocol(allow_terminated?)`: the protocol of the
   * matched Route, or, when the Route has several, `https`/`http` (`tls`/`tcp`
   * for streams) depending on the connection. With `allowTerminated`,
   * `X-Forwarded-Proto` from a trusted peer counts as HTTPS. `undefined`
   * when no Route matched (Kong's error text is lost on 3.x; 2.x rejects
   * with `PDK_CALL_FAILED`).
   *
   * Phases: access, response. In `log` it works only when the
   * Route has a single protocol.
   *
   * @since Kong 2.3.0
   */
  getProtocol(allowTerminated?: boolean): Promise<Protocol | undefined> {
    return ask(this.#bridge, clientMethods, 'kong.client.get_protocol', allowTerminated);
  }
}
