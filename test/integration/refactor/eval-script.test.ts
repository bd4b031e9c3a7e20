// scripts/eval-refactor.mjs end to end (bin/faultline.js from dist/: build first) on a tiny real repository:
// two JSON.parse smells, one whose fix the tests accept (kept) and one whose test pins the SyntaxError (reverted).
// The summary's counts come from the real runs: the engine's report, and the script's own test runs on fresh
// worktrees of the base commit and of the refactor branch tip.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIT_ENV, git } from './repo-git.js';

const ROOT = resolve(__dirname, '../../..');
const SCRIPT = join(ROOT, 'scripts', 'eval-refactor.mjs');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fl-eval-refactor-it-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});


const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'shop', private: true, type: 'module', scripts: { test: 'node --test' } }),
  'src/order.js': `export function parseOrder(raw) {\n  const order = JSON.parse(raw);\n  return order.id;\n}\n`,
  'src/user.js': `export function parseUser(raw) {\n  const user = JSON.parse(raw);\n  return user.name;\n}\n`,
  'test/order.test.js': `import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { parseOrder } from '../src/order.js';\ntest('reads the id', () => assert.equal(parseOrder('{"id":"a1"}'), 'a1'));\ntest('bad input throws', () => assert.throws(() => parseOrder('{')));\n`,
  // pins the old behaviour: the typed JsonParseError of the fix is not a SyntaxError
  'test/user.test.js': `import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { parseUser } from '../src/user.js';\ntest('reads the name', () => assert.equal(parseUser('{"name":"ann"}'), 'ann'));\ntest('bad input is a SyntaxError', () => assert.throws(() => parseUser('{'), SyntaxError));\n`,
};

describe('scripts/eval-refactor.mjs', () => {
  it('reports tests before, fixes kept and reverted, and the suite on the refactor branch tip', () => {
    const repo = join(tmp, 'repo');
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(repo, p)), { recursive: true });
      writeFileSync(join(repo, p), text);
    }
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'initial');
    const base = git(repo, 'rev-parse', 'HEAD');
    const out = join(tmp, 'summary.json');

    const r = spawnSync(process.execPath, [SCRIPT, '--repo', repo, '--name', 'acme/shop', '--state-dir', join(tmp, 'state'), '--out', out], { encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(s);

    expect(s).toMatchObject({ repository: 'acme/shop', commit: base, testCommand: 'npm test', typecheckCommand: null });
    expect(s.testsBefore).toMatchObject({ ok: true, tests: { passed: 4, failed: 0 } });
    expect(s.fixes).toMatchObject({ attempted: 2, kept: 1, reverted: 1, skipped: 0, unverified: 0 });
    expect(s.perRecipe['guard-json-parse']).toEqual({ attempted: 2, kept: 1, reverted: 1, skipped: 0, unverified: 0 });
    const byPath = Object.fromEntries(s.perFix.map((f: { at: string }) => [f.at, f]));
    expect(byPath['src/order.js:2']).toMatchObject({ outcome: 'kept', recipe: 'guard-json-parse' });
    expect(byPath['src/user.js:2']).toMatchObject({ outcome: 'reverted' });
    expect(byPath['src/user.js:2'].reason).toMatch(/^test failed after the change/);

    // the tip is the branch's commit, holds the kept fix only, and its suite was run again: green, same count
    expect(s.tip).toBe(git(repo, 'rev-parse', s.branch));
    expect(s.tip).not.toBe(base);
    expect(git(repo, 'show', `${s.tip}:src/order.js`)).toContain('parseJson(raw)');
    expect(git(repo, 'show', `${s.tip}:src/user.js`)).toBe(FILES['src/user.js']?.trimEnd());
    expect(s.tipRun).toMatchObject({ ok: true, tests: { passed: 4, failed: 0 } });
    expect(s.greenOnTip).toBe(true);
    expect(s.sameTestCountOnTip).toBe(true);

    // the user's tree is untouched and the script's worktrees are gone
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(base);
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length).toBe(1);
  });
});
