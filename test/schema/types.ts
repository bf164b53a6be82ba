/**
 * Compile-time checks of the types a config declaration gives: this file only
 * has to compile (`tsc`), nothing in it runs.
 *
 * @module
 */
import { Config, field, type FieldSpec, type InferConfig } from '../../schema/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

const fields = {
  s: field.string(),
  sd: field.string({ default: 'x' }),
  sr: field.string({ required: true }),
  lit: field.string({ one_of: ['a', 'b'], default: 'a' }),
  n: field.number({ between: [0, 1] }),
  i: field.integer({ default: 3 }),
  litn: field.integer({ one_of: [1, 2], required: true }),
  b: field.boolean({ default: false }),
  arr: field.array(field.string(), { default: [] }),
  arrOpt: field.array(field.integer()),
  set: field.set(field.string({ one_of: ['GET', 'POST'] }), { required: true }),
  map: field.map(field.number(), { default: {} }),
  rec: field.record({ a: field.string({ required: true }), b: field.integer() }, { required: true }),
  recs: field.array(field.record({ name: field.string({ required: true }) }), { default: [] }),
  nested: field.record({ inner: field.record({ deep: field.boolean({ default: true }) }, { required: true }) }),
};

type C = InferConfig<typeof fields>;
expectType<Equal<C['s'], string | undefined>>(true);
expectType<Equal<C['sd'], string>>(true);
expectType<Equal<C['sr'], string>>(true);
expectType<Equal<C['lit'], 'a' | 'b'>>(true);
expectType<Equal<C['n'], number | undefined>>(true);
expectType<Equal<C['i'], number>>(true);
expectType<Equal<C['litn'], 1 | 2>>(true);
expectType<Equal<C['b'], boolean>>(true);
expectType<Equal<C['arr'], string[]>>(true);
expectType<Equal<C['arrOpt'], number[] | undefined>>(true);
expectType<Equal<C['set'], ('GET' | 'POST')[]>>(true);
expectType<Equal<C['map'], Record<string, number>>>(true);
expectType<Equal<C['rec'], { a: string; b: number | undefined }>>(true);
expectType<Equal<C['recs'], { name: string }[]>>(true);
expectType<Equal<C['nested'], { inner: { deep: boolean } } | undefined>>(true);

/** A config class reads its fields with these types. */
export class Typed extends Config(fields) {
  /** Uses the fields as a phase method would. */
  check(): string {
    const a: string = this.sd;
    const mode: 'a' | 'b' = this.lit;
    const first: string | undefined = this.arr[0];
    const total: number = Object.values(this.map).reduce((x, y) => x + y, 0);
    const deep: boolean | undefined = this.nested?.inner.deep;
    return `${a}${mode}${first ?? ''}${total}${String(deep)}${this.rec.a}`;
  }
}

field.string({ default: 'x' }) satisfies FieldSpec<string>;
field.array(field.integer()) satisfies FieldSpec<number[] | undefined>;

// @ts-expect-error a string default on an integer field
field.integer({ default: 'x' });
// @ts-expect-error between is not a string attribute
field.string({ between: [1, 2] });
// @ts-expect-error match is not a number attribute
field.number({ match: '^%d$' });
// @ts-expect-error array defaults must have the element type
field.array(field.string(), { default: [1] });
