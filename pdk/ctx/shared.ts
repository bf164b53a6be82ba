/**
 * `kong.ctx.shared`: a table shared by every plugin for the current request.
 *
 * @module
 */
import type { Bridge } from '../bridge.ts';
import { asAny, asVoid } from '../shape.ts';
import { ask, sig } from '../signature.ts';

/**
 * A value that can be stored in `kong.ctx.shared`: anything MsgPack carries. A
 * `null` inside an object or array arrives in Lua as nil (no entry), so parsed
 * JSON (a request body, say) can be stored as it is.
 */
export type SharedValue = string | number | boolean | Uint8Array | (SharedValue | null)[] | { [key: string]: SharedValue | null };

/** The host-side functions behind `kong.ctx.shared` and how they travel over MsgPack. */
export const ctxSharedMethods = {
  'kong.ctx.shared.get': sig<[key: string], unknown>(asAny),
  'kong.ctx.shared.set': sig<[key: string, value: SharedValue | null | undefined], void>(asVoid),
} as const;

/**
 * `kong.ctx.shared`: values shared with the other plugins (Lua or external)
 * that run on the same request. Values are copied, not referenced. In the
 * `log` phase Kong reads and writes the table it saved for the request.
 */
export class CtxShared {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.ctx.shared[key]`: the value stored under `key`, or `undefined`.
   * Note that an empty Lua table arrives as an empty array.
   *
   * @since Kong 2.3.0
   */
  get<T = unknown>(key: string): Promise<T | undefined> {
    return ask(this.#bridge, ctxSharedMethods, 'kong.ctx.shared.get', key) as Promise<T | undefined>;
  }

  /**
   * `kong.ctx.shared[key] = value`; `null` or `undefined` removes the key.
   *
   * @since Kong 2.3.0
   */
  set(key: string, value: SharedValue | null | undefined): Promise<void> {
    return ask(this.#bridge, ctxSharedMethods, 'kong.ctx.shared.set', key, value ?? null);
  }
}
