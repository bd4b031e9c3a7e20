import { join } from 'node:path';
import { analyzeHistory, analyzeRepo, commitOf, defaultCacheDir, fileHistoryAt, repoKind } from '../../analyze/index.js';
import type { CodeAnalysis, FileHistory, SmellKind } from '../../core/analysis.js';
import { FaultlineError } from '../../core/errors.js';
import type { RegisterCommands } from '../context.js';

interface Options {
  repo: string;
  rev?: string;
  cache?: string | boolean;
  top: string;
  smells?: boolean;
  includeTests?: boolean;
  history?: boolean;
}

interface HistoryOut {
  head: string;
  commits: number;
  fixes: number;
  szz: { fixes: number; traced: number; untraceable: number };
  files: FileHistory[];
  ms: number;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function render(a: CodeAnalysis & { rev?: string }, history: HistoryOut | undefined, top: number, listSmells: boolean): string {
  const lines: string[] = [];
  const fns = a.files.reduce((n, f) => n + f.functions.length, 0);
  const loc = a.files.reduce((n, f) => n + f.loc, 0);
  lines.push(
    `${a.files.length} files, ${fns} functions, ${loc} lines of code${a.rev ? ` at ${a.rev.slice(0, 12)}` : ''} ` +
      `(${a.stats.files} read incl. tests: ${a.stats.parsed} parsed, ${a.stats.fromCache} from cache, ${(a.stats.ms / 1000).toFixed(1)} s)`,
  );
  if (history) {
    lines.push(`history: ${history.commits} commits, ${history.fixes} fixes, SZZ traced ${history.szz.traced} of ${history.szz.fixes} (${history.szz.untraceable} untraceable), ${(history.ms / 1000).toFixed(1)} s`);
  }
  const hot = [...a.files].sort((x, y) => y.cyclomatic * y.loc - x.cyclomatic * x.loc).slice(0, top);
  if (hot.length > 0) {
    lines.push('', 'most complex files (cyclomatic × LOC):');
    for (const f of hot) lines.push(`  ${pad(f.path, 60)} cyclomatic ${pad(String(f.cyclomatic), 5)} cognitive ${pad(String(f.cognitive), 5)} LOC ${pad(String(f.loc), 6)} max fn ${f.maxCyclomatic}`);
  }
  const byKind = new Map<SmellKind, CodeAnalysis['smells']>();
  for (const s of a.smells) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s]);
  lines.push('', `smells: ${a.smells.length}${a.smells.length > 0 && !listSmells ? ' (--smells lists them all)' : ''}`);
  for (const [kind, list] of byKind) {
    lines.push(`  ${kind} (${list.length}, recipe ${list[0]?.recipe ?? '-'})`);
    for (const s of listSmells ? list : list.slice(0, 3)) lines.push(`    ${s.path}:${s.line}:${s.col}${s.fn ? ` in ${s.fn}` : ''} — ${s.message}`);
    if (!listSmells && list.length > 3) lines.push(`    … ${list.length - 3} more`);
  }
  const central = [...a.graph].sort((x, y) => y.pageRank - x.pageRank).slice(0, top);
  if (central.length > 0) {
    lines.push('', 'most central files (PageRank over imports):');
    for (const g of central) lines.push(`  ${pad(g.path, 60)} rank ${g.pageRank.toFixed(4)}  fan-in ${pad(String(g.fanIn), 4)} fan-out ${g.fanOut}`);
  }
  return lines.join('\n');
}

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('analyze')
    .description(
      'measure a TypeScript/JavaScript repository: per-function cyclomatic and cognitive complexity, size and nesting, resilience smells with file:line, the import graph (fan-in, fan-out, PageRank), and the git history (churn, fixes, SZZ); results are cached by blob id so a second run is fast',
    )
    .option('--repo <path>', 'the project folder or git repository (a bare mirror is read at --rev, default HEAD)', '.')
    .option('--rev <rev>', 'analyse this git revision instead of the files on disk')
    .option('--cache <dir>', 'cache folder (default <repo>/.faultline/cache/analyze-v1; for a bare repository <state dir>/cache/analyze-v1)')
    .option('--no-cache', 'do not read or write the cache')
    .option('--top <n>', 'how many files to list per table', '10')
    .option('--smells', 'list every smell (the default lists three per kind)')
    .option('--include-tests', 'keep tests, docs and examples in the files and smells (they are always in the graph)')
    .option('--no-history', 'skip the git history (commits, churn, fixes, SZZ)')
    .action(async (o: Options) => {
      const c = ctx();
      const top = Number(o.top);
      if (!Number.isInteger(top) || top < 0) {
        throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--top: "${o.top}" is not a whole number ≥ 0`, { context: { attribute: 'top' } });
      }
      const kind = await repoKind(o.repo);
      // resolved once, so a bad --rev is reported as such (exit 2) before any work starts
      const rev = o.rev !== undefined ? await commitOf(kind.ref, o.rev) : undefined;
      let cacheDir: string | undefined;
      if (typeof o.cache === 'string') cacheDir = o.cache;
      else if (o.cache !== false) cacheDir = kind.bare ? join(c.stateDir(), 'cache', 'analyze-v1') : defaultCacheDir(kind.path);
      let lastShown = 0;
      const code = analyzeRepo({
        repo: kind.path,
        ...(rev !== undefined ? { rev } : {}),
        ...(cacheDir !== undefined ? { cacheDir } : { noCache: true }),
        includeTests: o.includeTests === true,
        onProgress: (done, total) => {
          const now = Date.now();
          if (now - lastShown < 500) return;
          lastShown = now;
          c.progress(`analyze: ${done}${total !== undefined ? `/${total}` : ''} files`);
        },
      });
      const history =
        o.history !== false && kind.git
          ? analyzeHistory({
              ...kind.ref,
              ...(rev !== undefined ? { rev } : {}),
              ...(cacheDir !== undefined ? { cacheDir: join(cacheDir, '..') } : {}),
            }).then((h): HistoryOut => {
              const cutoff = h.commits.reduce((m, x) => Math.max(m, x.time), 0) + 1;
              return { head: h.head, commits: h.commits.length, fixes: h.fixes.fixes, szz: { fixes: h.szz.fixes, traced: h.szz.traced, untraceable: h.szz.untraceable }, files: fileHistoryAt(h.commits, h.szz, cutoff), ms: Math.round(h.ms) };
            })
          : Promise.resolve(undefined);
      const [a, h] = await Promise.all([code, history]);
      c.print(h === undefined ? a : { ...a, history: h }, () => render(a, h, top, o.smells === true));
    });
};
