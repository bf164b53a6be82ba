/**
 * An abstract evaluator for Lua: it runs a module's top level and the
 * functions called from it with what is known of each value (see
 * `values.ts`), to learn which fields the tables it builds end up with.
 *
 * Branches whose condition is not known both run; loops run once, except
 * `for … in pairs/ipairs(t)` over a known table, which runs once per entry;
 * calls to functions of the same file run (to a depth limit); everything
 * else is `unknown`. The nginx subsystem (`ngx.config.subsystem`) is the one
 * fact given from outside, so that `if subsystem == "http"` picks a branch.
 *
 * @module
 */
import type { Block, Expr, FunctionExpr, Stat } from './ast.ts';
import {
  NIL, Scope, UNKNOWN, fieldOf, newTable, truthy, union,
  type FunctionValue, type TableValue, type Value,
} from './values.ts';

/** The nginx subsystem a module is loaded in. */
export type Subsystem = 'http' | 'stream';

const MAX_DEPTH = 12;
const MAX_STEPS = 2_000_000;
const MAX_UNROLL = 500;

type Flow = 'normal' | 'return';

/** One function activation: where its possible return values go. */
interface Frame {
  readonly returns: Value[];
}

/** Runs Lua chunks of one file against a root scope holding the globals. */
export class Evaluator {
  readonly root: Scope;
  readonly #file: string;
  readonly #stack: FunctionExpr[] = [];
  #steps = 0;
  /** How many enclosing blocks may or may not run (a branch on an unknown condition, a loop). */
  #uncertain = 0;

  constructor(file: string, subsystem: Subsystem) {
    this.#file = file;
    this.root = new Scope(undefined);
    const ngx = newTable();
    const config = newTable();
    config.fields.set('subsystem', { kind: 'string', value: subsystem });
    ngx.fields.set('config', config);
    this.root.declare('ngx', ngx);
    for (const name of ['setmetatable', 'pairs', 'ipairs', 'error', 'rawset']) this.root.declare(name, { kind: 'builtin', name });
    const table = newTable();
    table.fields.set('insert', { kind: 'builtin', name: 'table.insert' });
    this.root.declare('table', table);
  }

  /** Runs a whole chunk (a file's top level); returns its possible return values and the chunk's scope. */
  runChunk(block: Block): { readonly result: Value; readonly scope: Scope } {
    const scope = new Scope(this.root);
    const frame: Frame = { returns: [] };
    this.#block(block, scope, frame);
    return { result: union(frame.returns), scope };
  }

  /** Calls a function value with the given arguments; returns its (first) result. */
  call(fn: Value, args: readonly Value[]): Value {
    if (fn.kind === 'union') return union(fn.options.map((f) => this.call(f, args)));
    if (fn.kind === 'builtin') return this.#builtin(fn.name, args);
    if (fn.kind !== 'function') return UNKNOWN;
    return this.#invoke(fn, args);
  }

  #invoke(fn: FunctionValue, args: readonly Value[]): Value {
    if (this.#stack.length >= MAX_DEPTH || this.#stack.includes(fn.fn)) return UNKNOWN;
    this.#stack.push(fn.fn);
    try {
      const scope = new Scope(fn.scope);
      fn.fn.params.forEach((p, i) => scope.declare(p, args[i] ?? (p === '...' ? UNKNOWN : NIL)));
      const frame: Frame = { returns: [] };
      const flow = this.#block(fn.fn.body, scope, frame);
      if (flow === 'normal') frame.returns.push(NIL);
      return union(frame.returns);
    } finally {
      this.#stack.pop();
    }
  }

  #builtin(name: string, args: readonly Value[]): Value {
    const [first, second, third] = args;
    if (name === 'setmetatable' && first?.kind === 'table') {
      first.meta = second?.kind === 'table' ? second : second?.kind === 'nil' ? undefined : 'opaque';
      return first;
    }
    if (name === 'rawset' && first?.kind === 'table' && second?.kind === 'string') {
      first.fields.set(second.value, third ?? NIL);
      return first;
    }
    if (name === 'table.insert' && first?.kind === 'table' && second !== undefined) {
      // table.insert(t, v) appends; table.insert(t, pos, v) is rare in a module's set-up: position ignored.
      first.items.push(third ?? second);
    }
    return UNKNOWN;
  }

  #tick(line: number): void {
    if (++this.#steps > MAX_STEPS) throw new Error(`${this.#file}:${line}: evaluation budget exhausted (a loop the evaluator cannot bound?)`);
  }

  #block(block: Block, scope: Scope, frame: Frame): Flow {
    for (const stat of block) if (this.#stat(stat, scope, frame) === 'return') return 'return';
    return 'normal';
  }

  #stat(stat: Stat, scope: Scope, frame: Frame): Flow {
    this.#tick(stat.line);
    switch (stat.type) {
      case 'local': {
        const values = this.#exprs(stat.values, scope);
        stat.names.forEach((n, i) => scope.declare(n, values[i] ?? NIL));
        return 'normal';
      }
      case 'localfunction':
        scope.declare(stat.name, NIL);
        (scope.lookup(stat.name) as { value: Value }).value = { kind: 'function', fn: stat.fn, scope };
        return 'normal';
      case 'assign': {
        const values = this.#exprs(stat.values, scope);
        stat.targets.forEach((t, i) => this.#assign(t, values[i] ?? NIL, scope));
        return 'normal';
      }
      case 'callstat':
        return this.#callStat(stat.call, scope);
      case 'do':
        return this.#block(stat.body, new Scope(scope), frame);
      case 'if':
        return this.#if(stat, scope, frame);
      case 'while':
      case 'repeat':
        this.#maybe(stat.body, scope, frame);
        return 'normal';
      case 'fornum': {
        const inner = new Scope(scope);
        inner.declare(stat.name, { kind: 'number' });
        this.#maybe(stat.body, inner, frame);
        return 'normal';
      }
      case 'forin':
        this.#forIn(stat, scope, frame);
        return 'normal';
      case 'return':
        frame.returns.push(this.#exprs(stat.values, scope)[0] ?? NIL);
        return 'return';
      default:
        return 'normal';
    }
  }

  #callStat(call: Expr, scope: Scope): Flow {
    if (call.type === 'call' && call.callee.type === 'name' && call.callee.name === 'error' && scope.lookup('error')?.value.kind === 'builtin') {
      return 'return';
    }
    this.#expr(call, scope);
    return 'normal';
  }

  #if(stat: Extract<Stat, { type: 'if' }>, scope: Scope, frame: Frame): Flow {
    const flows: Flow[] = [];
    for (const clause of stat.clauses) {
      const cond = truthy(this.#expr(clause.cond, scope));
      if (cond === false) continue;
      flows.push(cond === true ? this.#block(clause.body, new Scope(scope), frame) : this.#maybe(clause.body, scope, frame));
      if (cond === true) return flows.every((f) => f === 'return') ? 'return' : 'normal';
    }
    flows.push(stat.orelse === undefined ? 'normal' : this.#maybe(stat.orelse, scope, frame));
    return flows.every((f) => f === 'return') ? 'return' : 'normal';
  }

  /** Runs a block that may or may not run: fields it sets keep their earlier value as a possibility. */
  #maybe(block: Block, scope: Scope, frame: Frame): Flow {
    this.#uncertain++;
    try {
      return this.#block(block, new Scope(scope), frame);
    } finally {
      this.#uncertain--;
    }
  }

  #forIn(stat: Extract<Stat, { type: 'forin' }>, scope: Scope, frame: Frame): void {
    const first = stat.exprs[0];
    const iterated = first?.type === 'call' && first.callee.type === 'name' ? scope.lookup(first.callee.name)?.value : undefined;
    const subject = first?.type === 'call' ? this.#expr(first.args[0] ?? { type: 'nil', line: 0 }, scope) : UNKNOWN;
    let entries: [Value, Value][] = [[UNKNOWN, UNKNOWN]];
    if (iterated?.kind === 'builtin' && subject.kind === 'table') {
      entries = iterated.name === 'ipairs'
        ? subject.items.map((v): [Value, Value] => [{ kind: 'number' }, v])
        : [...subject.fields].map(([k, v]): [Value, Value] => [{ kind: 'string', value: k }, v]);
      if (iterated.name === 'pairs') entries.push(...subject.items.map((v): [Value, Value] => [{ kind: 'number' }, v]));
    }
    for (const [k, v] of entries.slice(0, MAX_UNROLL)) {
      const inner = new Scope(scope);
      stat.names.forEach((n, i) => inner.declare(n, i === 0 ? k : i === 1 ? v : UNKNOWN));
      this.#block(stat.body, inner, frame);
    }
  }

  #assign(target: Expr, value: Value, scope: Scope): void {
    if (target.type === 'name') {
      const binding = scope.lookup(target.name) ?? this.#global(target.name);
      binding.value = this.#uncertain > 0 ? union([binding.value, value]) : value;
      return;
    }
    if (target.type !== 'index') return;
    const object = this.#expr(target.object, scope);
    const key = this.#expr(target.key, scope);
    if (object.kind === 'table' && key.kind === 'number' && isPosition(key.value)) object.items[key.value - 1] = value;
    if (object.kind !== 'table' || key.kind !== 'string') return;
    const before = object.fields.get(key.value);
    object.fields.set(key.value, this.#uncertain > 0 && before !== undefined ? union([before, value]) : value);
  }

  /** The root-scope binding of a global, created unknown when first assigned. */
  #global(name: string): { value: Value } {
    const existing = this.root.lookup(name);
    if (existing !== undefined) return existing;
    this.root.declare(name, UNKNOWN);
    return this.root.lookup(name) as { value: Value };
  }

  #exprs(exprs: readonly Expr[], scope: Scope): Value[] {
    return exprs.map((e) => this.#expr(e, scope));
  }

  #expr(e: Expr, scope: Scope): Value {
    switch (e.type) {
      case 'nil':
        return NIL;
      case 'true':
      case 'false':
        return { kind: 'boolean', value: e.type === 'true' };
      case 'number':
        return numberValue(e.text);
      case 'string':
        return { kind: 'string', value: e.value };
      case 'vararg':
        return UNKNOWN;
      case 'function':
        return { kind: 'function', fn: e, scope };
      case 'table':
        return this.#table(e, scope);
      case 'name':
        return scope.lookup(e.name)?.value ?? UNKNOWN;
      case 'paren':
        return this.#expr(e.inner, scope);
      case 'index':
        return this.#index(this.#expr(e.object, scope), this.#expr(e.key, scope));
      case 'call':
        return this.call(this.#expr(e.callee, scope), this.#exprs(e.args, scope));
      case 'method':
        this.#expr(e.object, scope);
        this.#exprs(e.args, scope);
        return UNKNOWN;
      case 'unary':
        return this.#unary(e.op, this.#expr(e.operand, scope));
      case 'binary':
        return this.#binary(e.op, e.left, e.right, scope);
    }
  }

  #table(e: Extract<Expr, { type: 'table' }>, scope: Scope): TableValue {
    const t = newTable();
    for (const f of e.fields) {
      const value = this.#expr(f.value, scope);
      if (f.key === undefined) {
        t.items.push(value);
        continue;
      }
      const key = this.#expr(f.key, scope);
      if (key.kind === 'string') t.fields.set(key.value, value);
      else if (key.kind === 'number' && isPosition(key.value)) t.items[key.value - 1] = value;
    }
    return t;
  }

  #index(object: Value, key: Value): Value {
    if (object.kind === 'union') return union(object.options.map((o) => this.#index(o, key)));
    if (object.kind !== 'table') return UNKNOWN;
    if (key.kind === 'number') return isPosition(key.value) ? (object.items[key.value - 1] ?? UNKNOWN) : UNKNOWN;
    if (key.kind !== 'string') return UNKNOWN;
    // A field not seen may still be set by code the evaluator cannot follow: unknown, not nil.
    return fieldOf(object, key.value) ?? UNKNOWN;
  }

  #unary(op: string, v: Value): Value {
    if (op !== 'not') return UNKNOWN;
    const t = truthy(v);
    return t === undefined ? UNKNOWN : { kind: 'boolean', value: !t };
  }

  #binary(op: string, left: Expr, right: Expr, scope: Scope): Value {
    const l = this.#expr(left, scope);
    if (op === 'and' || op === 'or') {
      const t = truthy(l);
      if (t === undefined) return union([l, this.#expr(right, scope)]);
      return (op === 'and') === t ? this.#expr(right, scope) : l;
    }
    const r = this.#expr(right, scope);
    if (op === '==' || op === '~=') {
      const same = primitiveEquals(l, r);
      return same === undefined ? UNKNOWN : { kind: 'boolean', value: (op === '==') === same };
    }
    if (op === '..' && l.kind === 'string' && r.kind === 'string') return { kind: 'string', value: l.value + r.value };
    return UNKNOWN;
  }
}

/** Whether two values are equal, when both are known primitives (or the same table/function). */
function primitiveEquals(a: Value, b: Value): boolean | undefined {
  if (a.kind === 'unknown' || b.kind === 'unknown' || a.kind === 'union' || b.kind === 'union') return undefined;
  if (a.kind === 'number' || b.kind === 'number') return undefined;
  if (a.kind === 'string' && b.kind === 'string') return a.value === b.value;
  if (a.kind === 'boolean' && b.kind === 'boolean') return a.value === b.value;
  if (a.kind === 'nil' && b.kind === 'nil') return true;
  if (a.kind === 'table' || a.kind === 'function' || b.kind === 'table' || b.kind === 'function') return a === b ? true : undefined;
  return a.kind === b.kind ? undefined : false;
}

/** A number literal's value when it is a plain decimal or hex integer. */
function numberValue(text: string): Value {
  if (/^[0-9]+$/.test(text)) return { kind: 'number', value: Number(text) };
  if (/^0[xX][0-9A-Fa-f]+$/.test(text)) return { kind: 'number', value: parseInt(text, 16) };
  return { kind: 'number' };
}

/** Whether a number can index a table's positional items (1 … 10000). */
function isPosition(n: number | undefined): n is number {
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 10_000;
}
