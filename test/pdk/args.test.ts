/** Argument checks before the wire (`pdk/args.ts`), directly and through bindings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanArgs } from '../../pdk/args.ts';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { Kong } from '../../pdk/kong.ts';
import type { HeaderMap } from '../../pdk/values.ts';
import { MockBridge } from './mock-bridge.ts';

function rejection(method: string, args: readonly unknown[]): PdkError {
  const result = cleanArgs(method, args);
  assert.ok(result instanceof PdkError, `expected ${method} to be rejected`);
  assert.equal(result.code, ErrorCodes.BadArgument);
  assert.equal(result.method, method);
  return result;
}

void describe('cleanArgs', () => {
  void it('passes primitives, bytes and plain tables unchanged', () => {
    const args = ['a', 1, true, new Uint8Array([1]), { a: [1, 'b', null, { c: false }] }];
    assert.equal(cleanArgs('m', args), args);
  });
  void it('drops trailing undefined', () => {
    assert.deepStrictEqual(cleanArgs('m', ['a', undefined, undefined]), ['a']);
    assert.deepStrictEqual(cleanArgs('m', [undefined]), []);
  });
  void it('keeps a trailing null (a nil at the end is harmless)', () => {
    assert.deepStrictEqual(cleanArgs('m', ['k', null]), ['k', null]);
  });
  void it('rejects a nil hole, naming the method and the argument', () => {
    assert.match(rejection('kong.x.y', [403, undefined, {}]).message, /^kong\.x\.y: argument 2 is undefined/);
    assert.match(rejection('kong.x.y', [null, 'b']).message, /argument 1 is null/);
  });
  void it('rejects functions, symbols and bigints, also when nested', () => {
    assert.match(rejection('m', [() => 1]).message, /argument 1 is a function/);
    assert.match(rejection('m', [Symbol('s')]).message, /symbol/);
    assert.match(rejection('m', [10n]).message, /bigint/);
    assert.match(rejection('m', [{ a: { b: [1, () => 2] } }]).message, /argument 1\.a\.b\[1\] is a function/);
  });
  void it('rejects values Lua would receive as nil or empty', () => {
    assert.match(rejection('m', [new Date()]).message, /Date/);
    assert.match(rejection('m', [{ m: new Map([['a', 1]]) }]).message, /\.m is a Map/);
    assert.match(rejection('m', [new Set([1])]).message, /Set/);
    assert.match(rejection('m', [[1, undefined, 3]]).message, /\[1\] is undefined/);
  });
  void it('rejects circular values', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    assert.match(rejection('m', [a]).message, /circular/);
  });
  void it('ignores undefined object fields (the encoder leaves them out)', () => {
    const args = [{ a: undefined, b: 1 }];
    assert.equal(cleanArgs('m', args), args);
  });
});

void describe('bindings reject bad arguments without sending anything', () => {
  void it('a function in a header map', async () => {
    const bridge = new MockBridge([]);
    const headers = { 'X-A': (() => 'a') as unknown as string } satisfies HeaderMap;
    await assert.rejects(new Kong(bridge).response.setHeaders(headers), (error: unknown) => {
      assert.ok(error instanceof PdkError);
      assert.equal(error.code, ErrorCodes.BadArgument);
      assert.equal(error.method, 'kong.response.set_headers');
      return true;
    });
    assert.deepStrictEqual(bridge.calls, []);
  });
  void it('a bigint passed to exit rejects instead of hanging', async () => {
    const bridge = new MockBridge([]);
    const body = { n: 1n } as unknown as Record<string, string>;
    await assert.rejects(new Kong(bridge).response.exit(200, body), { code: ErrorCodes.BadArgument, method: 'kong.response.exit' });
    assert.equal(bridge.exited, false);
  });
  void it('authenticate without consumer and credential', async () => {
    const bridge = new MockBridge([]);
    await assert.rejects(new Kong(bridge).client.authenticate(null), { code: ErrorCodes.BadArgument, method: 'kong.client.authenticate' });
    assert.deepStrictEqual(bridge.calls, []);
  });
  void it("setSerializeValue(key, null, {mode: 'add'}) is a no-op", async () => {
    const bridge = new MockBridge([]);
    await new Kong(bridge).log.setSerializeValue('a', null, { mode: 'add' });
    bridge.assertDone();
    assert.deepStrictEqual(bridge.calls, []);
  });
});
