// `faultline refactor` as a real process (bin/faultline.js, from dist/: run `npm run build` first) on real git
// repositories built here: a tiny ESM project with a `node --test` suite and a JSON.parse smell that
// guard-json-parse fixes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from './repo-git.js';
import type { RunReport } from '../../../src/core/run.js';
import { appendRun } from '../../../src/store/runs.js';

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin', 'faultline.js');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fl-refactor-it-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});


const APP = `export function parseOrder(raw) {
  const order = JSON.parse(raw);
  return order.id;
}
`;
const TEST_OK = `import { test } from 'node:test';
import assert from 'node:assert';
import { parseOrder } from '../src/app.js';
test('reads the id', () => assert.equal(parseOrder('{"id":"a1"}'), 'a1'));
test('bad input throws', () => assert.throws(() => parseOrder('{')));
`;
/** pins the old behaviour: the error must be a SyntaxError (the typed JsonParseError of the fix is not) */
const TEST_PINNED = TEST_OK.replace(`assert.throws(() => parseOrder('{'))`, `assert.throws(() => parseOrder('{'), SyntaxError)`);
const PKG = JSON.stringify({ name: 'shop', private: true, type: 'module', scripts: { test: 'node --test' } });

let n = 0;
/** A fresh repository with one commit; returns its path and a state folder outside it. */
function project(files: Record<string, string>): { repo: string; state: string } {
  const base = join(tmp, `p${++n}`);
  const repo = join(base, 'repo');
  mkdirSync(repo, { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, p)), { recursive: true });
    writeFileSync(join(repo, p), text);
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  return { repo, state: join(base, 'state') };
}

function faultline(state: string, cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string; json: any } {
  const r = spawnSync(process.execPath, [BIN, '--json', ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FAULTLINE_STATE_DIR: state, CI: '1' } });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

/** Every file under the work tree (not .git) with its bytes, plus git's view: the user-visible state. */
function snapshot(repo: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (relative(repo, p) === '.git') continue;
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(repo, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(repo);
  out['<HEAD>'] = git(repo, 'rev-parse', 'HEAD');
  out['<branch>'] = git(repo, 'symbolic-ref', '--short', 'HEAD');
  out['<status>'] = git(repo, 'status', '--porcelain=v1', '--untracked-files=all');
  out['<index>'] = git(repo, 'ls-files', '-s');
  return out;
}

const records = (state: string): any[] => {
  const byId = new Map<string, any>();
  for (const l of readFileSync(join(state, 'refactors.jsonl'), 'utf8').split('\n').filter(Boolean)) byId.set(JSON.parse(l).id, JSON.parse(l));
  return [...byId.values()];
};
const refactorBranches = (repo: string): string[] => git(repo, 'branch', '--list', 'faultline/refactor/*', '--format=%(refname:short)').split('\n').filter(Boolean);

describe('faultline refactor (real git repositories)', () => {
  it('keeps a verified fix on a new branch, skips what recipes refuse, and leaves a dirty user tree byte for byte', () => {
    const { repo, state } = project({
      'package.json': PKG,
      'src/app.js': APP,
      'src/timer.js': `export function later(raw, cb) {\n  setTimeout(() => {\n    cb(JSON.parse(raw));\n  }, 1);\n}\n`,
      'src/broken.js': `export function broken( {\n  return JSON.parse(x);\n`,
      'test/app.test.js': TEST_OK,
    });
    const base = git(repo, 'rev-parse', 'HEAD');
    // the user's uncommitted work: a tracked change and an untracked file
    writeFileSync(join(repo, 'src/app.js'), APP.replace('order.id', 'order.id ?? null // wip'));
    writeFileSync(join(repo, 'notes.txt'), 'my notes\n');
    const predictions = join(tmp, `preds-${n}.json`);
    writeFileSync(predictions, JSON.stringify({ repo, points: [{ path: 'src/broken.js', line: 2, failureType: 'unhandled-error', confidence: 0.95, severity: 'high', topFeatures: [], evidence: ['2 fixes in 90 days'], recipe: 'guard-json-parse' }] }));
    const before = snapshot(repo);

    const r = faultline(state, repo, 'refactor', '--predictions', predictions);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(snapshot(repo)).toEqual(before);

    const rep = r.json;
    expect(rep.fixes.map((f: any) => [f.target.path, f.outcome])).toEqual([
      ['src/broken.js', 'skipped'],
      ['src/app.js', 'kept'],
      ['src/timer.js', 'skipped'],
    ]);
    expect(rep.fixes[0].reason).toMatch(/syntax error/);
    expect(rep.fixes[2].reason).toMatch(/setTimeout callback/);
    expect(rep.notes.join('\n')).toMatch(/1 uncommitted change\(s\) and 1 untracked file\(s\): faultline worked from HEAD/);
    expect(rep.baseline.map((b: any) => [b.name, b.ok])).toEqual([['test', true]]);

    // one commit on the branch, on top of HEAD, made from the committed code (not the user's wip)
    const kept = rep.fixes[1];
    expect(refactorBranches(repo)).toEqual([rep.branch]);
    expect(git(repo, 'rev-list', `${base}..${rep.branch}`)).toBe(kept.commit);
    expect(git(repo, 'rev-parse', `${kept.commit}^`)).toBe(base);
    const fixed = git(repo, 'show', `${rep.branch}:src/app.js`);
    expect(fixed).toContain('const order = parseJson(raw);');
    expect(fixed).not.toContain('wip');
    const message = git(repo, 'log', '-1', '--format=%B', rep.branch);
    expect(message).toMatch(/^faultline: guard-json-parse at src\/app\.js:2 \(parseOrder\)/);
    expect(message).toMatch(/Failure point: resilience smell at src\/app\.js:2:17/);
    expect(message).toMatch(/- test: passed/);
    // the patch applies to the base commit and gives the committed file
    expect(readFileSync(kept.patch, 'utf8')).toContain('+  const order = parseJson(raw);');
    expect(git(repo, 'diff', base, rep.branch, '--', 'src/app.js')).toContain('+  const order = parseJson(raw);');
    // the worktree is gone, the record says what happened
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(records(state).map((x) => [x.target.path, x.outcome, x.commit ?? null])).toEqual([
      ['src/broken.js', 'skipped', null],
      ['src/app.js', 'kept', kept.commit],
      ['src/timer.js', 'skipped', null],
    ]);
    expect(readFileSync(join(rep.outDir, 'report.md'), 'utf8')).toContain(`| ${kept.id} | ✅ kept`);
  }, 60_000);

  it('reverts a fix that a test pinning the old behaviour rejects, keeps its patch, and drops the empty branch', () => {
    const { repo, state } = project({ 'package.json': PKG, 'src/app.js': APP, 'test/app.test.js': TEST_PINNED });
    const before = snapshot(repo);
    const r = faultline(state, repo, 'refactor');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const [fix] = r.json.fixes;
    expect(fix.outcome).toBe('reverted');
    expect(fix.reason).toMatch(/^test failed after the change: exit 1/);
    expect(fix.checks[0].detail).toMatch(/SyntaxError|JsonParseError/);
    expect(readFileSync(fix.patch, 'utf8')).toContain('+  const order = parseJson(raw);');
    expect(r.json.branch).toBeUndefined();
    expect(refactorBranches(repo)).toEqual([]);
    expect(records(state)[0]).toMatchObject({ outcome: 'reverted', patch: fix.patch });
    expect(snapshot(repo)).toEqual(before);
  }, 60_000);

  it('--repo naming a folder of the repository fixes only that project, with its own package.json test and paths from the root', () => {
    const { repo, state } = project({
      'package.json': JSON.stringify({ name: 'root', private: true }),
      'src/other.js': APP,
      'examples/shop/package.json': PKG,
      'examples/shop/src/app.js': APP,
      'examples/shop/test/app.test.js': TEST_OK,
    });
    const before = snapshot(repo);
    const r = faultline(state, repo, 'refactor', '--repo', join(repo, 'examples/shop'));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // the project is analysed as its own tree even inside an examples/ folder; the root's file is left alone
    expect(r.json.fixes.map((f: any) => [f.target.path, f.outcome])).toEqual([['examples/shop/src/app.js', 'kept']]);
    expect(r.json.baseline.map((b: any) => [b.name, b.ok])).toEqual([['test', true]]);
    expect(git(repo, 'show', `${r.json.branch}:examples/shop/src/app.js`)).toContain('parseJson(raw)');
    expect(git(repo, 'show', `${r.json.branch}:src/other.js`)).toBe(APP.trimEnd());
    expect(snapshot(repo)).toEqual(before);
  }, 60_000);

  it('--apply is refused on a dirty tree; on a clean one it fast-forwards; `refactor revert` then undoes the fix on the current branch', () => {
    const { repo, state } = project({ 'package.json': PKG, 'src/app.js': APP, 'test/app.test.js': TEST_OK });
    const base = git(repo, 'rev-parse', 'HEAD');
    writeFileSync(join(repo, 'src/app.js'), APP + '// dirty\n');
    const dirty = snapshot(repo);
    const refused = faultline(state, repo, 'refactor', '--apply');
    expect(refused.code).toBe(2);
    expect(refused.json.error.code).toBe('FL_ERR_REFACTOR_DIRTY_TREE');
    expect(refused.json.error.message).toMatch(/src\/app\.js/);
    expect(snapshot(repo)).toEqual(dirty);
    expect(refactorBranches(repo)).toEqual([]);

    writeFileSync(join(repo, 'src/app.js'), APP);
    const r = faultline(state, repo, 'refactor', '--apply');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const fix = r.json.fixes[0];
    expect(fix.outcome).toBe('kept');
    expect(r.json.applied).toMatchObject({ branch: 'main', method: 'fast-forward', commits: [{ fix: fix.id, commit: fix.commit }] });
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(fix.commit);
    expect(readFileSync(join(repo, 'src/app.js'), 'utf8')).toContain('parseJson(raw)');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(records(state)[0]).toMatchObject({ id: fix.id, appliedCommit: fix.commit });

    const rv = faultline(state, repo, 'refactor', 'revert', fix.id);
    expect(rv.code, rv.stderr + rv.stdout).toBe(0);
    expect(rv.json).toMatchObject({ id: fix.id, on: 'current-branch', branch: 'main' });
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(rv.json.commit);
    expect(git(repo, 'rev-parse', 'HEAD~2')).toBe(base);
    expect(readFileSync(join(repo, 'src/app.js'), 'utf8')).toBe(APP);
    expect(records(state)[0].revertedBy).toMatchObject({ commit: rv.json.commit, on: 'current-branch' });
    const again = faultline(state, repo, 'refactor', 'revert', fix.id);
    expect(again.code).toBe(2);
    expect(again.json.error.message).toMatch(/already reverted/);
    expect(faultline(state, repo, 'refactor', 'revert', 'no-such-fix').json.error.code).toBe('FL_ERR_REFACTOR_NOT_FOUND');
  }, 90_000);

  it('`refactor revert` of a fix that was not applied commits the revert on the refactor branch, not in the user tree', () => {
    const { repo, state } = project({ 'package.json': PKG, 'src/app.js': APP, 'test/app.test.js': TEST_OK });
    const r = faultline(state, repo, 'refactor');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const fix = r.json.fixes[0];
    writeFileSync(join(repo, 'scratch.txt'), 'untracked\n');
    writeFileSync(join(repo, 'src/app.js'), APP + '// editing\n');
    const before = snapshot(repo);
    const rv = faultline(state, repo, 'refactor', 'revert', fix.id);
    expect(rv.code, rv.stderr + rv.stdout).toBe(0);
    expect(rv.json).toMatchObject({ on: 'refactor-branch', branch: r.json.branch });
    expect(git(repo, 'rev-parse', r.json.branch)).toBe(rv.json.commit);
    expect(git(repo, 'rev-parse', `${rv.json.commit}^`)).toBe(fix.commit);
    expect(git(repo, 'show', `${r.json.branch}:src/app.js`)).toBe(APP.trimEnd());
    expect(snapshot(repo)).toEqual(before);
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  }, 60_000);

  it('without a test command it refuses to keep anything unless --no-verify, and then marks the fixes unverified', () => {
    const { repo, state } = project({ 'package.json': JSON.stringify({ name: 'shop', type: 'module', scripts: { test: 'echo "Error: no test specified" && exit 1' } }), 'src/app.js': APP });
    const refused = faultline(state, repo, 'refactor');
    expect(refused.code).toBe(2);
    expect(refused.json.error.code).toBe('FL_ERR_REFACTOR_NO_TESTS');
    expect(refactorBranches(repo)).toEqual([]);

    const r = faultline(state, repo, 'refactor', '--no-verify');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const fix = r.json.fixes[0];
    expect(fix.outcome).toBe('unverified');
    expect(fix.reason).toMatch(/no test command/);
    expect(r.json.notes.join('\n')).toMatch(/every fix kept is UNVERIFIED/);
    expect(git(repo, 'log', '-1', '--format=%B', r.json.branch)).toMatch(/\[unverified\][\s\S]*UNVERIFIED: the project has no test command/);
    // --apply brings only verified fixes
    const applied = faultline(state, repo, 'refactor', '--no-verify', '--apply');
    expect(applied.code).toBe(0);
    expect(applied.json.applied).toBeUndefined();
    expect(readFileSync(join(repo, 'src/app.js'), 'utf8')).toBe(APP);
  }, 60_000);

  it('re-runs the experiment that exposed the failure from the worktree: steady state violated before the fix, held after', () => {
    const { repo, state } = project({
      'package.json': PKG,
      'src/app.js': APP,
      'test/app.test.js': TEST_OK,
      // the steady state: malformed input is answered as bad input (a 400-type error), not as a crash
      'experiments/check.mjs': `import { parseOrder } from '../src/app.js';\ntry { parseOrder('{'); process.exit(1); } catch (e) { process.exit(e.statusCode === 400 ? 0 : 1); }\n`,
      'experiments/bad-input.yaml': [
        'title: orders answer malformed JSON with 400',
        'steady-state-hypothesis:',
        '  title: malformed input is a client error',
        '  probes:',
        '    - type: probe',
        '      name: malformed-json-is-400',
        '      tolerance: 0',
        '      provider: {type: process, path: node, arguments: check.mjs}',
        'method:',
        '  - type: probe',
        '    name: nothing-else',
        '    provider: {type: process, path: node, arguments: "-e 0"}',
        '',
      ].join('\n'),
    });
    // the run that exposed it, as `faultline run` records it: the record and a report with the evidence site
    const reportDir = join(state, 'runs', 'exp-1');
    mkdirSync(reportDir, { recursive: true });
    const report: RunReport = {
      id: 'exp-1',
      kind: 'experiment',
      title: 'orders answer malformed JSON with 400',
      status: 'failed',
      deviated: true,
      startedAt: '2024-05-01T10:00:00.000Z',
      endedAt: '2024-05-01T10:00:05.000Z',
      durationMs: 5000,
      checks: [],
      faults: [],
      evidence: [{ location: `${join(repo, 'src/app.js')}:2:17`, fn: 'parseOrder', message: 'SyntaxError: Expected property name', count: 3, faultIds: [] }],
      recommendations: [],
      artifacts: {},
    };
    writeFileSync(join(reportDir, 'report.json'), JSON.stringify(report));
    appendRun(state, { id: 'exp-1', kind: 'experiment', title: report.title, status: 'failed', deviated: true, startedAt: report.startedAt, endedAt: report.endedAt, durationMs: 5000, mttdMs: null, mttrMs: null, reportPath: join(reportDir, 'report.json') });

    const r = faultline(state, repo, 'refactor');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const fix = r.json.fixes[0];
    expect(fix.target.exposedBy).toMatchObject({ runId: 'exp-1', kind: 'experiment', file: 'experiments/bad-input.yaml' });
    expect(r.json.baseline.map((b: any) => [b.name, b.ok])).toEqual([
      ['test', true],
      ['experiment experiments/bad-input.yaml', false],
    ]);
    expect(fix).toMatchObject({ outcome: 'kept', experiment: { name: 'experiment experiments/bad-input.yaml', before: false, after: true } });
    expect(git(repo, 'log', '-1', '--format=%B', r.json.branch)).toMatch(/experiment experiments\/bad-input\.yaml: steady state violated before the fix, held after/);
    expect(readFileSync(join(r.json.outDir, 'report.md'), 'utf8')).toContain('experiment experiments/bad-input.yaml: violated before → held after');
    expect(r.json.baseline[1].exitCode).toBe(1);
    expect(fix.checks.find((c: any) => c.kind === 'experiment')).toMatchObject({ ok: true, exitCode: 0 });
    // both were real `faultline run`s: they recorded their runs in the verification state folder, not the user's
    const verifyRuns = new Map<string, any>();
    for (const l of readFileSync(join(r.json.outDir, 'verify-state', 'runs.jsonl'), 'utf8').split('\n').filter(Boolean)) verifyRuns.set(JSON.parse(l).id, JSON.parse(l)); // a later line replaces the run's first one
    expect([...verifyRuns.values()].map((x) => [x.kind, x.title, x.status])).toEqual([
      ['experiment', 'orders answer malformed JSON with 400', 'failed'],
      ['experiment', 'orders answer malformed JSON with 400', 'completed'],
    ]);
    expect(existsSync(join(repo, 'journal.json'))).toBe(false);
  }, 120_000);
});
