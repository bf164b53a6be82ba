/**
 * The `kong` object that every phase method receives: one property per Kong
 * PDK namespace, all bound to the event being handled.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { Ctx } from './ctx.ts';
import { Log } from './log.ts';
import { Request } from './request.ts';
import { Response } from './response.ts';

/**
 * The Kong PDK of one event. Namespaces are created on first use, so an event
 * pays only for the namespaces it touches.
 */
export class Kong {
  readonly #bridge: Bridge;
  #ctx: Ctx | undefined;
  #log: Log | undefined;
  #request: Request | undefined;
  #response: Response | undefined;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** `kong.ctx`: values shared with other plugins on this request. */
  get ctx(): Ctx {
    return (this.#ctx ??= new Ctx(this.#bridge));
  }
  /** `kong.log`: write to Kong's error log. */
  get log(): Log {
    return (this.#log ??= new Log(this.#bridge));
  }
  /** `kong.request`: the client's request. */
  get request(): Request {
    return (this.#request ??= new Request(this.#bridge));
  }
  /** `kong.response`: the response to the client. */
  get response(): Response {
    return (this.#response ??= new Response(this.#bridge));
  }
}
