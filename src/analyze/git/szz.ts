/**
 * SZZ: for each fix commit, the source lines it deleted or changed (tests and docs excluded; blank, comment-only
 * and whitespace/comment-only changes ignored), traced to the commits that introduced them at the fix's parent.
 *
 * Two methods give the same kind of answer:
 *  - `provenance` (default): ONE `git log -p -c -U0 -M --topo-order --reverse` over the source files, with an
 *    in-process line-provenance map per blob (src/analyze/git/patch.ts). Cost: one pass over the patch history.
 *  - `blame`: one `git log --no-walk --stdin -p` for the fixes' diffs, then one `git blame --porcelain -w` per
 *    (fix, file) at the fix's first parent with all its lines as `-L n,m` ranges, `concurrency` at a time.
 * docs/reference/analyze.md (History) has the measured costs of both.
 */
import type { CommitInfo, SzzResult, SzzSummary } from '../../core/analysis.js';
import { FaultlineError } from '../../core/errors.js';
import { gitLines, resolveRev, type RepoRef } from './git.js';
import { PatchParser, type WatchedFile } from './patch.js';
import { SOURCE_PATHSPECS } from './paths.js';

export type SzzMethod = 'provenance' | 'blame';

export interface SzzOptions extends RepoRef {
  /** commits with `fix` set (from detectFixes); only those are traced */
  commits: CommitInfo[];
  /** the revision the history was mined at (default HEAD) */
  head?: string;
  method?: SzzMethod;
  /** blame processes at a time (blame method); default 2 */
  concurrency?: number;
}

const PATCH_FORMAT = '--format=%x00%H%x00%P%x00%at%x00%s';
const PATCH_FLAGS = ['-U0', '-M', '--full-index', '--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/'];

export function fixShas(commits: CommitInfo[]): string[] {
  return commits.filter((c) => c.fix !== undefined && c.parents.length <= 1).map((c) => c.sha);
}

/** The summary of SZZ results for the given fixes (results of other commits are left out). */
export function summarizeSzz(fixes: string[], all: SzzResult[]): SzzSummary {
  const wanted = new Set(fixes);
  const results = all.filter((r) => wanted.has(r.fix)).sort((a, b) => a.fix.localeCompare(b.fix) || a.path.localeCompare(b.path));
  const traced = new Set(results.filter((r) => r.inducing.length > 0).map((r) => r.fix));
  return { fixes: fixes.length, traced: traced.size, untraceable: fixes.length - traced.size, results: results.filter((r) => r.inducing.length > 0) };
}

function toResult(fix: string, file: WatchedFile, originOf: (origin: number) => { sha: string; time: number } | undefined): SzzResult {
  const byCommit = new Map<string, { sha: string; time: number; lines: number[] }>();
  for (const l of file.lines) {
    const o = originOf(l.origin);
    if (o === undefined) continue;
    let entry = byCommit.get(o.sha);
    if (entry === undefined) byCommit.set(o.sha, (entry = { sha: o.sha, time: o.time, lines: [] }));
    entry.lines.push(l.line);
  }
  return { fix, path: file.oldPath, inducing: [...byCommit.values()].sort((a, b) => a.time - b.time || a.sha.localeCompare(b.sha)) };
}

/**
 * The provenance pass alone: traces the commits `watch` selects (by id and subject). It does not need the
 * fixes up front, so it can run while `git log --numstat` is still being read (analyzeHistory does).
 */
export async function traceProvenance(ref: RepoRef, head: string, watch: (sha: string, subject: string) => boolean): Promise<SzzResult[]> {
  const parser = new PatchParser(watch, true);
  await gitLines(ref, ['log', '-p', '-c', ...PATCH_FLAGS, '--topo-order', '--reverse', PATCH_FORMAT, head, '--', ...SOURCE_PATHSPECS], (l) => parser.line(l));
  parser.end();
  const results: SzzResult[] = [];
  for (const [idx, files] of parser.watchedResults) {
    const fix = parser.commits[idx] as string;
    for (const f of files) {
      results.push(toResult(fix, f, (o) => (o >= 0 ? { sha: parser.commits[o] as string, time: parser.times[o] as number } : undefined)));
    }
  }
  return results;
}

/** Parses `git blame --porcelain` into final line number → commit and author time. */
export function parseBlamePorcelain(text: string): Map<number, { sha: string; time: number }> {
  const out = new Map<number, { sha: string; time: number }>();
  const times = new Map<string, number>();
  let current: { sha: string; line: number } | undefined;
  for (const line of text.split('\n')) {
    const h = /^([0-9a-f]{40,64}) \d+ (\d+)(?: \d+)?$/.exec(line);
    if (h !== null) {
      current = { sha: h[1] as string, line: Number(h[2]) };
      out.set(current.line, { sha: current.sha, time: times.get(current.sha) ?? 0 });
      continue;
    }
    if (current !== undefined && line.startsWith('author-time ')) {
      const t = Number(line.slice(12));
      times.set(current.sha, t);
      const e = out.get(current.line);
      if (e !== undefined) e.time = t;
    }
  }
  for (const e of out.values()) if (e.time === 0) e.time = times.get(e.sha) ?? 0;
  return out;
}

/** `-L a,b` ranges covering the given line numbers (contiguous lines merged). */
export function lineRanges(lines: number[]): string[] {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const out: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (const n of sorted.slice(1)) {
    if (prev !== undefined && n === prev + 1) {
      prev = n;
      continue;
    }
    out.push(`-L${start},${prev}`);
    start = prev = n;
  }
  if (start !== undefined) out.push(`-L${start},${prev}`);
  return out;
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(runners);
}

async function szzByBlame(opts: SzzOptions, fixes: string[]): Promise<SzzResult[]> {
  const wanted = new Set(fixes);
  const parser = new PatchParser((sha) => wanted.has(sha), false);
  await gitLines(opts, ['log', '--no-walk=unsorted', '--stdin', '-p', ...PATCH_FLAGS, PATCH_FORMAT, '--', ...SOURCE_PATHSPECS], (l) => parser.line(l), fixes.join('\n') + '\n');
  parser.end();
  const jobs: { fix: string; file: WatchedFile }[] = [];
  for (const [idx, files] of parser.watchedResults) for (const file of files) if (file.lines.length > 0) jobs.push({ fix: parser.commits[idx] as string, file });
  const results: SzzResult[] = [];
  await pool(jobs, opts.concurrency ?? 2, async ({ fix, file }) => {
    const out: string[] = [];
    try {
      await gitLines(opts, ['blame', '--porcelain', '-w', ...lineRanges(file.lines.map((l) => l.line)), `${fix}^`, '--', file.oldPath], (l) => out.push(l));
    } catch (e) {
      if (e instanceof FaultlineError && e.code === 'FL_ERR_GIT_FAILED') return;
      throw e;
    }
    const blamed = parseBlamePorcelain(out.join('\n'));
    const origins: { sha: string; time: number }[] = [];
    const lines = file.lines.map((l) => {
      const b = blamed.get(l.line);
      if (b === undefined) return { line: l.line, origin: -1 };
      origins.push(b);
      return { line: l.line, origin: origins.length - 1 };
    });
    results.push(toResult(fix, { ...file, lines }, (o) => origins[o]));
  });
  return results;
}

/** Traces every fix commit to its inducing commits. Merges and commits without `fix` are not traced. */
export async function runSzz(opts: SzzOptions): Promise<SzzSummary> {
  const head = opts.head ?? (await resolveRev(opts, 'HEAD'));
  const fixes = fixShas(opts.commits);
  if (fixes.length === 0) return { fixes: 0, traced: 0, untraceable: 0, results: [] };
  const wanted = new Set(fixes);
  const results = (opts.method ?? 'provenance') === 'blame' ? await szzByBlame(opts, fixes) : await traceProvenance(opts, head, (sha) => wanted.has(sha));
  return summarizeSzz(fixes, results);
}
