/**
 * What `faultline gate` knows of a project's code at a revision: the import graph of its files (for the module
 * graph) and every file's calibrated probability of failure (for the FIS). The probabilities come from the
 * predictions.json of an earlier `faultline predict` of the same repository when there is one, else from the
 * bundled default model applied to the code and history at that revision (no training in a gate: a gate must
 * be quick and repeatable). A project may be a folder of the repository (a workspace, the bundled example):
 * its paths are project-relative here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeHistory, fileHistoryAt } from '../../analyze/git/index.js';
import { analyzeRepo } from '../../analyze/code/index.js';
import type { CodeAnalysis, FileHistory } from '../../core/analysis.js';
import { fileProbabilities, readChaosEvidence, readPredictor, recentActivity, DEFAULT_MODEL_PATH } from '../../predict/index.js';

export interface FileRisk {
  /** project-relative */
  path: string;
  probability: number;
}

export interface ProjectRisk {
  analysis: Pick<CodeAnalysis, 'files'>;
  files: FileRisk[];
  /** where the probabilities came from */
  source: 'predictions' | 'default-model';
  note: string;
}

export interface RiskOptions {
  /** repository root (absolute) */
  root: string;
  /** project folder relative to root ('' = the repository) */
  project: string;
  /** revision to analyse */
  rev: string;
  stateDir: string;
  /** predictions.json of `faultline predict` (default <stateDir>/predictions.json; false: never) */
  predictions?: string | false;
  progress?: (line: string) => void;
}

const strip = (project: string) => (p: string): string | undefined => (project === '' ? p : p.startsWith(`${project}/`) ? p.slice(project.length + 1) : undefined);

/** predictions.json's per-file probabilities for this repository, project-relative; undefined when there are none. */
function fromPredictions(file: string, root: string, project: string): FileRisk[] | undefined {
  if (!existsSync(file)) return undefined;
  let j: { repo?: string; files?: { path: string; probability: number }[] };
  try {
    j = JSON.parse(readFileSync(file, 'utf8')) as typeof j;
  } catch {
    return undefined;
  }
  if (typeof j.repo === 'string' && resolve(j.repo) !== resolve(root)) return undefined;
  if (!Array.isArray(j.files)) return undefined;
  const rel = strip(project);
  const out: FileRisk[] = [];
  for (const f of j.files) {
    const p = rel(f.path);
    if (p !== undefined && typeof f.probability === 'number') out.push({ path: p, probability: f.probability });
  }
  return out;
}

export async function projectRisk(o: RiskOptions): Promise<ProjectRisk> {
  const say = o.progress ?? (() => {});
  say(`gate: analysing ${o.project || '.'} at ${o.rev.slice(0, 10)}`);
  const analysis = await analyzeRepo({ repo: o.root, rev: o.rev, cacheDir: join(o.stateDir, 'cache', 'analyze'), ...(o.project !== '' ? { under: o.project } : {}) });
  const predictionsFile = o.predictions === false ? undefined : o.predictions ?? join(o.stateDir, 'predictions.json');
  const predicted = predictionsFile ? fromPredictions(predictionsFile, o.root, o.project) : undefined;
  if (predicted && predicted.length > 0) return { analysis, files: predicted, source: 'predictions', note: `probabilities of ${predictionsFile} (\`faultline predict\`)` };

  // the default model on the code at `rev` and the history up to it
  say(`gate: mining the history of ${o.root}`);
  const history = await analyzeHistory({ repo: o.root, rev: o.rev, cacheDir: join(o.stateDir, 'cache', 'gate-history') });
  const now = Math.max(0, ...history.commits.map((c) => c.time)) + 1;
  const rel = strip(o.project);
  const fileHistory: FileHistory[] = [];
  for (const h of fileHistoryAt(history.commits, history.szz, now)) {
    const p = rel(h.path);
    if (p !== undefined) fileHistory.push({ ...h, path: p });
  }
  const recent = new Map<string, ReturnType<typeof recentActivity> extends Map<string, infer V> ? V : never>();
  for (const [path, v] of recentActivity(history.commits, now)) {
    const p = rel(path);
    if (p !== undefined) recent.set(p, v);
  }
  const evidence = readChaosEvidence(o.stateDir, o.root).evidence.flatMap((e) => {
    const p = rel(e.path);
    return p === undefined ? [] : [{ ...e, path: p }];
  });
  const { predictor } = readPredictor(DEFAULT_MODEL_PATH);
  const files = fileProbabilities(predictor, analysis, fileHistory, { evidence, recent }).map((f) => ({ path: f.path, probability: f.probability }));
  return { analysis, files, source: 'default-model', note: `the bundled default model on the code at ${o.rev.slice(0, 10)} and its history (run \`faultline predict\` for a model of this repository)` };
}
