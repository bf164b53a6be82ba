/**
 * A scripted {@link Bridge} for binding tests, in the spirit of go-pdk's
 * `bridgetest`: the test lists the PDK calls it expects, in order, each with
 * the exact Lua name, the exact arguments and what Kong answers. Any other
 * call, or other arguments, fails the test.
 *
 * @module
 */
import { AssertionError } from 'node:assert';
import { inspect, isDeepStrictEqual } from 'node:util';
import type { Bridge } from '../../pdk/bridge.ts';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';

/** One expected PDK call and Kong's answer to it. */
export interface Step {
  /** The exact Lua name, e.g. `kong.request.get_header`. */
  readonly method: string;
  /** The exact arguments on the wire. */
  readonly args: readonly unknown[];
  /** The raw value Kong sends back (absent: nil). */
  readonly ret?: unknown;
  /** Kong 2.x answers `plugin.StepError` with this message; the call rejects as the server does. */
  readonly error?: string;
  /** The call is `kong.response.exit`/`error`: it never returns. */
  readonly exit?: boolean;
}

/** A bridge that plays a script of {@link Step}s and records what was sent. */
export class MockBridge implements Bridge {
  readonly #steps: Step[];
  readonly #failures: string[] = [];
  /** Every call made, in order. */
  readonly calls: { method: string; args: readonly unknown[] }[] = [];
  /** Set when a non-returning call was made. */
  exited = false;

  constructor(steps: readonly Step[]) {
    this.#steps = [...steps];
  }

  call(method: string, args: readonly unknown[]): Promise<unknown> {
    const step = this.#take(method, args, false);
    if (step === undefined) return Promise.reject(new AssertionError({ message: this.#failures.at(-1) ?? 'unexpected call' }));
    if (step.error !== undefined) {
      return Promise.reject(new PdkError(ErrorCodes.PdkCallFailed, method, step.error));
    }
    return Promise.resolve(step.ret);
  }

  exit(method: string, args: readonly unknown[]): Promise<never> {
    const step = this.#take(method, args, true);
    if (step === undefined) return Promise.reject(new AssertionError({ message: this.#failures.at(-1) ?? 'unexpected call' }));
    this.exited = true;
    return new Promise<never>(() => undefined);
  }

  /** Throws unless every step was played and nothing unexpected happened. */
  assertDone(): void {
    if (this.#failures.length > 0) throw new AssertionError({ message: this.#failures.join('\n') });
    if (this.#steps.length > 0) {
      throw new AssertionError({ message: `expected calls that were not made: ${this.#steps.map((s) => s.method).join(', ')}` });
    }
  }

  #take(method: string, args: readonly unknown[], exit: boolean): Step | undefined {
    this.calls.push({ method, args: [...args] });
    const step = this.#steps.shift();
    let failure: string | undefined;
    if (step === undefined) failure = `unexpected call ${method}(${show(args)}): the script has ended`;
    else if (step.method !== method) failure = `expected a call to ${step.method}, got ${method}(${show(args)})`;
    else if (!isDeepStrictEqual([...args], [...step.args])) failure = `${method}: expected args ${show(step.args)}, got ${show(args)}`;
    else if ((step.exit ?? false) !== exit) failure = `${method}: expected ${step.exit === true ? 'a non-returning exit' : 'a call'}, got ${exit ? 'an exit' : 'a call'}`;
    if (failure !== undefined) {
      this.#failures.push(failure);
      return undefined;
    }
    return step;
  }
}

function show(value: unknown): string {
  return inspect(value, { depth: 6, breakLength: Infinity });
}
