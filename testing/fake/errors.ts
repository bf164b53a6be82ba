/**
 * How a PDK call on the fake Kong can fail: a Lua error (Kong aborts the
 * event), or a function the test kit does not simulate (the test fails).
 *
 * @module
 */

/**
 * A Lua error raised inside a PDK function: a wrong argument, a call in a
 * phase that does not allow it. Kong does not catch it: the event is aborted
 * and, in `rewrite` and `access`, the client gets a 500.
 */
export class LuaError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'LuaError', enumerable: false, configurable: true });
  }
}

/**
 * The plugin called a PDK function that the test kit's fake Kong does not
 * simulate. The run fails with this error, whatever the plugin does with the
 * rejected promise, so a test never passes on a made-up `undefined`.
 */
export class UnsupportedPdkMethodError extends Error {
  /** The exact Lua name of the function, e.g. `kong.vault.warmup`. */
  readonly method: string;

  constructor(method: string, reason: string) {
    super(`${method} is not supported by the tspdk test kit: ${reason}`);
    this.method = method;
    Object.defineProperty(this, 'name', { value: 'UnsupportedPdkMethodError', enumerable: false, configurable: true });
  }
}
