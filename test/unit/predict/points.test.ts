import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CodeAnalysis } from '../../../src/core/analysis.js';
import { SMELL_KINDS } from '../../../src/core/analysis.js';
import { identityCalibrator } from '../../../src/predict/calibrate.js';
import { FILE_FEATURES, fileRows, functionRows, isPredictablePath } from '../../../src/predict/dataset.js';
import { parseLocation, readChaosEvidence, repoPath } from '../../../src/predict/feedback.js';
import { fitLogistic } from '../../../src/predict/models/index.js';
import { choosePredictor, MIN_POSITIVES, predictAtHead, readPredictor, trainOnHistory } from '../../../src/predict/own.js';
import { failurePoints, failureTypeOfFault, failureTypeOfSmell, severityOf } from '../../../src/predict/points.js';
import { predictor, predictorToJson } from '../../../src/predict/train.js';
import { appendRun } from '../../../src/store/runs.js';
import { syntheticRepo } from './synthetic.js';

const analysis: CodeAnalysis = {
  files: [
    {
      path: 'src/api.ts',
      language: 'ts',
      loc: 120,
      functions: [
        { name: 'handler', line: 1, endLine: 60, cyclomatic: 12, cognitive: 20, loc: 55, maxNesting: 4, params: 2 },
        { name: 'handler.inner', line: 20, endLine: 30, cyclomatic: 2, cognitive: 1, loc: 9, maxNesting: 1, params: 1 },
        { name: 'tiny', line: 70, endLine: 72, cyclomatic: 1, cognitive: 0, loc: 2, maxNesting: 0, params: 0 },
      ],
      cyclomatic: 15,
      maxCyclomatic: 12,
      cognitive: 21,
      maxNesting: 4,
      imports: ['src/db.ts'],
      parseErrors: 0,
    },
    { path: 'src/db.ts', language: 'ts', loc: 40, functions: [], cyclomatic: 1, maxCyclomatic: 1, cognitive: 0, maxNesting: 0, imports: [], parseErrors: 0 },
    { path: 'test/api.test.ts', language: 'ts', loc: 40, functions: [], cyclomatic: 1, maxCyclomatic: 1, cognitive: 0, maxNesting: 0, imports: [], parseErrors: 0 },
  ],
  smells: [
    { kind: 'no-timeout', path: 'src/api.ts', line: 25, col: 5, fn: 'handler.inner', message: 'fetch() without a timeout' },
    { kind: 'unguarded-json-parse', path: 'src/api.ts', line: 40, col: 3, fn: 'handler', message: 'JSON.parse without try/catch', recipe: 'guard-json-parse' },
  ],
  graph: [
    { path: 'src/api.ts', fanIn: 0, fanOut: 1, pageRank: 0.3 },
    { path: 'src/db.ts', fanIn: 1, fanOut: 0, pageRank: 0.7 },
  ],
  stats: { files: 3, parsed: 3, fromCache: 0, ms: 1 },
};

describe('predict dataset', () => {
  it('one row per predictable file, features in FILE_FEATURES order, counts through log1p', () => {
    const rows = fileRows(analysis, [{ path: 'src/api.ts', commits: 9, linesAdded: 100, linesDeleted: 20, churn30: 5, churn90: 10, churn365: 50, commits90: 2, authors: 3, recentAuthors: 2, ageDays: 400, daysSinceChange: 3, fixes: 4, bugInducing: 1 }], [
      { path: 'src/api.ts', line: 40, faultKind: 'throw', count: 3 },
      { path: 'src/api.ts', line: 41, faultKind: 'delay', count: 1 },
    ]);
    expect(rows.map((r) => r.path)).toEqual(['src/api.ts', 'src/db.ts']);
    const api = rows[0]!;
    const v = (n: string): number => api.raw[FILE_FEATURES.indexOf(n)] as number;
    expect(v('loc')).toBe(120);
    expect(v('functions')).toBe(3);
    expect(v('maxCognitive')).toBe(20);
    expect(v('maxParams')).toBe(2);
    expect(v('smell:no-timeout')).toBe(1);
    expect(v('smell:unguarded-json-parse')).toBe(1);
    expect(v('fanOut')).toBe(1);
    expect(v('pageRank')).toBeCloseTo(0.9, 12); // × 3 files
    expect(v('fixes')).toBe(4);
    expect(v('hotspot')).toBe(50 * 15);
    expect(v('chaosFailures')).toBe(4);
    expect(v('chaosFaultKinds')).toBe(2);
    expect(api.x[FILE_FEATURES.indexOf('loc')]).toBeCloseTo(Math.log1p(120), 12);
    expect(api.x[FILE_FEATURES.indexOf('pageRank')]).toBeCloseTo(0.9, 12);
    expect(FILE_FEATURES).toHaveLength(api.raw.length);
    expect(FILE_FEATURES.filter((f) => f.startsWith('smell:'))).toHaveLength(SMELL_KINDS.length);
    // a file without history is new: zeros
    expect(rows[1]!.raw[FILE_FEATURES.indexOf('commits')]).toBe(0);
  });
  it('leaves out tests, docs, examples and type declarations', () => {
    expect(isPredictablePath('src/a.ts')).toBe(true);
    expect(isPredictablePath('lib/x.mjs')).toBe(true);
    for (const p of ['test/a.js', 'src/a.test.ts', 'docs/x.js', 'examples/a.js', 'types/index.d.ts', 'src/a.d.ts', 'benchmarks/b.js', 'README.md']) expect(isPredictablePath(p)).toBe(false);
  });
  it('functions inside a file: smells and evidence go to the innermost function', () => {
    const fns = functionRows(analysis, 'src/api.ts', [{ path: 'src/api.ts', line: 71, faultKind: 'throw', count: 5 }]);
    expect(fns.map((f) => f.fn.name)).toEqual(['handler', 'tiny', 'handler.inner']);
    expect(fns.find((f) => f.fn.name === 'handler.inner')?.smells.map((x) => x.kind)).toEqual(['no-timeout']);
    expect(fns.find((f) => f.fn.name === 'handler')?.smells.map((x) => x.kind)).toEqual(['unguarded-json-parse']);
    expect(fns.find((f) => f.fn.name === 'tiny')?.evidence).toHaveLength(1);
  });
});

describe('predict failure points', () => {
  it('failure types from smells and fault kinds; severity from confidence × centrality', () => {
    expect(failureTypeOfSmell('no-timeout')).toBe('timeout');
    expect(failureTypeOfSmell('unguarded-json-parse')).toBe('unhandled-error');
    expect(failureTypeOfSmell('sync-io-on-request-path')).toBe('blocking-io');
    expect(failureTypeOfSmell('unbounded-collection')).toBe('resource-leak');
    expect(failureTypeOfFault('latency')).toBe('timeout');
    expect(failureTypeOfFault('kill')).toBe('crash');
    expect(failureTypeOfFault('throw')).toBe('unhandled-error');
    expect(severityOf(0.9, 1)).toBe('high');
    expect(severityOf(0.15, 0)).toBe('low');
    expect(severityOf(0.15, 9)).toBe('medium');
  });
  it('ranks files by the model, then functions, with type, evidence, top features and recipe', () => {
    // a model that says "more cyclomatic complexity → riskier"
    const X = [0, 1, 2, 3, 4, 5, 6, 7].map((c) => FILE_FEATURES.map((f) => (f === 'cyclomatic' ? c / 2 : 0)));
    const m = fitLogistic(X, [0, 0, 0, 1, 0, 1, 1, 1], { features: FILE_FEATURES });
    const pts = failurePoints(predictor(m, identityCalibrator), analysis, [], { top: 10, functionsPerFile: 2 });
    expect(pts[0]).toMatchObject({ path: 'src/api.ts', fn: 'handler', line: 40, failureType: 'unhandled-error', recipe: 'guard-json-parse' });
    expect(pts[1]).toMatchObject({ path: 'src/api.ts', fn: 'handler.inner', line: 25, failureType: 'timeout', recipe: 'add-timeout' });
    expect(pts[0]!.topFeatures[0]).toMatchObject({ name: 'cyclomatic', value: 15 });
    expect(pts[0]!.evidence.join('\n')).toContain('unguarded-json-parse at line 40');
    expect(pts[0]!.confidence).toBeGreaterThan(pts.find((p) => p.path === 'src/db.ts')!.confidence);
    expect(pts.find((p) => p.path === 'src/db.ts')).toMatchObject({ line: 1, failureType: 'logic' });
  });
});

describe('predict train on own history, default, feedback', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('trains on the repository when it has enough fixed files and predicts failure points at HEAD', async () => {
    const src = syntheticRepo(250, 4);
    const t = await trainOnHistory(src, { seed: 1, candidates: ['logistic', 'gbt'] });
    expect(t.positives).toBeGreaterThanOrEqual(MIN_POSITIVES);
    expect(t.json.format).toBe('faultline-predictor');
    const pts = await predictAtHead(src, t.predictor, { top: 5 });
    expect(pts).toHaveLength(5);
    for (const p of pts) expect(p.confidence).toBeGreaterThanOrEqual(0);
    // saved and read back it predicts the same
    const dir = mkdtempSync(join(tmpdir(), 'fl-predict-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(t.json));
    const back = readPredictor(join(dir, 'model.json'));
    const again = await predictAtHead(src, back.predictor, { top: 5 });
    expect(again.map((p) => p.path)).toEqual(pts.map((p) => p.path));
  });
  it('refuses to train with too few fixed files (FL_ERR_PREDICT_HISTORY) and rejects a bad model file', async () => {
    const src = syntheticRepo(20, 5, 2);
    await expect(trainOnHistory(src)).rejects.toMatchObject({ code: 'FL_ERR_PREDICT_HISTORY' });
    const dir = mkdtempSync(join(tmpdir(), 'fl-predict-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'bad.json'), '{"format":"x"}');
    expect(() => readPredictor(join(dir, 'bad.json'))).toThrow(expect.objectContaining({ code: 'FL_ERR_PREDICT_MODEL' }));
    expect(() => readPredictor(join(dir, 'none.json'))).toThrow(expect.objectContaining({ code: 'FL_ERR_PREDICT_MODEL' }));
  });
  it('reads chaos evidence from the record of runs and makes failed files positive, weighted', async () => {
    const state = mkdtempSync(join(tmpdir(), 'fl-predict-state-'));
    dirs.push(state);
    const repo = '/repo';
    mkdirSync(join(state, 'runs', 'r1'), { recursive: true });
    const reportPath = join(state, 'runs', 'r1', 'report.json');
    writeFileSync(
      reportPath,
      JSON.stringify({
        faults: [{ id: 'f1', kind: 'latency', layer: 'proxy', target: 'x', params: {}, startMs: 0 }],
        evidence: [
          { location: '/repo/src/m3.ts:12:4', fn: 'main', message: 'boom', count: 7, faultIds: ['f1'] },
          { location: '/elsewhere/x.js:1', message: 'out', count: 1, faultIds: [] },
        ],
      }),
    );
    const src = syntheticRepo(250, 4);
    const last = Math.max(...src.commits.map((c) => c.time));
    const at = new Date((last - 10 * 86400) * 1000).toISOString();
    appendRun(state, { id: 'r1', kind: 'card', title: 't', status: 'failed', deviated: true, startedAt: at, endedAt: at, durationMs: 1, mttdMs: null, mttrMs: null, reportPath });
    // a loop's drill records share the loop's report: it is read once
    appendRun(state, { id: 'r1-card', kind: 'card', cardId: 'network-latency', title: 't', status: 'failed', deviated: true, startedAt: at, endedAt: at, durationMs: 1, mttdMs: null, mttrMs: null, reportPath });
    const read = readChaosEvidence(state, repo);
    expect(read.runs).toBe(1);
    expect(read.evidence).toEqual([{ path: 'src/m3.ts', line: 12, fn: 'main', faultKind: 'latency', count: 7, at: Date.parse(at) / 1000 }]);
    const t = await trainOnHistory(src, { seed: 1, candidates: ['logistic'], evidence: read.evidence });
    expect(t.json.meta.positives).toBe(t.positives);
    // a file no fix touched in the label window becomes positive (weight 2) only because it failed under chaos
    const t0 = last - 182 * 86400;
    const fixed = src.defectiveFiles(t0, last);
    const clean = ['src/m0.ts', 'src/m1.ts', 'src/m2.ts', 'src/m3.ts', 'src/m4.ts', 'src/m5.ts', 'src/m6.ts'].find((p) => !fixed.has(p)) as string;
    const base = await trainOnHistory(src, { seed: 1, candidates: ['logistic'] });
    const fb = await trainOnHistory(src, { seed: 1, candidates: ['logistic'], evidence: [{ path: clean, line: 1, faultKind: 'throw', count: 2, at: last - 5 * 86400 }] });
    expect(fb.feedbackPositives).toBe(1);
    expect(fb.positives).toBe(base.positives + 1);
    // evidence from before the training cut-off is a feature, not a label
    const old = await trainOnHistory(src, { seed: 1, candidates: ['logistic'], evidence: [{ path: clean, line: 1, faultKind: 'throw', count: 2, at: t0 - 86400 }] });
    expect(old.positives).toBe(base.positives);
    // a weakness confirmed by a kept refactoring fix in the label window is a positive too; one before it is not
    const kept = await trainOnHistory(src, { seed: 1, candidates: ['logistic'], confirmed: [{ path: clean, at: last - 3 * 86400 }] });
    expect(kept.feedbackPositives).toBe(1);
    expect(kept.positives).toBe(base.positives + 1);
    const keptOld = await trainOnHistory(src, { seed: 1, candidates: ['logistic'], confirmed: [{ path: clean, at: t0 - 86400 }] });
    expect(keptOld.positives).toBe(base.positives);
    expect(parseLocation('C:/x/a.ts:3:1')).toEqual({ file: 'C:/x/a.ts', line: 3 });
    expect(repoPath('/repo/node_modules/a/b.js', repo)).toBeUndefined();
  });
  it('choosePredictor: own history when enough, else the shipped default model, or a saved file', async () => {
    expect((await choosePredictor(syntheticRepo(250, 4), { candidates: ['logistic'] })).source).toBe('own-history');
    const small = await choosePredictor(syntheticRepo(20, 5, 2));
    expect(small.source).toBe('default');
    expect(small.reason).toContain(`needs ${MIN_POSITIVES}`);
    const pts = await predictAtHead(syntheticRepo(20, 5, 2), small.predictor, { top: 3 });
    expect(pts[0]!.confidence).toBeGreaterThan(0);
    await expect(choosePredictor(syntheticRepo(20, 5, 2), { modelFile: '/nonexistent/model.json' })).rejects.toMatchObject({ code: 'FL_ERR_PREDICT_MODEL' });
  });
  it('predictorToJson stays small and loads back', () => {
    const m = fitLogistic([[0], [1], [2], [3]], [0, 1, 0, 1], { features: ['a'] });
    const j = predictorToJson(predictor(m, identityCalibrator), 'file', {});
    expect(JSON.stringify(j).length).toBeLessThan(1000);
  });
});
