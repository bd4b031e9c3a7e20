// A synthetic repository for predict tests: files whose defects depend on churn and complexity, with a
// history of commits, so evaluation, training and failure points run without git.
import type { CodeAnalysis, CommitInfo, FileHistory, FileMetrics, SzzSummary } from '../../../src/core/analysis.js';
import { createRng } from '../../../src/core/rng.js';
import type { ChangeSource, RepoSource } from '../../../src/predict/repo.js';

export const DAY = 86_400;
export const START = Date.UTC(2020, 0, 1) / 1000;

export interface Synthetic extends RepoSource {
  calls: { analyzeAt: number[]; historyAt: number[]; labels: [number, number][] };
}

export function syntheticRepo(nFiles = 300, seed = 1, years = 4): Synthetic {
  const rng = createRng(seed);
  const files = Array.from({ length: nFiles }, (_, i) => {
    const complexity = Math.exp(rng.normal(2, 1));
    const activity = Math.exp(rng.normal(0, 1));
    return { path: `src/m${i}.ts`, complexity, activity, loc: Math.round(20 + complexity * 15 + rng.next() * 50) };
  });
  const commits: CommitInfo[] = [];
  const end = START + years * 365 * DAY;
  // each file gets commits over time; fix commits more likely for complex, active files
  for (let t = START; t < end; t += 3 * DAY) {
    for (const f of files) {
      if (rng.next() < 0.02 * f.activity) {
        const risk = 1 / (1 + Math.exp(-(Math.log(f.complexity) + Math.log(f.activity) - 4)));
        const fix = rng.next() < risk;
        commits.push({
          sha: `c${commits.length}`,
          parents: ['p'],
          authorEmail: `a${rng.int(0, 5)}@x`,
          authorName: 'a',
          time: t + rng.int(0, 3 * DAY - 1),
          subject: fix ? 'fix: something (#1)' : 'feat: change',
          files: [{ path: f.path, added: rng.int(1, 40), deleted: rng.int(0, 20) }],
          ...(fix ? { fix: { reason: 'fix: tag', refs: ['#1'] } } : {}),
        });
      }
    }
  }
  const calls: Synthetic['calls'] = { analyzeAt: [], historyAt: [], labels: [] };
  const analysis = (): CodeAnalysis => ({
    files: files.map(
      (f): FileMetrics => ({
        path: f.path,
        language: 'ts',
        loc: f.loc,
        functions: [
          { name: 'main', line: 1, endLine: 30, cyclomatic: Math.round(f.complexity), cognitive: Math.round(f.complexity * 1.5), loc: 25, maxNesting: 2, params: 1 },
          { name: 'helper', line: 31, endLine: 40, cyclomatic: 1, cognitive: 0, loc: 8, maxNesting: 0, params: 0 },
        ],
        cyclomatic: Math.round(f.complexity) + 1,
        maxCyclomatic: Math.round(f.complexity),
        cognitive: Math.round(f.complexity * 1.5),
        maxNesting: 2,
        imports: [],
        parseErrors: 0,
      }),
    ),
    smells: files.slice(0, 5).map((f) => ({ kind: 'no-timeout' as const, path: f.path, line: 12, col: 3, fn: 'main', message: 'fetch without a timeout' })),
    graph: files.map((f, i) => ({ path: f.path, fanIn: i % 7, fanOut: 2, pageRank: 1 / nFiles })),
    stats: { files: nFiles, parsed: nFiles, fromCache: 0, ms: 1 },
  });
  const historyAt = (t: number): FileHistory[] => {
    calls.historyAt.push(t);
    const m = new Map<string, FileHistory>();
    for (const c of commits) {
      if (c.time >= t) continue;
      for (const fc of c.files) {
        const h = m.get(fc.path) ?? { path: fc.path, commits: 0, linesAdded: 0, linesDeleted: 0, churn30: 0, churn90: 0, churn365: 0, commits90: 0, authors: 0, recentAuthors: 0, ageDays: 0, daysSinceChange: 0, fixes: 0, bugInducing: 0 };
        const churn = fc.added + fc.deleted;
        const age = (t - c.time) / DAY;
        h.commits++;
        h.linesAdded += fc.added;
        h.linesDeleted += fc.deleted;
        if (age <= 30) h.churn30 += churn;
        if (age <= 90) (h.churn90 += churn), h.commits90++;
        if (age <= 365) h.churn365 += churn;
        h.ageDays = Math.max(h.ageDays, age);
        h.daysSinceChange = h.commits === 1 ? age : Math.min(h.daysSinceChange, age);
        if (c.fix) h.fixes++;
        h.authors = Math.min(6, h.authors + 1);
        m.set(fc.path, h);
      }
    }
    return [...m.values()];
  };
  const szz: SzzSummary = { fixes: commits.filter((c) => c.fix).length, traced: 0, untraceable: 0, results: [] };
  // SZZ: each fix blames the previous commit of the same file
  const lastOf = new Map<string, CommitInfo>();
  for (const c of [...commits].sort((a, b) => a.time - b.time)) {
    const f = c.files[0]?.path as string;
    const prev = lastOf.get(f);
    if (c.fix && prev) {
      szz.results.push({ fix: c.sha, path: f, inducing: [{ sha: prev.sha, time: prev.time, lines: [1] }] });
      szz.traced++;
    } else if (c.fix) szz.untraceable++;
    lastOf.set(f, c);
  }
  return {
    commits,
    szz,
    calls,
    analyzeAt: async (t) => {
      calls.analyzeAt.push(t);
      return analysis();
    },
    historyAt,
    defectiveFiles: (from, to) => {
      calls.labels.push([from, to]);
      return new Set(commits.filter((c) => c.fix && c.time > from && c.time <= to).flatMap((c) => c.files.map((f) => f.path)));
    },
  };
}

/** Commit-level features of the synthetic repository: size and the file's prior fixes (risky changes are big). */
export function syntheticChanges(src: Synthetic): ChangeSource {
  const byTime = [...src.commits].sort((a, b) => a.time - b.time);
  const priorFixes = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const c of byTime) {
    const f = c.files[0]?.path as string;
    priorFixes.set(c.sha, seen.get(f) ?? 0);
    if (c.fix) seen.set(f, (seen.get(f) ?? 0) + 1);
  }
  return {
    commits: src.commits,
    szz: src.szz,
    features: (sha) => {
      const c = src.commits.find((x) => x.sha === sha);
      if (!c) return {};
      return { la: c.files.reduce((s, f) => s + f.added, 0), ld: c.files.reduce((s, f) => s + f.deleted, 0), nf: c.files.length, pastFixes: priorFixes.get(sha) ?? 0 };
    },
  };
}
