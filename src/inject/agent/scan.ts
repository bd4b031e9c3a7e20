/**
 * A small tokenizer-aware scan of an ES module's source that finds its exported bindings.
 * It understands comments, strings, template literals (with nested `${}`), regular-expression literals
 * (by the usual previous-token rule) and bracket nesting; it does not build a syntax tree. When the
 * source does not tokenize cleanly (unbalanced brackets, unterminated literal) the scan reports why and
 * the caller leaves the module untouched.
 */

export type DeclKind = 'function' | 'class' | 'let' | 'var' | 'const';

export interface ExportedBinding {
  /** the module-level binding name */
  local: string;
  /** the names other modules import it by (`default` included) */
  exported: string[];
  kind: DeclKind;
  /** offset of the `const` keyword when kind is 'const' (rewritten to `let ` so the binding can be re-bound) */
  constAt?: number;
}

export type ScanResult = { ok: true; bindings: ExportedBinding[] } | { ok: false; reason: string };

const enum T {
  Name,
  Punct,
  Literal,
}

interface Tok {
  t: T;
  /** text for names and punctuators; '' for literals */
  v: string;
  start: number;
  /** bracket depth before the token (after it, for closing brackets) */
  depth: number;
  /** a line break separates it from the previous token */
  nl: boolean;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await', 'extends',
]);

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 36 || c === 95 || c >= 0x80 || c === 92;
}
function isIdPart(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isLineEnd(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

class ScanError extends Error {}

/** Tokens at bracket depth 0 and 1 (all that export discovery needs). Throws ScanError. */
function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  const stack: string[] = [];
  const n = src.length;
  let i = 0;
  let prevT: T | undefined;
  let prevV = '';
  let nl = false;
  const push = (t: T, v: string, start: number, depth: number): void => {
    prevT = t;
    prevV = v;
    if (depth <= 1) out.push({ t, v, start, depth, nl });
    nl = false;
  };
  const regexAllowed = (): boolean => {
    if (prevT === undefined) return true;
    if (prevT === T.Literal) return false;
    if (prevT === T.Name) return KEYWORDS_BEFORE_EXPRESSION.has(prevV);
    return !(prevV === ')' || prevV === ']' || prevV === '++' || prevV === '--');
  };
  /** scans template characters from i (just after ` or }); returns after the closing ` or after `${` (pushing it) */
  const templateChunk = (start: number): void => {
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 92) {
        i += 2;
      } else if (c === 96) {
        i++;
        push(T.Literal, '', start, stack.length);
        return;
      } else if (c === 36 && src.charCodeAt(i + 1) === 123) {
        i += 2;
        push(T.Punct, '${', start, stack.length);
        stack.push('${');
        return;
      } else {
        i++;
      }
    }
    throw new ScanError('unterminated template literal');
  };

  if (src.startsWith('#!')) {
    while (i < n && !isLineEnd(src.charCodeAt(i))) i++;
  }
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 || (c > 0x1000 && /\s/.test(src[i] as string))) {
      if (isLineEnd(c)) nl = true;
      i++;
      continue;
    }
    const start = i;
    if (c === 47) {
      const d = src.charCodeAt(i + 1);
      if (d === 47) {
        i += 2;
        while (i < n && !isLineEnd(src.charCodeAt(i))) i++;
        continue;
      }
      if (d === 42) {
        const end = src.indexOf('*/', i + 2);
        if (end < 0) throw new ScanError('unterminated block comment');
        if (/[\n\r\u2028\u2029]/.test(src.slice(i, end))) nl = true;
        i = end + 2;
        continue;
      }
      if (regexAllowed()) {
        i++;
        let inClass = false;
        for (;;) {
          if (i >= n) throw new ScanError('unterminated regular expression');
          const r = src.charCodeAt(i);
          if (isLineEnd(r)) throw new ScanError(`unterminated regular expression at offset ${start}`);
          if (r === 92) i += 2;
          else if (r === 91) (inClass = true), i++;
          else if (r === 93) (inClass = false), i++;
          else if (r === 47 && !inClass) {
            i++;
            break;
          } else i++;
        }
        while (i < n && isIdPart(src.charCodeAt(i))) i++;
        push(T.Literal, '', start, stack.length);
        continue;
      }
      i++;
      push(T.Punct, '/', start, stack.length);
      continue;
    }
    if (c === 39 || c === 34) {
      i++;
      for (;;) {
        if (i >= n) throw new ScanError('unterminated string literal');
        const s = src.charCodeAt(i);
        if (s === 92) i += 2;
        else if (s === c) {
          i++;
          break;
        } else if (s === 10 || s === 13) throw new ScanError(`unterminated string literal at offset ${start}`);
        else i++;
      }
      push(T.Literal, '', start, stack.length);
      continue;
    }
    if (c === 96) {
      i++;
      templateChunk(start);
      continue;
    }
    if (c === 123 || c === 40 || c === 91) {
      const ch = src[i] as string;
      push(T.Punct, ch, start, stack.length);
      stack.push(ch);
      i++;
      continue;
    }
    if (c === 125 || c === 41 || c === 93) {
      const ch = src[i] as string;
      const open = stack.pop();
      i++;
      if (ch === '}' && open === '${') {
        templateChunk(start);
        continue;
      }
      const expected = ch === '}' ? '{' : ch === ')' ? '(' : '[';
      if (open !== expected) throw new ScanError(`unbalanced "${ch}" at offset ${start}`);
      push(T.Punct, ch, start, stack.length);
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      const hex = c === 48 && (src[i + 1] === 'x' || src[i + 1] === 'X');
      while (i < n) {
        const d = src.charCodeAt(i);
        if (isIdPart(d) || d === 46) i++;
        else if ((d === 43 || d === 45) && !hex && (src[i - 1] === 'e' || src[i - 1] === 'E')) i++;
        else break;
      }
      push(T.Literal, '', start, stack.length);
      continue;
    }
    if (isIdStart(c) || c === 35) {
      i++;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d === 92) i += 2;
        else if (isIdPart(d)) i++;
        else break;
      }
      push(T.Name, src.slice(start, i), start, stack.length);
      continue;
    }
    // punctuators: only the few multi-character ones that matter for the rules above
    const two = src.slice(i, i + 2);
    if (two === '++' || two === '--' || two === '=>' || (two === '?.' && !isDigit(src.charCodeAt(i + 2)))) {
      i += 2;
      push(T.Punct, two, start, stack.length);
      continue;
    }
    i++;
    push(T.Punct, src[i - 1] as string, start, stack.length);
  }
  if (stack.length > 0) throw new ScanError(`unclosed "${stack[stack.length - 1] ?? ''}" at end of module`);
  return out;
}

interface TopDecl {
  kind: DeclKind;
  constAt?: number;
}

/** Finds the module's exported bindings that can be re-bound from inside the module. */
export function scanModule(source: string): ScanResult {
  let toks: Tok[];
  try {
    toks = tokenize(source);
  } catch (e) {
    if (e instanceof ScanError) return { ok: false, reason: e.message };
    throw e;
  }
  // only depth-0 tokens are statements; depth-1 ones are kept for export clauses
  const top: Tok[] = [];
  const clauseTokens = new Map<number, Tok[]>();
  let currentClause: Tok[] | undefined;
  for (const tk of toks) {
    if (tk.depth === 0) {
      top.push(tk);
      currentClause = tk.t === T.Punct && tk.v === '{' ? [] : undefined;
      if (currentClause) clauseTokens.set(top.length - 1, currentClause);
    } else currentClause?.push(tk);
  }

  const decls = new Map<string, TopDecl>();
  const byLocal = new Map<string, ExportedBinding>();
  const clauses: Array<{ local: string; exported: string }> = [];
  const addExport = (local: string, exported: string, kind: DeclKind, constAt?: number): void => {
    const b = byLocal.get(local);
    if (b) {
      if (!b.exported.includes(exported)) b.exported.push(exported);
      return;
    }
    byLocal.set(local, { local, exported: [exported], kind, ...(constAt === undefined ? {} : { constAt }) });
  };
  const name = (k: number): string | undefined => {
    const tk = top[k];
    return tk && tk.t === T.Name ? tk.v : undefined;
  };
  const punct = (k: number): string | undefined => {
    const tk = top[k];
    return tk && tk.t === T.Punct ? tk.v : undefined;
  };
  /** `function`/`class` here start a declaration, not an expression (automatic semicolons included) */
  const atStatementStart = (k: number): boolean => {
    if (k === 0) return true;
    const p = top[k - 1] as Tok;
    const cur = top[k] as Tok;
    if (p.t === T.Punct) return p.v === ';' || p.v === '}' || (cur.nl && (p.v === ')' || p.v === ']' || p.v === '++' || p.v === '--'));
    if (p.t === T.Name) return p.v === 'export' || p.v === 'default' || (cur.nl && !KEYWORDS_BEFORE_EXPRESSION.has(p.v));
    return cur.nl;
  };
  const afterDot = (k: number): boolean => {
    const p = top[k - 1];
    return p !== undefined && p.t === T.Punct && (p.v === '.' || p.v === '?.');
  };
  /** a declaration starting at k: returns its name, kind and the index after the name */
  const declarationAt = (k: number): { local: string; kind: DeclKind; constAt?: number } | undefined => {
    let j = k;
    if (name(j) === 'async' && name(j + 1) === 'function') j++;
    const w = name(j);
    if (w === 'function') {
      j++;
      if (punct(j) === '*') j++;
      const local = name(j);
      return local === undefined ? undefined : { local, kind: 'function' };
    }
    if (w === 'class') {
      const local = name(j + 1);
      return local === undefined || local === 'extends' ? undefined : { local, kind: 'class' };
    }
    if (w === 'let' || w === 'var' || w === 'const') {
      const local = name(j + 1);
      if (local === undefined || punct(j + 2) !== '=') return undefined;
      return w === 'const' ? { local, kind: w, constAt: (top[j] as Tok).start } : { local, kind: w };
    }
    return undefined;
  };

  for (let k = 0; k < top.length; k++) {
    const tk = top[k] as Tok;
    if (tk.t !== T.Name || afterDot(k)) continue;
    if (tk.v === 'export') {
      if (punct(k + 1) === '{') {
        const clause = clauseTokens.get(k + 1) ?? [];
        // `export { … } from '…'` re-exports another module's bindings: that module instruments itself
        if (name(k + 3) === 'from') continue;
        for (let c = 0; c < clause.length; ) {
          const localTok = clause[c];
          if (!localTok || localTok.t !== T.Name) break;
          let exported = localTok.v;
          c++;
          if (clause[c]?.v === 'as') {
            const ex = clause[c + 1];
            if (ex?.t === T.Name) exported = ex.v;
            c += 2;
          }
          clauses.push({ local: localTok.v, exported });
          if (clause[c]?.v === ',') c++;
        }
        continue;
      }
      const isDefault = name(k + 1) === 'default';
      const d = declarationAt(k + (isDefault ? 2 : 1));
      if (!d) continue;
      if (isDefault && d.kind !== 'function' && d.kind !== 'class') continue;
      decls.set(d.local, d);
      addExport(d.local, isDefault ? 'default' : d.local, d.kind, d.constAt);
      continue;
    }
    const reserved = tk.v === 'const' || tk.v === 'let' || tk.v === 'var';
    if (!reserved && !atStatementStart(k)) continue;
    const d = declarationAt(k);
    if (d && !decls.has(d.local)) decls.set(d.local, d);
  }
  for (const { local, exported } of clauses) {
    const d = decls.get(local);
    // a name not declared at the top level (an import, a destructured binding) cannot be re-bound here
    if (d) addExport(local, exported, d.kind, d.constAt);
  }
  return { ok: true, bindings: [...byLocal.values()] };
}
