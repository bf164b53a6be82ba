/**
 * `kong.plugin`: the running plugin instance.
 *
 * Lua source: `kong/pdk/plugin.lua`.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { asOptionalString } from './shape.ts';
import { ask, sig } from './signature.ts';

/** The Lua functions of `kong.plugin` and how they travel over MsgPack. */
export const pluginMethods = {
  'kong.plugin.get_id': sig<[], string | undefined>(asOptionalString),
} as const;

/** `kong.plugin`: the plugin instance handling the request. */
export class Plugin {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.plugin.get_id()`: the UUID of the plugin entity (the configured
   * instance) that is running, as stored in the request context.
   *
   * Phases: rewrite, access, response, log.
   *
   * @since Kong 3.3.0
   */
  getId(): Promise<string | undefined> {
    return ask(this.#bridge, pluginMethods, 'kong.plugin.get_id');
  }
}
