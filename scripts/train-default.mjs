#!/usr/bin/env node
// Trains models/default.json, the file-level predictor faultline uses for repositories with little history,
// on several public repositories, and evaluates it leave-one-repository-out (LORO).
//
//   npm run build && node scripts/train-default.mjs --repo /path/a --repo /path/b:touched … [--out models/default.json]
//
// Per repository: file rows at cut-offs T_k = last commit − 90 d − H − k·91 d (k = 0 … windows−1), labels from
// the fixes of (T_k, T_k + H] (SZZ, or files a fix touched with `:touched`). LORO: for each repository, fit on
// the others' rows (every repository weighs the same) and score its newest window beside the baselines. The
// shipped model is fitted on every repository; its calibrator on the pooled LORO predictions (held out).
// Only dist/ is used; the repositories are only read (caches go to --cache, default .faultline/cache/predict).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { openRepoSource } from '../dist/cli/commands/predict.js';
import {
  baselineScores,
  chooseCalibrator,
  DAY_S,
  FILE_FEATURES,
  fileRows,
  fitModel,
  lastCommitTime,
  PARAM_GRID,
  predictor,
  predictorToJson,
  rankingFigures,
  recentActivity,
} from '../dist/predict/index.js';

const args = process.argv.slice(2);
const repos = [];
let out = 'models/default.json';
let cache = '.faultline/cache/predict';
let horizonDays = 182;
let windows = 4;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const v = () => {
    const x = args[++i];
    if (x === undefined) throw new Error(`${a} needs a value`);
    return x;
  };
  if (a === '--repo') repos.push(v());
  else if (a === '--out') out = v();
  else if (a === '--cache') cache = v();
  else if (a === '--horizon-days') horizonDays = Number(v());
  else if (a === '--windows') windows = Number(v());
  else throw new Error(`unknown argument ${a}; usage: --repo PATH[:touched] … [--out FILE] [--cache DIR] [--horizon-days 182] [--windows 4]`);
}
if (repos.length < 2) throw new Error('pass at least two --repo PATH (leave-one-repository-out needs two)');

const CANDIDATES = [
  { kind: 'gbt', params: PARAM_GRID.gbt[0] },
  { kind: 'logistic', params: PARAM_GRID.logistic[1] },
];
const seed = 1;
const log = (m) => process.stderr.write(`${m}\n`);

function licenceOf(gitPath) {
  try {
    return JSON.parse(execFileSync('git', ['-C', gitPath, 'show', 'HEAD:package.json'], { encoding: 'utf8' })).license ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const data = [];
for (const spec of repos) {
  const [path, labels = 'szz'] = spec.split(':');
  const repo = await openRepoSource(path, resolve(cache), log, labels);
  const last = lastCommitTime(repo.source.commits);
  const H = horizonDays * DAY_S;
  const wins = [];
  for (let k = 0; k < windows; k++) {
    const at = last - 90 * DAY_S - H - k * 91 * DAY_S;
    const rows = fileRows(await repo.source.analyzeAt(at), repo.source.historyAt(at), [], { recent: recentActivity(repo.source.commits, at) });
    const bad = repo.source.defectiveFiles(at, at + H);
    wins.push({ at, rows, y: rows.map((r) => (bad.has(r.path) ? 1 : 0)) });
  }
  const name = basename(dirname(resolve(path))).replace('+', '/');
  data.push({ name, path: resolve(path), labels, head: repo.history.head, licence: licenceOf(path), wins });
  log(`${name}: ${wins.map((w) => `${w.rows.length} files/${w.y.filter((v) => v === 1).length} defective`).join(', ')}`);
}

/** Rows of these repositories, every repository weighing the same in total. */
function pooled(list) {
  const X = [];
  const y = [];
  const w = [];
  for (const d of list) {
    const n = d.wins.reduce((s, win) => s + win.rows.length, 0);
    for (const win of d.wins) {
      win.rows.forEach((r, i) => {
        X.push(r.x);
        y.push(win.y[i]);
        w.push(1000 / n);
      });
    }
  }
  return { X, y, w };
}

const loro = {};
const heldOut = Object.fromEntries(CANDIDATES.map((c) => [c.kind, { p: [], y: [] }]));
for (const d of data) {
  const tr = pooled(data.filter((o) => o !== d));
  const test = d.wins[0];
  const loc = test.rows.map((r) => r.loc);
  const b = baselineScores(test.rows);
  loro[d.name] = { cutoff: new Date(test.at * 1000).toISOString(), files: test.rows.length, positives: test.y.filter((v) => v === 1).length, models: {}, baselines: {} };
  for (const c of CANDIDATES) {
    const m = fitModel(c.kind, tr.X, tr.y, { features: FILE_FEATURES, seed, weights: tr.w }, c.params);
    const p = test.rows.map((r) => m.predict(r.x));
    loro[d.name].models[c.kind] = rankingFigures(p, test.y, loc);
    heldOut[c.kind].p.push(...p);
    heldOut[c.kind].y.push(...test.y);
  }
  for (const k of Object.keys(b)) loro[d.name].baselines[k] = rankingFigures(b[k], test.y, loc);
  log(`LORO ${d.name}: ${CANDIDATES.map((c) => `${c.kind} ${loro[d.name].models[c.kind].rocAuc.toFixed(3)}`).join(', ')}; baselines ${Object.entries(loro[d.name].baselines).map(([k, f]) => `${k} ${f.rocAuc.toFixed(3)}`).join(', ')}`);
}
const meanRoc = (kind) => data.reduce((s, d) => s + loro[d.name].models[kind].rocAuc, 0) / data.length;
const chosen = CANDIDATES.reduce((a, c) => (meanRoc(c.kind) > meanRoc(a.kind) ? c : a));
const all = pooled(data);
const model = fitModel(chosen.kind, all.X, all.y, { features: FILE_FEATURES, seed, weights: all.w }, chosen.params);
const cal = chooseCalibrator(heldOut[chosen.kind].p, heldOut[chosen.kind].y).calibrator;
const json = predictorToJson(predictor(model, cal), 'file', {
  trainedAt: new Date().toISOString(),
  horizonDays,
  windows,
  params: chosen.params,
  repositories: data.map((d) => ({ name: d.name, head: d.head, licence: d.licence, labels: d.labels, files: d.wins[0].rows.length })),
  meanLoroRocAuc: Object.fromEntries(CANDIDATES.map((c) => [c.kind, meanRoc(c.kind)])),
  loro,
});
mkdirSync(dirname(resolve(out)), { recursive: true });
writeFileSync(out, JSON.stringify(json));
log(`wrote ${out} (${chosen.kind}, ${(JSON.stringify(json).length / 1024).toFixed(0)} KB, calibration ${cal.kind}); mean LORO ROC-AUC ${CANDIDATES.map((c) => `${c.kind} ${meanRoc(c.kind).toFixed(3)}`).join(', ')}`);
process.stdout.write(JSON.stringify({ out, chosen: chosen.kind, meanLoroRocAuc: json.meta.meanLoroRocAuc, loro }, null, 2) + '\n');
