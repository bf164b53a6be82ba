/**
 * `kong.ctx`: per-request context. Only `kong.ctx.shared` is reachable from
 * an external plugin; `kong.ctx.plugin` lives in Lua and cannot be called.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { CtxShared } from './ctx/shared.ts';

/** `kong.ctx`: request context shared with other plugins. */
export class Ctx {
  /** `kong.ctx.shared`: values shared by all plugins of the current request. */
  readonly shared: CtxShared;

  constructor(bridge: Bridge) {
    this.shared = new CtxShared(bridge);
  }
}
