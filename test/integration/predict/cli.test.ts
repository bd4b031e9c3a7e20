// `faultline predict …` as a real process on a small git repository built here (fixed dates, known fixes).
// The command is registered into the program the same way main.ts does, from dist/ (run `npm run build` first).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIST = resolve(__dirname, '../../../dist');
const DAY = 86_400;
const START = Date.UTC(2022, 0, 3) / 1000;

let root: string;
let repo: string;
let runner: string;

function git(args: string[], time?: number): void {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x' };
  if (time !== undefined) Object.assign(env, { GIT_AUTHOR_DATE: `@${time} +0000`, GIT_COMMITTER_DATE: `@${time} +0000` });
  execFileSync('git', args, { cwd: repo, env, stdio: 'pipe' });
}

/** 24 modules over 420 days; modules 0–7 are "risky": they grow fast and get a fix (a changed line) every ~3 weeks. */
function buildRepo(): void {
  git(['init', '-q', '-b', 'main']);
  const lines: string[][] = Array.from({ length: 24 }, (_, i) => [`// module ${i}`, `export function f${i}(a) {`, '  return a;', '}']);
  const write = (i: number): void => writeFileSync(join(repo, 'src', `m${i}.js`), lines[i]!.join('\n') + '\n');
  mkdirSync(join(repo, 'src'));
  for (let i = 0; i < 24; i++) write(i);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'initial'], START);
  let n = 0;
  for (let day = 2; day < 420; day += 2) {
    const t = START + day * DAY;
    const i = n % 3 === 0 ? 8 + ((n * 7) % 16) : n % 8;
    const risky = i < 8;
    const fix = risky && n % 5 === 0 && lines[i]!.length > 6;
    if (fix) {
      const k = 4 + (n % (lines[i]!.length - 5));
      lines[i]![k] = `  if (a === ${n}) { return null; } // fixed`;
    } else {
      for (let j = 0; j < (risky ? 4 : 1); j++) lines[i]!.splice(lines[i]!.length - 1, 0, `  if (a > ${n * 10 + j}) { a = a - 1; }`);
    }
    write(i);
    git(['add', '-A']);
    git(['commit', '-q', '-m', fix ? `fix: wrong branch in m${i} (#${n})` : `feat: more of m${i}`], t);
    n++;
  }
}

function faultline(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [runner, '--json', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(DIST, 'cli/commands/predict.js'))) throw new Error('run `npx tsc -p tsconfig.json` first: dist/cli/commands/predict.js is missing');
  root = mkdtempSync(join(tmpdir(), 'fl-predict-cli-'));
  repo = join(root, 'repo');
  mkdirSync(repo);
  buildRepo();
  runner = join(DIST, '../bin/faultline.js');
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('faultline predict (CLI, real git repository)', () => {
  it('predict eval --json prints one object with the model, every candidate and the four baselines', () => {
    const r = faultline(['predict', 'eval', '--repo', repo, '--horizon', '45d']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ level: 'file', horizonDays: 45, labels: 'szz' });
    expect(j.files).toBeGreaterThanOrEqual(20);
    expect(j.positives).toBeGreaterThan(0);
    for (const f of [j.model, ...Object.values(j.baselines)] as Record<string, number>[]) {
      for (const k of ['rocAuc', 'prAuc', 'recallAt20Loc', 'popt', 'precisionAt10']) expect(typeof f[k]).toBe('number');
    }
    expect(Object.keys(j.baselines).sort()).toEqual(['churn', 'fixes', 'hotspot', 'loc']);
    expect(j.szz.fixes).toBeGreaterThan(10);
    expect(j.szz.traced).toBeGreaterThan(0);
  });

  it('predict eval --level commit scores the change model beside LApredict', () => {
    const r = faultline(['predict', 'eval', '--level', 'commit', '--repo', repo, '--horizon', '45d', '--models', 'logistic']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.level).toBe('commit');
    expect(j.baselines.laPredict.rocAuc).toBeGreaterThanOrEqual(0);
    expect(j.features).toContain('la');
  });

  it('predict ranks failure points with the default model when the history is short, and writes predictions.json', () => {
    const r = faultline(['predict', '--repo', repo, '--top', '4', '--horizon', '45d']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.model.source).toBe('default');
    expect(j.points).toHaveLength(4);
    for (const p of j.points) {
      expect(p.path).toMatch(/^src\/m\d+\.js$/);
      expect(p.confidence).toBeGreaterThan(0);
      expect(p.confidence).toBeLessThan(1);
      expect(['high', 'medium', 'low']).toContain(p.severity);
    }
    const saved = JSON.parse(readFileSync(join(root, '.faultline', 'predictions.json'), 'utf8'));
    expect(saved.points).toEqual(j.points);
  });

  it('predict change HEAD gives a probability with its top features', () => {
    const r = faultline(['predict', 'change', 'HEAD', '--repo', repo]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.probability).toBeGreaterThanOrEqual(0);
    expect(j.probability).toBeLessThanOrEqual(1);
    expect(j.target).toMatch(/^[0-9a-f]{40}$/);
  });

  it('predict change --diff scores an uncommitted diff', () => {
    const diff = join(root, 'change.diff');
    writeFileSync(diff, ['diff --git a/src/m1.js b/src/m1.js', '--- a/src/m1.js', '+++ b/src/m1.js', '@@ -1,2 +1,3 @@', ' // module 1', '+// more', ' export function f1(a) {', ''].join('\n'));
    const r = faultline(['predict', 'change', '--diff', diff, '--repo', repo]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.target).toBe(diff);
    expect(j.probability).toBeGreaterThanOrEqual(0);
    expect(j.probability).toBeLessThanOrEqual(1);
  });

  it('predict change lists the failure points of the touched files from a predictions file; a named missing file exits 2', () => {
    const diff = join(root, 'change2.diff');
    writeFileSync(diff, ['diff --git a/src/m1.js b/src/m1.js', '--- a/src/m1.js', '+++ b/src/m1.js', '@@ -1,2 +1,3 @@', ' // module 1', '+// more', ' export function f1(a) {', ''].join('\n'));
    const point = (path: string, confidence: number) => ({ path, line: 2, fn: 'f', failureType: 'logic', confidence, severity: 'medium', topFeatures: [], evidence: [] });
    const preds = join(root, 'preds.json');
    writeFileSync(preds, JSON.stringify({ points: [point('src/m2.js', 0.9), point('src/m1.js', 0.4), point('src/m1.js', 0.7)] }));
    const r = faultline(['predict', 'change', '--diff', diff, '--repo', repo, '--predictions', preds]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.touchedFiles).toEqual(['src/m1.js']);
    expect(j.touchedFailurePoints.map((p: { path: string; confidence: number }) => [p.path, p.confidence])).toEqual([['src/m1.js', 0.7], ['src/m1.js', 0.4]]);
    const missing = faultline(['predict', 'change', '--diff', diff, '--repo', repo, '--predictions', join(root, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.message).toMatch(/--predictions/);
  });

  it('predict train refuses a history with too few fixed files (exit 2, FL_ERR_PREDICT_HISTORY); bad options exit 2', () => {
    const r = faultline(['predict', 'train', '--repo', repo, '--horizon', '45d']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('FL_ERR_PREDICT_HISTORY');
    const bad = faultline(['predict', 'eval', '--repo', repo, '--horizon', 'soon']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT' });
  });
});
