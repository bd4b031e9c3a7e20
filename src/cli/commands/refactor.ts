/**
 * `faultline refactor` (verified fixes on a branch) and `faultline refactor revert <id>`. Wires the analyze
 * stage (smells, function ranges at the base commit), predict's failure points (predictions.json) and the
 * recorded runs into refactor targets, builds the verification commands, and runs the engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { analyzeRepo } from '../../analyze/code/index.js';
import type { FailurePoint, FunctionMetrics } from '../../core/analysis.js';
import type { FaultlineConfig } from '../../core/config-types.js';
import { FaultlineError } from '../../core/errors.js';
import {
  applyKept,
  assertClean,
  type CheckSpec,
  DEFAULT_MAX_FIXES,
  DEFAULT_MIN_CONFIDENCE,
  type Exposure,
  gitOps,
  isInside,
  newRunId,
  openWorktree,
  planFixes,
  type RefactorReport,
  type RefactorTarget,
  renderText,
  revertFix,
  runCheck,
  runEngine,
  selectTargets,
  worktreeDir,
  writeReport,
} from '../../refactor/engine/index.js';
import { type Characteriser, type CoverageMap, createCharacteriser, DEFAULT_CHARACTERISE_RUNS, parseCoverageFinal, readCoverageFinal, seedOf } from '../../refactor/characterise/index.js';
import { attachExposures, findExperimentFile, fromFailurePoint, fromFindings, fromSmell, readRunFindings } from '../../refactor/engine/sources.js';
import { resolveRecipeOptions } from '../../refactor/options.js';
import { findRecipe, RECIPES } from '../../refactor/recipes/index.js';
import { appendRefactor, findRefactorOrThrow, listRefactors } from '../../store/refactors.js';
import type { CliContext, RegisterCommands } from '../context.js';

/** The `refactor:` section of faultline.yaml as loaded (src/core/config-types.ts; docs/reference/config.md). */
export type RefactorSettings = NonNullable<FaultlineConfig['refactor']>;

export const DEFAULT_CHECK_TIMEOUT_MS = 10 * 60_000;
/** npm's placeholder for a package without tests */
const NPM_NO_TEST = /no test specified/;

function settingsOf(config: FaultlineConfig): RefactorSettings {
  return config.refactor ?? {};
}

function parseNumber(value: string | undefined, flag: string, min: number, max: number, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${flag}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${value}"`, { context: { attribute: flag.replace(/^--/, '') } });
  }
  return n;
}

function parseRecipeList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    if (!findRecipe(id)) throw new FaultlineError('FL_ERR_RECIPE_NOT_FOUND', `--recipes: no recipe "${id}"; known: ${RECIPES.map((r) => r.id).join(', ')}`, { context: { id } });
  }
  return ids;
}

/** predictions.json of `faultline predict`: its points, when it is for this repository. */
function readPredictions(file: string, named: boolean, repo: string, notes: string[]): FailurePoint[] {
  let j: { repo?: string; points?: unknown };
  try {
    j = JSON.parse(readFileSync(file, 'utf8')) as typeof j;
  } catch (e) {
    if (!named && !existsSync(file)) return [];
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--predictions: ${file} is not a predictions file of \`faultline predict\` (${(e as Error).message})`, { cause: e, context: { attribute: 'predictions' } });
  }
  if (!Array.isArray(j.points)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--predictions: ${file} has no "points" list; run \`faultline predict\` again`, { context: { attribute: 'predictions' } });
  if (typeof j.repo === 'string' && resolve(j.repo) !== resolve(repo)) {
    notes.push(`predictions in ${file} are for ${j.repo}, not this repository: not used`);
    return [];
  }
  return j.points as FailurePoint[];
}

interface Plan {
  targets: RefactorTarget[];
  dropped: RefactorReport['dropped'];
  considered: number;
  notes: string[];
}

/** Smells at the base commit, failure points, and what the recorded runs found → selected targets. */
async function planTargets(c: CliContext, root: string, base: string, o: RefactorFlags, settings: RefactorSettings, project: string, progress: (line: string) => void): Promise<Plan> {
  const notes: string[] = [];
  const stateDir = c.stateDir();
  const runs = readRunFindings(stateDir, root);
  if (runs.unreadable > 0) notes.push(`${runs.unreadable} recorded run report(s) could not be read`);
  let functions = new Map<string, FunctionMetrics[]>();
  const targets: RefactorTarget[] = [];
  if (o.smells !== false || runs.findings.length > 0) {
    progress(`refactor: analysing ${root} at ${base.slice(0, 10)}`);
    // the base commit, not the work tree: uncommitted changes are not what the engine edits
    // a project in a folder is analysed as its own tree (paths relative to it), then named from the repository root
    const analysis = await analyzeRepo({ repo: root, rev: base, cacheDir: join(stateDir, 'cache', 'analyze'), ...(project !== '' ? { under: project } : {}) });
    const at = (p: string): string => (project === '' ? p : `${project}/${p}`);
    functions = new Map(analysis.files.map((f) => [at(f.path), f.functions]));
    if (o.smells !== false) targets.push(...analysis.smells.map((s) => fromSmell({ ...s, path: at(s.path) })));
  }
  if (o.predictions !== false) {
    const file = typeof o.predictions === 'string' ? resolve(o.predictions) : join(stateDir, 'predictions.json');
    const points = readPredictions(file, typeof o.predictions === 'string', root, notes);
    targets.push(...points.map((p) => fromFailurePoint(p, (ft) => RECIPES.filter((r) => (r.addresses.failureTypes as readonly string[]).includes(ft)).map((r) => r.id))));
  }
  // a recommendation whose recipe faultline does not have cannot become a fix (it still marks its own line)
  const unknown = [...new Set(runs.findings.filter((f) => f.recipe !== undefined && !findRecipe(f.recipe)).map((f) => f.recipe as string))];
  if (unknown.length > 0) notes.push(`recorded runs recommend ${unknown.join(', ')}, which no recipe implements: not fixed (their recommendations are in the run reports)`);
  targets.push(...fromFindings(runs.findings.filter((f) => f.recipe === undefined || findRecipe(f.recipe) !== undefined)));
  // a project in a folder of the repository (a monorepo package, the bundled example): only its files
  const inProject = project === '' ? targets : targets.filter((t) => t.path.startsWith(`${project}/`));
  if (inProject.length < targets.length) notes.push(`${targets.length - inProject.length} target(s) outside ${project}/ left alone`);
  // a recommendation names a line: the function it is in comes from the analysis
  const named = inProject.map((t) => {
    if (t.fn !== undefined) return t;
    const fn = (functions.get(t.path) ?? []).filter((f) => f.line <= t.line && t.line <= f.endLine).sort((x, y) => x.endLine - x.line - (y.endLine - y.line))[0];
    return fn ? { ...t, fn: fn.name } : t;
  });
  const exposed = attachExposures(named, runs.findings, (p) => functions.get(p) ?? []);
  const sel = selectTargets(exposed, {
    minConfidence: parseNumber(o.minConfidence, '--min-confidence', 0, 1, false) ?? settings.minConfidence ?? DEFAULT_MIN_CONFIDENCE,
    maxFixes: parseNumber(o.maxFixes, '--max-fixes', 1, 10_000, true) ?? settings.maxFixes ?? DEFAULT_MAX_FIXES,
    ...((parseRecipeList(o.recipes) ?? settings.recipes) ? { recipes: parseRecipeList(o.recipes) ?? settings.recipes } : {}),
  });
  return { targets: sel.selected, dropped: sel.dropped, considered: sel.selected.length + sel.dropped.length, notes };
}

/** The project's test command at the base commit (faultline.yaml's refactor.test, else package.json's test script). */
async function testCommand(root: string, base: string, settings: RefactorSettings, project = ''): Promise<{ shell: string } | { npm: true } | undefined> {
  if (settings.test) return { shell: settings.test };
  const pkg = await gitOps.showFile(root, base, project === '' ? 'package.json' : `${project}/package.json`);
  if (pkg === undefined) return undefined;
  try {
    const test = (JSON.parse(pkg) as { scripts?: { test?: unknown } }).scripts?.test;
    return typeof test === 'string' && test.trim() !== '' && !NPM_NO_TEST.test(test) ? { npm: true } : undefined;
  } catch {
    return undefined;
  }
}

/** How to run faultline itself again (the same entry point and loader flags as this process). */
function faultlineInvocation(): { command: string; args: string[] } {
  return { command: process.execPath, args: [...process.execArgv, process.argv[1] as string] };
}

interface Traffic {
  requests?: number;
  errorRate?: number;
  latencyMs?: { p99?: number };
}

interface LoopJson {
  phases?: { cardId?: string; fault?: unknown; during?: Traffic; held?: boolean; recovered?: boolean; halted?: string; error?: string; profile?: { heapGrowthBytes?: number } }[];
  aborted?: boolean;
}

/**
 * "p99 812 ms, error rate 0.0 % while the fault was active" of the traffic while a fault was active, and the
 * retained heap's growth when the card's profile probe measured it ("…, heap +2.4 MiB after GC").
 */
function trafficLine(t: Traffic | undefined, heapGrowthBytes?: number): string {
  const heap = heapGrowthBytes === undefined ? '' : `, heap ${heapGrowthBytes >= 0 ? '+' : ''}${(heapGrowthBytes / 1024 / 1024).toFixed(1)} MiB after GC`;
  if (!t || !t.requests) return `no traffic measured while the fault was active${heap}`;
  return `p99 ${Math.round(t.latencyMs?.p99 ?? 0)} ms, error rate ${((t.errorRate ?? 0) * 100).toFixed(1)} % while the fault was active${heap}`;
}

/**
 * A card re-run by `faultline --json loop --cards <id>`: the steady state held DURING the fault (every slice of
 * the timeline with traffic while it was active within the bounds of faultline.yaml: the loop's `held`) and
 * came back after it. Drilled-and-recovered is not enough: every fault that is reverted recovers.
 */
export function judgeCard(cardId: string, stdout: string): { ok: boolean | null; detail: string } {
  let j: LoopJson;
  try {
    j = JSON.parse(stdout) as LoopJson;
  } catch {
    return { ok: null, detail: `faultline loop printed no JSON result` };
  }
  const p = (j.phases ?? []).find((x) => x.cardId === cardId);
  // nothing was measured: it says nothing about the fix (the baseline drops it; after a fix it counts as a failure)
  if (!p || !p.fault) return { ok: null, detail: `card ${cardId} was not drilled${p?.error ? `: ${p.error}` : ''}` };
  if (p.halted) return { ok: false, detail: `halted: ${p.halted}` };
  if (p.error) return { ok: false, detail: p.error };
  const traffic = trafficLine(p.during, p.profile?.heapGrowthBytes);
  if (p.held === undefined) return { ok: false, detail: `card ${cardId}: the loop did not measure whether the steady state held (no load.url in faultline.yaml?); ${traffic}` };
  if (!p.held) return { ok: false, detail: `card ${cardId}: steady state violated: ${traffic}` };
  if (!p.recovered) return { ok: false, detail: `card ${cardId}: held during the fault (${traffic}) but did not come back after it` };
  return { ok: true, detail: `card ${cardId}: steady state held: ${traffic}` };
}

interface RunJson {
  status?: string;
  deviated?: boolean;
  violated?: { phase?: string; probe?: string; value?: unknown; error?: string };
  figures?: { faults?: { during?: Traffic }[] } | null;
}

/**
 * An experiment re-run by `faultline --json run <file> --up`: exit 0 = the steady state held (the exit code is
 * the verdict); the detail says what was measured — the probe that failed, and the traffic while the fault was on.
 */
export function judgeExperiment(out: { exitCode: number | null; stdout: string }): { ok: boolean; detail: string } {
  let j: RunJson | undefined;
  try {
    j = JSON.parse(out.stdout) as RunJson;
  } catch {
    j = undefined;
  }
  const ok = out.exitCode === 0;
  if (!j) return { ok, detail: `exit ${out.exitCode ?? 'signal'} (faultline run printed no JSON result)` };
  const v = j.violated;
  const probe = v ? `; probe "${v.probe ?? '?'}" (${v.phase ?? '?'}) ${v.error ? `failed: ${v.error.split('\n')[0]}` : `= ${typeof v.value === 'number' ? Math.round(v.value * 10) / 10 : JSON.stringify(v.value)}`}` : '';
  const verdict = ok ? 'steady state held' : j.deviated ? 'steady state violated' : `run ${j.status ?? 'failed'}`;
  return { ok, detail: `${verdict}: ${trafficLine(j.figures?.faults?.[0]?.during)}${probe}` };
}

export interface RefactorFlags {
  repo: string;
  /** false with --no-characterise */
  characterise?: boolean;
  characteriseRuns?: string;
  coverage?: string;
  seed?: string;
  minConfidence?: string;
  maxFixes?: string;
  recipes?: string;
  dryRun?: boolean;
  apply?: boolean;
  verify: boolean;
  predictions?: string | false;
  smells: boolean;
}

/**
 * The characteriser of a run, or undefined when characterisation is off (--no-characterise, or
 * refactor.characterise.enabled: false). Coverage: --coverage, else refactor.characterise.coverage, else the
 * project's coverage/coverage-final.json committed at the base commit, else the one in the working tree (where
 * c8, nyc and jest write it); without one, a function is weakly covered when no test file mentions its name.
 */
async function characteriserOf(root: string, base: string, project: string, o: RefactorFlags, settings: RefactorSettings, runId: string, stateDir: string, notes: string[]): Promise<Characteriser | undefined> {
  const cs = settings.characterise;
  if (o.characterise === false || cs?.enabled === false) return undefined;
  const runs = parseNumber(o.characteriseRuns, '--characterise-runs', 1, 10_000, true) ?? cs?.runs ?? DEFAULT_CHARACTERISE_RUNS;
  const seed = parseNumber(o.seed, '--seed', 0, 2 ** 31 - 1, true) ?? seedOf(runId);
  let coverage: { map: CoverageMap; source: string } | undefined;
  const named = o.coverage !== undefined ? resolve(o.coverage) : cs?.coverage;
  if (named !== undefined) {
    if (!existsSync(named)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--coverage: ${named} does not exist; pass the coverage-final.json of c8 --reporter=json, nyc or jest --coverage (or leave it out: then a function no test mentions counts as weakly covered)`, { context: { attribute: 'coverage' } });
    coverage = { map: readCoverageFinal(named), source: relative(root, named).startsWith('..') ? named : relative(root, named) };
  } else {
    const rel = project === '' ? 'coverage/coverage-final.json' : `${project}/coverage/coverage-final.json`;
    const committed = await gitOps.showFile(root, base, rel);
    if (committed !== undefined) coverage = { map: parseCoverageFinal(committed, `${rel} at ${base.slice(0, 10)}`), source: `${rel} at ${base.slice(0, 10)}` };
    else if (existsSync(join(root, rel))) coverage = { map: readCoverageFinal(join(root, rel)), source: rel };
  }
  notes.push(`characterisation: weakly covered functions are pinned on ${runs} generated input(s) (seed ${seed}) before a fix and re-checked after; coverage ${coverage ? `from ${coverage.source}` : 'by test names (no coverage report: a function no test file mentions is weakly covered)'}`);
  // the pinned tests go next to the patches: outside the worktree (no linter or test runner of the project sees them), kept after the run
  return createCharacteriser({ runId, runs, seed, folder: join(stateDir, 'refactor', runId, 'characterisation'), ...(coverage ? { coverage } : {}) });
}

/**
 * One refactoring run of `o.repo` (a repository, or a project folder inside one) with the config and state of
 * `c`: targets, worktree, checks, keep or revert, report files. Returns the report; prints nothing (progress
 * lines go to `progress`). `faultline refactor` prints it; `faultline loop --refactor` runs it after the drills.
 */
export async function refactorProject(c: CliContext, o: RefactorFlags, progress: (line: string) => void = (m) => c.progress(m)): Promise<RefactorReport> {
  const root = await gitOps.repoRoot(resolve(o.repo));
  // --repo may name a folder inside the repository: the project whose files are fixed and whose checks run there
  const project = relative(root, resolve(o.repo)).split('\\').join('/');
  const base = await gitOps.headCommit(root);
  const config = c.config();
  const settings = settingsOf(config);
  const recipeOptions = resolveRecipeOptions(settings.options ?? {});
  const changes = await gitOps.workingTreeChanges(root);
  const stateDir = c.stateDir();
  if (o.apply && !o.dryRun) await assertClean(root, '--apply');
  const runId = newRunId();
  const plan = await planTargets(c, root, base, o, settings, project, progress);
  const notes = [...plan.notes];
  // faultline's own state folder inside the project is not the user's work
  const untracked = changes.untracked.filter((p) => !isInside(join(root, p), stateDir));
  if (changes.tracked.length + untracked.length > 0) {
    notes.push(`the working tree has ${changes.tracked.length} uncommitted change(s) and ${untracked.length} untracked file(s): faultline worked from HEAD (${base.slice(0, 12)}) and left them alone`);
  }

  const characteriser = plan.targets.length > 0 ? await characteriserOf(root, base, project, o, settings, runId, stateDir, notes) : undefined;

  if (o.dryRun) {
    const listed = (await gitOps.git(root, ['ls-tree', '-r', '-z', '--name-only', base])).split('\0').filter((f) => f !== '');
    return planFixes({ runId, repo: root, baseCommit: base, targets: plan.targets, dropped: plan.dropped, considered: plan.considered, recipeOptions, notes, read: (p) => gitOps.showFile(root, base, p), list: () => listed, recipes: findRecipe, ...(characteriser ? { characteriser } : {}) });
  }

  const test = await testCommand(root, base, settings, project);
  const noVerify = o.verify === false;
  if (!test && !noVerify) {
    throw new FaultlineError('FL_ERR_REFACTOR_NO_TESTS', `${join(root, project)} has no test command (no "test" script in its package.json at ${base.slice(0, 10)}, no refactor.test in faultline.yaml), so no fix can be verified; add one, or pass --no-verify to keep fixes marked unverified`, { context: { repo: root } });
  }
  if (plan.targets.length === 0) {
    return { runId, repo: root, baseCommit: base, dryRun: false, noVerify, startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), checks: [], baseline: [], fixes: [], dropped: plan.dropped, summary: { considered: plan.considered, attempted: 0, kept: 0, reverted: 0, skipped: 0, unverified: 0 }, timing: { totalMs: 0, recipeMs: 0, checksMs: 0, gitMs: 0, baselineMs: 0 }, notes: [...notes, 'nothing to fix: no target passed the selection'] };
  }

  const timeoutMs = settings.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const outDir = join(stateDir, 'refactor', runId);
  const branch = `faultline/refactor/${runId}`;
  const dir = worktreeDir(root, stateDir, runId);
  const configInRepo = config.file && isInside(config.file, root) ? relative(root, config.file) : undefined;
  const self = faultlineInvocation();
  const checks = (worktree: string): CheckSpec[] => {
    const wt = join(worktree, project);
    const out: CheckSpec[] = [];
    if (settings.typecheck) out.push({ name: 'typecheck', kind: 'typecheck', command: settings.typecheck, args: [], shell: true, cwd: wt, timeoutMs });
    else if (settings.typecheck !== false && existsSync(join(wt, 'tsconfig.json'))) {
      const tsc = [join(wt, 'node_modules', 'typescript', 'bin', 'tsc'), join(worktree, 'node_modules', 'typescript', 'bin', 'tsc')].find((f) => existsSync(f)) ?? '';
      if (existsSync(tsc)) out.push({ name: 'typecheck', kind: 'typecheck', command: process.execPath, args: [tsc, '--noEmit', '-p', 'tsconfig.json'], cwd: wt, timeoutMs });
      else notes.push('tsconfig.json but no typescript in node_modules: no type-check (install the project\'s dependencies)');
    }
    if (test && 'shell' in test) out.push({ name: 'test', kind: 'test', command: test.shell, args: [], shell: true, cwd: wt, timeoutMs });
    else if (test) out.push({ name: 'test', kind: 'test', command: 'npm', args: ['test'], cwd: wt, timeoutMs });
    return out;
  };
  const experimentCheck = (e: Exposure, worktree: string): CheckSpec | { reason: string } => {
    const wt = worktree;
    const env = { FAULTLINE_STATE_DIR: join(outDir, 'verify-state'), CI: '1' };
    const configArgs = configInRepo ? ['--config', join(wt, configInRepo)] : [];
    if (e.kind === 'card' && e.cardId) {
      if (!configInRepo) return { reason: 'faultline.yaml is not inside the repository, so the service cannot be started from the fixed code' };
      return { name: `card ${e.cardId}`, kind: 'experiment', command: self.command, args: [...self.args, '--json', ...configArgs, 'loop', '--cards', e.cardId], cwd: wt, timeoutMs, env, judge: (r) => judgeCard(e.cardId as string, r.stdout) };
    }
    if (e.kind !== 'experiment') return { reason: `a ${e.kind} run is not re-run by refactor; only experiments and card drills are` };
    if (!e.file) return { reason: `no experiment file titled "${e.title ?? '?'}" in the repository at ${base.slice(0, 10)}` };
    return { name: `experiment ${e.file}`, kind: 'experiment', command: self.command, args: [...self.args, '--json', ...configArgs, 'run', join(wt, e.file), '--up', '--journal-path', join(outDir, `journal-${e.runId}.json`)], cwd: wt, timeoutMs, env, judge: judgeExperiment };
  };
  // the experiment file of each exposing experiment run, by title at the base commit
  const files = new Map<string, string | undefined>();
  const withFile = async (e: Exposure): Promise<Exposure> => {
    if (e.cardId || e.kind !== 'experiment' || !e.title) return e;
    if (!files.has(e.title)) files.set(e.title, await findExperimentFile(root, base, e.title));
    const file = files.get(e.title);
    return file ? { ...e, file } : e;
  };
  for (const t of plan.targets) {
    if (t.exposedBy) t.exposedBy = await withFile(t.exposedBy);
    if (t.alsoExposedBy) t.alsoExposedBy = await Promise.all(t.alsoExposedBy.map(withFile));
  }

  const report = await runEngine(
    { runId, repo: root, baseCommit: base, targets: plan.targets, dropped: plan.dropped, considered: plan.considered, outDir, recipeOptions, noVerify, notes, progress },
    {
      recipes: findRecipe,
      openWorkspace: async () => {
        const ws = await openWorktree({ repo: root, dir, branch, baseCommit: base });
        if (ws.linkedNodeModules) notes.push(`node_modules of the repository linked into the worktree (no install)`);
        return ws;
      },
      checks,
      experimentCheck,
      runCheck,
      record: (r) => appendRefactor(stateDir, r),
      deleteBranch: (b) => gitOps.deleteBranch(root, b),
      ...(characteriser ? { characteriser } : {}),
    },
  );

  if (o.apply) {
    const tip = [...report.fixes].reverse().find((f) => f.commit)?.commit;
    const applied = tip ? await applyKept(root, report.fixes, tip) : undefined;
    if (applied) {
      report.applied = applied;
      const byFix = new Map(applied.commits.map((x) => [x.fix, x.commit]));
      for (const r of listRefactors(stateDir, { runId })) if (byFix.has(r.id)) appendRefactor(stateDir, { ...r, appliedCommit: byFix.get(r.id) as string });
    } else report.notes.push('--apply: no verified fix to apply');
  }
  writeReport(report, outDir);
  return report;
}

async function refactorRun(c: CliContext, o: RefactorFlags): Promise<void> {
  const report = await refactorProject(c, o);
  c.print(report, () => renderText(report));
}

async function refactorRevert(c: CliContext, id: string, o: { repo: string }): Promise<void> {
  const stateDir = c.stateDir();
  const rec = findRefactorOrThrow(stateDir, id);
  const root = await gitOps.repoRoot(resolve(o.repo));
  if (resolve(rec.repo) !== resolve(root)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `fix ${id} belongs to ${rec.repo}, not ${root}; pass --repo ${rec.repo}`, { context: { id } });
  const r = await revertFix(root, rec);
  appendRefactor(stateDir, { ...rec, revertedBy: { commit: r.commit, on: r.on, at: new Date().toISOString() } });
  const out = { id, commit: r.commit, on: r.on, branch: r.on === 'refactor-branch' ? rec.branch : await gitOps.currentBranch(root) };
  c.print(out, `reverted fix ${id} (${rec.recipe} at ${rec.target.path}:${rec.target.line}) with ${r.commit.slice(0, 10)} on ${r.on === 'refactor-branch' ? `the refactor branch ${rec.branch}` : `the current branch${out.branch ? ` ${out.branch}` : ''}`}`);
}

export const register: RegisterCommands = (program, ctx) => {
  const refactor = program
    .command('refactor')
    .description('verified fixes on a branch (default: `refactor run`); undo one (`revert <id>`)');

  refactor
    .command('run', { isDefault: true })
    .description(
      'fix the riskiest places — resilience smells, failure points of `faultline predict`, recommendations of recorded runs — ordered by severity × confidence: each recipe is applied in a git worktree on the branch faultline/refactor/<run id>, verified by the type-check, the tests and the run that exposed it, and committed or reverted; writes a patch per fix and report.json/report.md under <stateDir>/refactor/<run id>/. The working tree is never touched (except by --apply on a clean tree)',
    )
    .option('--repo <path>', 'the repository (a git work tree)', '.')
    .option('--min-confidence <p>', `only targets at or above this confidence, 0–1 (default ${DEFAULT_MIN_CONFIDENCE}; resilience smells count as 0.6)`)
    .option('--max-fixes <n>', `at most this many fixes (default ${DEFAULT_MAX_FIXES})`)
    .option('--recipes <ids>', 'comma-separated allow-list of recipe ids')
    .option('--dry-run', 'apply in memory and print the unified diffs: no worktree, no command, nothing written')
    .option('--apply', 'then bring the kept (verified) fixes onto the current branch (fast-forward or cherry-pick); refused when tracked files have uncommitted changes')
    .option('--no-verify', 'keep fixes no test verified (no test command, or one that fails on the untouched code), marked UNVERIFIED')
    .option('--predictions <file>', 'failure points of `faultline predict` (default <stateDir>/predictions.json when it exists)')
    .option('--no-predictions', 'do not read failure points')
    .option('--no-smells', 'do not fix resilience smells (only failure points and recorded runs)')
    .option('--no-characterise', 'do not pin weakly covered functions before a fix (characterisation tests; on by default, or refactor.characterise.enabled)')
    .option('--characterise-runs <n>', `generated inputs per characterised function (default ${DEFAULT_CHARACTERISE_RUNS}, or refactor.characterise.runs)`)
    .option('--coverage <file>', 'istanbul coverage-final.json deciding which functions are weakly covered (< 80 % of their statements ran); default coverage/coverage-final.json when it exists, else: no test file mentions the function')
    .option('--seed <n>', 'seed of the characterisation inputs (default: derived from the run id; printed in the report)')
    .action(async (o: RefactorFlags) => refactorRun(ctx(), o));

  refactor
    .command('revert')
    .description('undo one fix: `git revert` of its commit on the current branch when --apply put it there (clean tree only), else a revert commit on its refactor branch')
    .argument('<id>', 'the fix id (<run id>-<nn>) from the report')
    .option('--repo <path>', 'the repository', '.')
    .action(async (id: string, o: { repo: string }) => refactorRevert(ctx(), id, o));
};
