/**
 * File-level defect labels for a temporal evaluation (pure). Features come from history before the cut-off T;
 * labels from fixes in the window (T + gap, T + gap + horizon]:
 *  - `szz`: paths (named as at T) holding lines that a fix in the window deleted or changed and that SZZ traced to
 *    a commit at or before T — the bug was in the file at T;
 *  - `touched`: paths (as at T) that a fix commit in the window changed — the simpler label, for comparison.
 * The window may not reach into the last `settleDays` before the last commit (bugs introduced then are mostly
 * not found yet): it is cut there and `complete` is false.
 */
import type { CommitInfo, SzzSummary } from '../../core/analysis.js';
import { FaultlineError } from '../../core/errors.js';
import { chronological, livePathsAt } from './history.js';
import { isSourcePath } from './paths.js';

const DAY = 86_400;

export interface LabelOptions {
  /** T, epoch seconds */
  cutoff: number;
  /** days between T and the start of the label window (default 0) */
  gapDays?: number;
  /** length of the label window in days (default 182, six months) */
  horizonDays?: number;
  /** the last days of history not used for labels (default 90) */
  settleDays?: number;
}

export interface DefectLabels {
  cutoff: number;
  windowStart: number;
  windowEnd: number;
  /** false when the window was cut by the settle period (or the end of history) */
  complete: boolean;
  /** fix commits in the window */
  fixesInWindow: number;
  /** source files alive at T */
  files: number;
  szz: string[];
  touched: string[];
}

/** The latest cut-off whose whole label window lies before the settle period. */
export function latestCutoff(commits: CommitInfo[], opts: Omit<LabelOptions, 'cutoff'> = {}): number {
  const last = Math.max(...commits.map((c) => c.time));
  return last - ((opts.settleDays ?? 90) + (opts.horizonDays ?? 182) + (opts.gapDays ?? 0)) * DAY;
}

/** Maps a path as named at time `at` back to its name at `cutoff`, undoing the renames made in between. */
function pathAtCutoff(renames: { time: number; from: string; to: string }[], path: string, cutoff: number, at: number): string {
  let p = path;
  for (let i = renames.length - 1; i >= 0; i--) {
    const r = renames[i] as { time: number; from: string; to: string };
    if (r.time >= at) continue;
    if (r.time < cutoff) break;
    if (r.to === p) p = r.from;
  }
  return p;
}

export function defectLabels(commits: CommitInfo[], szz: SzzSummary, opts: LabelOptions): DefectLabels {
  const gap = opts.gapDays ?? 0;
  const horizon = opts.horizonDays ?? 182;
  const settle = opts.settleDays ?? 90;
  for (const [name, v] of [['gapDays', gap], ['horizonDays', horizon], ['settleDays', settle]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${name} must be a number of days ≥ 0, got ${v}`);
  }
  if (commits.length === 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'defectLabels needs the mined commits; the history is empty');
  const ordered = chronological(commits);
  const last = (ordered[ordered.length - 1] as CommitInfo).time;
  const windowStart = opts.cutoff + gap * DAY;
  const wanted = windowStart + horizon * DAY;
  const windowEnd = Math.min(wanted, last - settle * DAY);
  const live = livePathsAt(ordered, opts.cutoff);
  const renames: { time: number; from: string; to: string }[] = [];
  for (const c of ordered) {
    if (c.time < opts.cutoff) continue;
    for (const f of c.files) if (f.oldPath !== undefined) renames.push({ time: c.time, from: f.oldPath, to: f.path });
  }
  const inWindow = (t: number): boolean => t > windowStart && t <= windowEnd;
  const fixTimes = new Map<string, number>();
  const touched = new Set<string>();
  for (const c of ordered) {
    if (c.fix === undefined || !inWindow(c.time)) continue;
    fixTimes.set(c.sha, c.time);
    for (const f of c.files) {
      const p = pathAtCutoff(renames, f.oldPath ?? f.path, opts.cutoff, c.time);
      if (live.has(p) && isSourcePath(p)) touched.add(p);
    }
  }
  const buggy = new Set<string>();
  for (const r of szz.results) {
    const t = fixTimes.get(r.fix);
    if (t === undefined || !r.inducing.some((i) => i.time <= opts.cutoff)) continue;
    const p = pathAtCutoff(renames, r.path, opts.cutoff, t);
    if (live.has(p) && isSourcePath(p)) buggy.add(p);
  }
  return {
    cutoff: opts.cutoff,
    windowStart,
    windowEnd,
    complete: windowEnd >= wanted,
    fixesInWindow: fixTimes.size,
    files: [...live].filter(isSourcePath).length,
    szz: [...buggy].sort(),
    touched: [...touched].sort(),
  };
}
