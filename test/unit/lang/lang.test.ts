// The language layer: one TypeScript loader, shared AST helpers, and the patterns a smell and its recipe share.
import { describe, expect, it } from 'vitest';
import type { SmellKind } from '../../../src/core/analysis.js';
import { detectSmells } from '../../../src/analyze/code/smells/index.js';
import * as analyzeTs from '../../../src/analyze/code/ts.js';
import { moduleBindings, walk } from '../../../src/lang/ast.js';
import { insideTryOfFunction, isJsonParseCall, isLogCall, onlyLogs, streamCreation, streamFate } from '../../../src/lang/patterns.js';
import { languageOf, languageOfPath, parse, parseSource, typescript, type TS } from '../../../src/lang/ts.js';
import { findRecipeOrThrow } from '../../../src/refactor/recipes/index.js';
import * as refactorTs from '../../../src/refactor/ts.js';

function nodes<T extends TS.Node>(sf: TS.SourceFile, pred: (n: TS.Node) => n is T): T[] {
  const out: T[] = [];
  walk(sf, (n) => {
    if (pred(n)) out.push(n);
  });
  return out;
}

describe('lang/ts', () => {
  it('is the one loader both stages re-export', () => {
    expect(analyzeTs.typescript).toBe(typescript);
    expect(refactorTs.typescript).toBe(typescript);
    expect(analyzeTs.typescriptLoaded).toBe(refactorTs.typescriptLoaded);
  });

  it("keeps each stage's language rules: languageOf is undefined off source files, languageOfPath defaults to ts", () => {
    expect(languageOf('a/b.mjs')).toBe('mjs');
    expect(languageOf('a/README.md')).toBeUndefined();
    expect(languageOf('a.b/Makefile')).toBeUndefined();
    expect(languageOfPath('a/b.mjs')).toBe('js');
    expect(languageOfPath('a/b.cts')).toBe('ts');
    expect(languageOfPath('a/README.md')).toBe('ts');
  });

  it('parses with the language of the path or the one given, counting recovered syntax errors', () => {
    expect(parseSource('a.ts', 'const a = ;', 'ts').parseErrors).toBeGreaterThan(0);
    expect(parseSource('a.tsx', 'const a = <div/>;', 'tsx').parseErrors).toBe(0);
    expect(refactorTs.syntaxErrors(parse('a.jsx', 'const a = <div/>;'))).toBe(0);
  });
});

describe('lang/patterns', () => {
  it('sees logging calls the same way for every caller', () => {
    const sf = parse('a.ts', 'console.error(e); this.deps.logger.warn(e); debug(e); save(e); res.log(e);');
    const calls = sf.statements.map((s) => (s as TS.ExpressionStatement).expression);
    expect(calls.map((c) => isLogCall(c, sf))).toEqual([true, true, true, false, false]);
    expect(onlyLogs(sf.statements.slice(0, 3), sf)).toBe(true);
    expect(onlyLogs(sf.statements, sf)).toBe(false);
  });

  it('knows a JSON.parse inside a try of its function, looking through synchronous array callbacks only', () => {
    const sf = parse(
      'a.ts',
      `function a(xs: string[]) { try { return xs.map((x) => JSON.parse(x)); } catch { return []; } }
       function b(xs: string[]) { try { setTimeout(() => JSON.parse(xs[0])); } catch {} }
       function c(x: string) { return JSON.parse(x); }`,
    );
    const calls = nodes(sf, isJsonParseCall);
    expect(calls.map((c) => insideTryOfFunction(c))).toEqual([true, false, false]);
  });

  it('follows a created stream to its fate', () => {
    const sf = parse(
      'a.ts',
      `import fs from 'node:fs';
       fs.createReadStream(a).on('error', h);
       pipeline(fs.createReadStream(a), out, cb);
       fs.createReadStream(a).pipe(res);
       const s = fs.createReadStream(a);
       for (let t = fs.createReadStream(a); ; ) {}
       return fs.createReadStream(a);`,
    );
    const bindings = moduleBindings(sf);
    const created = nodes(sf, (n): n is TS.CallExpression => typescript().isCallExpression(n) && streamCreation(n, bindings) !== undefined);
    const fates = created.map((c) => {
      const f = streamFate(c);
      return f.kind === 'variable' ? `variable ${f.name}${f.stmt ? '' : ' (no statement)'}` : f.kind;
    });
    expect(fates).toEqual(['handled', 'handled', 'inline', 'variable s', 'variable t (no statement)', 'escapes']);
  });
});

// A smell and the recipe it names agree on what they match: reported here ⇔ the recipe applies here.
describe('a smell and its recipe agree', () => {
  const cases: { kind: SmellKind; recipe: string; text: string }[] = [
    { kind: 'swallowed-error', recipe: 'handle-error', text: `async function f() { try { await g(); } catch (e) { console.error(e); } }\n` },
    { kind: 'swallowed-error', recipe: 'handle-error', text: `async function f() { try { await g(); } catch (e) { report(e); } }\n` },
    { kind: 'unguarded-json-parse', recipe: 'guard-json-parse', text: `export function f(s: string) { return JSON.parse(s); }\n` },
    { kind: 'unguarded-json-parse', recipe: 'guard-json-parse', text: `export function f(s: string[]) { try { return s.map((x) => JSON.parse(x)); } catch { return []; } }\n` },
    { kind: 'missing-error-listener', recipe: 'add-error-listener', text: `import fs from 'node:fs';\nexport function f(p: string) { const s = fs.createReadStream(p); s.resume(); }\n` },
    { kind: 'missing-error-listener', recipe: 'add-error-listener', text: `import fs from 'node:fs';\nexport function f(p: string) { const s = fs.createReadStream(p); s.on('error', () => {}); }\n` },
    // the two cases where they used to disagree: a chained creation kept in a variable, a property of the same name
    { kind: 'missing-error-listener', recipe: 'add-error-listener', text: `import fs from 'node:fs';\nexport function f(p: string) { const s = fs.createReadStream(p).setEncoding('utf8'); s.resume(); }\n` },
    { kind: 'missing-error-listener', recipe: 'add-error-listener', text: `import fs from 'node:fs';\nexport function f(p: string, o: { s: number }) { const s = fs.createReadStream(p); o.s = 1; s.resume(); }\n` },
    { kind: 'missing-error-listener', recipe: 'add-error-listener', text: `import fs from 'node:fs';\nexport function f(p: string) { const s = fs.createReadStream(p); return s; }\n` },
    { kind: 'missing-error-listener', recipe: 'add-error-listener', text: `import fs from 'node:fs';\nexport function f(p: string) { const s = fs.createReadStream(p); return { s }; }\n` },
  ];
  for (const c of cases) {
    it(`${c.kind} ↔ ${c.recipe}: ${c.text.trim().slice(0, 70)}`, () => {
      const path = 'src/app.ts';
      const smells = detectSmells(path, parseSource(path, c.text, 'ts'), [c.kind]);
      const recipe = findRecipeOrThrow(c.recipe);
      const sf = parse(path, c.text);
      // every place of the pattern: catch clauses, JSON.parse calls, stream creations
      const t = typescript();
      const places = nodes(sf, (n): n is TS.Node => t.isCatchClause(n) || isJsonParseCall(n) || (t.isCallExpression(n) && /createReadStream/.test(n.expression.getText(sf))));
      expect(places.length).toBeGreaterThan(0);
      for (const p of places) {
        const lc = sf.getLineAndCharacterOfPosition(p.getStart(sf));
        const loc = { path, line: lc.line + 1, col: lc.character + 1 };
        const reported = smells.some((s) => s.line === loc.line && s.col === loc.col);
        expect(recipe.applies({ path, text: c.text }, loc).ok).toBe(reported);
      }
    });
  }
});
