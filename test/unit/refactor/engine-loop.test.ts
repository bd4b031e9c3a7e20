// The engine's loop with an in-memory workspace, a tiny recipe and checks that judge the workspace's text:
// keep / revert / skip / unverified, the baseline rules and the experiment's before/after.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import type { CheckResult, CheckSpec } from '../../../src/refactor/engine/checks.js';
import { planFixes, runEngine, type EngineDeps } from '../../../src/refactor/engine/engine.js';
import type { RefactorTarget } from '../../../src/refactor/engine/targets.js';
import { MemoryWorkspace } from './memory-workspace.js';
import type { Recipe } from '../../../src/refactor/recipe.js';
import type { RefactorRecord } from '../../../src/store/refactors.js';

/** `shout`: turns the call `foo(` starting at the location into `FOO(` and adds a comment line on top. */
const shout: Recipe = {
  id: 'shout',
  title: 'shout the call',
  category: 'structural',
  addresses: { smells: [], failureTypes: ['timeout'] },
  options: [],
  applies(file, loc) {
    const line = file.text.split('\n')[loc.line - 1];
    if (line === undefined) return { ok: false, reason: 'no such line' };
    if (line.includes('@@')) throw new Error(`${file.path} has 1 syntax error(s)`);
    return line.slice((loc.col ?? 1) - 1).startsWith('foo(') ? { ok: true } : { ok: false, reason: 'no foo( call here' };
  },
  transform(file, loc) {
    if (!this.applies(file, loc).ok) return [];
    let off = 0;
    for (let l = 1; l < loc.line; l++) off = file.text.indexOf('\n', off) + 1;
    off += (loc.col ?? 1) - 1;
    return [
      { start: 0, end: 0, newText: '// shouted\n' },
      { start: off, end: off + 3, newText: 'FOO' },
    ];
  },
};

const target = (o: Partial<RefactorTarget>): RefactorTarget => ({ path: 'a.js', line: 1, col: 1, recipes: ['shout'], confidence: 0.8, severity: 'high', evidence: ['seen in a run'], source: 'prediction', ...o });

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'fl-engine-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

/** checks judged on the workspace text: `test` fails when a.js contains FOO(2), the experiment holds when a.js has no lower-case foo(1). */
function deps(ws: MemoryWorkspace, o: { testAtBaseFails?: boolean; noTest?: boolean; deleted?: string[]; experimentHolds?: (text: string, name: string) => boolean } = {}): EngineDeps & { ran: string[]; records: RefactorRecord[] } {
  const ran: string[] = [];
  const records: RefactorRecord[] = [];
  let baselineDone = false;
  const result = (spec: CheckSpec, ok: boolean): CheckResult => ({ name: spec.name, kind: spec.kind, ok, ms: 5, exitCode: ok ? 0 : 1, timedOut: false, detail: ok ? 'exit 0' : 'exit 1\nassertion failed' });
  return {
    ran,
    records,
    recipes: (id) => (id === 'shout' ? shout : undefined),
    openWorkspace: async () => ws,
    checks: (dir) => [
      { name: 'typecheck', kind: 'typecheck', command: 'tsc', args: [], cwd: dir, timeoutMs: 1000 },
      ...(o.noTest ? [] : [{ name: 'test', kind: 'test' as const, command: 'npm', args: ['test'], cwd: dir, timeoutMs: 1000 }]),
    ],
    experimentCheck: (e, dir) => (e.file ? { name: `experiment ${e.file}`, kind: 'experiment', command: 'faultline', args: ['run', e.file], cwd: dir, timeoutMs: 1000 } : { reason: 'no file' }),
    runCheck: async (spec) => {
      ran.push(spec.name);
      const text = ws.files.get('a.js') ?? '';
      if (spec.kind === 'test') {
        if (!baselineDone && o.testAtBaseFails) return result(spec, false);
        return result(spec, !text.includes('FOO(2)'));
      }
      if (spec.kind === 'experiment') return result(spec, o.experimentHolds ? o.experimentHolds(text, spec.name) : !text.includes('foo(1)'));
      return result(spec, true);
    },
    record: (r) => {
      baselineDone = true;
      records.push(r);
    },
    deleteBranch: async (b) => void o.deleted?.push(b),
  };
}

describe('refactor engine: the loop', () => {
  it('keeps a fix whose checks pass, reverts one a test rejects, skips one the recipe refuses, and keeps locating after a kept fix', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\nfoo(2);\nbar(3);\nfoo(4);\n' });
    const d = deps(ws);
    const report = await runEngine(
      { runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ line: 1 }), target({ line: 2 }), target({ line: 3 }), target({ line: 4 })] },
      d,
    );
    expect(report.fixes.map((f) => f.outcome)).toEqual(['kept', 'reverted', 'skipped', 'kept']);
    // the 4th target was on base line 4; after the first kept fix (one line on top) it is on line 5, and was found there
    expect(ws.committed.get('a.js')).toBe('// shouted\n// shouted\nFOO(1);\nfoo(2);\nbar(3);\nFOO(4);\n');
    expect(ws.files.get('a.js')).toBe(ws.committed.get('a.js'));
    expect(ws.commits).toHaveLength(2);
    expect(ws.commits[0]?.message).toMatch(/^faultline: shout at a\.js:1/);
    expect(ws.commits[0]?.message).toMatch(/- test: passed/);
    expect(ws.commits[0]?.message).toMatch(/Faultline-Fix: r1-01/);
    const reverted = report.fixes[1];
    expect(reverted?.reason).toMatch(/^test failed after the change: exit 1/);
    expect(readFileSync(reverted?.patch as string, 'utf8')).toContain('-foo(2);\n+FOO(2);');
    expect(report.fixes[2]?.reason).toMatch(/shout: no foo\( call here/);
    expect(report.summary).toMatchObject({ attempted: 4, kept: 2, reverted: 1, skipped: 1, unverified: 0 });
    expect(d.records.map((r) => [r.id, r.outcome, r.commit ?? null])).toEqual([
      ['r1-01', 'kept', ws.commits[0]?.id],
      ['r1-02', 'reverted', null],
      ['r1-03', 'skipped', null],
      ['r1-04', 'kept', ws.commits[1]?.id],
    ]);
    // baseline: typecheck + test once, then typecheck + test per fix that applied (3)
    expect(d.ran).toEqual(['typecheck', 'test', 'typecheck', 'test', 'typecheck', 'test', 'typecheck', 'test']);
    expect(report.branch).toBe('faultline/refactor/r1');
    expect(ws.disposed).toBe(true);
  });

  it('a recipe that throws (a file that does not parse) is skipped and the run goes on', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1) @@\n', 'b.js': 'foo(1);\n' });
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ path: 'a.js' }), target({ path: 'b.js' }), target({ path: 'gone.js' })] }, deps(ws));
    expect(report.fixes.map((f) => [f.outcome, f.reason ?? ''])).toEqual([
      ['skipped', 'shout: a.js has 1 syntax error(s)'],
      ['kept', ''],
      ['skipped', 'gone.js does not exist at the base commit'],
    ]);
  });

  it('stops before any fix when a check fails on the untouched code, and deletes the empty branch', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\n' });
    const deleted: string[] = [];
    const err = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({})] }, deps(ws, { testAtBaseFails: true, deleted })).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'FL_ERR_REFACTOR_BASELINE')).toBe(true);
    expect((err as Error).message).toMatch(/the test check fails on the untouched code/);
    expect((err as Error).message).toMatch(/set refactor\.test in faultline\.yaml/);
    expect(ws.commits).toHaveLength(0);
    expect(ws.disposed).toBe(true);
    expect(deleted).toEqual(['faultline/refactor/r1']);
  });

  it('--no-verify with a failing baseline test: the test is skipped with a loud mark and the fix is kept UNVERIFIED', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\n' });
    const d = deps(ws, { testAtBaseFails: true });
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({})], noVerify: true }, d);
    expect(report.fixes[0]?.outcome).toBe('unverified');
    expect(report.fixes[0]?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['typecheck', true],
      ['test', null],
    ]);
    expect(report.notes.join('\n')).toMatch(/test FAILS on the untouched code/);
    expect(ws.commits[0]?.message).toMatch(/\[unverified\]/);
    expect(ws.commits[0]?.message).toMatch(/UNVERIFIED: the test command fails on the untouched code/);
    expect(d.records[0]?.outcome).toBe('unverified');
  });

  it('without a test command it refuses unless --no-verify, which marks every kept fix unverified', async () => {
    const err = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({})] }, deps(new MemoryWorkspace({ 'a.js': 'foo(1);\n' }), { noTest: true })).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'FL_ERR_REFACTOR_NO_TESTS')).toBe(true);
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\n' });
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({})], noVerify: true }, deps(ws, { noTest: true }));
    expect(report.fixes[0]?.outcome).toBe('unverified');
    expect(report.fixes[0]?.reason).toMatch(/no test command/);
  });

  it('re-runs the exposing experiment: violated before (baseline), held after the fix', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\n' });
    const d = deps(ws);
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ exposedBy: { runId: 'run-7', kind: 'experiment', file: 'exp.yaml' } })] }, d);
    expect(report.baseline.map((b) => [b.name, b.ok])).toEqual([
      ['typecheck', true],
      ['test', true],
      ['experiment exp.yaml', false],
    ]);
    expect(report.fixes[0]).toMatchObject({ outcome: 'kept', experiment: { name: 'experiment exp.yaml', before: false, after: true } });
    expect(ws.commits[0]?.message).toMatch(/experiment exp\.yaml: steady state violated before the fix, held after/);
    expect(ws.commits[0]?.message).toMatch(/Exposed by: experiment run run-7/);
  });

  it('a fix two runs exposed is verified by both (each before and after), and its commit names both', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\n' });
    const d = deps(ws);
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ exposedBy: { runId: 'run-7', kind: 'experiment', file: 'a.yaml' }, alsoExposedBy: [{ runId: 'run-7', kind: 'experiment', file: 'b.yaml' }] })] }, d);
    expect(d.ran.filter((n) => n.startsWith('experiment'))).toEqual(['experiment a.yaml', 'experiment b.yaml', 'experiment a.yaml', 'experiment b.yaml']);
    expect(report.fixes[0]).toMatchObject({ outcome: 'kept', experiment: { name: 'experiment a.yaml', before: false, after: true }, experiments: [{ name: 'experiment a.yaml', before: false, after: true }, { name: 'experiment b.yaml', before: false, after: true }] });
    expect(ws.commits[0]?.message).toMatch(/experiment b\.yaml: steady state violated before the fix, held after/);
    expect(ws.commits[0]?.message.match(/^Exposed by:/gm)).toHaveLength(2);
  });

  it('a fix set: fixes exposed by one run that hold its experiment only together are tried in a row and committed one by one', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\nfoo(3);\n', 'b.js': 'foo(9);\n' });
    const d = deps(ws, { experimentHolds: (text) => !text.includes('foo(') });
    const exp = { runId: 'run-7', kind: 'experiment', file: 'exp.yaml' };
    // the unrelated b.js target comes between the two in score order; the set's second member is tried before it
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ line: 1, exposedBy: exp }), target({ path: 'b.js', line: 1 }), target({ line: 2, exposedBy: exp })] }, d);
    expect(report.fixes.map((f) => [f.id, f.outcome])).toEqual([
      ['r1-01', 'kept'],
      ['r1-03', 'kept'],
      ['r1-02', 'kept'],
    ]);
    expect(report.fixes[0]?.reason).toMatch(/verified together with r1-03: experiment exp\.yaml held only with all of them applied/);
    expect(report.fixes[0]?.experiment).toEqual({ name: 'experiment exp.yaml', before: false, after: true });
    // one commit per fix, each with only its own change on top of the previous one
    expect(ws.commits.map((c) => c.paths)).toEqual([['a.js'], ['a.js'], ['b.js']]);
    expect(ws.commits[0]?.message).toMatch(/Verified together: verified together with r1-03/);
    expect(ws.committed.get('a.js')).toBe('// shouted\n// shouted\nFOO(1);\nFOO(3);\n');
  });

  it('a fix set whose experiment still fails after its last fix is put back whole, and the run goes on', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\nfoo(3);\nbar(5);\n', 'b.js': 'foo(9);\n' });
    const d = deps(ws, { experimentHolds: (text) => !text.includes('bar(') });
    const exp = { runId: 'run-7', kind: 'experiment', file: 'exp.yaml' };
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ line: 1, exposedBy: exp }), target({ line: 2, exposedBy: exp }), target({ path: 'b.js', line: 1 })] }, d);
    expect(report.fixes.map((f) => [f.id, f.outcome])).toEqual([
      ['r1-01', 'reverted'],
      ['r1-02', 'reverted'],
      ['r1-03', 'kept'],
    ]);
    expect(report.fixes[0]?.reason).toMatch(/kept only if experiment exp\.yaml held with the rest of its fix set; it still failed after the last of them \(r1-02\)/);
    expect(ws.files.get('a.js')).toBe('foo(1);\nfoo(3);\nbar(5);\n');
    expect(ws.commits.map((c) => c.paths)).toEqual([['b.js']]);
    expect(d.records.filter((r) => r.outcome === 'reverted')).toHaveLength(2);
  });

  it('an experiment that cannot run at all on the untouched code (ok null) verifies nothing: noted, and the fix is verified without it', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\n' });
    const d = deps(ws);
    const run = d.runCheck;
    d.runCheck = async (spec) => (spec.kind === 'experiment' ? { name: spec.name, kind: spec.kind, ok: null, ms: 1, exitCode: 1, timedOut: false, detail: 'card c was not drilled' } : run(spec));
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ exposedBy: { runId: 'run-9', kind: 'experiment', file: 'x.yaml' } })] }, d);
    expect(report.fixes[0]).toMatchObject({ outcome: 'kept' });
    expect(report.fixes[0]?.experiment).toBeUndefined();
    expect(report.notes.join('\n')).toMatch(/experiment x\.yaml could not be run on the untouched code \(card c was not drilled\)/);
  });

  it('an exposure that cannot be re-run is noted, and the fix is verified without it', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'foo(1);\n' });
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ exposedBy: { runId: 'run-8', kind: 'experiment' } })] }, deps(ws));
    expect(report.fixes[0]?.outcome).toBe('kept');
    expect(report.fixes[0]?.experiment).toBeUndefined();
    expect(report.notes.join('\n')).toMatch(/exposed by run run-8, which cannot be re-run \(no file\)/);
  });

  it('the dry run applies every fix in memory on top of the previous ones, with diffs, and runs nothing', async () => {
    const report = await planFixes({ runId: 'r1', repo: '/repo', baseCommit: 'base', targets: [target({ line: 1 }), target({ line: 2 }), target({ line: 3 })], read: () => 'foo(1);\nfoo(2);\nbar(3);\n', recipes: (id) => (id === 'shout' ? shout : undefined) });
    expect(report.dryRun).toBe(true);
    expect(report.fixes.map((f) => f.outcome)).toEqual(['unverified', 'unverified', 'skipped']);
    expect(report.fixes[1]?.diff).toBe('--- a/a.js\n+++ b/a.js\n@@ -1,4 +1,5 @@\n // shouted\n+// shouted\n FOO(1);\n-foo(2);\n+FOO(2);\n bar(3);\n');
  });
});
