/**
 * The syntax tree the Lua parser builds: Lua 5.1 statements and
 * expressions, with the line each starts on.
 *
 * @module
 */

/** A Lua expression. */
export type Expr =
  | { readonly type: 'nil' | 'true' | 'false' | 'vararg'; readonly line: number }
  | { readonly type: 'number'; readonly text: string; readonly line: number }
  | { readonly type: 'string'; readonly value: string; readonly line: number }
  | FunctionExpr
  | TableExpr
  | { readonly type: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly line: number }
  | { readonly type: 'unary'; readonly op: string; readonly operand: Expr; readonly line: number }
  | { readonly type: 'name'; readonly name: string; readonly line: number }
  | { readonly type: 'index'; readonly object: Expr; readonly key: Expr; readonly line: number }
  | { readonly type: 'call'; readonly callee: Expr; readonly args: readonly Expr[]; readonly line: number }
  | { readonly type: 'method'; readonly object: Expr; readonly name: string; readonly args: readonly Expr[]; readonly line: number }
  | { readonly type: 'paren'; readonly inner: Expr; readonly line: number };

/** `function (params) body end`. */
export interface FunctionExpr {
  readonly type: 'function';
  /** Parameter names; `...` for a vararg; `self` first for a `function a:b()` definition. */
  readonly params: readonly string[];
  readonly body: Block;
  readonly line: number;
}

/** A table constructor: positional items and keyed fields in source order. */
export interface TableExpr {
  readonly type: 'table';
  readonly fields: readonly TableField[];
  readonly line: number;
}

/** One entry of a table constructor: `[k] = v`, `name = v` (key is a string expression) or a positional `v`. */
export interface TableField {
  readonly key: Expr | undefined;
  readonly value: Expr;
}

/** A list of statements. */
export type Block = readonly Stat[];

/** A Lua statement. */
export type Stat =
  | { readonly type: 'local'; readonly names: readonly string[]; readonly values: readonly Expr[]; readonly line: number }
  | { readonly type: 'localfunction'; readonly name: string; readonly fn: FunctionExpr; readonly line: number }
  | { readonly type: 'assign'; readonly targets: readonly Expr[]; readonly values: readonly Expr[]; readonly line: number }
  | { readonly type: 'callstat'; readonly call: Expr; readonly line: number }
  | { readonly type: 'do'; readonly body: Block; readonly line: number }
  | { readonly type: 'while'; readonly cond: Expr; readonly body: Block; readonly line: number }
  | { readonly type: 'repeat'; readonly body: Block; readonly cond: Expr; readonly line: number }
  | { readonly type: 'if'; readonly clauses: readonly IfClause[]; readonly orelse: Block | undefined; readonly line: number }
  | { readonly type: 'fornum'; readonly name: string; readonly start: Expr; readonly limit: Expr; readonly step: Expr | undefined; readonly body: Block; readonly line: number }
  | { readonly type: 'forin'; readonly names: readonly string[]; readonly exprs: readonly Expr[]; readonly body: Block; readonly line: number }
  | { readonly type: 'return'; readonly values: readonly Expr[]; readonly line: number }
  | { readonly type: 'break' | 'goto' | 'label'; readonly line: number };

/** One `if`/`elseif` condition and its block. */
export interface IfClause {
  readonly cond: Expr;
  readonly body: Block;
}
