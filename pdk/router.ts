/**
 * `kong.router`: the Route and Service the request matched.
 *
 * Lua source: `kong/pdk/router.lua`.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import type { Route, Service } from './entities.ts';
import { asOptionalRecord } from './shape.ts';
import { ask, sig } from './signature.ts';

/** The Lua functions of `kong.router` and how they travel over MsgPack. */
export const routerMethods = {
  'kong.router.get_route': sig<[], Route | undefined>(asOptionalRecord),
  'kong.router.get_service': sig<[], Service | undefined>(asOptionalRecord),
} as const;

/** `kong.router`: routing results of the request. */
export class Router {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.router.get_route()`: the Route entity the request matched, or
   * `undefined` when none did.
   *
   * Phases: access, response, log (the log timer keeps the request
   * context).
   *
   * @since Kong 2.3.0
   */
  getRoute(): Promise<Route | undefined> {
    return ask(this.#bridge, routerMethods, 'kong.router.get_route');
  }

  /**
   * `kong.router.get_service()`: the Service entity the request is proxied
   * to, or `undefined` for a Route without a Service.
   *
   * Phases: access, response, log.
   *
   * @since Kong 2.3.0
   */
  getService(): Promise<Service | undefined> {
    return ask(this.#bridge, routerMethods, 'kong.router.get_service');
  }
}
