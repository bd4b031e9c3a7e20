/**
 * History features per file as of a cut-off (pure over CommitInfo[] and SZZ). Only commits strictly before the
 * cut-off count; a renamed file keeps its history; a deleted file is dropped (and starts afresh if re-created).
 */
import type { CommitInfo, FileHistory, SzzSummary } from '../../core/analysis.js';
import { isSourcePath } from './paths.js';

const DAY = 86_400;

export interface FileHistoryOptions {
  /** which paths to report (default: source files, see paths.ts); history is followed for every path */
  include?: (path: string) => boolean;
}

interface Acc {
  commits: number;
  added: number;
  deleted: number;
  churn30: number;
  churn90: number;
  churn365: number;
  commits90: number;
  authors: Set<string>;
  recent: Set<string>;
  first: number;
  last: number;
  fixes: number;
  inducing: number;
}

function newAcc(time: number): Acc {
  return { commits: 0, added: 0, deleted: 0, churn30: 0, churn90: 0, churn365: 0, commits90: 0, authors: new Set(), recent: new Set(), first: time, last: time, fixes: 0, inducing: 0 };
}

/** Commits in time order (stable for equal times), oldest first. */
export function chronological(commits: CommitInfo[]): CommitInfo[] {
  return commits
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.time - b.c.time || a.i - b.i)
    .map((x) => x.c);
}

/** Commits SZZ found to induce a fix, with the time of the earliest such fix. */
export function inducingCommits(szz: SzzSummary, commits: CommitInfo[]): Map<string, number> {
  const fixTime = new Map(commits.map((c) => [c.sha, c.time]));
  const out = new Map<string, number>();
  for (const r of szz.results) {
    const t = fixTime.get(r.fix) ?? Number.POSITIVE_INFINITY;
    for (const i of r.inducing) out.set(i.sha, Math.min(out.get(i.sha) ?? Number.POSITIVE_INFINITY, t));
  }
  return out;
}

/** Paths that exist just before `cutoff` (renames and deletions applied), following every change before it. */
export function livePathsAt(commits: CommitInfo[], cutoff: number): Set<string> {
  const live = new Set<string>();
  for (const c of chronological(commits)) {
    if (c.time >= cutoff) break;
    for (const f of c.files) {
      if (f.oldPath !== undefined) live.delete(f.oldPath);
      if (f.status === 'deleted') live.delete(f.path);
      else live.add(f.path);
    }
  }
  return live;
}

/** FileHistory of every (source) file alive at `cutoff` (epoch seconds). */
export function fileHistoryAt(commits: CommitInfo[], szz: SzzSummary, cutoff: number, opts: FileHistoryOptions = {}): FileHistory[] {
  const include = opts.include ?? isSourcePath;
  const inducing = inducingCommits(szz, commits);
  const files = new Map<string, Acc>();
  for (const c of chronological(commits)) {
    if (c.time >= cutoff) break;
    const age = cutoff - c.time;
    const inducedKnown = (inducing.get(c.sha) ?? Number.POSITIVE_INFINITY) < cutoff;
    for (const f of c.files) {
      let acc: Acc | undefined;
      if (f.oldPath !== undefined) {
        acc = files.get(f.oldPath);
        files.delete(f.oldPath);
      }
      acc ??= f.status === 'added' ? undefined : files.get(f.path);
      if (f.status === 'deleted') {
        files.delete(f.path);
        continue;
      }
      acc ??= newAcc(c.time);
      files.set(f.path, acc);
      const churn = f.added + f.deleted;
      acc.commits++;
      acc.added += f.added;
      acc.deleted += f.deleted;
      if (age <= 30 * DAY) acc.churn30 += churn;
      if (age <= 90 * DAY) {
        acc.churn90 += churn;
        acc.commits90++;
      }
      if (age <= 365 * DAY) {
        acc.churn365 += churn;
        acc.recent.add(c.authorEmail);
      }
      acc.authors.add(c.authorEmail);
      acc.last = c.time;
      if (c.fix !== undefined) acc.fixes++;
      if (inducedKnown) acc.inducing++;
    }
  }
  const out: FileHistory[] = [];
  for (const [path, a] of files) {
    if (!include(path)) continue;
    out.push({
      path,
      commits: a.commits,
      linesAdded: a.added,
      linesDeleted: a.deleted,
      churn30: a.churn30,
      churn90: a.churn90,
      churn365: a.churn365,
      commits90: a.commits90,
      authors: a.authors.size,
      recentAuthors: a.recent.size,
      ageDays: (cutoff - a.first) / DAY,
      daysSinceChange: (cutoff - a.last) / DAY,
      fixes: a.fixes,
      bugInducing: a.inducing,
    });
  }
  return out.sort((x, y) => x.path.localeCompare(y.path));
}
