import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeRepo, repoKind } from '../../analyze/code/index.js';
import { analyzeHistory, commitFeatures, defectLabels, diffFeatures, fileHistoryAt, parseUnifiedDiff, type AnalyzedHistory } from '../../analyze/git/index.js';
import type { CommitFeatures, FailurePoint } from '../../core/analysis.js';
import { FaultlineError } from '../../core/errors.js';
import { fixLabels, listRefactors } from '../../store/refactors.js';
import {
  changeRisk,
  type ChangeSource,
  DAY_S,
  evaluate,
  evaluateChanges,
  MIN_POSITIVES,
  choosePredictor,
  MODEL_KINDS,
  type ModelKind,
  predictAtHeadWithFiles,
  predictorToJson,
  readChaosEvidence,
  type RepoSource,
  trainChange,
  trainOnHistory,
} from '../../predict/index.js';
import type { CliContext, RegisterCommands } from '../context.js';

/** "6m", "26w", "182d", "1y" or a number of days → days. */
export function parseHorizonDays(value: string, field = 'horizon'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([dwmy]?)$/.exec(value.trim());
  if (!m) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--${field}: "${value}" is not a duration; use days, weeks, months or years like 182d, 26w, 6m, 1y`, { context: { attribute: field } });
  const n = Number(m[1]);
  const unit = m[2] || 'd';
  return Math.round(n * (unit === 'w' ? 7 : unit === 'm' ? 365 / 12 : unit === 'y' ? 365 : 1));
}

function parseCutoff(value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--cutoff: "${value}" is not a date; use an ISO date like 2023-06-01`, { context: { attribute: 'cutoff' } });
  return Math.floor(t / 1000);
}

function parseKinds(value: string | undefined): ModelKind[] | undefined {
  if (value === undefined) return undefined;
  const kinds = value.split(',').map((s) => s.trim());
  for (const k of kinds) {
    if (!(MODEL_KINDS as readonly string[]).includes(k)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--models: "${k}" is not a model; use a comma-separated list of ${MODEL_KINDS.join(', ')}`, { context: { attribute: 'models' } });
  }
  return kinds as ModelKind[];
}

function parseIntOpt(value: string | undefined, field: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--${field}: expected an integer ≥ ${min}, got "${value}"`, { context: { attribute: field } });
  return n;
}

export interface OpenRepo {
  root: string;
  history: AnalyzedHistory;
  source: RepoSource;
  changes(): ChangeSource;
}

/** Which defect labels: files SZZ traced a fix in the window to (default), or files a fix in the window touched. */
export type LabelKind = 'szz' | 'touched';

function parseLabels(value: string): LabelKind {
  if (value !== 'szz' && value !== 'touched') throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--labels: "${value}" must be szz or touched`, { context: { attribute: 'labels' } });
  return value;
}

function openRepo(c: CliContext, repoPath: string, labels: LabelKind = 'szz'): Promise<OpenRepo> {
  return openRepoSource(repoPath, join(c.stateDir(), 'cache', 'predict'), (m) => c.progress(m), labels);
}

/**
 * Wires the analyze stage (git history, SZZ, labels, code analysis at a revision) into predict's RepoSource.
 * Caches (history by head, analyses by blob) go to `<cacheRoot>/<hash of the repository path>/`; the
 * repository itself is only read. Exported for scripts/train-default.mjs.
 */
export async function openRepoSource(repoPath: string, cacheRoot: string, progress: (m: string) => void = () => {}, labels: LabelKind = 'szz'): Promise<OpenRepo> {
  const kind = await repoKind(repoPath);
  const key = createHash('sha1').update(kind.path).digest('hex').slice(0, 12);
  const cache = join(cacheRoot, key);
  progress(`predict: mining history of ${kind.path}`);
  const history = await analyzeHistory({ ...kind.ref, cacheDir: join(cache, 'git') });
  const byTime = [...history.commits].sort((a, b) => a.time - b.time);
  // the last commit at or before t on the mined history (author time, as the history features use)
  const revAt = (t: number): string => {
    let lo = 0;
    let hi = byTime.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((byTime[mid]?.time as number) <= t) (found = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
    if (found < 0) throw new FaultlineError('FL_ERR_PREDICT_HISTORY', `no commit at or before ${new Date(t * 1000).toISOString()}`);
    return byTime[found]?.sha as string;
  };
  const source: RepoSource = {
    commits: history.commits,
    szz: history.szz,
    analyzeAt: async (t) => {
      const rev = revAt(t);
      progress(`predict: analysing the code at ${rev.slice(0, 10)}`);
      return analyzeRepo({ repo: kind.path, rev, cacheDir: join(cache, 'analyze') });
    },
    historyAt: (t) => fileHistoryAt(history.commits, history.szz, t),
    defectiveFiles: (from, to) => new Set(defectLabels(history.commits, history.szz, { cutoff: from, horizonDays: (to - from) / DAY_S, settleDays: 0 })[labels]),
  };
  let changes: ChangeSource | undefined;
  return {
    root: kind.path,
    history,
    source,
    changes: () => {
      if (!changes) {
        const feats = new Map(commitFeatures(history.commits, history.szz).map((f) => [f.sha, featureRecord(f)]));
        changes = { commits: history.commits, szz: history.szz, features: (sha) => feats.get(sha) ?? {} };
      }
      return changes;
    },
  };
}

function featureRecord(f: CommitFeatures): Record<string, number> {
  return { la: f.la, ld: f.ld, lt: f.lt, ns: f.ns, nd: f.nd, nf: f.nf, entropy: f.entropy, ndev: f.ndev, age: f.age, nuc: f.nuc, exp: f.exp, rexp: f.rexp, sexp: f.sexp, fix: f.fix ? 1 : 0 };
}

const pct = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '  –  ' : v.toFixed(3));

function figuresLine(name: string, f: { rocAuc: number; prAuc: number; recallAt20Loc: number; popt: number; precisionAt10: number; brier?: number }): string {
  return `${name.padEnd(12)} ${pct(f.rocAuc)}  ${pct(f.prAuc)}  ${pct(f.recallAt20Loc)}  ${pct(f.popt)}  ${pct(f.precisionAt10)}${f.brier === undefined ? '' : `  ${pct(f.brier)}`}`;
}

const HEADER = `${''.padEnd(12)} ROC    PR     R@20%  Popt   P@10   Brier`;

/**
 * The failure points of an earlier `faultline predict` (its predictions.json). A missing default file is no
 * error (undefined); a missing or malformed file the user named is.
 */
export function readFailurePoints(file: string, named: boolean): FailurePoint[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (!named) return undefined;
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--predictions: cannot read ${file}; run \`faultline predict\` first or pass the file it wrote`, { cause: e, context: { attribute: 'predictions' } });
  }
  try {
    const j = JSON.parse(text) as { points?: unknown };
    if (!Array.isArray(j.points)) throw new Error('no "points" array');
    return j.points as FailurePoint[];
  } catch (e) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--predictions: ${file} is not a predictions file of \`faultline predict\` (${(e as Error).message})`, { cause: e, context: { attribute: 'predictions' } });
  }
}

/** The failure points inside the touched files, riskiest first. */
export function touchedFailurePoints(points: readonly FailurePoint[] | undefined, touched: readonly string[]): FailurePoint[] {
  if (points === undefined) return [];
  const set = new Set(touched);
  return points.filter((p) => set.has(p.path)).sort((a, b) => b.confidence - a.confidence);
}

export const register: RegisterCommands = (program, ctx) => {
  const predict = program
    .command('predict')
    .description('failure points (default: `predict rank`), temporal evaluation (`eval`), change risk (`change`) and retraining (`train`)');

  predict
    .command('rank', { isDefault: true })
    .description(
      'rank failure points (file, line, function, failure type, calibrated confidence, severity, evidence, top features, recipe) with a model trained on the repository’s history, or the shipped default model when it has fewer than ' +
        `${MIN_POSITIVES} fixed files; writes <stateDir>/predictions.json`,
    )
    .option('--repo <path>', 'project folder or git repository (bare mirrors too)', '.')
    .option('--top <n>', 'failure points to list', '20')
    .option('--horizon <duration>', 'prediction horizon: 182d, 26w, 6m, 1y', '6m')
    .option('--model <file>', 'use this saved predictor (from `predict train`) instead of training')
    .option('--default-model', 'use the shipped default model even when the history is enough')
    .option('--seed <n>', 'seed of every random draw in training', '1')
    .action(async (o: { repo: string; top: string; horizon: string; model?: string; defaultModel?: boolean; seed: string }) => {
      const c = ctx();
      const top = parseIntOpt(o.top, 'top', 1) as number;
      const horizonDays = parseHorizonDays(o.horizon);
      const seed = parseIntOpt(o.seed, 'seed', 0) as number;
      const repo = await openRepo(c, o.repo);
      const evidence = readChaosEvidence(c.stateDir(), repo.root).evidence;
      const chosen = await choosePredictor(repo.source, {
        horizonDays,
        seed,
        evidence,
        progress: (m) => c.progress(m),
        ...(o.model ? { modelFile: resolve(o.model) } : {}),
        ...(o.defaultModel ? { useDefault: true } : {}),
      });
      const { predictor: p, source, reason } = chosen;
      const { points, files } = await predictAtHeadWithFiles(repo.source, p, { top, evidence });
      const out = { repo: repo.root, head: repo.history.head, model: { source, reason, kind: p.model.kind }, points };
      const file = join(c.stateDir(), 'predictions.json');
      mkdirSync(c.stateDir(), { recursive: true });
      // every file's probability too: \`faultline gate\` aggregates them per module (the FIS)
      writeFileSync(file, JSON.stringify({ ...out, files: files.map((f) => ({ path: f.path, probability: +f.probability.toFixed(6), loc: f.loc })), at: new Date().toISOString() }, null, 2));
      c.print(out, () =>
        [
          `model: ${source} — ${reason}`,
          ...points.map((pt, i) => `${String(i + 1).padStart(3)}. ${(pt.confidence * 100).toFixed(0).padStart(3)}% ${pt.severity.padEnd(6)} ${pt.failureType.padEnd(15)} ${pt.path}:${pt.line}${pt.fn ? ` ${pt.fn}` : ''}${pt.recipe ? ` → ${pt.recipe}` : ''}\n       ${pt.topFeatures.slice(0, 3).map((f) => `${f.name}=${+f.value.toFixed(2)}`).join(', ')}${pt.evidence[0] ? ` · ${pt.evidence[0]}` : ''}`),
          `wrote ${file}`,
        ].join('\n'),
      );
    });

  predict
    .command('eval')
    .description('temporal evaluation on the repository’s history: train at T − gap − horizon, test on fixes in (T + gap, T + gap + horizon]; the model, every candidate and the LOC, churn, past-fixes and hotspot baselines (or LApredict at --level commit) in one run')
    .option('--repo <path>', 'project folder or git repository (bare mirrors too)', '.')
    .option('--cutoff <date>', 'the test cut-off T (default: horizon + gap + 90 days before the last commit)')
    .option('--gap <duration>', 'gap between the cut-off and the label window', '0d')
    .option('--horizon <duration>', 'label window: 182d, 26w, 6m, 1y', '6m')
    .option('--level <level>', 'file or commit (just-in-time)', 'file')
    .option('--models <list>', `candidate models, comma-separated: ${MODEL_KINDS.join(', ')}`)
    .option('--labels <kind>', 'file labels: szz (files whose lines a fix in the window changed, traced by SZZ to before the cut-off) or touched (files a fix in the window changed)', 'szz')
    .option('--seed <n>', 'seed of every random draw', '1')
    .option('--pool <paths>', 'comma-separated other repositories whose history at the same times joins the training rows (cross-project training; file level)')
    .action(async (o: { repo: string; cutoff?: string; gap: string; horizon: string; level: string; models?: string; labels: string; seed: string; pool?: string }) => {
      const c = ctx();
      if (o.level !== 'file' && o.level !== 'commit') throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--level: "${o.level}" must be file or commit`, { context: { attribute: 'level' } });
      const opts = {
        ...(o.cutoff ? { cutoff: parseCutoff(o.cutoff) } : {}),
        gapDays: parseHorizonDays(o.gap, 'gap'),
        horizonDays: parseHorizonDays(o.horizon),
        ...(o.models ? { candidates: parseKinds(o.models) } : {}),
        seed: parseIntOpt(o.seed, 'seed', 0) as number,
        progress: (m: string) => c.progress(m),
      };
      const repo = await openRepo(c, o.repo, parseLabels(o.labels));
      if (o.level === 'commit') {
        const r = await evaluateChanges(repo.changes(), opts);
        c.print(r, () =>
          [
            `cut-off ${r.cutoff}: ${r.commits} test commits, ${r.positives} bug-inducing (trained on ${r.trainCommits}, ${r.trainPositives} bug-inducing)`,
            HEADER,
            figuresLine(`model:${r.model.name}`, r.model),
            ...Object.entries(r.candidates).map(([k, f]) => figuresLine(k, f)),
            figuresLine('LApredict', r.baselines.laPredict),
          ].join('\n'),
        );
        return;
      }
      const pool = [];
      for (const p of (o.pool ?? '').split(',').filter((x) => x.trim() !== '')) pool.push((await openRepo(c, p.trim(), parseLabels(o.labels))).source);
      const r = await evaluate(repo.source, { ...opts, ...(pool.length > 0 ? { pool } : {}) });
      c.print({ ...r, labels: o.labels }, () =>
        [
          `cut-off ${r.cutoff} (training at ${r.trainCutoff}, ${o.labels} labels): ${r.files} files, ${r.positives} defective; training ${r.trainFiles} files, ${r.trainPositives} defective`,
          `SZZ: ${r.szz.fixes} fixes, ${(r.szz.untracedShare * 100).toFixed(1)} % not traced`,
          HEADER,
          figuresLine(`model:${r.model.name}`, r.model),
          ...Object.entries(r.candidates).map(([k, f]) => `${figuresLine(k, f)}  (${f.windows} window(s), validation ROC ${pct(f.validationRocAuc)})`),
          ...Object.entries(r.baselines).map(([k, f]) => figuresLine(k, f)),
          `calibration (${r.model.calibration.method}): Brier ${pct(r.model.calibration.brierBefore)} → ${pct(r.model.calibration.brierAfter)}`,
        ].join('\n'),
      );
    });

  predict
    .command('change')
    .description('just-in-time risk: the probability that a commit (REV, default HEAD) or a diff (--diff FILE) introduces a bug, from a commit-level model trained on the repository’s history, with its top features')
    .argument('[rev]', 'the commit to score', 'HEAD')
    .option('--repo <path>', 'project folder or git repository', '.')
    .option('--diff <file>', 'score this unified diff (e.g. `git diff > x.diff`) instead of a commit')
    .option('--author <email>', 'the author of the diff (their experience counts)')
    .option('--predictions <file>', 'failure points of `faultline predict` to match against the touched files (default <stateDir>/predictions.json when it exists)')
    .option('--no-predictions', 'do not read failure points')
    .option('--seed <n>', 'seed of every random draw in training', '1')
    .action(async (rev: string, o: { repo: string; diff?: string; author?: string; seed: string; predictions?: string | false }) => {
      const c = ctx();
      const repo = await openRepo(c, o.repo);
      const changes = repo.changes();
      const last = Math.max(...repo.history.commits.map((x) => x.time));
      const trained = trainChange(changes, last, last, { seed: parseIntOpt(o.seed, 'seed', 0) as number, progress: (m) => c.progress(m) });
      const chosen = trained.sel.candidates[trained.sel.chosen];
      let features: Record<string, number>;
      let target: string;
      let touched: string[];
      if (o.diff) {
        let text: string;
        try {
          text = readFileSync(resolve(o.diff), 'utf8');
        } catch (e) {
          throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--diff: cannot read ${o.diff}; pass a unified diff file`, { cause: e, context: { attribute: 'diff' } });
        }
        features = featureRecord(diffFeatures(text, repo.history.commits, o.author ? { author: o.author } : {}));
        target = o.diff;
        touched = parseUnifiedDiff(text).map((f) => f.path);
      } else {
        const sha = repo.history.commits.find((x) => x.sha.startsWith(rev))?.sha ?? (rev === 'HEAD' ? repo.history.head : undefined);
        const f = sha ? changes.features(sha) : undefined;
        if (!sha || !f || Object.keys(f).length === 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `"${rev}" is not a non-merge commit that changes code in this history; pass a commit id or --diff FILE`, { context: { attribute: 'rev' } });
        features = f;
        target = sha;
        touched = repo.history.commits.find((x) => x.sha === sha)?.files.map((x) => x.path) ?? [];
      }
      const risk = changeRisk(chosen.predictor, features);
      const predictions = o.predictions === false ? undefined : readFailurePoints(o.predictions ?? join(c.stateDir(), 'predictions.json'), o.predictions !== undefined);
      const touchedPoints = touchedFailurePoints(predictions, touched);
      const out = {
        target,
        ...risk,
        touchedFiles: touched,
        touchedFailurePoints: touchedPoints,
        model: { kind: trained.sel.chosen, commits: trained.rows, bugInducing: trained.positives, validationRocAuc: chosen.validation.rocAuc },
      };
      c.print(out, () =>
        [
          `${target}: ${(risk.probability * 100).toFixed(1)} % probability of introducing a bug (${trained.sel.chosen}, validation ROC-AUC ${pct(chosen.validation.rocAuc)})`,
          ...risk.topFeatures.map((f) => `  ${f.name} = ${+f.value.toFixed(2)} (+${f.contribution.toFixed(3)})`),
          predictions === undefined
            ? '  touched failure points: none known (run `faultline predict` first to rank them)'
            : touchedPoints.length === 0
              ? `  touched failure points: none of the ${touched.length} touched file(s) is among the ranked failure points`
              : `  touched failure points (${touchedPoints.length}):\n${touchedPoints.map((p) => `    ${(p.confidence * 100).toFixed(0).padStart(3)}% ${p.severity.padEnd(6)} ${p.failureType.padEnd(15)} ${p.path}:${p.line}${p.fn ? ` ${p.fn}` : ''}${p.recipe ? ` → ${p.recipe}` : ''}`).join('\n')}`,
        ].join('\n'),
      );
    });

  predict
    .command('train')
    .description('retrain the file-level predictor from the repository’s history plus the feedback of chaos runs and of the refactoring engine (a file that failed under chaos, or whose fix `faultline refactor` kept, is a positive example, weight 2); writes <stateDir>/model.json')
    .option('--repo <path>', 'project folder or git repository', '.')
    .option('--horizon <duration>', 'label window: 182d, 26w, 6m, 1y', '6m')
    .option('--models <list>', `candidate models, comma-separated: ${MODEL_KINDS.join(', ')}`)
    .option('--seed <n>', 'seed of every random draw', '1')
    .option('--out <file>', 'where to write the predictor (default <stateDir>/model.json)')
    .action(async (o: { repo: string; horizon: string; models?: string; seed: string; out?: string }) => {
      const c = ctx();
      const repo = await openRepo(c, o.repo);
      const read = readChaosEvidence(c.stateDir(), repo.root);
      const confirmed = fixLabels(listRefactors(c.stateDir()).filter((r) => resolve(r.repo) === resolve(repo.root))).map((l) => ({ path: l.path, at: Date.parse(l.at) / 1000 }));
      const t = await trainOnHistory(repo.source, {
        horizonDays: parseHorizonDays(o.horizon),
        seed: parseIntOpt(o.seed, 'seed', 0) as number,
        ...(o.models ? { candidates: parseKinds(o.models) } : {}),
        evidence: read.evidence,
        confirmed,
        progress: (m) => c.progress(m),
      });
      const file = o.out ? resolve(o.out) : join(c.stateDir(), 'model.json');
      const json = predictorToJson(t.predictor, 'file', { ...t.json.meta, repo: repo.root, head: repo.history.head, feedbackRuns: read.runs });
      mkdirSync(resolve(file, '..'), { recursive: true });
      writeFileSync(file, JSON.stringify(json));
      const out = { out: file, kind: t.json.model.kind, files: t.files, positives: t.positives, feedbackPositives: t.feedbackPositives, feedbackRuns: read.runs, keptFixes: confirmed.length, validation: t.json.meta.validation };
      c.print(out, `wrote ${file}: ${t.json.model.kind} on ${t.files} files, ${t.positives} positive (${t.feedbackPositives} only from chaos failures in ${read.runs} runs or from ${confirmed.length} kept refactoring fixes)`);
    });
};
