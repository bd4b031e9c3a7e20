/**
 * Git history mining: commits and churn (log), fix commits (fixes), SZZ bug-inducing commits (szz), per-file
 * history at a cut-off (history), evaluation labels (labels) and just-in-time commit features (jit).
 * `analyzeHistory` runs log + fixes + SZZ with a cache keyed by the head commit: the same head is read back,
 * a head that descends from the cached one only mines and traces the new commits.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommitInfo, SzzSummary } from '../../core/analysis.js';
import { gitText, resolveRev, type RepoRef } from './git.js';
import { detectFixes, mayBeFixSubject, type FixDetection, type FixOptions } from './fixes.js';
import { mineHistory } from './log.js';
import { fixShas, runSzz, summarizeSzz, traceProvenance, type SzzMethod } from './szz.js';

export { gitLines, gitText, resolveRev, type RepoRef } from './git.js';
export { mineHistory, parseRenamePath, parseNumstatLine, type LogOptions, type MinedHistory } from './log.js';
export { detectFixes, mayBeFixSubject, classifyCommit, issueRefs, DEFAULT_MAX_FIX_FILES, type FixDetection, type FixOptions, type FixVerdict, type RevertInfo } from './fixes.js';
export { runSzz, traceProvenance, summarizeSzz, type SzzMethod, type SzzOptions } from './szz.js';
export { fileHistoryAt, livePathsAt, type FileHistoryOptions } from './history.js';
export { defectLabels, latestCutoff, type DefectLabels, type LabelOptions } from './labels.js';
export { commitFeatures, diffFeatures, parseUnifiedDiff, isCodePath, type DiffFeatureOptions } from './jit.js';
export { isSourcePath, isTestPath, isDocPath } from './paths.js';

export interface HistoryOptions extends RepoRef, FixOptions {
  /** revision to analyse (default HEAD) */
  rev?: string;
  /** folder for the cache file (none: no cache) */
  cacheDir?: string;
  method?: SzzMethod;
}

export interface AnalyzedHistory {
  head: string;
  /** oldest first, fix commits marked */
  commits: CommitInfo[];
  fixes: Omit<FixDetection, 'commits'>;
  szz: SzzSummary;
  /** how the cache served this run */
  cache: 'none' | 'hit' | 'incremental' | 'miss';
  /** commits read from git in this run */
  minedCommits: number;
  ms: number;
}

const CACHE_VERSION = 2;
const CACHE_FILE = 'git-history-v2.json';

interface CacheFile {
  version: number;
  key: string;
  head: string;
  commits: CommitInfo[];
  szz: SzzSummary;
}

function cacheKey(opts: HistoryOptions): string {
  return JSON.stringify({ maxFiles: opts.maxFiles ?? null, method: opts.method ?? 'provenance' });
}

function readCache(dir: string, key: string): CacheFile | undefined {
  const file = join(dir, CACHE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    return c.version === CACHE_VERSION && c.key === key ? c : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(dir: string, data: CacheFile): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${CACHE_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(data));
  renameSync(tmp, join(dir, CACHE_FILE));
}

async function isAncestor(ref: RepoRef, older: string, newer: string): Promise<boolean> {
  try {
    await gitText(ref, ['merge-base', '--is-ancestor', older, newer]);
    return true;
  } catch {
    return false;
  }
}

/** log + fix detection + SZZ of a repository at `rev`, cached in `cacheDir` by head commit. */
export async function analyzeHistory(opts: HistoryOptions): Promise<AnalyzedHistory> {
  const t0 = performance.now();
  const ref: RepoRef = opts.gitDir !== undefined ? { gitDir: opts.gitDir } : { repo: opts.repo ?? '.' };
  const head = await resolveRev(ref, opts.rev ?? 'HEAD');
  const key = cacheKey(opts);
  const cached = opts.cacheDir === undefined ? undefined : readCache(opts.cacheDir, key);
  const done = (commits: CommitInfo[], szz: SzzSummary, cache: AnalyzedHistory['cache'], mined: number): AnalyzedHistory => {
    const { commits: marked, ...fixes } = detectFixes(commits, opts);
    return { head, commits: marked, fixes, szz, cache, minedCommits: mined, ms: performance.now() - t0 };
  };
  if (cached !== undefined && cached.head === head) return done(cached.commits, cached.szz, 'hit', 0);

  if (cached !== undefined && (await isAncestor(ref, cached.head, head))) {
    const fresh = await mineHistory({ ...ref, rev: head, exclude: cached.head });
    const commits = [...cached.commits, ...fresh.commits];
    const freshShas = new Set(fresh.commits.map((c) => c.sha));
    const marked = detectFixes(commits, opts).commits;
    const newFixes = marked.filter((c) => freshShas.has(c.sha));
    const add = await runSzz({ ...ref, head, commits: newFixes, method: 'blame' });
    const szz: SzzSummary = {
      fixes: cached.szz.fixes + add.fixes,
      traced: cached.szz.traced + add.traced,
      untraceable: cached.szz.untraceable + add.untraceable,
      results: [...cached.szz.results, ...add.results],
    };
    if (opts.cacheDir !== undefined) writeCache(opts.cacheDir, { version: CACHE_VERSION, key, head, commits: stripFix(commits), szz });
    return done(commits, szz, 'incremental', fresh.commits.length);
  }

  let mined: Awaited<ReturnType<typeof mineHistory>>;
  let szz: SzzSummary;
  if ((opts.method ?? 'provenance') === 'provenance') {
    // the numstat log and the patch pass run side by side; the patch pass records every commit whose subject
    // may be a fix, and the summary keeps those detectFixes confirms
    const [m, traced] = await Promise.all([mineHistory({ ...ref, rev: head }), traceProvenance(ref, head, (_sha, subject) => mayBeFixSubject(subject))]);
    mined = m;
    szz = summarizeSzz(fixShas(detectFixes(m.commits, opts).commits), traced);
  } else {
    mined = await mineHistory({ ...ref, rev: head });
    szz = await runSzz({ ...ref, head, commits: detectFixes(mined.commits, opts).commits, method: 'blame' });
  }
  if (opts.cacheDir !== undefined) writeCache(opts.cacheDir, { version: CACHE_VERSION, key, head, commits: stripFix(mined.commits), szz });
  return done(mined.commits, szz, opts.cacheDir === undefined ? 'none' : 'miss', mined.commits.length);
}

function stripFix(commits: CommitInfo[]): CommitInfo[] {
  return commits.map((c) => {
    if (c.fix === undefined) return c;
    const copy = { ...c };
    delete copy.fix;
    return copy;
  });
}
