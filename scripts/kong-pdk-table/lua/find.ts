/**
 * Searches a Lua syntax tree: statements at any depth, functions by name,
 * table constructors bound to a local, string literals.
 *
 * @module
 */
import type { Block, Expr, FunctionExpr, Stat, TableExpr } from './ast.ts';

/** Every statement of a block, depth first; `intoFunctions: false` stays out of nested function bodies. */
export function* statements(block: Block, intoFunctions = true): Generator<Stat> {
  for (const stat of block) {
    yield stat;
    for (const child of childBlocks(stat, intoFunctions)) yield* statements(child, intoFunctions);
  }
}

function childBlocks(stat: Stat, intoFunctions: boolean): Block[] {
  const out: Block[] = [];
  switch (stat.type) {
    case 'do':
    case 'while':
    case 'repeat':
    case 'fornum':
    case 'forin':
      out.push(stat.body);
      break;
    case 'if':
      out.push(...stat.clauses.map((c) => c.body));
      if (stat.orelse !== undefined) out.push(stat.orelse);
      break;
    case 'localfunction':
      if (intoFunctions) out.push(stat.fn.body);
      break;
    default:
      break;
  }
  if (intoFunctions) for (const e of statExprs(stat)) for (const fn of functionsIn(e)) out.push(fn.body);
  return out;
}

/** The expressions a statement holds directly. */
function statExprs(stat: Stat): Expr[] {
  switch (stat.type) {
    case 'local':
      return [...stat.values];
    case 'assign':
      return [...stat.targets, ...stat.values];
    case 'callstat':
      return [stat.call];
    case 'while':
    case 'repeat':
      return [stat.cond];
    case 'if':
      return stat.clauses.map((c) => c.cond);
    case 'fornum':
      return [stat.start, stat.limit, ...(stat.step === undefined ? [] : [stat.step])];
    case 'forin':
      return [...stat.exprs];
    case 'return':
      return [...stat.values];
    default:
      return [];
  }
}

/** Every sub-expression of `e` (itself included), not entering function bodies. */
export function* subExpressions(e: Expr): Generator<Expr> {
  yield e;
  switch (e.type) {
    case 'table':
      for (const f of e.fields) {
        if (f.key !== undefined) yield* subExpressions(f.key);
        yield* subExpressions(f.value);
      }
      return;
    case 'binary':
      yield* subExpressions(e.left);
      yield* subExpressions(e.right);
      return;
    case 'unary':
      yield* subExpressions(e.operand);
      return;
    case 'paren':
      yield* subExpressions(e.inner);
      return;
    case 'index':
      yield* subExpressions(e.object);
      yield* subExpressions(e.key);
      return;
    case 'call':
      yield* subExpressions(e.callee);
      for (const a of e.args) yield* subExpressions(a);
      return;
    case 'method':
      yield* subExpressions(e.object);
      for (const a of e.args) yield* subExpressions(a);
      return;
    default:
      return;
  }
}

/** Function expressions directly inside `e` (not those nested in their bodies). */
function functionsIn(e: Expr): FunctionExpr[] {
  return [...subExpressions(e)].filter((x): x is FunctionExpr => x.type === 'function');
}

/** Every expression of a block at any depth (function bodies included unless told otherwise). */
export function* expressions(block: Block, intoFunctions = true): Generator<Expr> {
  for (const stat of statements(block, intoFunctions)) for (const e of statExprs(stat)) yield* subExpressions(e);
}

/** The last name of a target: `a` for `a`, `b` for `x.b` or `x["b"]`. */
export function lastName(e: Expr): string | undefined {
  if (e.type === 'name') return e.name;
  if (e.type === 'index' && e.key.type === 'string') return e.key.value;
  return undefined;
}

/** A dotted path such as `kong.request.get_header` for a chain of names and constant keys. */
export function dottedPath(e: Expr): string | undefined {
  if (e.type === 'name') return e.name;
  if (e.type !== 'index' || e.key.type !== 'string') return undefined;
  const base = dottedPath(e.object);
  return base === undefined ? undefined : `${base}.${e.key.value}`;
}

/** Functions defined anywhere under the name `name` (`local function name`, `name = function`, `t.name = function`). */
export function functionsNamed(block: Block, name: string): FunctionExpr[] {
  const out: FunctionExpr[] = [];
  for (const stat of statements(block)) {
    if (stat.type === 'localfunction' && stat.name === name) out.push(stat.fn);
    const pairs = stat.type === 'local'
      ? stat.names.map((n, i) => [n, stat.values[i]] as const)
      : stat.type === 'assign'
        ? stat.targets.map((t, i) => [lastName(t), stat.values[i]] as const)
        : [];
    for (const [n, v] of pairs) if (n === name && v?.type === 'function') out.push(v);
  }
  return out;
}

/** Table constructors bound to the local `name` anywhere (`local name = { … }`). */
export function localTables(block: Block, name: string): TableExpr[] {
  const out: TableExpr[] = [];
  for (const stat of statements(block)) {
    if (stat.type !== 'local') continue;
    stat.names.forEach((n, i) => {
      const v = stat.values[i];
      if (n === name && v?.type === 'table') out.push(v);
    });
  }
  return out;
}

/** Whether the block contains the string literal `value` anywhere. */
export function hasString(block: Block, value: string): boolean {
  for (const e of expressions(block)) if (e.type === 'string' && e.value === value) return true;
  return false;
}
