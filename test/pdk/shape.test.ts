/** Converters for the raw values Kong sends. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { asJson, asMultiMap, asOptionalBytes, asOptionalRecord, asQueryArg, asUriCaptures } from '../../pdk/shape.ts';

void describe('shape', () => {
  void it('asMultiMap accepts every form fix_mmap produces', () => {
    assert.deepStrictEqual(asMultiMap({ a: 'x', b: ['1', true], c: [] }, 'm'), { a: ['x'], b: ['1', ''], c: [''] });
    assert.deepStrictEqual(asMultiMap([], 'm'), {});
    assert.deepStrictEqual(asMultiMap(undefined, 'm'), {});
  });
  void it('asOptionalBytes turns a 2.x str into bytes', () => {
    assert.deepStrictEqual(asOptionalBytes('é', 'm'), new Uint8Array([0xc3, 0xa9]));
  });
  void it('asOptionalRecord maps an empty Lua table to {} and rejects scalars', () => {
    assert.deepStrictEqual(asOptionalRecord([], 'm'), {});
    assert.throws(() => asOptionalRecord('x', 'kong.router.get_route'), (e: unknown) => e instanceof PdkError && e.code === ErrorCodes.BadResult);
  });
  void it('asQueryArg maps a flag to ""', () => {
    assert.equal(asQueryArg(true, 'm'), '');
    assert.equal(asQueryArg(undefined, 'm'), undefined);
  });
  void it('asUriCaptures rebuilds the array from a 0-based map, sparse keys included', () => {
    assert.deepStrictEqual(asUriCaptures({ unnamed: { 0: '/a', 2: 'b' }, named: {} }, 'm'), { unnamed: ['/a', undefined, 'b'], named: {} });
  });
  void it('asJson reports text that is not JSON', () => {
    assert.throws(() => asJson('{', 'kong.log.serialize'), /kong\.log\.serialize: Kong sent a string that is not JSON/);
  });
});
