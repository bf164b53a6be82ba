/**
 * A tokenizer for Lua 5.1 as LuaJIT reads it (plus `goto` and `::labels::`),
 * enough to parse Kong's PDK and plugin-server sources. Comments are
 * dropped; string literals carry their decoded value.
 *
 * @module
 */

/** What a token is. */
export type TokenKind = 'name' | 'keyword' | 'string' | 'number' | 'symbol' | 'eof';

/** One token and the line it starts on. */
export interface Token {
  readonly kind: TokenKind;
  /** The name, keyword, symbol, the number's source text, or a string's decoded value. */
  readonly text: string;
  readonly line: number;
}

const KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
]);

/** Symbols, longest first so that `...` wins over `..` and `.`. */
const SYMBOLS = ['...', '..', '==', '~=', '<=', '>=', '::', '+', '-', '*', '/', '%', '^', '#', '<', '>', '=', '(', ')', '{', '}', '[', ']', ';', ':', ',', '.'];

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'", '\n': '\n',
};

/** A syntax error in Lua source, with the file and line. */
export class LuaSyntaxError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'LuaSyntaxError';
  }
}

/** Splits Lua source into tokens; `file` names the source in errors. */
export function tokenize(source: string, file: string): Token[] {
  return new Lexer(source, file).run();
}

class Lexer {
  readonly #src: string;
  readonly #file: string;
  #pos = 0;
  #line = 1;
  readonly #tokens: Token[] = [];

  constructor(source: string, file: string) {
    // A first line starting with '#' (a shebang) is not Lua.
    this.#src = source.startsWith('#') ? source.replace(/^#[^\n]*/, '') : source;
    this.#file = file;
  }

  run(): Token[] {
    for (;;) {
      this.#skipSpaceAndComments();
      if (this.#pos >= this.#src.length) break;
      this.#tokens.push(this.#next());
    }
    this.#tokens.push({ kind: 'eof', text: '', line: this.#line });
    return this.#tokens;
  }

  #fail(message: string): never {
    throw new LuaSyntaxError(this.#file, this.#line, message);
  }

  #skipSpaceAndComments(): void {
    const src = this.#src;
    while (this.#pos < src.length) {
      const c = src[this.#pos];
      if (c === '\n') {
        this.#line++;
        this.#pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.#pos++;
      } else if (src.startsWith('--', this.#pos)) {
        this.#pos += 2;
        const level = this.#longBracketLevel();
        if (level >= 0) this.#readLongBracket(level);
        else while (this.#pos < src.length && src[this.#pos] !== '\n') this.#pos++;
      } else {
        return;
      }
    }
  }

  /** At `[`, `[=`, … `[==[`: the number of `=`; -1 when no long bracket starts here. */
  #longBracketLevel(): number {
    const m = /^\[(=*)\[/.exec(this.#src.slice(this.#pos, this.#pos + 64));
    return m?.[1] === undefined ? -1 : m[1].length;
  }

  /** Reads a long bracket of `level` at the current position; returns its content. */
  #readLongBracket(level: number): string {
    const close = `]${'='.repeat(level)}]`;
    const start = this.#pos + level + 2;
    const end = this.#src.indexOf(close, start);
    if (end < 0) this.#fail('unfinished long string or comment');
    let content = this.#src.slice(start, end);
    this.#line += content.split('\n').length - 1;
    this.#pos = end + close.length;
    if (content.startsWith('\r\n')) content = content.slice(2);
    else if (content.startsWith('\n')) content = content.slice(1);
    return content;
  }

  #next(): Token {
    const src = this.#src;
    const c = src[this.#pos] ?? '';
    const line = this.#line;
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(this.#pos, this.#pos + 256)) as RegExpExecArray;
      this.#pos += m[0].length;
      return { kind: KEYWORDS.has(m[0]) ? 'keyword' : 'name', text: m[0], line };
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[this.#pos + 1] ?? ''))) return this.#number(line);
    if (c === '"' || c === "'") return { kind: 'string', text: this.#shortString(c), line };
    if (c === '[') {
      const level = this.#longBracketLevel();
      if (level >= 0) return { kind: 'string', text: this.#readLongBracket(level), line };
    }
    const symbol = SYMBOLS.find((s) => src.startsWith(s, this.#pos));
    if (symbol === undefined) this.#fail(`unexpected character ${JSON.stringify(c)}`);
    this.#pos += symbol.length;
    return { kind: 'symbol', text: symbol, line };
  }

  #number(line: number): Token {
    const rest = this.#src.slice(this.#pos, this.#pos + 128);
    const m =
      /^0[xX][0-9A-Fa-f]*(\.[0-9A-Fa-f]*)?([pP][+-]?[0-9]+)?(ULL|LL|i)?/i.exec(rest) ??
      /^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?(ULL|LL|i)?/i.exec(rest);
    if (m === null) this.#fail('malformed number');
    this.#pos += m[0].length;
    return { kind: 'number', text: m[0], line };
  }

  #shortString(quote: string): string {
    const src = this.#src;
    let out = '';
    this.#pos++;
    for (;;) {
      const c = src[this.#pos];
      if (c === undefined || c === '\n') this.#fail('unfinished string');
      this.#pos++;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      out += this.#escape();
    }
  }

  /** After a backslash: the character(s) the escape stands for. */
  #escape(): string {
    const src = this.#src;
    const e = src[this.#pos] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      if (e === '\n') this.#line++;
      this.#pos++;
      return simple;
    }
    if (/[0-9]/.test(e)) {
      const m = /^[0-9]{1,3}/.exec(src.slice(this.#pos, this.#pos + 3)) as RegExpExecArray;
      this.#pos += m[0].length;
      return String.fromCharCode(Number(m[0]));
    }
    if (e === 'x') {
      const hex = src.slice(this.#pos + 1, this.#pos + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) this.#fail('bad \\x escape');
      this.#pos += 3;
      return String.fromCharCode(parseInt(hex, 16));
    }
    if (e === 'z') {
      this.#pos++;
      while (/\s/.test(src[this.#pos] ?? '')) {
        if (src[this.#pos] === '\n') this.#line++;
        this.#pos++;
      }
      return '';
    }
    if (e === 'u' && src[this.#pos + 1] === '{') {
      const close = src.indexOf('}', this.#pos);
      const code = parseInt(src.slice(this.#pos + 2, close), 16);
      this.#pos = close + 1;
      return String.fromCodePoint(code);
    }
    this.#fail(`invalid escape \\${e}`);
  }
}
