/**
 * Table-driven binding tests: each {@link Case} calls one binding on a
 * {@link Kong} backed by a {@link MockBridge} and states the calls it must
 * make and the result it must give. {@link runCases} also replays every case
 * with Kong 2.x's `StepError` answer to its first call.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { Kong } from '../../pdk/kong.ts';
import { MockBridge, type Step } from './mock-bridge.ts';

/** One binding test. */
export interface Case {
  readonly title: string;
  readonly call: (kong: Kong) => Promise<unknown>;
  readonly steps: readonly Step[];
  /** The value the call resolves with (compared deeply); ignored for exits. */
  readonly result?: unknown;
}

/** A step that Kong answers with `ret`. */
export function step(method: string, args: readonly unknown[], ret?: unknown): Step {
  return ret === undefined ? { method, args } : { method, args, ret };
}

/** A non-returning step (`kong.response.exit`/`error`). */
export function exitStep(method: string, args: readonly unknown[]): Step {
  return { method, args, exit: true };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Registers one `it` per case plus its StepError replay, under `describe(name)`. */
export function runCases(name: string, cases: readonly Case[]): void {
  void describe(name, () => {
    for (const c of cases) {
      const exits = c.steps.some((s) => s.exit === true);
      void it(c.title, async () => {
        const bridge = new MockBridge(c.steps);
        const kong = new Kong(bridge);
        if (exits) {
          let settled = false;
          c.call(kong).then(
            () => (settled = true),
            () => (settled = true),
          );
          await tick();
          bridge.assertDone();
          assert.equal(bridge.exited, true, 'the exit call was made');
          assert.equal(settled, false, 'an exit never settles');
          return;
        }
        const result = await c.call(kong);
        bridge.assertDone();
        assert.deepStrictEqual(result, c.result);
      });
      const first = c.steps[0];
      if (first === undefined || first.exit === true) continue;
      void it(`${c.title}: StepError (Kong 2.x) rejects with PDK_CALL_FAILED`, async () => {
        const bridge = new MockBridge([{ method: first.method, args: first.args, error: 'boom' }]);
        const kong = new Kong(bridge);
        await assert.rejects(c.call(kong), (error: unknown) => {
          assert.ok(error instanceof PdkError);
          assert.equal(error.code, ErrorCodes.PdkCallFailed);
          assert.equal(error.method, first.method);
          return true;
        });
      });
    }
  });
}

/** Every Lua method name the cases call. */
export function methodsOf(cases: readonly Case[]): Set<string> {
  return new Set(cases.flatMap((c) => c.steps.map((s) => s.method)));
}
