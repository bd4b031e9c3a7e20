// Characterisation in the refactoring engine, with real git worktrees, real child processes and npm test:
// a TypeScript module whose scoreWords no test looks at. set-lookup keeps its behaviour (pinned, re-checked,
// kept); a "recipe" that flips a comparison passes the tests but not the pinned behaviour (reverted, with the
// input that changed); a function the tests mention is left to them. Then the characteriser on its own: the
// pinned node:test file, unstable functions, calls that never return.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from './repo-git.js';
import { createCharacteriser } from '../../../src/refactor/characterise/characteriser.js';
import { runCheck } from '../../../src/refactor/engine/checks.js';
import { planFixes, runEngine, type EngineDeps } from '../../../src/refactor/engine/engine.js';
import { deleteBranch } from '../../../src/refactor/engine/git.js';
import type { RefactorTarget } from '../../../src/refactor/engine/targets.js';
import { openWorktree } from '../../../src/refactor/engine/workspace.js';
import type { Recipe } from '../../../src/refactor/recipe.js';
import { findRecipe } from '../../../src/refactor/recipes/index.js';


const WORDS = `export interface ScoreOptions {
  min: number;
  bonus?: number;
}

export function scoreWords(words: string[], opts: ScoreOptions): number {
  const stop = ['a', 'an', 'the', ''];
  let score = 0;
  for (const w of words) {
    if (stop.includes(w)) continue;
    if (w.length > opts.min) score += w.length + (opts.bonus ?? 0);
  }
  return score;
}
`;
const GREET = `/** @param {string} name */
export function greet(name) {
  if (name.length > 10) return 'hello';
  return 'hi ' + name;
}
`;
const GREET_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greet } from '../src/greet.js';
test('greets', () => assert.equal(greet('bob'), 'hi bob'));
`;
const PKG = JSON.stringify({ name: 'words', private: true, type: 'module', scripts: { test: 'node --test test/' } });

/** A test-only "recipe": flips the first `>` on the line into `<` (a behaviour change a refactoring must never make). */
const flip: Recipe = {
  id: 'flip-comparison',
  title: 'flip a comparison (a broken refactoring)',
  category: 'structural',
  addresses: { smells: [], failureTypes: [] },
  options: [],
  applies(file, loc) {
    return (file.text.split('\n')[loc.line - 1] ?? '').includes(' > ') ? { ok: true } : { ok: false, reason: 'no > on the line' };
  },
  transform(file, loc) {
    let off = 0;
    for (let l = 1; l < loc.line; l++) off = file.text.indexOf('\n', off) + 1;
    const at = file.text.indexOf(' > ', off);
    return [{ start: at, end: at + 3, newText: ' < ' }];
  },
};
const recipes = (id: string): Recipe | undefined => (id === flip.id ? flip : findRecipe(id));

let tmp: string;
let n = 0;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fl-char-it-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});


function project(files: Record<string, string>): string {
  const repo = join(tmp, `p${++n}`);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, p)), { recursive: true });
    writeFileSync(join(repo, p), text);
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  return repo;
}

const lineCol = (text: string, needle: string): { line: number; col: number } => {
  const at = text.indexOf(needle);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, col: (before[before.length - 1] as string).length + 1 };
};

const target = (o: Partial<RefactorTarget> & Pick<RefactorTarget, 'path' | 'line' | 'recipes'>): RefactorTarget => ({ confidence: 0.8, severity: 'medium', evidence: ['test'], source: 'prediction', ...o });

async function run(repo: string, targets: RefactorTarget[], o: { characterise: boolean }) {
  const runId = `r${++n}-${o.characterise ? 'c' : 'n'}`;
  const base = git(repo, 'rev-parse', 'HEAD');
  const branch = `faultline/refactor/${runId}`;
  const progress: string[] = [];
  const deps: EngineDeps = {
    recipes,
    openWorkspace: () => openWorktree({ repo, dir: join(tmp, `wt-${runId}`), branch, baseCommit: base }),
    checks: (dir) => [{ name: 'test', kind: 'test', command: 'npm', args: ['test', '--silent'], cwd: dir, timeoutMs: 120_000 }],
    runCheck,
    deleteBranch: (b) => deleteBranch(repo, b),
    ...(o.characterise ? { characteriser: createCharacteriser({ runId, runs: 100 }) } : {}),
  };
  const report = await runEngine({ runId, repo, baseCommit: base, targets, outDir: join(tmp, `out-${runId}`), progress: (l) => progress.push(l) }, deps);
  return { report, progress, branch };
}

describe('characterisation in the engine (real worktrees, npm test)', () => {
  let repo: string;
  beforeAll(() => {
    repo = project({ 'package.json': PKG, 'src/words.ts': WORDS, 'src/greet.js': GREET, 'test/greet.test.js': GREET_TEST });
  });

  it('set-lookup keeps the behaviour: the function is pinned on ~100 inputs, re-checked first, and the fix kept; the pinned file is not committed', async () => {
    const at = lineCol(WORDS, 'stop.includes(w)');
    const { report, progress, branch } = await run(repo, [target({ path: 'src/words.ts', ...at, recipes: ['set-lookup'] })], { characterise: true });
    const [fix] = report.fixes;
    expect(fix?.outcome, fix?.reason).toBe('kept');
    const c = fix?.characterisation;
    expect(c).toMatchObject({ characterised: true, fn: { name: 'scoreWords', params: 'words: string[], opts: { min: number; bonus?: number }' }, coverage: { rule: 'test-names', weak: true }, mode: 'exact' });
    expect(c?.pinned?.compared).toBeGreaterThanOrEqual(80);
    expect(c?.pinned?.dropped).toEqual({ unstable: 0, timeout: 0, crashed: 0 });
    // the outcomes vary: the pinned cases are not all the same answer
    expect(new Set(c?.pinned?.cases.map((x) => x.was)).size).toBeGreaterThan(5);
    expect(fix?.checks.map((x) => [x.name, x.ok])).toEqual([
      ['characterisation', true],
      ['test', true],
    ]);
    expect(fix?.checks[0]?.detail).toBe(`${c?.pinned?.compared} pinned input(s): the same behaviour`);
    expect(progress.some((l) => /pinned \d+ input\(s\) of scoreWords in \d+ ms \(seed \d+\)/.test(l))).toBe(true);
    // one commit with the fix and nothing else
    expect(git(repo, 'show', '--name-only', '--format=', branch).split('\n')).toEqual(['src/words.ts']);
    expect(git(repo, 'show', `${branch}:src/words.ts`)).toContain('stopSet.has(w)');
    expect(git(repo, 'log', '-1', '--format=%B', branch)).toMatch(/- characterisation: passed, \d+ pinned input\(s\): the same behaviour/);
    expect(report.timing.characteriseMs).toBeGreaterThan(0);
  }, 120_000);

  it('a comparison flipped by a broken recipe passes the tests, but characterisation reverts it and names an input', async () => {
    const at = lineCol(WORDS, 'if (w.length > opts.min)');
    const t = target({ path: 'src/words.ts', line: at.line, recipes: ['flip-comparison'] });
    // without characterisation the tests (which never call scoreWords) let it through
    const blind = await run(repo, [t], { characterise: false });
    expect(blind.report.fixes[0]?.outcome).toBe('kept');
    git(repo, 'branch', '-D', blind.branch);

    const { report } = await run(repo, [t], { characterise: true });
    const [fix] = report.fixes;
    expect(fix?.outcome).toBe('reverted');
    expect(fix?.reason).toMatch(/^characterisation: \d+ of \d+ pinned inputs changed behaviour, e\.g\. scoreWords\(\[.*\], \{.*\}\) returned \S+, now returns \S+$/);
    const [changed, total] = (/(\d+) of (\d+)/.exec(fix?.reason ?? '') ?? []).slice(1).map(Number);
    expect(changed).toBeGreaterThan(0);
    expect(total).toBe(fix?.characterisation?.pinned?.compared);
    expect(fix?.checks.map((x) => [x.name, x.ok])).toEqual([
      ['characterisation', false],
      ['test', null],
    ]);
    expect(report.branch).toBeUndefined();
  }, 120_000);

  it('a function the tests mention is left to them (not characterised, rule test-names)', async () => {
    const at = lineCol(GREET, 'if (name.length > 10)');
    const { report } = await run(repo, [target({ path: 'src/greet.js', line: at.line, recipes: ['flip-comparison'] })], { characterise: true });
    const [fix] = report.fixes;
    expect(fix?.characterisation).toMatchObject({ characterised: false, coverage: { rule: 'test-names', weak: false } });
    expect(fix?.characterisation?.reason).toBe('strongly covered (test/greet.test.js mentions greet): its tests pin it already');
    // and the tests do catch the flip
    expect(fix?.outcome).toBe('reverted');
    expect(fix?.reason).toMatch(/^test failed after the change/);
  }, 120_000);

  it('the dry run says which targets would be characterised and why, and runs nothing', async () => {
    const base = git(repo, 'rev-parse', 'HEAD');
    const report = await planFixes({
      runId: 'dry',
      repo,
      baseCommit: base,
      targets: [target({ path: 'src/words.ts', ...lineCol(WORDS, 'stop.includes(w)'), recipes: ['set-lookup'] }), target({ path: 'src/greet.js', line: lineCol(GREET, 'name.length > 10').line, recipes: ['flip-comparison'] })],
      read: (p) => readFileSync(join(repo, p), 'utf8'),
      recipes,
      characteriser: createCharacteriser({ runId: 'dry' }),
    });
    expect(report.fixes.map((f) => [f.characterisation?.characterised, f.characterisation?.fn?.name])).toEqual([
      [true, 'scoreWords'],
      [false, 'greet'],
    ]);
    expect(report.fixes[0]?.characterisation?.pinned).toBeUndefined();
    expect(existsSync(join(repo, '.faultline-characterisation'))).toBe(false);
  }, 60_000);
});

describe('the characteriser on its own', () => {
  const MODULE = `let calls = 0;

export function double(n: number): number {
  if (n < 0) throw new RangeError('negative: ' + n);
  return n * 2;
}

export function counter(n: number): number {
  calls++;
  return n + calls;
}

export function spin(n: number): number {
  if (n === 3) while (true) {}
  return n;
}

export async function later(n: number): Promise<number> {
  if (n > 5) await new Promise(() => {});
  return n;
}
`;
  const pinIn = async (name: string, runs = 60) => {
    const dir = join(tmp, `solo-${++n}`);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src/m.ts'), MODULE);
    const c = createCharacteriser({ runId: `solo-${n}`, runs, seed: 7 });
    const d = await c.decide({ path: 'src/m.ts', line: lineCol(MODULE, `function ${name}(`).line + 1 }, { dir, text: MODULE }, { id: 'guard-clause', category: 'structural' });
    expect(d.characterise, d.reason).toBe(true);
    return { dir, pin: await c.pin(d, { dir, path: 'src/m.ts', fixId: `x-${n}` }) };
  };

  it('writes a node:test file that passes on the pinned code and fails, naming the input, when the behaviour changes', async () => {
    const { dir, pin } = await pinIn('double');
    if (!pin.ok) throw new Error(pin.reason);
    expect(pin.pinned.cases.some((x) => x.outcome.kind === 'threw' && /RangeError: negative/.test(x.was))).toBe(true);
    expect(pin.pinned.cases.some((x) => x.outcome.kind === 'returned')).toBe(true);
    const file = pin.pinned.testFile;
    expect(file).toBe(join(dir, '.faultline-characterisation', `x-${n}-double.pinned.mjs`));
    const before = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(before.status, before.stdout + before.stderr).toBe(0);
    expect(await runCheck(pin.check)).toMatchObject({ ok: true, kind: 'characterisation' });
    // a changed error message is a changed behaviour
    writeFileSync(join(dir, 'src/m.ts'), MODULE.replace("'negative: '", "'below zero: '"));
    const after = await runCheck(pin.check);
    expect(after.ok).toBe(false);
    expect(after.detail.split('\n')[0]).toMatch(/^\d+ of \d+ pinned inputs changed behaviour, e\.g\. double\(-?[\d.e+-]+\) threw RangeError: negative: .*, now throws RangeError: below zero: /);
    expect(readFileSync(join(dir, '.faultline-characterisation/.gitignore'), 'utf8')).toMatch(/^\*$/m);
  }, 60_000);

  it('skips a function whose outcome changes from one call to the next: nondeterministic', async () => {
    const { pin } = await pinIn('counter', 30);
    expect(pin.ok).toBe(false);
    const m = /^nondeterministic: (\d+) of (\d+) inputs gave different outcomes on two runs \(e\.g\. counter\(.*\) returned .*, then returned .*\)$/.exec(pin.ok ? '' : pin.reason);
    expect(m, pin.ok ? 'pinned' : pin.reason).not.toBeNull();
    // every input but NaN (NaN + calls is NaN whatever calls is) changes between the two runs
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(Number(m?.[2]) - 2);
  }, 60_000);

  it('drops the inputs on which the function never returns (a blocked process, a promise that never settles) and pins the rest', async () => {
    const spin = await pinIn('spin', 80);
    if (!spin.pin.ok) throw new Error(spin.pin.reason);
    expect(spin.pin.pinned.dropped.timeout).toBe(1);
    expect(spin.pin.pinned.cases.some((x) => x.call === 'spin(3)')).toBe(false);
    expect(spin.pin.pinned.pinned).toBe(spin.pin.pinned.generated - 1);

    const later = await pinIn('later', 40);
    if (!later.pin.ok) throw new Error(later.pin.reason);
    expect(later.pin.pinned.dropped.timeout).toBeGreaterThan(0);
    expect(later.pin.pinned.cases.every((x) => x.outcome.kind === 'resolved')).toBe(true);
  }, 60_000);

  it('a module that cannot be imported is skipped with the import error', async () => {
    const dir = join(tmp, `solo-${++n}`);
    mkdirSync(join(dir, 'src'), { recursive: true });
    const text = `import { missing } from './nowhere.js';\nexport function f(n: number): number {\n  return n + missing;\n}\n`;
    writeFileSync(join(dir, 'src/bad.ts'), text);
    const c = createCharacteriser({ runId: 'bad' });
    const d = await c.decide({ path: 'src/bad.ts', line: 3 }, { dir, text }, { id: 'guard-clause', category: 'structural' });
    const pin = await c.pin(d, { dir, path: 'src/bad.ts', fixId: 'bad-01' });
    expect(pin.ok ? '' : pin.reason).toMatch(/^the module cannot be imported in isolation: .*nowhere/);
  }, 60_000);
});

