/**
 * bench/analyze: how fast faultline analyses a repository, cold (empty caches) and warm (same head, caches
 * filled), against the floors in the same run:
 *  - history (log + fix detection + SZZ + file history at a cut-off + labels + JIT features) in commits/s, against
 *    `git log --numstat` alone (the floor: faultline cannot read history faster than git prints it);
 *  - code (analyzeRepo from src/analyze/code: AST metrics, smells, graph) in files/s, against `tsc --noEmit` over
 *    the same files the analyser measured at HEAD (extracted with `git archive HEAD | tar -x`, typescript 5.9 from this package,
 *    `--allowJs --checkJs false --skipLibCheck`; type errors from missing node_modules are expected and ignored).
 * With --blame, also SZZ by batched `git blame` (2 at a time) for the method comparison.
 * Caches go to a temp folder; the repository is only read (bare mirrors work).
 *
 * Run: npx tsx bench/analyze.ts --repo PATH [--json FILE] [--blame] [--no-tsc]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { analyzeHistory, commitFeatures, defectLabels, fileHistoryAt, latestCutoff, runSzz } from '../src/analyze/git/index.js';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const REPO = argValue('repo');
if (REPO === undefined) {
  process.stderr.write('usage: npx tsx bench/analyze.ts --repo PATH [--json FILE] [--blame] [--no-tsc]\n');
  process.exit(2);
}
const JSON_FILE = argValue('json');
const bare = existsSync(join(REPO, 'HEAD')) && existsSync(join(REPO, 'objects'));
const ref = bare ? { gitDir: REPO } : { repo: REPO };
const gitBase = bare ? ['--git-dir', REPO] : ['-C', REPO];

function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
}
async function timedAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
}

const tmp = mkdtempSync(join(os.tmpdir(), 'faultline-bench-analyze-'));
const result: Record<string, unknown> = { repo: REPO, machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, git: execFileSync('git', ['--version'], { encoding: 'utf8' }).trim() } };
try {
  // floor: git log --numstat alone (twice: the first run warms the OS page cache for everyone)
  const floorArgs = [...gitBase, 'log', '--numstat', '--format=%H', 'HEAD'];
  spawnSync('git', floorArgs, { stdio: 'ignore' });
  const [, floorMs] = timed(() => spawnSync('git', floorArgs, { stdio: 'ignore', maxBuffer: 1 << 30 }));

  // history, cold then warm
  const historyCache = join(tmp, 'history');
  const history = async (): Promise<{ ms: number; commits: number; fixes: number; szz: { fixes: number; traced: number; untraceable: number }; files: number; jit: number; cache: string; szzLines: number }> => {
    const t = performance.now();
    const h = await analyzeHistory({ ...ref, cacheDir: historyCache });
    const cutoff = latestCutoff(h.commits);
    const files = fileHistoryAt(h.commits, h.szz, cutoff);
    defectLabels(h.commits, h.szz, { cutoff });
    const jit = commitFeatures(h.commits, h.szz);
    return {
      ms: performance.now() - t,
      commits: h.commits.length,
      fixes: h.fixes.fixes,
      szz: { fixes: h.szz.fixes, traced: h.szz.traced, untraceable: h.szz.untraceable },
      files: files.length,
      jit: jit.length,
      cache: h.cache,
      szzLines: h.szz.results.reduce((s, r) => s + r.inducing.reduce((a, i) => a + i.lines.length, 0), 0),
    };
  };
  const cold = await history();
  const warm = await history();
  result.history = {
    floorGitLogNumstatMs: floorMs,
    cold,
    warm,
    commitsPerSecCold: cold.commits / (cold.ms / 1000),
    commitsPerSecWarm: warm.commits / (warm.ms / 1000),
    floorCommitsPerSec: cold.commits / (floorMs / 1000),
    coldOverFloor: cold.ms / floorMs,
    warmOverFloor: warm.ms / floorMs,
  };

  if (process.argv.includes('--blame')) {
    const h = await analyzeHistory({ ...ref, cacheDir: historyCache });
    const [prov, provMs] = await timedAsync(() => runSzz({ ...ref, head: h.head, commits: h.commits, method: 'provenance' }));
    const [blame, blameMs] = await timedAsync(() => runSzz({ ...ref, head: h.head, commits: h.commits, method: 'blame', concurrency: 2 }));
    const key = (fix: string, path: string, line: number): string => `${fix} ${path} ${line}`;
    const a = new Map<string, string>();
    for (const r of prov.results) for (const i of r.inducing) for (const l of i.lines) a.set(key(r.fix, r.path, l), i.sha);
    let same = 0;
    let total = 0;
    for (const r of blame.results) for (const i of r.inducing) for (const l of i.lines) {
      total++;
      if (a.get(key(r.fix, r.path, l)) === i.sha) same++;
    }
    result.szzMethods = { provenanceMs: provMs, blameMs, provenanceTraced: prov.traced, blameTraced: blame.traced, lineAgreement: total === 0 ? 1 : same / total, lines: total };
  }

  // code part, when the code analyser exists
  const codeIndex = join(import.meta.dirname, '..', 'src', 'analyze', 'code', 'index.ts');
  if (existsSync(codeIndex)) {
    const code = (await import(codeIndex)) as { analyzeRepo: (o: { repo: string; rev?: string; cacheDir?: string }) => Promise<{ stats: { files: number; parsed: number; fromCache: number; ms: number }; files: { loc: number; path: string }[] }> };
    const codeCache = join(tmp, 'code');
    let analysedPaths: string[] = [];
    const runCode = async (): Promise<{ ms: number; files: number; fromCache: number; loc: number }> => {
      const [r, ms] = await timedAsync(() => code.analyzeRepo({ repo: REPO, rev: 'HEAD', cacheDir: codeCache }));
      analysedPaths = r.files.map((f) => f.path);
      return { ms, files: r.stats.files, fromCache: r.stats.fromCache, loc: r.files.reduce((s, f) => s + f.loc, 0) };
    };
    const cCold = await runCode();
    const cWarm = await runCode();
    const codeResult: Record<string, unknown> = { cold: cCold, warm: cWarm, filesPerSecCold: cCold.files / (cCold.ms / 1000), filesPerSecWarm: cWarm.files / (cWarm.ms / 1000) };
    if (!process.argv.includes('--no-tsc')) {
      const tree = join(tmp, 'tree');
      execFileSync('mkdir', ['-p', tree]);
      execFileSync('sh', ['-c', `git ${gitBase.map((a) => `'${a}'`).join(' ')} archive HEAD | tar -x -C '${tree}'`]);
      // the same files the code analyser measured
      const list = analysedPaths.filter((p) => existsSync(join(tree, p)));
      writeFileSync(
        join(tree, 'tsconfig.faultline-bench.json'),
        JSON.stringify({ compilerOptions: { allowJs: true, checkJs: false, noEmit: true, skipLibCheck: true, target: 'es2022', module: 'nodenext', experimentalDecorators: true, emitDecoratorMetadata: true, types: [] }, files: list }),
      );
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      const [, tscMs] = timed(() => spawnSync(process.execPath, [tsc, '-p', join(tree, 'tsconfig.faultline-bench.json')], { stdio: 'ignore' }));
      codeResult.tscNoEmit = { ms: tscMs, files: list.length, filesPerSec: list.length / (tscMs / 1000) };
      codeResult.coldOverTsc = cCold.ms / tscMs;
    }
    result.code = codeResult;
    const total = { coldMs: cold.ms + cCold.ms, warmMs: warm.ms + cWarm.ms };
    result.total = total;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const r = result as { history: { cold: { ms: number; commits: number; fixes: number; szz: { traced: number; untraceable: number; fixes: number } }; warm: { ms: number }; floorGitLogNumstatMs: number; coldOverFloor: number; warmOverFloor: number; commitsPerSecCold: number; commitsPerSecWarm: number }; code?: { cold: { ms: number; files: number; loc: number }; warm: { ms: number }; tscNoEmit?: { ms: number; files: number }; filesPerSecCold: number; filesPerSecWarm: number }; total?: { coldMs: number; warmMs: number }; szzMethods?: { provenanceMs: number; blameMs: number; lineAgreement: number } };
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const lines = [
  `repo ${REPO} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  `history: ${r.history.cold.commits} commits, ${r.history.cold.fixes} fixes, SZZ traced ${r.history.cold.szz.traced}/${r.history.cold.szz.fixes} (untraceable ${r.history.cold.szz.untraceable})`,
  `  git log --numstat (floor) ${s(r.history.floorGitLogNumstatMs)}; cold ${s(r.history.cold.ms)} (${r.history.commitsPerSecCold.toFixed(0)} commits/s, ${r.history.coldOverFloor.toFixed(2)}× floor); warm ${s(r.history.warm.ms)} (${r.history.commitsPerSecWarm.toFixed(0)} commits/s, ${r.history.warmOverFloor.toFixed(2)}× floor)`,
];
if (r.szzMethods) lines.push(`  SZZ provenance ${s(r.szzMethods.provenanceMs)} vs batched blame ${s(r.szzMethods.blameMs)}; line agreement ${(r.szzMethods.lineAgreement * 100).toFixed(1)} %`);
if (r.code) {
  lines.push(`code: ${r.code.cold.files} files, ${r.code.cold.loc} LOC; cold ${s(r.code.cold.ms)} (${r.code.filesPerSecCold.toFixed(0)} files/s); warm ${s(r.code.warm.ms)} (${r.code.filesPerSecWarm.toFixed(0)} files/s)`);
  if (r.code.tscNoEmit) lines.push(`  tsc --noEmit on ${r.code.tscNoEmit.files} files ${s(r.code.tscNoEmit.ms)}; analyser cold / tsc ${(r.code.cold.ms / r.code.tscNoEmit.ms).toFixed(2)}×`);
}
if (r.total) lines.push(`total: cold ${s(r.total.coldMs)} (goal < 60 s), warm ${s(r.total.warmMs)} (goal < 5 s)`);
process.stdout.write(lines.join('\n') + '\n');
if (JSON_FILE !== undefined) writeFileSync(JSON_FILE, JSON.stringify(result, null, 2));
