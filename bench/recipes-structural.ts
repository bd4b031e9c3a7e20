/**
 * Structural recipes over real code: tries guard-clause at every `if`, hoist-loop-invariant at every `for`,
 * set-lookup at every `.includes(` call, in the production files of real repositories (bare mirrors at HEAD).
 * Measures applied/refused, new syntax errors, idempotence, and for .ts files new type errors in a one-file
 * program (before/after diagnostics compared by code and message).
 * Run: npx tsx bench/recipes-structural.ts path/to/<owner>/<name> ...
 */
import { execFileSync } from 'node:child_process';
import ts from 'typescript';
import { applyEdits, lineCol, mapOffset } from '../src/refactor/edits.js';
import { findRecipeOrThrow } from '../src/refactor/recipes/index.js';
import { parse, syntaxErrors } from '../src/refactor/ts.js';
import { newTypeErrors } from '../test/unit/refactor/harness.js';

const targets: [string, (n: ts.Node) => boolean][] = [
  ['guard-clause', (n) => ts.isIfStatement(n)],
  ['hoist-loop-invariant', (n) => ts.isForStatement(n)],
  ['set-lookup', (n) => ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'includes'],
];
const stats: Record<string, { tried: number; applied: number; newSyntax: number; notIdempotent: number; newTypeErrors: number; typechecked: number; ms: number }> = {};
const EXAMPLES: string[] = [];
for (const repo of process.argv.slice(2)) {
  const files = execFileSync('git', ['--git-dir', repo, 'ls-tree', '-r', '--name-only', 'HEAD'], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n')
    .filter((p) => /\.(ts|js|mjs|cjs)$/.test(p) && !/\.d\.ts$/.test(p) && !/(^|\/)(test|tests|__tests__|docs|examples|benchmarks?|fixtures|types|dist|build)\//.test(p) && !/\.(test|spec)\./.test(p));
  for (const path of files) {
    const text = execFileSync('git', ['--git-dir', repo, 'show', `HEAD:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (text.length > 300_000) continue;
    const sf = parse(path, text);
    for (const [id, pred] of targets) {
      const recipe = findRecipeOrThrow(id);
      const st = (stats[id] ??= { tried: 0, applied: 0, newSyntax: 0, notIdempotent: 0, newTypeErrors: 0, typechecked: 0, ms: 0 });
      const nodes: ts.Node[] = [];
      const visit = (n: ts.Node): void => {
        if (pred(n)) nodes.push(n);
        ts.forEachChild(n, visit);
      };
      visit(sf as unknown as ts.Node);
      for (const n of nodes) {
        const start = n.getStart(sf as unknown as ts.SourceFile);
        const lc = lineCol(text, start);
        const loc = { path, line: lc.line, col: lc.col };
        st.tried++;
        const t0 = performance.now();
        const edits = recipe.transform({ path, text }, loc);
        st.ms += performance.now() - t0;
        if (edits.length === 0) continue;
        st.applied++;
        const after = applyEdits(text, edits);
        if (syntaxErrors(parse(path, after)) > 0) st.newSyntax++;
        const m = lineCol(after, mapOffset(edits, start));
        if (recipe.applies({ path, text: after }, { path, line: m.line, col: m.col }).ok) st.notIdempotent++;
        if (path.endsWith('.ts') && st.typechecked < 60) {
          st.typechecked++;
          const errs = newTypeErrors(path, text, after);
          if (errs.length > 0) {
            st.newTypeErrors++;
            EXAMPLES.push(`${id} ${path}:${lc.line}: ${errs.join(' | ')}`);
          }
        }
      }
    }
  }
  console.error(`${repo}: ${files.length} files`);
}
console.log(JSON.stringify({ stats, examples: EXAMPLES.slice(0, 20) }, null, 1));
