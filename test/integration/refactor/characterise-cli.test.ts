// The command's wiring of characterisation (refactorProject, as `faultline refactor` and `loop --refactor` call
// it): --characterise-runs, --seed, --coverage, --no-characterise, refactor.characterise in faultline.yaml, and
// the dry run. A real repository, a real worktree and npm test; the target comes from a predictions file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refactorProject, type RefactorFlags } from '../../../src/cli/commands/refactor.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { FaultlineConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
const WORDS = `export function scoreWords(words: string[], min: number): number {
  const stop = ['a', 'an', 'the'];
  let score = 0;
  for (const w of words) {
    if (stop.includes(w)) continue;
    if (w.length > min) score += w.length;
  }
  return score;
}
`;
/** the includes call set-lookup rewrites (a failure point gives a line, no column) */
const LINE = 5;

let tmp: string;
let repo: string;
let n = 0;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fl-char-cli-'));
  repo = join(tmp, 'repo');
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'w', private: true, type: 'module', scripts: { test: 'node --test test/' } }),
    'src/words.ts': WORDS,
    'test/other.test.js': "import { test } from 'node:test';\ntest('nothing about words', () => {});\n",
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, p)), { recursive: true });
    writeFileSync(join(repo, p), text);
  }
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'initial']]) {
    const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
    if (r.status !== 0) throw new Error(r.stderr);
  }
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function context(config: Partial<FaultlineConfig> = {}): CliContext & { lines: string[] } {
  const state = join(tmp, `state-${++n}`);
  mkdirSync(state, { recursive: true });
  const lines: string[] = [];
  return {
    lines,
    json: true,
    configPath: join(repo, 'faultline.yaml'),
    config: () => config as FaultlineConfig,
    stateDir: () => state,
    ledger: () => {
      throw new Error('no ledger in this test');
    },
    guard: () => {
      throw new Error('no guard in this test');
    },
    print: () => {},
    progress: (m) => lines.push(m),
  };
}

function flags(o: Partial<RefactorFlags> = {}): RefactorFlags {
  const predictions = join(tmp, `predictions-${n}.json`);
  writeFileSync(predictions, JSON.stringify({ repo, points: [{ path: 'src/words.ts', line: LINE, failureType: 'timeout', confidence: 0.9, severity: 'high', topFeatures: [], evidence: ['scans an array in a loop'], recipe: 'set-lookup' }] }));
  return { repo, verify: true, smells: false, predictions, ...o };
}

describe('faultline refactor: characterisation flags and settings', () => {
  it('--characterise-runs, --seed and --coverage reach the characteriser; the fix is pinned and kept', async () => {
    const coverage = join(tmp, 'coverage-final.json');
    // scoreWords: 1 of 7 statements ran (14 %)
    const statementMap = Object.fromEntries([2, 3, 4, 5, 6, 7, 8].map((l, i) => [String(i), { start: { line: l, column: 2 }, end: { line: l, column: 20 } }]));
    writeFileSync(coverage, JSON.stringify({ '/ci/build/src/words.ts': { path: '/ci/build/src/words.ts', statementMap, fnMap: { 0: { name: 'scoreWords', loc: { start: { line: 1, column: 0 }, end: { line: 9, column: 1 } } } }, s: { 0: 1, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 }, f: { 0: 1 } } }));
    const c = context();
    const report = await refactorProject(c, flags({ characteriseRuns: '30', seed: '123', coverage }), (l) => c.lines.push(l));
    const [fix] = report.fixes;
    expect(fix?.outcome, fix?.reason).toBe('kept');
    expect(fix?.characterisation).toMatchObject({ characterised: true, coverage: { rule: 'coverage-file', weak: true }, pinned: { seed: 123 } });
    expect(fix?.characterisation?.coverage?.detail).toMatch(/^1 of 7 statements of scoreWords ran \(14 %, under 80 %\)/);
    expect(fix?.characterisation?.pinned?.generated).toBeLessThanOrEqual(30);
    expect(fix?.characterisation?.pinned?.generated).toBeGreaterThan(10);
    expect(report.notes.join('\n')).toMatch(/characterisation: weakly covered functions are pinned on 30 generated input\(s\) \(seed 123\) .* coverage from .*coverage-final\.json/);
    expect(fix?.checks.map((x) => x.name)).toEqual(['characterisation', 'test']);
    // the pinned test stays next to the patches, outside the (removed) worktree, and runs against any checkout
    const file = fix?.characterisation?.pinned?.testFile as string;
    expect(file.startsWith(join(c.stateDir(), 'refactor', report.runId, 'characterisation'))).toBe(true);
    expect(existsSync(file)).toBe(true);
    const rerun = spawnSync(process.execPath, [file], { cwd: repo, encoding: 'utf8', timeout: 60_000, env: { ...process.env, FAULTLINE_REPO: repo } });
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/faultline-characterisation: \{"total":\d+,"changed":0,"first":null\}/);
  }, 120_000);

  it('--no-characterise and refactor.characterise.enabled: false turn it off', async () => {
    const off = await refactorProject(context(), flags({ characterise: false }), () => {});
    expect(off.fixes[0]?.outcome).toBe('kept');
    expect(off.fixes[0]?.characterisation).toBeUndefined();
    expect(off.fixes[0]?.checks.map((x) => x.name)).toEqual(['test']);
    const cfg = await refactorProject(context({ refactor: { checkTimeoutMs: 60_000, characterise: { enabled: false, runs: 100 } } } as Partial<FaultlineConfig>), flags({ dryRun: true }), () => {});
    expect(cfg.fixes[0]?.characterisation).toBeUndefined();
  }, 120_000);

  it('the dry run lists the decision (test names rule, runs from the config), and a bad --coverage is refused up front', async () => {
    const dry = await refactorProject(context({ refactor: { checkTimeoutMs: 60_000, characterise: { enabled: true, runs: 7 } } } as Partial<FaultlineConfig>), flags({ dryRun: true }), () => {});
    expect(dry.fixes[0]?.characterisation).toMatchObject({ characterised: true, coverage: { rule: 'test-names', weak: true }, fn: { name: 'scoreWords', params: 'words: string[], min: number' } });
    expect(dry.notes.join('\n')).toMatch(/pinned on 7 generated input\(s\)/);

    const bad = join(tmp, 'summary.json');
    writeFileSync(bad, JSON.stringify({ total: {} }));
    for (const coverage of [bad, join(tmp, 'missing.json')]) {
      let err: unknown;
      try {
        await refactorProject(context(), flags({ coverage }), () => {});
      } catch (e) {
        err = e;
      }
      expect(isFaultlineError(err) && err.code).toBe('FL_ERR_INVALID_ARGUMENT');
    }
    let err: unknown;
    try {
      await refactorProject(context(), flags({ characteriseRuns: '0' }), () => {});
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/--characterise-runs: expected an integer in \[1, 10000\], got "0"/);
  }, 120_000);
});
