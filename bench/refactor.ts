/**
 * bench/refactor: what the refactoring engine costs, against the floor in the same run.
 *  - recipe application per file: locate the target, the recipe's precondition + transform (parse included),
 *    apply the edits, the unified diff — `prepareFix`, what the engine does per fix before any command runs;
 *    on the smells of a generated project, and with --repo PATH on the smells of a real repository at HEAD
 *    (read from git, nothing written);
 *  - the engine per fix (runEngine with the real worktree, git and checks: worktree add, node_modules link,
 *    baseline, recipe, patch, test run, commit or revert, record, worktree removal) against the bare floor:
 *    `git worktree add` + the same test command + `git worktree remove`, once per fix. Its overhead outside the
 *    user's test command is the engine's wall time minus the time inside the checks (baseline included).
 * The generated project: FILES modules with one unguarded JSON.parse each (guard-json-parse applies) and a
 * `node --test` suite; the test command is `npm test`, as the CLI runs it.
 *
 * Run: npx tsx bench/refactor.ts [--files N] [--fixes N] [--repo PATH] [--json FILE]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { analyzeRepo } from '../src/analyze/code/index.js';
import type { Smell } from '../src/core/analysis.js';
import { FileLocator, gitOps, openWorktree, prepareFix, runCheck, runEngine, selectTargets, type CheckSpec } from '../src/refactor/engine/index.js';
import { fromSmell } from '../src/refactor/engine/sources.js';
import { findRecipe } from '../src/refactor/recipes/index.js';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const FILES = Number(argValue('files') ?? 40);
const FIXES = Number(argValue('fixes') ?? 8);
const REAL = argValue('repo');
const JSON_FILE = argValue('json');

const tmp = mkdtempSync(join(os.tmpdir(), 'faultline-bench-refactor-'));
const git = (repo: string, ...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' } });

function stats(xs: number[]): { n: number; medianMs: number; p90Ms: number; meanMs: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
  return { n: s.length, medianMs: +q(0.5).toFixed(3), p90Ms: +q(0.9).toFixed(3), meanMs: +(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)).toFixed(3) };
}

/** A module of ~120 lines with one unguarded JSON.parse in a handler, and filler functions around it. */
function moduleText(i: number): string {
  const filler = Array.from({ length: 12 }, (_, k) => `export function helper${i}_${k}(items) {\n  let total = 0;\n  for (const it of items) {\n    if (it.kind === 'a${k}') total += it.value;\n    else if (it.kind === 'b${k}') total -= it.value;\n  }\n  return total;\n}\n`).join('\n');
  return `import { readFileSync } from 'node:fs';\n\n${filler}\nexport function handle${i}(raw) {\n  const body = JSON.parse(raw);\n  return { id: body.id, n: ${i} };\n}\n`;
}

function buildProject(): string {
  const repo = join(tmp, 'project');
  mkdirSync(join(repo, 'src'), { recursive: true });
  mkdirSync(join(repo, 'test'), { recursive: true });
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'bench', private: true, type: 'module', scripts: { test: 'node --test' } }));
  for (let i = 0; i < FILES; i++) writeFileSync(join(repo, 'src', `m${i}.js`), moduleText(i));
  writeFileSync(join(repo, 'test', 'm.test.js'), `import { test } from 'node:test';\nimport assert from 'node:assert';\n${Array.from({ length: FILES }, (_, i) => `import { handle${i} } from '../src/m${i}.js';`).join('\n')}\ntest('handlers', () => {\n${Array.from({ length: FILES }, (_, i) => `  assert.equal(handle${i}('{"id":"x"}').n, ${i});`).join('\n')}\n});\n`);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'bench project');
  return repo;
}

/** prepareFix on each smell's file at HEAD (each file fresh: one fix per file), after a warm-up pass. */
async function recipeTimes(repo: string, smells: readonly Smell[]): Promise<{ perFile: ReturnType<typeof stats>; applied: number; refused: number; lines: number }> {
  const head = git(repo, 'rev-parse', 'HEAD').trim();
  const texts = new Map<string, string>();
  for (const s of smells) if (!texts.has(s.path)) texts.set(s.path, (await gitOps.showFile(repo, head, s.path)) ?? '');
  const once = (s: Smell): { ms: number; ok: boolean } => {
    const t = performance.now();
    const r = prepareFix(fromSmell(s), texts.get(s.path), new FileLocator(), findRecipe, {});
    return { ms: performance.now() - t, ok: r.ok };
  };
  for (const s of smells.slice(0, 20)) once(s); // warm-up: the compiler loads, the JIT settles
  const ms: number[] = [];
  let applied = 0;
  for (const s of smells) {
    const r = once(s);
    ms.push(r.ms);
    if (r.ok) applied++;
  }
  const lines = [...texts.values()].reduce((a, t) => a + t.split('\n').length, 0);
  return { perFile: stats(ms), applied, refused: smells.length - applied, lines };
}

const result: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, git: execFileSync('git', ['--version'], { encoding: 'utf8' }).trim() },
  method: { files: FILES, fixes: FIXES, testCommand: 'npm test (node --test)' },
};
try {
  const repo = buildProject();
  const analysis = await analyzeRepo({ repo, rev: 'HEAD', noCache: true });
  const smells = analysis.smells.filter((s) => s.recipe === 'guard-json-parse');
  result.recipe = { generated: { smells: smells.length, ...(await recipeTimes(repo, smells)) } };
  if (REAL) {
    const real = await analyzeRepo({ repo: REAL, rev: 'HEAD', noCache: true });
    const withRecipe = real.smells.filter((s) => s.recipe !== undefined && findRecipe(s.recipe) !== undefined);
    (result.recipe as Record<string, unknown>).real = { repo: REAL, smells: withRecipe.length, ...(await recipeTimes(REAL, withRecipe)) };
  }

  // the floor: git worktree add + the test command + git worktree remove, once per fix
  const test = (cwd: string): CheckSpec => ({ name: 'test', kind: 'test', command: 'npm', args: ['test'], cwd, timeoutMs: 120_000 });
  await runCheck(test(repo)); // warm the page cache and npm
  const bare: number[] = [];
  const bareTest: number[] = [];
  for (let i = 0; i < FIXES; i++) {
    const dir = join(tmp, `bare-${i}`);
    const t = performance.now();
    git(repo, 'worktree', 'add', '--quiet', '-b', `bare/${i}`, dir, 'HEAD');
    const r = await runCheck(test(dir));
    git(repo, 'worktree', 'remove', '--force', dir);
    bare.push(performance.now() - t);
    bareTest.push(r.ms);
    if (!r.ok) throw new Error(`the bench project's tests fail: ${r.detail}`);
  }

  // the engine, FIXES fixes
  const runId = `bench-${Date.now()}`;
  const sel = selectTargets(smells.map((s) => fromSmell(s)), { maxFixes: FIXES });
  const t0 = performance.now();
  const report = await runEngine(
    { runId, repo, baseCommit: git(repo, 'rev-parse', 'HEAD').trim(), targets: sel.selected, outDir: join(tmp, 'out', runId) },
    {
      recipes: findRecipe,
      openWorkspace: () => openWorktree({ repo, dir: join(tmp, 'wt', runId), branch: `faultline/refactor/${runId}`, baseCommit: git(repo, 'rev-parse', 'HEAD').trim() }),
      checks: (dir) => [test(dir)],
      runCheck,
      deleteBranch: (b) => gitOps.deleteBranch(repo, b),
    },
  );
  const wallMs = performance.now() - t0;
  const fixes = report.fixes.length;
  const enginePerFix = wallMs / fixes;
  const overheadPerFix = (wallMs - report.timing.checksMs) / fixes;
  const bareMedian = stats(bare).medianMs;
  result.engine = {
    fixes,
    kept: report.summary.kept,
    wallMs: Math.round(wallMs),
    checksMs: Math.round(report.timing.checksMs),
    baselineMs: Math.round(report.timing.baselineMs),
    gitMs: Math.round(report.timing.gitMs),
    recipeMs: +report.timing.recipeMs.toFixed(1),
    perFixMs: Math.round(enginePerFix),
    overheadOutsideTestsPerFixMs: Math.round(overheadPerFix),
  };
  result.bare = { worktreeAddTestRemove: stats(bare), testOnly: stats(bareTest) };
  result.ratios = {
    enginePerFixVsBare: +(enginePerFix / bareMedian).toFixed(2),
    overheadOutsideTestsVsBare: +(overheadPerFix / bareMedian).toFixed(3),
  };

  const rc = result.recipe as { generated: { perFile: { medianMs: number; p90Ms: number }; lines: number; smells: number }; real?: { perFile: { medianMs: number; p90Ms: number }; smells: number; applied: number; refused: number } };
  const lines = [
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}`,
    `recipe application per file (prepareFix: parse, precondition, transform, apply, diff), generated ${FILES} files × ~${Math.round(rc.generated.lines / FILES)} lines: median ${rc.generated.perFile.medianMs} ms, p90 ${rc.generated.perFile.p90Ms} ms`,
    ...(rc.real ? [`recipe application per file, ${REAL} (${rc.real.smells} smells with a recipe, ${rc.real.applied} applied, ${rc.real.refused} refused): median ${rc.real.perFile.medianMs} ms, p90 ${rc.real.perFile.p90Ms} ms`] : []),
    `bare floor per fix (git worktree add + npm test + git worktree remove): median ${bareMedian.toFixed(0)} ms (test alone ${stats(bareTest).medianMs.toFixed(0)} ms)`,
    `engine: ${fixes} fixes (${report.summary.kept} kept) in ${Math.round(wallMs)} ms = ${Math.round(enginePerFix)} ms per fix; inside checks ${Math.round(report.timing.checksMs)} ms (baseline ${Math.round(report.timing.baselineMs)} ms), git ${Math.round(report.timing.gitMs)} ms, recipes ${report.timing.recipeMs.toFixed(1)} ms`,
    `engine overhead outside the test command: ${Math.round(overheadPerFix)} ms per fix`,
    `ratios: engine per fix / bare = ${(enginePerFix / bareMedian).toFixed(2)}×; overhead outside tests / bare = ${(overheadPerFix / bareMedian).toFixed(3)}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (JSON_FILE) writeFileSync(JSON_FILE, JSON.stringify(result, null, 2));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
