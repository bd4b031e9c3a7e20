/**
 * What prediction needs from a repository, as an interface: the analyze stage provides it and the CLI wires it
 * in (stages do not import each other). Times are epoch seconds.
 */
import type { CodeAnalysis, CommitInfo, FileHistory, SzzSummary } from '../core/analysis.js';

export interface RepoSource {
  /** every non-merge commit of the mined history (any order) */
  commits: readonly CommitInfo[];
  szz: SzzSummary;
  /** the code analysis of the tree at the last commit at or before `time` */
  analyzeAt(time: number): Promise<CodeAnalysis>;
  /** per-file history features as of `time` (only commits before it count) */
  historyAt(time: number): FileHistory[];
  /** files with a bug fixed by a fix commit in (from, to] (the analyze stage's defect labels) */
  defectiveFiles(from: number, to: number): Set<string>;
}

/** Commit-level rows for just-in-time prediction: features of each change, keyed by feature name. */
export interface ChangeSource {
  commits: readonly CommitInfo[];
  szz: SzzSummary;
  /** change features of a commit (size, spread, history, experience), as the analyze stage computes them */
  features(sha: string): Record<string, number>;
}

export const DAY_S = 86_400;

export function lastCommitTime(commits: readonly CommitInfo[]): number {
  let t = -Infinity;
  for (const c of commits) if (c.time > t) t = c.time;
  return t;
}

export function firstCommitTime(commits: readonly CommitInfo[]): number {
  let t = Infinity;
  for (const c of commits) if (c.time < t) t = c.time;
  return t;
}
