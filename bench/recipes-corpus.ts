/**
 * Applies the recipe each smell names, at the smell's location, over the production files of real repositories
 * (bare mirrors read at HEAD), and measures: applied vs refused (and why), new syntax errors (must be 0),
 * idempotence (the second application must refuse), the smell gone at the mapped location, and time per recipe.
 * Run: npx tsx bench/recipes-corpus.ts path/to/<owner>/<name> ... (set INCLUDE_TESTS=1 to include test files)
 */
import { execFileSync } from 'node:child_process';
import { analyzeRepo } from '../src/analyze/code/index.js';
import { detectSmells } from '../src/analyze/code/smells/index.js';
import { languageOf, parseSource } from '../src/analyze/code/ts.js';
import { applyEdits, lineCol, mapOffset, offsetOf, unifiedDiff } from '../src/refactor/edits.js';
import { appendFileSync } from 'node:fs';
const samples = new Map<string, number>();
import { findRecipeOrThrow } from '../src/refactor/recipes/index.js';
import { parse, syntaxErrors } from '../src/refactor/ts.js';

type Row = { applied: number; refused: number; newSyntaxErrors: number; notIdempotent: number; smellRemains: number; ms: number[]; reasons: Map<string, number> };
const rows = new Map<string, Row>();
const row = (id: string): Row => {
  let r = rows.get(id);
  if (!r) rows.set(id, (r = { applied: 0, refused: 0, newSyntaxErrors: 0, notIdempotent: 0, smellRemains: 0, ms: [], reasons: new Map() }));
  return r;
};
const short = (reason: string): string => reason.replace(/`[^`]*`|'[^']*'|"[^"]*"/g, '…').replace(/\b[\w$.]+\(\)/g, 'X()').replace(/\d+/g, 'N').split(/[:;(]/)[0]!.trim().slice(0, 90);

for (const repo of process.argv.slice(2)) {
  const a = await analyzeRepo({ repo, noCache: true, includeTests: process.env.INCLUDE_TESTS === '1' });
  const byFile = new Map<string, typeof a.smells>();
  for (const s of a.smells) byFile.set(s.path, [...(byFile.get(s.path) ?? []), s]);
  let files = 0;
  for (const [path, smells] of byFile) {
    const text = execFileSync('git', ['--git-dir', repo, 'show', `HEAD:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
    files++;
    for (const s of smells) {
      if (s.recipe === undefined) continue;
      const recipe = findRecipeOrThrow(s.recipe);
      const r = row(recipe.id);
      const loc = { path, line: s.line, col: s.col };
      const t0 = performance.now();
      const ok = recipe.applies({ path, text }, loc);
      const edits = ok.ok ? recipe.transform({ path, text }, loc) : [];
      r.ms.push(performance.now() - t0);
      if (!ok.ok) {
        r.refused++;
        const k = short(ok.reason);
        r.reasons.set(k, (r.reasons.get(k) ?? 0) + 1);
        continue;
      }
      r.applied++;
      const after = applyEdits(text, edits);
      const k = (samples.get(recipe.id) ?? 0) + 1; samples.set(recipe.id, k);
      if (process.env.SAMPLES && k % 7 === 1 && k < 60) appendFileSync(process.env.SAMPLES, `### ${recipe.id} ${repo} ${path}:${s.line}:${s.col}\n` + unifiedDiff(path, text, after, 1).split(/\n(?=@@)/).filter((h) => !h.includes('Inserted by faultline')).join('\n') + '\n');
      if (syntaxErrors(parse(path, after)) > syntaxErrors(parse(path, text))) {
        r.newSyntaxErrors++;
        console.error(`SYNTAX ${recipe.id} ${repo} ${path}:${s.line}:${s.col}`);
      }
      const moved = lineCol(after, mapOffset(edits, offsetOf(text, s.line, s.col) as number));
      if (recipe.applies({ path, text: after }, { path, line: moved.line, col: moved.col }).ok) {
        r.notIdempotent++;
        console.error(`IDEMPOTENCE ${recipe.id} ${repo} ${path}:${s.line}:${s.col}`);
      }
      const again = detectSmells(path, parseSource(path, after, languageOf(path) ?? 'ts'), [s.kind]);
      if (again.some((x) => x.line === moved.line && x.col === moved.col)) r.smellRemains++;
    }
  }
  console.error(`${repo}: ${a.smells.length} smells in ${files} files`);
}
const pct = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))] ?? 0;
const out: Record<string, unknown> = {};
for (const [id, r] of [...rows].sort()) {
  out[id] = { applied: r.applied, refused: r.refused, newSyntaxErrors: r.newSyntaxErrors, notIdempotent: r.notIdempotent, smellRemainsAtLocation: r.smellRemains, msMedian: +pct(r.ms, 0.5).toFixed(2), msP95: +pct(r.ms, 0.95).toFixed(2), topRefusals: [...r.reasons].sort((x, y) => y[1] - x[1]).slice(0, 4) };
}
console.log(JSON.stringify({ node: process.version, recipes: out }, null, 1));
