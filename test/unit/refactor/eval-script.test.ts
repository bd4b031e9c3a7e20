// The pure parts of scripts/eval-refactor.mjs: reading test counts from runners' summaries, making the engine's
// check commands runnable in another worktree, naming the repository, the options.
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { parseArgs, parseDurationMs, parseTestCounts, portableCommand, repoName } from '../../../scripts/eval-refactor.mjs';

describe('parseTestCounts', () => {
  it('adds up several mocha runs of one command (a && b)', () => {
    const out = `\n  ✔ one\n\n  195 passing (1m)\n  3 pending\n\n> axios@1.7.9 test:exports\n\n  8 passing (1m)\n  1 failing\n`;
    expect(parseTestCounts(out)).toEqual({ passed: 203, failed: 1, skipped: 3, runners: ['mocha'] });
  });
  it('reads node:test TAP and spec summaries', () => {
    expect(parseTestCounts('TAP version 13\n# tests 4\n# suites 0\n# pass 3\n# fail 1\n# cancelled 0\n# skipped 2\n# todo 0\n')).toEqual({ passed: 3, failed: 1, skipped: 2, runners: ['node:test'] });
    expect(parseTestCounts('ℹ tests 7\nℹ pass 7\nℹ fail 0\n')).toMatchObject({ passed: 7, failed: 0 });
  });
  it('reads vitest and jest summaries, with colour codes', () => {
    expect(parseTestCounts('\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[32m125 passed\u001b[39m\u001b[22m\u001b[90m | \u001b[39m2 skipped (127)\n')).toEqual({ passed: 125, failed: 0, skipped: 2, runners: ['vitest/jest'] });
    expect(parseTestCounts('Tests:       1 failed, 2 skipped, 120 passed, 123 total\n')).toEqual({ passed: 120, failed: 1, skipped: 2, runners: ['vitest/jest'] });
  });
  it('reads ava summaries', () => {
    expect(parseTestCounts('  ✔ a\n\n  12 tests passed\n  1 test failed\n')).toEqual({ passed: 12, failed: 1, skipped: 0, runners: ['ava'] });
  });
  it('is undefined when no runner summary is there', () => {
    expect(parseTestCounts('all good\nexit 0\n')).toBeUndefined();
  });
});

describe('portableCommand', () => {
  it('makes the type-check of a removed worktree worktree-relative', () => {
    expect(portableCommand('/usr/bin/node /tmp/s/.faultline/worktrees/20261123-1/node_modules/typescript/bin/tsc --noEmit -p tsconfig.json')).toBe('/usr/bin/node node_modules/typescript/bin/tsc --noEmit -p tsconfig.json');
    expect(portableCommand(`/usr/bin/node '/tmp/a b/node_modules/typescript/bin/tsc' --noEmit`)).toBe('/usr/bin/node node_modules/typescript/bin/tsc --noEmit');
    expect(portableCommand('npm test')).toBe('npm test');
  });
});

describe('repoName', () => {
  it('reads owner/name from a GitHub URL or a mirror folder', () => {
    expect(repoName('https://github.com/googleapis/gaxios.git\n')).toBe('googleapis/gaxios');
    expect(repoName('git@github.com:axios/axios.git')).toBe('axios/axios');
    expect(repoName('/srv/mirrors/axios+axios/repo')).toBe('axios/axios');
  });
});

describe('options', () => {
  it('parses the options and passes what follows -- to refactor', () => {
    const o = parseArgs(['--repo', 'r', '--config', 'c.yaml', '--predict', '--timeout', '15m', '--no-base-run', '--', '--max-fixes', '3']);
    expect(o).toMatchObject({ repo: 'r', config: 'c.yaml', predict: true, timeoutMs: 900_000, baseRun: false, extra: ['--max-fixes', '3'] });
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(() => parseDurationMs('soon')).toThrow(/not a duration/);
  });
});
