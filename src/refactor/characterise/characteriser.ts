/**
 * Characterisation tests for the refactoring engine: before a recipe touches a weakly covered function, its
 * behaviour on generated inputs is recorded (pinned) in the workspace, and after the change the same inputs
 * must give the same outcomes — a `characterisation` check the engine runs first, before the type-check and
 * the tests.
 *
 * `decide` says whether a target's function is characterised and why (no process is started: the dry run uses
 * it too); `pin` generates the inputs, runs them twice each in a child process, drops the unstable ones,
 * writes the pinned node:test file and returns the check that runs it.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CheckSpec } from '../engine/checks.js';
import { git } from '../engine/git.js';
import { generateInputs, seedOf } from './arbitraries.js';
import { type CoverageDecision, type CoverageMap, decideFromCoverage, decideFromTestNames, isTestFile } from './coverage.js';
import { type FunctionUnderTest, pickFunction } from './functions.js';
import { exposedModuleUrl } from './loader.js';
import { checkerFor } from './program.js';
import { describeCall, describeOutcome, decodeValue, type Outcome, sameOutcome } from './runtime.js';
import { defaultFolder, prepareFolder, runInputs, hookArgs } from './runner.js';
import { describeParams } from './shapes.js';
import { judgePinned, testFileSource } from './test-file.js';

export const DEFAULT_CHARACTERISE_RUNS = 100;
export const DEFAULT_CALL_TIMEOUT_MS = 200;
/** calls per input, before and after the change: two outcomes that differ make the input unstable */
const REPEAT = 2;

/** How a change is compared: every pinned outcome (structural recipes), or only the normal returns (resilience recipes change failures on purpose). */
export type CompareMode = 'exact' | 'returns';

export interface CharacterisationDecision {
  characterise: boolean;
  /** why (not): the coverage verdict, or what made the function uncharacterisable */
  reason: string;
  fn?: { name: string; line: number; endLine: number; params: string };
  coverage?: CoverageDecision;
  mode?: CompareMode;
  /** the function as the child calls it (present when characterise is true) */
  target?: FunctionUnderTest;
  ms: number;
}

export interface PinnedCase {
  /** `f(1, "a")` */
  call: string;
  /** the encoded arguments (runtime.ts encodeValue) */
  args: unknown;
  outcome: Outcome;
  /** how the outcome reads: "returned 3" */
  was: string;
}

export interface PinnedCharacterisation {
  fn: string;
  path: string;
  seed: number;
  /** distinct inputs generated */
  generated: number;
  /** inputs whose two runs agreed */
  pinned: number;
  /** of those, the ones the check compares (all in exact mode; the normal returns in returns mode) */
  compared: number;
  mode: CompareMode;
  dropped: { unstable: number; timeout: number; crashed: number };
  /** the compared cases */
  cases: PinnedCase[];
  /** the node:test file (absolute) */
  testFile: string;
  ms: number;
}

export type PinResult = { ok: true; pinned: PinnedCharacterisation; check: CheckSpec } | { ok: false; reason: string; ms: number };

export interface CharacteriseTarget {
  path: string;
  line: number;
  col?: number;
}

/** What the engine asks of characterisation (the real one is `createCharacteriser`; tests may fake it). */
export interface Characteriser {
  /** whether the target's function is characterised, and why; `text` is the file as it is in `dir` now */
  decide(target: CharacteriseTarget, file: { dir: string; text: string }, recipe: { id: string; category: 'resilience' | 'structural' }): Promise<CharacterisationDecision>;
  /** pins the decided function in `dir` (before the change); `fixId` names the test file */
  pin(decision: CharacterisationDecision, at: { dir: string; path: string; fixId: string }): Promise<PinResult>;
}

export interface CharacteriserOptions {
  /** the seed is derived from it unless `seed` is given */
  runId: string;
  seed?: number;
  runs?: number;
  callTimeoutMs?: number;
  /** an istanbul coverage-final.json already read, and where it came from (for reasons) */
  coverage?: { map: CoverageMap; source: string };
  /** the pinned tests' time limit (default: generous for the number of inputs) */
  checkTimeoutMs?: number;
  /** characterise even strongly covered functions */
  always?: boolean;
  /** where the pinned tests and the child's files go (default `<workspace>/.faultline-characterisation`) */
  folder?: string;
}

const safe = (s: string): string => s.replace(/[^\w.-]+/g, '_');

/** Test files of a work tree (tracked files, read from disk), cached per folder. */
function testFilesOf(cache: Map<string, Promise<{ path: string; text: string }[]>>, dir: string): Promise<{ path: string; text: string }[]> {
  let p = cache.get(dir);
  if (p === undefined) {
    p = (async () => {
      const out = await git(dir, ['ls-files', '-z']).catch(() => '');
      const files: { path: string; text: string }[] = [];
      for (const path of out.split('\0')) {
        if (path === '' || !isTestFile(path) || !/\.([cm]?[jt]sx?)$/.test(path)) continue;
        const abs = join(dir, path);
        try {
          if (statSync(abs).size > 2_000_000) continue;
          files.push({ path, text: readFileSync(abs, 'utf8') });
        } catch {
          // deleted in the work tree
        }
      }
      return files;
    })();
    cache.set(dir, p);
  }
  return p;
}

export function createCharacteriser(o: CharacteriserOptions): Characteriser {
  const runs = o.runs ?? DEFAULT_CHARACTERISE_RUNS;
  const callTimeoutMs = o.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const seed = o.seed ?? seedOf(o.runId);
  const tests = new Map<string, Promise<{ path: string; text: string }[]>>();

  return {
    async decide(target, file, recipe) {
      const t0 = performance.now();
      const done = (d: Omit<CharacterisationDecision, 'ms'>): CharacterisationDecision => ({ ...d, ms: performance.now() - t0 });
      let pick;
      try {
        const { checker, sf } = checkerFor(join(file.dir, target.path), file.text);
        pick = pickFunction(checker, sf, target.line, target.col);
      } catch (e) {
        return done({ characterise: false, reason: `the file could not be analysed: ${(e as Error).message}` });
      }
      if (!pick.ok) return done({ characterise: false, reason: pick.reason });
      const fn = pick.fn;
      const info = { name: fn.name, line: fn.line, endLine: fn.endLine, params: describeParams(fn.params) };
      const plainName = fn.method ?? fn.binding;
      const covered = { name: plainName, line: fn.line, endLine: fn.endLine };
      const coverage = o.coverage ? decideFromCoverage(o.coverage.map, o.coverage.source, target.path, covered) : decideFromTestNames(plainName, await testFilesOf(tests, file.dir));
      const mode: CompareMode = recipe.category === 'resilience' ? 'returns' : 'exact';
      if (!coverage.weak && !o.always) return done({ characterise: false, reason: `strongly covered (${coverage.detail}): its tests pin it already`, fn: info, coverage });
      const why = `${coverage.weak ? 'weakly covered' : 'covered'} (${coverage.detail})${mode === 'returns' ? `; ${recipe.id} changes failures on purpose, so only normal returns are compared` : ''}`;
      return done({ characterise: true, reason: why, fn: info, coverage, mode, target: fn });
    },

    async pin(decision, at) {
      const t0 = performance.now();
      const skip = (reason: string): PinResult => ({ ok: false, reason, ms: performance.now() - t0 });
      const fn = decision.target;
      if (!decision.characterise || fn === undefined) return skip(decision.reason);
      const mode = decision.mode ?? 'exact';
      const inputs = await generateInputs(fn.params, runs, seed);
      const folder = prepareFolder(o.folder ?? defaultFolder(at.dir));
      const moduleAbs = join(at.dir, at.path);
      const callable = { binding: fn.binding, ...(fn.method !== undefined ? { method: fn.method } : {}), ...(fn.isStatic ? { isStatic: true } : {}) };
      const run = await runInputs({ url: exposedModuleUrl(moduleAbs, fn.binding), callable, inputs: inputs.map((x) => x.encoded), repeat: REPEAT, callTimeoutMs }, { dir: at.dir, folder });
      if (run.error) {
        const what = run.error.kind === 'missing' ? `${fn.name} cannot be reached: ${run.error.detail}` : `the module cannot be imported in isolation: ${run.error.detail}`;
        return skip(what);
      }
      const dropped = { unstable: 0, timeout: 0, crashed: 0 };
      const cases: PinnedCase[] = [];
      let firstUnstable: string | undefined;
      for (const [i, r] of run.results.entries()) {
        const input = inputs[i];
        if (r === undefined || input === undefined) continue;
        const first = r[0] as Outcome;
        if (r.some((x) => x.kind === 'timeout')) {
          dropped.timeout++;
          continue;
        }
        if (r.some((x) => x.kind === 'crashed')) {
          dropped.crashed++;
          continue;
        }
        if (!r.every((x) => sameOutcome(first, x))) {
          dropped.unstable++;
          firstUnstable ??= `${describeCall(fn.name, decodeValue(input.encoded) as unknown[])} ${describeOutcome(first, 'was')}, then ${describeOutcome(r[1] as Outcome, 'was')}`;
          continue;
        }
        cases.push({ call: describeCall(fn.name, decodeValue(input.encoded) as unknown[]), args: input.encoded, outcome: first, was: describeOutcome(first, 'was') });
      }
      const generated = inputs.length;
      if (dropped.unstable * 2 > generated) return skip(`nondeterministic: ${dropped.unstable} of ${generated} inputs gave different outcomes on two runs (e.g. ${firstUnstable ?? '?'})`);
      if (cases.length === 0) return skip(`no input could be pinned (${dropped.timeout} did not settle in ${callTimeoutMs} ms, ${dropped.crashed} ended the process, ${dropped.unstable} unstable, of ${generated})`);
      const compared = mode === 'returns' ? cases.filter((c) => c.outcome.kind === 'returned' || c.outcome.kind === 'resolved') : cases;
      if (compared.length === 0) return skip(`none of the ${cases.length} pinned inputs returned normally, and only normal returns are compared for a resilience recipe`);
      const testFileAbs = join(folder, `${safe(at.fixId)}-${safe(fn.name)}.pinned.mjs`);
      const url = new URL(exposedModuleUrl(moduleAbs, fn.binding));
      const relTest = relative(at.dir, testFileAbs);
      writeFileSync(
        testFileAbs,
        testFileSource({
          name: fn.name,
          modulePath: at.path,
          root: at.dir,
          moduleUrlQuery: url.search,
          callable,
          cases: compared,
          callTimeoutMs,
          repeat: REPEAT,
          awaited: mode === 'returns',
          header: [
            `Characterisation of ${fn.name} (${at.path}:${fn.line}), pinned by faultline refactor ${at.fixId} BEFORE the change:`,
            `${compared.length} input(s) generated from the parameter types (${describeParams(fn.params) || 'none'}) with seed ${seed}, each outcome recorded twice.`,
            mode === 'returns' ? 'Only inputs that returned normally are compared (the recipe changes failures on purpose).' : 'Every outcome is compared: return values, thrown errors, settled promises, changed arguments.',
            `Run: \`node ${relTest.startsWith('..') ? testFileAbs : relTest}\` (against ${at.dir}), or \`FAULTLINE_REPO=<a checkout> node ${testFileAbs}\` against another checkout.`,
          ],
        }),
      );
      const pinned: PinnedCharacterisation = {
        fn: fn.name,
        path: at.path,
        seed,
        generated,
        pinned: cases.length,
        compared: compared.length,
        mode,
        dropped,
        cases: compared,
        testFile: testFileAbs,
        ms: performance.now() - t0,
      };
      const timeoutMs = o.checkTimeoutMs ?? Math.max(60_000, compared.length * REPEAT * callTimeoutMs + 30_000);
      const check: CheckSpec = { name: 'characterisation', kind: 'characterisation', command: process.execPath, args: ['--no-warnings', ...hookArgs(folder), testFileAbs], cwd: at.dir, timeoutMs, judge: (out) => judgePinned(out) };
      return { ok: true, pinned, check };
    },
  };
}
