/**
 * Lua patterns, as Kong's `match`, `not_match`, `match_all`, `match_none`
 * and `match_any` validators use them (`value:match(pattern)` in LuaJIT).
 *
 * A faithful port of the matching machine of Lua 5.1's `lstrlib.c`, which
 * LuaJIT 2.1 shares (including `%g` and the `%f` frontier). Lua strings are
 * byte strings: subject and pattern are matched as their UTF-8 bytes and the
 * character classes follow the C locale, so bytes above 127 belong to no
 * class (`%a` does not match `é`).
 *
 * @module
 */

/** A pattern that Lua would reject with a run-time error (`malformed pattern …`). */
export class LuaPatternError extends Error {
  constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, LuaPatternError.prototype);
    Object.defineProperty(this, 'name', { value: 'LuaPatternError', enumerable: false });
  }
}

const L_ESC = 0x25; // '%'
const MAX_CAPTURES = 32;
const CAP_UNFINISHED = -1;
const CAP_POSITION = -2;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isAlpha = (c: number): boolean => isLower(c) || isUpper(c);
const isAlnum = (c: number): boolean => isAlpha(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isCntrl = (c: number): boolean => c < 0x20 || c === 0x7f;
const isGraph = (c: number): boolean => c > 0x20 && c < 0x7f;
const isPunct = (c: number): boolean => isGraph(c) && !isAlnum(c);
const isXdigit = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

function matchClass(c: number, cl: number): boolean {
  let res: boolean;
  switch (cl | 0x20) {
    case 0x61: res = isAlpha(c); break; // a
    case 0x63: res = isCntrl(c); break; // c
    case 0x64: res = isDigit(c); break; // d
    case 0x67: res = isGraph(c); break; // g
    case 0x6c: res = isLower(c); break; // l
    case 0x70: res = isPunct(c); break; // p
    case 0x73: res = isSpace(c); break; // s
    case 0x75: res = isUpper(c); break; // u
    case 0x77: res = isAlnum(c); break; // w
    case 0x78: res = isXdigit(c); break; // x
    case 0x7a: res = c === 0; break; // z
    default: return cl === c;
  }
  return isUpper(cl) ? !res : res;
}

/** `class_end` of lstrlib.c: the index just past the single-char class at `p`. */
function classEnd(pat: Uint8Array, p: number): number {
  const c = pat[p++] ?? 0;
  if (c === L_ESC) {
    if (p >= pat.length) throw new LuaPatternError("malformed pattern (ends with '%')");
    return p + 1;
  }
  if (c === 0x5b) {
    // '['
    if (pat[p] === 0x5e) p++;
    do {
      if (p >= pat.length) throw new LuaPatternError("malformed pattern (missing ']')");
      const cc = pat[p++];
      if (cc === L_ESC && p < pat.length) p++;
    } while ((pat[p] ?? 0) !== 0x5d);
    return p + 1;
  }
  return p;
}

/** `matchbracketclass` of lstrlib.c: `[` is at `p`, `]` at `ec`. */
function matchBracketClass(pat: Uint8Array, c: number, p: number, ec: number): boolean {
  let sig = true;
  if (pat[p + 1] === 0x5e) {
    sig = false;
    p++;
  }
  while (++p < ec) {
    const pc = pat[p] ?? 0;
    if (pc === L_ESC) {
      p++;
      if (matchClass(c, pat[p] ?? 0)) return sig;
    } else if (pat[p + 1] === 0x2d && p + 2 < ec) {
      p += 2;
      if (pc <= c && c <= (pat[p] ?? 0)) return sig;
    } else if (pc === c) {
      return sig;
    }
  }
  return !sig;
}

function singleMatch(pat: Uint8Array, c: number, p: number, ep: number): boolean {
  const pc = pat[p] ?? 0;
  switch (pc) {
    case 0x2e: return true; // '.'
    case L_ESC: return matchClass(c, pat[p + 1] ?? 0);
    case 0x5b: return matchBracketClass(pat, c, p, ep - 1);
    default: return pc === c;
  }
}

interface Capture {
  init: number;
  len: number;
}

/** One matching run: the state of `MatchState` in lstrlib.c. */
class Matcher {
  readonly #s: Uint8Array;
  readonly #p: Uint8Array;
  #level = 0;
  readonly #captures: Capture[] = [];
  #steps = 0;

  constructor(subject: Uint8Array, pattern: Uint8Array) {
    this.#s = subject;
    this.#p = pattern;
  }

  /** Byte of the pattern at `i`, or 0 past its end (C strings end with NUL). */
  #pc(i: number): number {
    return this.#p[i] ?? 0;
  }

  #sc(i: number): number {
    return this.#s[i] ?? 0;
  }

  /** Runs `str:match(pattern)` and says whether it returned a value. */
  run(): boolean {
    let p = 0;
    const anchor = this.#pc(0) === 0x5e; // '^'
    if (anchor) p = 1;
    let s1 = 0;
    do {
      this.#level = 0;
      if (this.#match(s1, p) !== -1) {
        for (let i = 0; i < this.#level; i++) {
          if (this.#captures[i]?.len === CAP_UNFINISHED) throw new LuaPatternError('unfinished capture');
        }
        return true;
      }
      s1++;
    } while (s1 <= this.#s.length && !anchor);
    return false;
  }

  #matchBalance(s: number, p: number): number {
    if (p + 1 >= this.#p.length) throw new LuaPatternError('unbalanced pattern');
    if (s >= this.#s.length || this.#sc(s) !== this.#pc(p)) return -1;
    const b = this.#pc(p);
    const e = this.#pc(p + 1);
    let cont = 1;
    while (++s < this.#s.length) {
      const c = this.#sc(s);
      if (c === e) {
        if (--cont === 0) return s + 1;
      } else if (c === b) {
        cont++;
      }
    }
    return -1;
  }

  #maxExpand(s: number, p: number, ep: number): number {
    let i = 0;
    while (s + i < this.#s.length && singleMatch(this.#p, this.#sc(s + i), p, ep)) i++;
    while (i >= 0) {
      const res = this.#match(s + i, ep + 1);
      if (res !== -1) return res;
      i--;
    }
    return -1;
  }

  #minExpand(s: number, p: number, ep: number): number {
    for (;;) {
      const res = this.#match(s, ep + 1);
      if (res !== -1) return res;
      if (s < this.#s.length && singleMatch(this.#p, this.#sc(s), p, ep)) s++;
      else return -1;
    }
  }

  #startCapture(s: number, p: number, what: number): number {
    if (this.#level >= MAX_CAPTURES) throw new LuaPatternError('too many captures');
    this.#captures[this.#level] = { init: s, len: what };
    this.#level++;
    const res = this.#match(s, p);
    if (res === -1) this.#level--;
    return res;
  }

  #endCapture(s: number, p: number): number {
    let l = -1;
    for (let i = this.#level - 1; i >= 0; i--) {
      if (this.#captures[i]?.len === CAP_UNFINISHED) {
        l = i;
        break;
      }
    }
    const cap = this.#captures[l];
    if (cap === undefined) throw new LuaPatternError('invalid pattern capture');
    cap.len = s - cap.init;
    const res = this.#match(s, p);
    if (res === -1) cap.len = CAP_UNFINISHED;
    return res;
  }

  #matchCapture(s: number, digit: number): number {
    const l = digit - 0x31;
    const cap = this.#captures[l];
    if (l < 0 || l >= this.#level || cap === undefined || cap.len === CAP_UNFINISHED) {
      throw new LuaPatternError('invalid capture index');
    }
    // lstrlib compares as size_t: a position capture (-2) never matches.
    const len = cap.len;
    if (len === CAP_POSITION || this.#s.length - s < len) return -1;
    for (let i = 0; i < len; i++) if (this.#sc(cap.init + i) !== this.#sc(s + i)) return -1;
    return s + len;
  }

  /** `match` of lstrlib.c: the end of the match of pattern `p` at `s`, or -1. */
  #match(s: number, p: number): number {
    if (++this.#steps > 5_000_000) throw new LuaPatternError('pattern too complex');
    for (;;) {
      if (p >= this.#p.length) return s;
      const pc = this.#pc(p);
      if (pc === 0x28) {
        // '('
        if (this.#pc(p + 1) === 0x29) return this.#startCapture(s, p + 2, CAP_POSITION);
        return this.#startCapture(s, p + 1, CAP_UNFINISHED);
      }
      if (pc === 0x29) return this.#endCapture(s, p + 1); // ')'
      if (pc === L_ESC) {
        const next = this.#pc(p + 1);
        if (next === 0x62) {
          // %b
          s = this.#matchBalance(s, p + 2);
          if (s === -1) return -1;
          p += 4;
          continue;
        }
        if (next === 0x66) {
          // %f
          p += 2;
          if (this.#pc(p) !== 0x5b) throw new LuaPatternError("missing '[' after '%f' in pattern");
          const ep = classEnd(this.#p, p);
          const prev = s === 0 ? 0 : this.#sc(s - 1);
          if (!matchBracketClass(this.#p, prev, p, ep - 1) && matchBracketClass(this.#p, this.#sc(s), p, ep - 1)) {
            p = ep;
            continue;
          }
          return -1;
        }
        if (isDigit(next)) {
          s = this.#matchCapture(s, next);
          if (s === -1) return -1;
          p += 2;
          continue;
        }
      } else if (pc === 0x24 && p + 1 === this.#p.length) {
        // '$' at the end
        return s === this.#s.length ? s : -1;
      }
      const ep = classEnd(this.#p, p);
      const m = s < this.#s.length && singleMatch(this.#p, this.#sc(s), p, ep);
      switch (this.#pc(ep)) {
        case 0x3f: {
          // '?'
          if (m) {
            const res = this.#match(s + 1, ep + 1);
            if (res !== -1) return res;
          }
          p = ep + 1;
          continue;
        }
        case 0x2a: return this.#maxExpand(s, p, ep); // '*'
        case 0x2b: return m ? this.#maxExpand(s + 1, p, ep) : -1; // '+'
        case 0x2d: return this.#minExpand(s, p, ep); // '-'
        default:
          if (!m) return -1;
          s++;
          p = ep;
      }
    }
  }
}

const encoder = new TextEncoder();

/**
 * Whether `subject:match(pattern)` returns a value in LuaJIT.
 *
 * @throws {@link LuaPatternError} where Lua raises an error for the pattern.
 */
export function luaMatch(subject: string, pattern: string): boolean {
  return new Matcher(encoder.encode(subject), encoder.encode(pattern)).run();
}

/**
 * Checks a pattern's syntax the way Lua would while matching it, without
 * depending on a subject: unbalanced brackets, a trailing `%`, `%b` without
 * its two characters, `%f` without a set, bad captures or back-references.
 * Returns the problem, or `undefined` for a well-formed pattern.
 */
export function luaPatternProblem(pattern: string): string | undefined {
  const p = encoder.encode(pattern);
  let i = p[0] === 0x5e ? 1 : 0;
  const closed: boolean[] = [];
  try {
    while (i < p.length) {
      const c = p[i] ?? 0;
      if (c === 0x28) {
        if (closed.length >= MAX_CAPTURES) return 'too many captures';
        const position = p[i + 1] === 0x29;
        closed.push(position);
        i += position ? 2 : 1;
        continue;
      }
      if (c === 0x29) {
        const open = closed.lastIndexOf(false);
        if (open === -1) return 'invalid pattern capture';
        closed[open] = true;
        i++;
        continue;
      }
      if (c === L_ESC) {
        const n = p[i + 1];
        if (n === undefined) return "malformed pattern (ends with '%')";
        if (n === 0x62) {
          if (i + 3 >= p.length) return 'unbalanced pattern';
          i += 4;
          continue;
        }
        if (n === 0x66) {
          if (p[i + 2] !== 0x5b) return "missing '[' after '%f' in pattern";
          i = classEnd(p, i + 2);
          continue;
        }
        if (isDigit(n)) {
          if (closed[n - 0x31] !== true) return 'invalid capture index';
          i += 2;
          continue;
        }
      }
      i = classEnd(p, i);
      const q = p[i];
      if (q === 0x3f || q === 0x2a || q === 0x2b || q === 0x2d) i++;
    }
  } catch (err) {
    if (err instanceof LuaPatternError) return err.message;
    throw err;
  }
  if (closed.includes(false)) return 'unfinished capture';
  return undefined;
}
