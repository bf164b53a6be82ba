/**
 * A recursive-descent parser for Lua 5.1 (with LuaJIT's `goto`), producing
 * the tree of `ast.ts`. It checks the grammar, not the meaning: it is used
 * to read Kong's sources, which are known to run.
 *
 * @module
 */
import type { Block, Expr, FunctionExpr, IfClause, Stat, TableExpr, TableField } from './ast.ts';
import { LuaSyntaxError, tokenize, type Token } from './lexer.ts';

/** Parses a whole Lua file; `file` names it in errors. */
export function parseLua(source: string, file: string): Block {
  return new Parser(tokenize(source, file), file).chunk();
}

/** Binary operators: [left priority, right priority] as in Lua 5.1. */
const BINARY: Readonly<Record<string, readonly [number, number]>> = {
  or: [1, 1], and: [2, 2],
  '<': [3, 3], '>': [3, 3], '<=': [3, 3], '>=': [3, 3], '~=': [3, 3], '==': [3, 3],
  '..': [5, 4], '+': [6, 6], '-': [6, 6], '*': [7, 7], '/': [7, 7], '%': [7, 7], '^': [10, 9],
};
const UNARY_PRIORITY = 8;

const BLOCK_END = new Set(['end', 'else', 'elseif', 'until', '']);

class Parser {
  readonly #tokens: readonly Token[];
  readonly #file: string;
  #i = 0;

  constructor(tokens: readonly Token[], file: string) {
    this.#tokens = tokens;
    this.#file = file;
  }

  chunk(): Block {
    const body = this.#block();
    if (this.#peek().kind !== 'eof') this.#fail(`unexpected '${this.#peek().text}'`);
    return body;
  }

  #peek(ahead = 0): Token {
    return this.#tokens[Math.min(this.#i + ahead, this.#tokens.length - 1)] as Token;
  }

  #take(): Token {
    const t = this.#peek();
    if (this.#i < this.#tokens.length - 1) this.#i++;
    return t;
  }

  #is(text: string): boolean {
    const t = this.#peek();
    return (t.kind === 'keyword' || t.kind === 'symbol') && t.text === text;
  }

  #accept(text: string): boolean {
    if (!this.#is(text)) return false;
    this.#take();
    return true;
  }

  #expect(text: string): void {
    if (!this.#accept(text)) this.#fail(`'${text}' expected near '${this.#peek().text}'`);
  }

  #name(): string {
    const t = this.#take();
    if (t.kind !== 'name') this.#fail(`name expected near '${t.text}'`);
    return t.text;
  }

  #fail(message: string): never {
    throw new LuaSyntaxError(this.#file, this.#peek().line, message);
  }

  #block(): Block {
    const out: Stat[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.kind === 'eof' || (t.kind === 'keyword' && BLOCK_END.has(t.text))) return out;
      if (this.#is('return')) {
        out.push(this.#return());
        return out;
      }
      const stat = this.#statement();
      if (stat !== undefined) out.push(stat);
    }
  }

  #return(): Stat {
    const line = this.#take().line;
    const t = this.#peek();
    const values = t.kind === 'eof' || (t.kind === 'keyword' && BLOCK_END.has(t.text)) || this.#is(';') ? [] : this.#exprList();
    this.#accept(';');
    return { type: 'return', values, line };
  }

  #statement(): Stat | undefined {
    const t = this.#peek();
    const line = t.line;
    if (this.#accept(';')) return undefined;
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'if': return this.#if();
        case 'while': return this.#while();
        case 'do': {
          this.#take();
          const body = this.#block();
          this.#expect('end');
          return { type: 'do', body, line };
        }
        case 'for': return this.#for();
        case 'repeat': return this.#repeat();
        case 'function': return this.#functionStat();
        case 'local': return this.#local();
        case 'break':
          this.#take();
          return { type: 'break', line };
        case 'goto':
          this.#take();
          this.#name();
          return { type: 'goto', line };
      }
    }
    if (this.#accept('::')) {
      this.#name();
      this.#expect('::');
      return { type: 'label', line };
    }
    return this.#exprStatement();
  }

  #if(): Stat {
    const line = this.#take().line;
    const clauses: IfClause[] = [];
    let orelse: Block | undefined;
    for (;;) {
      const cond = this.#expr();
      this.#expect('then');
      clauses.push({ cond, body: this.#block() });
      if (this.#accept('elseif')) continue;
      if (this.#accept('else')) orelse = this.#block();
      this.#expect('end');
      return { type: 'if', clauses, orelse, line };
    }
  }

  #while(): Stat {
    const line = this.#take().line;
    const cond = this.#expr();
    this.#expect('do');
    const body = this.#block();
    this.#expect('end');
    return { type: 'while', cond, body, line };
  }

  #repeat(): Stat {
    const line = this.#take().line;
    const body = this.#block();
    this.#expect('until');
    return { type: 'repeat', body, cond: this.#expr(), line };
  }

  #for(): Stat {
    const line = this.#take().line;
    const first = this.#name();
    if (this.#accept('=')) {
      const start = this.#expr();
      this.#expect(',');
      const limit = this.#expr();
      const step = this.#accept(',') ? this.#expr() : undefined;
      this.#expect('do');
      const body = this.#block();
      this.#expect('end');
      return { type: 'fornum', name: first, start, limit, step, body, line };
    }
    const names = [first];
    while (this.#accept(',')) names.push(this.#name());
    this.#expect('in');
    const exprs = this.#exprList();
    this.#expect('do');
    const body = this.#block();
    this.#expect('end');
    return { type: 'forin', names, exprs, body, line };
  }

  /** `function a.b.c(...)` or `function a.b:c(...)`: an assignment to the dotted target. */
  #functionStat(): Stat {
    const line = this.#take().line;
    let target: Expr = { type: 'name', name: this.#name(), line };
    let isMethod = false;
    while (this.#is('.') || this.#is(':')) {
      isMethod = this.#take().text === ':';
      target = { type: 'index', object: target, key: { type: 'string', value: this.#name(), line }, line };
      if (isMethod) break;
    }
    const fn = this.#functionBody(line, isMethod);
    return { type: 'assign', targets: [target], values: [fn], line };
  }

  #local(): Stat {
    const line = this.#take().line;
    if (this.#accept('function')) {
      const name = this.#name();
      return { type: 'localfunction', name, fn: this.#functionBody(line, false), line };
    }
    const names = [this.#name()];
    while (this.#accept(',')) names.push(this.#name());
    const values = this.#accept('=') ? this.#exprList() : [];
    return { type: 'local', names, values, line };
  }

  #exprStatement(): Stat {
    const line = this.#peek().line;
    const first = this.#suffixed();
    if (this.#is('=') || this.#is(',')) {
      const targets = [first];
      while (this.#accept(',')) targets.push(this.#suffixed());
      this.#expect('=');
      return { type: 'assign', targets, values: this.#exprList(), line };
    }
    if (first.type !== 'call' && first.type !== 'method') this.#fail('syntax error: a statement cannot be an expression');
    return { type: 'callstat', call: first, line };
  }

  #functionBody(line: number, isMethod: boolean): FunctionExpr {
    this.#expect('(');
    const params: string[] = isMethod ? ['self'] : [];
    if (!this.#is(')')) {
      do {
        if (this.#accept('...')) {
          params.push('...');
          break;
        }
        params.push(this.#name());
      } while (this.#accept(','));
    }
    this.#expect(')');
    const body = this.#block();
    this.#expect('end');
    return { type: 'function', params, body, line };
  }

  #exprList(): Expr[] {
    const out = [this.#expr()];
    while (this.#accept(',')) out.push(this.#expr());
    return out;
  }

  #expr(limit = 0): Expr {
    const t = this.#peek();
    let left: Expr;
    if ((t.kind === 'keyword' && t.text === 'not') || (t.kind === 'symbol' && (t.text === '-' || t.text === '#'))) {
      this.#take();
      left = { type: 'unary', op: t.text, operand: this.#expr(UNARY_PRIORITY), line: t.line };
    } else {
      left = this.#simple();
    }
    for (;;) {
      const op = this.#peek();
      const priority = (op.kind === 'keyword' || op.kind === 'symbol') ? BINARY[op.text] : undefined;
      if (priority === undefined || priority[0] <= limit) return left;
      this.#take();
      const right = this.#expr(priority[1]);
      left = { type: 'binary', op: op.text, left, right, line: op.line };
    }
  }

  #simple(): Expr {
    const t = this.#peek();
    const line = t.line;
    if (t.kind === 'number') return { type: 'number', text: this.#take().text, line };
    if (t.kind === 'string') return { type: 'string', value: this.#take().text, line };
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'nil':
        case 'true':
        case 'false':
          this.#take();
          return { type: t.text, line };
        case 'function':
          this.#take();
          return this.#functionBody(line, false);
      }
    }
    if (this.#accept('...')) return { type: 'vararg', line };
    if (this.#is('{')) return this.#table();
    return this.#suffixed();
  }

  #primary(): Expr {
    const t = this.#peek();
    if (t.kind === 'name') return { type: 'name', name: this.#take().text, line: t.line };
    if (this.#accept('(')) {
      const inner = this.#expr();
      this.#expect(')');
      return { type: 'paren', inner, line: t.line };
    }
    this.#fail(`unexpected '${t.text}'`);
  }

  #suffixed(): Expr {
    let e = this.#primary();
    for (;;) {
      const t = this.#peek();
      const line = t.line;
      if (this.#accept('.')) {
        e = { type: 'index', object: e, key: { type: 'string', value: this.#name(), line }, line };
      } else if (this.#accept('[')) {
        const key = this.#expr();
        this.#expect(']');
        e = { type: 'index', object: e, key, line };
      } else if (this.#accept(':')) {
        const name = this.#name();
        e = { type: 'method', object: e, name, args: this.#callArgs(), line };
      } else if (this.#is('(') || this.#is('{') || t.kind === 'string') {
        e = { type: 'call', callee: e, args: this.#callArgs(), line };
      } else {
        return e;
      }
    }
  }

  #callArgs(): Expr[] {
    const t = this.#peek();
    if (t.kind === 'string') return [{ type: 'string', value: this.#take().text, line: t.line }];
    if (this.#is('{')) return [this.#table()];
    this.#expect('(');
    if (this.#accept(')')) return [];
    const args = this.#exprList();
    this.#expect(')');
    return args;
  }

  #table(): TableExpr {
    const line = this.#peek().line;
    this.#expect('{');
    const fields: TableField[] = [];
    while (!this.#is('}')) {
      if (this.#accept('[')) {
        const key = this.#expr();
        this.#expect(']');
        this.#expect('=');
        fields.push({ key, value: this.#expr() });
      } else if (this.#peek().kind === 'name' && this.#peek(1).kind === 'symbol' && this.#peek(1).text === '=') {
        const keyToken = this.#take();
        this.#take();
        fields.push({ key: { type: 'string', value: keyToken.text, line: keyToken.line }, value: this.#expr() });
      } else {
        fields.push({ key: undefined, value: this.#expr() });
      }
      if (!this.#accept(',') && !this.#accept(';')) break;
    }
    this.#expect('}');
    return { type: 'table', fields, line };
  }
}
