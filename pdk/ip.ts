/**
 * `kong.ip`: Kong's `trusted_ips` setting.
 *
 * Lua source: `kong/pdk/ip.lua`.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { asBoolean } from './shape.ts';
import { ask, sig } from './signature.ts';

/** The Lua functions of `kong.ip` and how they travel over MsgPack. */
export const ipMethods = {
  'kong.ip.is_trusted': sig<[address: string], boolean>(asBoolean),
} as const;

/** `kong.ip`: which addresses Kong trusts to report the real client. */
export class Ip {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.ip.is_trusted(address)`: whether the IPv4 or IPv6 `address` is in
   * Kong's `trusted_ips`, i.e. whether Kong believes the forwarding headers
   * it sends.
   *
   * Phases: all.
   *
   * @since Kong 2.3.0
   */
  isTrusted(address: string): Promise<boolean> {
    return ask(this.#bridge, ipMethods, 'kong.ip.is_trusted', address);
  }
}
