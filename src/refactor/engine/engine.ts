/**
 * The refactoring loop. For each selected target, in order: apply the recipe in the worktree, run the checks
 * (type-check, the project's tests, the exposing experiment), commit when they pass, put the files back when
 * one fails, write the patch either way, record the outcome. Before any fix the checks run once on the
 * untouched worktree: a type-check or test that fails there cannot verify anything (the run stops, or skips
 * that check with a loud mark under --no-verify); an experiment is expected to fail there — that is the
 * "violated before" half of the evidence.
 *
 * Characterisation (when a `characteriser` is given): before a recipe changes a weakly covered function, its
 * behaviour on generated inputs is pinned in the worktree; the `characterisation` check then runs first after the
 * change (it is the cheapest), so a refactoring that changes what the function returns is reverted even when no
 * test looks at it.
 *
 * `planFixes` is the dry run: the same recipe step in memory on the base commit's text, no worktree, no command
 * (and for characterisation only the decision: which function, and why it would or would not be pinned).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import type { RefactorRecord } from '../../store/refactors.js';
import type { CharacterisationDecision, Characteriser } from '../characterise/characteriser.js';
import type { RecipeOptions } from '../options.js';
import { type CheckResult, type CheckSpec, commandLine, type RunCheck, skippedCheck } from './checks.js';
import { prepareFix, recipeProject, type RecipeLookup } from './fix.js';
import { FileLocator } from './locations.js';
import { commitMessage } from './message.js';
import { type FixCharacterisation, type FixReport, type RefactorReport, summarize } from './report.js';
import { exposuresOf, type Exposure, type RefactorTarget } from './targets.js';
import { projectFiles, type Workspace } from './workspace.js';

export interface EngineOptions {
  runId: string;
  /** absolute repository root */
  repo: string;
  baseCommit: string;
  /** selected and ordered (selectTargets) */
  targets: readonly RefactorTarget[];
  /** the ones selection left out, for the report */
  dropped?: RefactorReport['dropped'];
  /** how many candidates there were before selection */
  considered?: number;
  /** where patches go: <stateDir>/refactor/<runId> */
  outDir: string;
  recipeOptions?: Partial<RecipeOptions>;
  /** keep fixes no test verified (no test command, or its baseline fails), marked unverified */
  noVerify?: boolean;
  notes?: string[];
  progress?: (line: string) => void;
}

export interface EngineDeps {
  recipes: RecipeLookup;
  openWorkspace(): Promise<Workspace>;
  /** the type-check and test commands, to run in the workspace folder */
  checks(dir: string): CheckSpec[];
  /** the re-run of what exposed a target, in the workspace folder, or why it cannot be re-run */
  experimentCheck?(exposure: Exposure, dir: string): CheckSpec | { reason: string };
  runCheck: RunCheck;
  /** appends to the record of fixes */
  record?(r: RefactorRecord): void;
  now?(): Date;
  /** deletes the refactor branch when no fix was committed */
  deleteBranch?(branch: string): Promise<void>;
  /** pins weakly covered functions before a change and checks them after (none: no characterisation) */
  characteriser?: Characteriser;
}

function fromDecision(d: CharacterisationDecision): FixCharacterisation {
  return {
    characterised: d.characterise,
    reason: d.reason,
    ...(d.fn ? { fn: d.fn } : {}),
    ...(d.coverage ? { coverage: d.coverage } : {}),
    ...(d.mode ? { mode: d.mode } : {}),
    decideMs: d.ms,
  };
}

/** The characterisation of one fix in the worktree before the change: the decision, the pinned cases and the check, or why not. */
async function characterise(c: Characteriser, target: RefactorTarget, at: { dir: string; text: string; line: number; col?: number; fixId: string }, recipe: { id: string; category: 'resilience' | 'structural' }, say: (line: string) => void): Promise<{ report: FixCharacterisation; check?: CheckSpec }> {
  const t0 = performance.now();
  let d: CharacterisationDecision;
  try {
    d = await c.decide({ path: target.path, line: at.line, ...(at.col !== undefined ? { col: at.col } : {}) }, { dir: at.dir, text: at.text }, recipe);
  } catch (e) {
    return { report: { characterised: false, reason: `characterisation failed: ${(e as Error).message}`, decideMs: performance.now() - t0 } };
  }
  const report = fromDecision(d);
  if (!d.characterise) {
    say(`refactor: ${at.fixId} not characterised${d.fn ? ` (${d.fn.name})` : ''}: ${d.reason}`);
    return { report };
  }
  say(`refactor: ${at.fixId} characterising ${d.fn?.name ?? '?'}: ${d.reason}`);
  const p0 = performance.now();
  try {
    const p = await c.pin(d, { dir: at.dir, path: target.path, fixId: at.fixId });
    if (!p.ok) {
      say(`refactor: ${at.fixId} not characterised: ${p.reason}`);
      return { report: { ...report, characterised: false, reason: `not pinned: ${p.reason}`, pinMs: p.ms } };
    }
    say(`refactor: ${at.fixId} pinned ${p.pinned.compared} input(s) of ${p.pinned.fn} in ${Math.round(p.pinned.ms)} ms (seed ${p.pinned.seed}${p.pinned.dropped.unstable + p.pinned.dropped.timeout + p.pinned.dropped.crashed > 0 ? `; dropped ${p.pinned.dropped.unstable} unstable, ${p.pinned.dropped.timeout} unsettled, ${p.pinned.dropped.crashed} crashing` : ''})`);
    return { report: { ...report, pinned: p.pinned, pinMs: p.pinned.ms }, check: p.check };
  } catch (e) {
    return { report: { ...report, characterised: false, reason: `characterisation failed: ${(e as Error).message}`, pinMs: performance.now() - p0 } };
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function patchName(nn: number, recipe: string, path: string): string {
  return `${pad2(nn)}-${recipe}-${path.replace(/[^\w.-]+/g, '_')}.patch`;
}

function toRecorded(t: RefactorTarget): RefactorRecord['target'] {
  return {
    path: t.path,
    line: t.line,
    ...(t.col !== undefined ? { col: t.col } : {}),
    ...(t.fn !== undefined ? { fn: t.fn } : {}),
    ...(t.failureType !== undefined ? { failureType: t.failureType } : {}),
    confidence: t.confidence,
    severity: t.severity,
    source: t.source,
    evidence: t.evidence,
    ...(t.exposedBy ? { exposedBy: recordedExposure(t.exposedBy) } : {}),
    ...(t.alsoExposedBy && t.alsoExposedBy.length > 0 ? { alsoExposedBy: t.alsoExposedBy.map(recordedExposure) } : {}),
  };
}

function recordedExposure(e: Exposure): NonNullable<RefactorRecord['target']['exposedBy']> {
  return { runId: e.runId, kind: e.kind, ...(e.title ? { title: e.title } : {}), ...(e.cardId ? { cardId: e.cardId } : {}), ...(e.file ? { file: e.file } : {}) };
}

/** Runs the loop; returns the report (patches written, records appended). Throws FL_ERR_REFACTOR_BASELINE / _NO_TESTS. */
export async function runEngine(o: EngineOptions, deps: EngineDeps): Promise<RefactorReport> {
  const now = deps.now ?? (() => new Date());
  const say = o.progress ?? (() => {});
  const started = now();
  const t0 = performance.now();
  const timing = { totalMs: 0, recipeMs: 0, checksMs: 0, gitMs: 0, baselineMs: 0, ...(deps.characteriser ? { characteriseMs: 0 } : {}) };
  // the caller may add notes while the run goes on (e.g. when it opens the workspace): read them at the end
  const notes: string[] = [];
  const noVerify = o.noVerify === true;
  mkdirSync(o.outDir, { recursive: true });

  let g = performance.now();
  const ws = await deps.openWorkspace();
  timing.gitMs += performance.now() - g;
  let committed = 0;
  try {
    const common = deps.checks(ws.dir);
    const hasTest = common.some((c) => c.kind === 'test');
    if (!hasTest && !noVerify) {
      throw new FaultlineError('FL_ERR_REFACTOR_NO_TESTS', 'no test command: the project has no "test" script in package.json and faultline.yaml has no refactor.test; pass --no-verify to keep fixes anyway, marked unverified', { context: { repo: o.repo } });
    }
    if (!hasTest) notes.push('no test command: every fix kept is UNVERIFIED (--no-verify)');

    // the experiments that exposed targets, one check each
    const experiments = new Map<string, CheckSpec>();
    const experimentOf = new Map<RefactorTarget, CheckSpec[]>();
    for (const t of o.targets) {
      for (const e of exposuresOf(t)) {
        const spec = deps.experimentCheck?.(e, ws.dir) ?? { reason: 'no way to re-run experiments was given' };
        if ('reason' in spec) {
          notes.push(`${t.path}:${t.line}: exposed by run ${e.runId}${e.cardId ? ` (card ${e.cardId})` : ''}, which cannot be re-run (${spec.reason}); verified without it`);
          continue;
        }
        experiments.set(spec.name, experiments.get(spec.name) ?? spec);
        const mine = experimentOf.get(t) ?? [];
        if (!mine.some((s) => s.name === spec.name)) experimentOf.set(t, [...mine, experiments.get(spec.name) as CheckSpec]);
      }
    }

    // baseline: every check once on the untouched worktree
    const baseline: CheckResult[] = [];
    const usable: CheckSpec[] = [];
    const b0 = performance.now();
    for (const spec of common) {
      say(`refactor: baseline ${spec.name}: ${commandLine(spec)}`);
      const r = await deps.runCheck(spec);
      baseline.push(r);
      if (r.ok) {
        usable.push(spec);
        continue;
      }
      if (!noVerify) {
        throw new FaultlineError('FL_ERR_REFACTOR_BASELINE', `the ${spec.name} check fails on the untouched code at ${o.baseCommit.slice(0, 12)}, so it cannot verify any fix (\`${commandLine(spec)}\`, ${r.detail.split('\n')[0]}); make it pass at HEAD, set refactor.${spec.kind} in faultline.yaml to a command that does${spec.kind === 'typecheck' ? ' (or to false: no type-check, e.g. when tsconfig.json is not for this code)' : ' (e.g. the tests that run offline)'}, or pass --no-verify to skip it:\n${r.detail}`, {
          context: { check: spec.name, command: commandLine(spec), detail: r.detail },
        });
      }
      notes.push(`⚠️ ${spec.name} FAILS on the untouched code (\`${commandLine(spec)}\`): skipped for every fix (--no-verify)${spec.kind === 'test' ? '; fixes are kept UNVERIFIED' : ''}`);
    }
    const experimentBefore = new Map<string, CheckResult>();
    for (const spec of experiments.values()) {
      say(`refactor: baseline ${spec.name} (expected to fail: the steady state was violated)`);
      const r = await deps.runCheck(spec);
      baseline.push(r);
      experimentBefore.set(spec.name, r);
      if (r.ok === null) {
        // it could not run at all on the untouched code (a card that cannot be drilled there): it cannot show anything
        notes.push(`${spec.name} could not be run on the untouched code (${r.detail.split('\n')[0]}), so it cannot verify the fixes it exposed; they are verified without it`);
        for (const [t, list] of experimentOf) experimentOf.set(t, list.filter((x) => x.name !== spec.name));
        continue;
      }
      if (r.ok) notes.push(`${spec.name}: the steady state already held before any fix, so it cannot show that a fix helps; it still guards against a fix that breaks it`);
    }
    timing.baselineMs = performance.now() - b0;
    timing.checksMs += baseline.reduce((s, c) => s + c.ms, 0);
    const testVerifies = usable.some((c) => c.kind === 'test');

    const locator = new FileLocator();
    const fixes: FixReport[] = [];
    // a fix set: fixes exposed by the same run whose experiment still failed after the first of them. They stay
    // applied (uncommitted) while the rest of the set is tried right after; the experiment judges them together
    // after each, and they are committed (one commit each, in order) when it holds, or all put back when the
    // last one of the set still fails it.
    interface Pending {
      id: string;
      nn: number;
      target: RefactorTarget;
      recipe: { id: string; title: string };
      prepared: { after: string; edits: PreparedEdits; diff: string; line: number; others: { path: string; edits: PreparedEdits; before: string; after: string }[] };
      checks: CheckResult[];
      exps: CheckSpec[];
      characterisation?: FixCharacterisation;
      patch: string;
      recipeMs: number;
      base: RefactorRecord;
    }
    type PreparedEdits = Parameters<FileLocator['kept']>[1];
    let pending: Pending[] = [];
    let pendingExperiments = new Set<string>();
    let snapshot: FileLocator | undefined;
    const queue = o.targets.map((target, i) => ({ target, nn: i + 1 }));
    const sharesExperiment = (t: RefactorTarget, names: ReadonlySet<string>): boolean => (experimentOf.get(t) ?? []).some((x) => names.has(x.name));
    const verdictsOf = (exps: readonly CheckSpec[], checks: readonly CheckResult[], final?: readonly CheckResult[]) =>
      exps.map((x) => ({ name: x.name, before: experimentBefore.get(x.name)?.ok ?? null, after: (final?.find((c) => c.name === x.name) ?? checks.find((c) => c.name === x.name))?.ok ?? null }));
    const experimentFieldsOf = (v: ReturnType<typeof verdictsOf>) => (v[0] ? { experiment: v[0], ...(v.length > 1 ? { experiments: v } : {}) } : {});
    const recordedOf = (checks: readonly CheckResult[]) => checks.map((c) => ({ name: c.name, ok: c.ok, ms: Math.round(c.ms), detail: c.detail }));
    const unverifiedWhy = testVerifies ? undefined : hasTest ? 'the test command fails on the untouched code, so no test verified this change (kept with --no-verify)' : 'the project has no test command, so no test verified this change (kept with --no-verify)';

    const filesOf = (f: Pending): string[] => [f.target.path, ...f.prepared.others.map((x) => x.path)];
    /** the fix's edits, in every file it changes, become the locator's (later targets there have moved) */
    const keptEdits = (f: Pending): void => {
      locator.kept(f.target.path, f.prepared.edits, f.recipe.id);
      for (const x of f.prepared.others) locator.kept(x.path, x.edits, f.recipe.id);
    };
    /** the project's files for a recipe that changes callers too: the target's package in the worktree, as it is now */
    const projectOf = (path: string) => (ws.list ? recipeProject(projectFiles(ws.list(), path), (p) => ws.read(p)) : undefined);
    /** Commits one fix whose checks passed (alone, or as part of a set whose experiment held with the last one). */
    const keep = async (f: Pending, extra: { together?: string; final?: CheckResult[] } = {}): Promise<void> => {
      const checks = extra.final ? [...f.checks.filter((c) => c.kind !== 'experiment'), ...extra.final.filter((c) => c.kind === 'experiment')] : f.checks;
      const message = commitMessage({ fixId: f.id, runId: o.runId, target: { ...f.target, line: f.prepared.line }, recipe: f.recipe, checks, experimentsBefore: f.exps.map((x) => experimentBefore.get(x.name)).filter((c): c is CheckResult => c !== undefined), ...(unverifiedWhy ? { unverified: unverifiedWhy } : {}), ...(extra.together ? { together: extra.together } : {}) });
      g = performance.now();
      ws.write(f.target.path, f.prepared.after);
      for (const x of f.prepared.others) ws.write(x.path, x.after);
      const commit = await ws.commit(filesOf(f), message);
      timing.gitMs += performance.now() - g;
      committed++;
      const outcome = unverifiedWhy ? 'unverified' : 'kept';
      const reason = [unverifiedWhy, extra.together].filter((x): x is string => x !== undefined).join('; ');
      say(`refactor: ${f.id} ${outcome} ${commit.slice(0, 10)}${extra.together ? ` (${extra.together})` : ''}`);
      fixes.push({ id: f.id, nn: f.nn, target: f.target, recipe: f.recipe.id, recipeTitle: f.recipe.title, outcome, ...(reason ? { reason } : {}), checks, ...experimentFieldsOf(verdictsOf(f.exps, f.checks, extra.final)), ...(f.characterisation ? { characterisation: f.characterisation } : {}), commit, patch: f.patch, diff: f.prepared.diff, files: filesOf(f), recipeMs: f.recipeMs });
      deps.record?.({ ...f.base, recipe: f.recipe.id, outcome, ...(reason ? { reason } : {}), checks: recordedOf(checks), commit, patch: f.patch, files: filesOf(f) });
    };
    const revert = (f: Pending, reason: string): void => {
      say(`refactor: ${f.id} reverted: ${reason}`);
      fixes.push({ id: f.id, nn: f.nn, target: f.target, recipe: f.recipe.id, recipeTitle: f.recipe.title, outcome: 'reverted', reason, checks: f.checks, ...experimentFieldsOf(verdictsOf(f.exps, f.checks)), ...(f.characterisation ? { characterisation: f.characterisation } : {}), patch: f.patch, diff: f.prepared.diff, files: filesOf(f), recipeMs: f.recipeMs });
      deps.record?.({ ...f.base, recipe: f.recipe.id, outcome: 'reverted', reason, checks: recordedOf(f.checks), patch: f.patch, files: filesOf(f) });
    };
    /** Puts back every fix of the pending set (they are uncommitted) and forgets their edits. */
    const dropPending = async (reason: (f: Pending) => string): Promise<void> => {
      g = performance.now();
      await ws.restore([...new Set(pending.flatMap(filesOf))]);
      timing.gitMs += performance.now() - g;
      for (const p of pending) revert(p, reason(p));
      if (snapshot) locator.restoreFrom(snapshot);
      pending = [];
      pendingExperiments = new Set();
      snapshot = undefined;
    };

    while (queue.length > 0) {
      const { target, nn } = queue.shift() as { target: RefactorTarget; nn: number };
      const inSet = pending.length > 0 && sharesExperiment(target, pendingExperiments);
      if (pending.length > 0 && !inSet) {
        // the set's remaining members were moved to the front, so a target outside it means the set is over
        await dropPending(() => `kept only if the experiment held with the rest of its fix set, and it still failed after the last of them: ${[...pendingExperiments].join(', ')}`);
      }
      const id = `${o.runId}-${pad2(nn)}`;
      const at = now().toISOString();
      const r0 = performance.now();
      const project = projectOf(target.path);
      const prepared = prepareFix(target, ws.read(target.path), locator, deps.recipes, o.recipeOptions ?? {}, project);
      const recipeMs = performance.now() - r0;
      timing.recipeMs += recipeMs;
      const base: RefactorRecord = { id, runId: o.runId, at, repo: o.repo, baseCommit: o.baseCommit, branch: ws.branch, target: toRecorded(target), recipe: target.recipes[0] ?? '-', outcome: 'skipped', checks: [], files: [] };
      if (!prepared.ok) {
        say(`refactor: ${id} skipped: ${prepared.reason}`);
        const fix: FixReport = { id, nn, target, ...(prepared.recipe ? { recipe: prepared.recipe } : {}), outcome: 'skipped', reason: prepared.reason, checks: [], files: [], recipeMs };
        fixes.push(fix);
        deps.record?.({ ...base, ...(prepared.recipe ? { recipe: prepared.recipe } : {}), reason: prepared.reason });
        if (inSet && !queue.some((q) => sharesExperiment(q.target, pendingExperiments))) await dropPending(() => `kept only if the experiment held with the rest of its fix set, whose last fix (${id}) could not be applied: ${[...pendingExperiments].join(', ')} still fails`);
        continue;
      }
      const recipe = prepared.recipe;
      const patch = join(o.outDir, patchName(nn, recipe.id, target.path));
      writeFileSync(patch, prepared.diff);
      // characterisation pins the function as it is now, before the change
      let characterisation: FixCharacterisation | undefined;
      let pinnedCheck: CheckSpec | undefined;
      if (deps.characteriser) {
        const c0 = performance.now();
        const c = await characterise(deps.characteriser, target, { dir: ws.dir, text: prepared.before, line: prepared.location.line, ...(prepared.location.col !== undefined ? { col: prepared.location.col } : {}), fixId: id }, recipe, say);
        characterisation = c.report;
        pinnedCheck = c.check;
        timing.characteriseMs = (timing.characteriseMs ?? 0) + (performance.now() - c0);
      }
      ws.write(target.path, prepared.after);
      for (const x of prepared.others) ws.write(x.path, x.after);

      // verify: the pinned behaviour (cheapest), the usable common checks, then the exposing experiments; stop at the first failure
      const checks: CheckResult[] = [];
      const exps = experimentOf.get(target) ?? [];
      const specs = [...(pinnedCheck ? [pinnedCheck] : []), ...usable, ...exps];
      let failed: CheckResult | undefined;
      for (const spec of specs) {
        if (failed) {
          checks.push(skippedCheck(spec, `not run: ${failed.name} failed`));
          continue;
        }
        say(`refactor: ${id} ${recipe.id} at ${target.path}:${prepared.location.line}: ${spec.name}`);
        const r = await deps.runCheck(spec);
        timing.checksMs += r.ms;
        checks.push(r);
        if (spec.kind === 'characterisation' && characterisation) characterisation.recheckMs = r.ms;
        if (!r.ok) failed = r;
      }
      for (const c of baseline) if (c.ok === false && c.kind !== 'experiment') checks.push(skippedCheck(c, `not run: fails on the untouched code (--no-verify)`));
      const me: Pending = { id, nn, target, recipe: { id: recipe.id, title: recipe.title }, prepared: { after: prepared.after, edits: prepared.edits, diff: prepared.diff, line: prepared.location.line, others: prepared.others }, checks, exps, ...(characterisation ? { characterisation } : {}), patch, recipeMs, base };

      // only the experiment failed, and other fixes exposed by the same run are still to come: try them with this one applied
      const experimentOnly = failed !== undefined && failed.kind === 'experiment';
      const failedNames = new Set(checks.filter((c) => c.kind === 'experiment' && c.ok === false).map((c) => c.name));
      const mates = experimentOnly ? queue.filter((q) => sharesExperiment(q.target, failedNames)) : [];
      if (experimentOnly && mates.length > 0) {
        if (pending.length === 0) snapshot = locator.clone();
        pending.push(me);
        for (const n of failedNames) pendingExperiments.add(n);
        keptEdits(me);
        // the rest of the set next, in their order
        for (const m of mates) queue.splice(queue.indexOf(m), 1);
        queue.unshift(...mates);
        say(`refactor: ${id} ${recipe.id}: ${[...failedNames].join(', ')} still fails; kept applied while ${mates.length} more fix(es) exposed by the same run are tried`);
        continue;
      }

      if (failed) {
        const reason = failed.kind === 'characterisation' ? `characterisation: ${failed.detail.split('\n')[0]}` : `${failed.name} failed after the change: ${failed.detail.split('\n')[0]}`;
        if (inSet) {
          if (failed.kind === 'experiment') {
            // the last of the set, and the experiment still fails: the whole set goes
            g = performance.now();
            await ws.restore(filesOf(me));
            timing.gitMs += performance.now() - g;
            await dropPending(() => `kept only if ${[...pendingExperiments].join(', ')} held with the rest of its fix set; it still failed after the last of them (${id})`);
            revert(me, reason);
            continue;
          }
          // this fix broke something else: put back only its change, the set goes on
          ws.write(target.path, prepared.before);
          for (const x of prepared.others) ws.write(x.path, x.before);
          revert(me, reason);
          if (!queue.some((q) => sharesExperiment(q.target, pendingExperiments))) await dropPending(() => `kept only if ${[...pendingExperiments].join(', ')} held with the rest of its fix set; its last fix (${id}) was reverted`);
          continue;
        }
        g = performance.now();
        await ws.restore(filesOf(me));
        timing.gitMs += performance.now() - g;
        revert(me, reason);
        continue;
      }
      if (inSet) {
        // the experiment holds with the whole set: commit each in order, this one last
        const final = checks;
        const names = [...pendingExperiments].join(', ');
        const ids = [...pending.map((p) => p.id), id];
        for (const p of pending) await keep(p, { together: `verified together with ${ids.filter((x) => x !== p.id).join(', ')}: ${names} held only with all of them applied`, final });
        pending = [];
        pendingExperiments = new Set();
        snapshot = undefined;
        await keep(me, { together: `verified together with ${ids.filter((x) => x !== id).join(', ')}: ${names} held only with all of them applied` });
        keptEdits(me);
        continue;
      }
      await keep(me);
      keptEdits(me);
    }
    if (pending.length > 0) await dropPending(() => `kept only if ${[...pendingExperiments].join(', ')} held with the rest of its fix set; it still failed`);

    const ended = now();
    timing.totalMs = performance.now() - t0;
    return {
      runId: o.runId,
      repo: o.repo,
      baseCommit: o.baseCommit,
      ...(committed > 0 ? { branch: ws.branch } : {}),
      dryRun: false,
      noVerify,
      startedAt: started.toISOString(),
      endedAt: ended.toISOString(),
      checks: [...common, ...experiments.values()].map((c) => ({ name: c.name, kind: c.kind, command: commandLine(c) })),
      baseline,
      fixes,
      dropped: o.dropped ?? [],
      summary: summarize(fixes, o.considered ?? o.targets.length + (o.dropped?.length ?? 0)),
      timing,
      notes: [...(o.notes ?? []), ...notes],
      outDir: o.outDir,
    };
  } finally {
    g = performance.now();
    await ws.dispose();
    if (committed === 0) await deps.deleteBranch?.(ws.branch);
    timing.gitMs += performance.now() - g;
    timing.totalMs = performance.now() - t0;
  }
}

export interface PlanOptions {
  runId: string;
  repo: string;
  baseCommit: string;
  targets: readonly RefactorTarget[];
  dropped?: RefactorReport['dropped'];
  considered?: number;
  recipeOptions?: Partial<RecipeOptions>;
  notes?: string[];
  /** a file's text at the base commit */
  read(path: string): Promise<string | undefined> | string | undefined;
  /** the repository's files at the base commit (for recipes that change callers too; none: they refuse) */
  list?(): readonly string[];
  recipes: RecipeLookup;
  now?(): Date;
  /** says which targets would be characterised and why (nothing is run); its files are read from `dir` */
  characteriser?: Characteriser;
  /** the folder the characteriser reads imported and test files from (default: `repo`) */
  dir?: string;
}

/**
 * The dry run: every fix applied in memory on top of the previous ones (as if each were kept), with its
 * unified diff. No worktree, no command, nothing written.
 */
export async function planFixes(o: PlanOptions): Promise<RefactorReport> {
  const now = o.now ?? (() => new Date());
  const started = now();
  const t0 = performance.now();
  const locator = new FileLocator();
  const current = new Map<string, string | undefined>();
  const fixes: FixReport[] = [];
  let recipeTotal = 0;
  for (const [i, target] of o.targets.entries()) {
    const nn = i + 1;
    const id = `${o.runId}-${pad2(nn)}`;
    if (!current.has(target.path)) current.set(target.path, await o.read(target.path));
    let project: ReturnType<typeof recipeProject> | undefined;
    if (o.list) {
      const paths = projectFiles(o.list(), target.path);
      for (const p of paths) if (!current.has(p)) current.set(p, await o.read(p));
      project = recipeProject(paths, (p) => current.get(p));
    }
    const r0 = performance.now();
    const prepared = prepareFix(target, current.get(target.path), locator, o.recipes, o.recipeOptions ?? {}, project);
    const recipeMs = performance.now() - r0;
    recipeTotal += recipeMs;
    if (!prepared.ok) {
      fixes.push({ id, nn, target, ...(prepared.recipe ? { recipe: prepared.recipe } : {}), outcome: 'skipped', reason: prepared.reason, checks: [], files: [], recipeMs });
      continue;
    }
    let characterisation: FixCharacterisation | undefined;
    if (o.characteriser) {
      try {
        const d = await o.characteriser.decide({ path: target.path, line: prepared.location.line, ...(prepared.location.col !== undefined ? { col: prepared.location.col } : {}) }, { dir: o.dir ?? o.repo, text: prepared.before }, prepared.recipe);
        characterisation = fromDecision(d);
      } catch (e) {
        characterisation = { characterised: false, reason: `characterisation failed: ${(e as Error).message}`, decideMs: 0 };
      }
    }
    current.set(target.path, prepared.after);
    locator.kept(target.path, prepared.edits, prepared.recipe.id);
    for (const x of prepared.others) {
      current.set(x.path, x.after);
      locator.kept(x.path, x.edits, prepared.recipe.id);
    }
    fixes.push({ id, nn, target, recipe: prepared.recipe.id, recipeTitle: prepared.recipe.title, outcome: 'unverified', reason: 'dry run: not applied, not verified', checks: [], ...(characterisation ? { characterisation } : {}), diff: prepared.diff, files: [target.path, ...prepared.others.map((x) => x.path)], recipeMs });
  }
  const totalMs = performance.now() - t0;
  return {
    runId: o.runId,
    repo: o.repo,
    baseCommit: o.baseCommit,
    dryRun: true,
    noVerify: false,
    startedAt: started.toISOString(),
    endedAt: now().toISOString(),
    checks: [],
    baseline: [],
    fixes,
    dropped: o.dropped ?? [],
    summary: summarize(fixes, o.considered ?? o.targets.length + (o.dropped?.length ?? 0)),
    timing: { totalMs, recipeMs: recipeTotal, checksMs: 0, gitMs: 0, baselineMs: 0 },
    notes: [...(o.notes ?? [])],
  };
}
