/**
 * Errors that PDK calls reject with.
 *
 * @module
 */

/** Stable codes of the errors that tspdk raises. */
export const ErrorCodes = {
  /** Kong reported that a PDK call failed (`plugin.StepError`, Kong 2.x hosts). */
  PdkCallFailed: 'PDK_CALL_FAILED',
  /** An argument of a PDK call cannot be sent over MsgPack. */
  BadArgument: 'PDK_BAD_ARGUMENT',
  /** A PDK call was made after its event had ended. */
  EventEnded: 'PDK_EVENT_ENDED',
  /** A value that Kong sent does not have the shape the binding expects. */
  BadResult: 'PDK_BAD_RESULT',
  /**
   * The Kong the plugin runs under does not have this PDK function: refused
   * at once when the server was started with `--kong-version` of a release
   * that lacks it, or inferred from Kong's nil answer where the function
   * always returns a value.
   */
  Unavailable: 'PDK_UNAVAILABLE',
  /**
   * Kong never answered the call (it sends no Step after a Lua error on its
   * side: a call in the wrong phase, a bad argument); the event was given up.
   */
  EventAbandoned: 'PDK_EVENT_ABANDONED',
  /** Kong's answer breaks the server's decoding limits (`--max-map-entries` and the like); it was not decoded. */
  ResultTooLarge: 'PDK_RESULT_TOO_LARGE',
} as const;

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** A PDK call failed; `method` is the Lua name of the function that was called. */
export class PdkError extends Error {
  /** A stable code from {@link ErrorCodes}. */
  readonly code: ErrorCode;
  /** The Lua name of the PDK function, e.g. `kong.request.get_header`. */
  readonly method: string;

  constructor(code: ErrorCode, method: string, message: string, options?: ErrorOptions) {
    super(`${method}: ${message}`, options);
    this.code = code;
    this.method = method;
    Object.defineProperty(this, 'name', { value: 'PdkError', enumerable: false, configurable: true });
  }
}
