/**
 * The seam between the typed PDK bindings and whatever carries their calls:
 * the plugin server's event loop, a scripted mock in tests, or the test kit's
 * fake Kong.
 *
 * @module
 */

/** Carries PDK calls of one event to Kong and brings their results back. */
export interface Bridge {
  /**
   * Optional: the phase of the event the calls belong to (`access`,
   * `preread`, …). Bindings whose call differs between nginx subsystems read
   * it (`preread` runs in stream); without it they assume http.
   */
  readonly phase?: string;
  /**
   * Calls the Lua PDK function `method` (its exact dotted Lua name) with
   * `args` and resolves with the raw value that Kong sent back (`undefined`
   * for nil).
   * @throws {@link PdkError} (as a rejection) when Kong reports that the call failed.
   * @throws {@link TypeError} (as a rejection) when an argument cannot travel over MsgPack.
   */
  call(method: string, args: readonly unknown[]): Promise<unknown>;
  /**
   * Optional: {@link Bridge.call}, but resolving with `shape(raw, method)`
   * (and rejecting with what `shape` throws). The bindings use it when
   * present, which saves the promise and the turn of the microtask queue
   * that `call(...).then(shape)` costs on every PDK call.
   */
  callShaped?(method: string, args: readonly unknown[], shape: (raw: unknown, method: string) => unknown): Promise<unknown>;
  /**
   * Sends a call that never returns (`kong.response.exit`, `kong.response.error`):
   * Kong ends the request and sends no further step for this event, so the
   * returned promise never settles, exactly as Kong never resumes the Lua
   * coroutine of the plugin.
   */
  exit(method: string, args: readonly unknown[]): Promise<never>;
}
