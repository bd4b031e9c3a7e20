// analyzeRepo, the sources and the CLI on real git repositories built in the test (work tree and bare clone).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRepo, listWorkTree, revisionSources, workTreeSources } from '../../../../src/analyze/code/index.js';
import { isFaultlineError } from '../../../../src/core/errors.js';

const ROOT = resolve(__dirname, '../../../..');
const BIN = resolve(__dirname, '../../../../bin/faultline.js');
let base: string;
let work: string;
let bare: string;
let firstCommit: string;

function git(cwd: string, args: string[], date = '2024-01-01T00:00:00Z'): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();
}

function write(rel: string, text: string): void {
  mkdirSync(dirname(join(work, rel)), { recursive: true });
  writeFileSync(join(work, rel), text);
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'fl-analyze-repo-'));
  work = join(base, 'work');
  mkdirSync(work);
  git(work, ['init', '-q', '-b', 'main']);
  write('.gitignore', 'ignored/\n');
  write('src/index.ts', "import { helper } from './util/helper.js';\nexport function main(x: string) { return helper(x); }\n");
  write('src/util/helper.ts', 'export function helper(x: string) {\n  return JSON.parse(x);\n}\n');
  write('src/types.d.ts', 'export type T = string;\n');
  write('test/index.test.ts', "import { main } from '../src/index.js';\nmain('{}');\n");
  git(work, ['add', '.']);
  git(work, ['commit', '-q', '-m', 'first']);
  firstCommit = git(work, ['rev-parse', 'HEAD']);
  write('src/util/helper.ts', 'export function helper(x: string) {\n  try {\n    return JSON.parse(x);\n  } catch {\n    return undefined;\n  }\n}\n');
  write('src/bundle.js', `var a=${'1+'.repeat(4000)}1;\n`);
  write('node_modules/dep/index.js', 'module.exports = 1;\n');
  git(work, ['add', '.']);
  git(work, ['commit', '-q', '-m', 'fix: guard JSON.parse (#1)'], '2024-02-01T00:00:00Z');
  write('ignored/x.ts', 'export const x = 1;\n');
  write('src/untracked.ts', "export async function f() { await fetch('http://localhost'); }\n");
  bare = join(base, 'bare.git');
  execFileSync('git', ['clone', '-q', '--bare', work, bare]);
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('sources', () => {
  it('lists a work tree through git: untracked files yes, ignored and node_modules no, no .d.ts', async () => {
    expect(await listWorkTree(work)).toEqual(['src/bundle.js', 'src/index.ts', 'src/untracked.ts', 'src/util/helper.ts', 'test/index.test.ts']);
  });

  it('walks a plain folder skipping node_modules, dist, build, coverage', async () => {
    const plain = join(base, 'plain');
    for (const d of ['src', 'node_modules/x', 'dist', 'build', 'coverage']) mkdirSync(join(plain, d), { recursive: true });
    for (const f of ['src/a.ts', 'node_modules/x/b.js', 'dist/c.js', 'build/d.js', 'coverage/e.js']) writeFileSync(join(plain, f), 'export {};\n');
    expect(await listWorkTree(plain)).toEqual(['src/a.ts']);
  });

  it('gives work-tree files the blob id git gives them', async () => {
    const files = [];
    for await (const s of workTreeSources(work)) files.push(s);
    const index = files.find((f) => f.path === 'src/index.ts')!;
    expect(index.blob).toBe(git(work, ['hash-object', 'src/index.ts']));
  });

  it('reads an older revision from a bare repository through one cat-file stream', async () => {
    const files = [];
    for await (const s of revisionSources(bare, firstCommit)) files.push(s);
    expect(files.map((f) => f.path).sort()).toEqual(['src/index.ts', 'src/util/helper.ts', 'test/index.test.ts']);
    expect(files.find((f) => f.path === 'src/util/helper.ts')?.text).toContain('return JSON.parse(x);\n}');
  });
});

describe('analyzeRepo', () => {
  it('analyses the work tree, caching under <repo>/.faultline/cache/analyze-v1, and a second run parses nothing', async () => {
    const cold = await analyzeRepo({ repo: work });
    expect(cold.files.map((f) => f.path)).toEqual(['src/index.ts', 'src/untracked.ts', 'src/util/helper.ts']);
    expect(cold.files[0]?.imports).toEqual(['src/util/helper.ts']);
    expect(cold.smells.map((s) => [s.kind, s.path, s.fn])).toEqual([['no-timeout', 'src/untracked.ts', 'f']]);
    expect(existsSync(join(work, '.faultline/cache/analyze-v1'))).toBe(true);
    const warm = await analyzeRepo({ repo: work });
    expect([warm.stats.parsed, warm.stats.fromCache]).toEqual([0, cold.stats.files]);
  });

  it('analyses a revision of a bare repository without writing into it, and warm runs read no blob', async () => {
    const before = readdirSync(bare).sort();
    const cacheDir = join(base, 'state-cache');
    const old = await analyzeRepo({ repo: bare, rev: firstCommit, cacheDir });
    expect(old.rev).toBe(firstCommit);
    expect(old.smells.map((s) => [s.kind, s.path, s.line, s.fn])).toEqual([['unguarded-json-parse', 'src/util/helper.ts', 2, 'helper']]);
    const head = await analyzeRepo({ repo: bare, cacheDir });
    expect(head.smells).toEqual([]);
    expect(head.stats.parsed).toBe(2); // the new helper.ts and bundle.js; index.ts and the test come from the cache
    const again = await analyzeRepo({ repo: bare, cacheDir });
    expect(again.stats.parsed).toBe(0);
    expect(readdirSync(bare).sort()).toEqual(before);
    const noCache = await analyzeRepo({ repo: bare });
    expect(noCache.stats.fromCache).toBe(0);
  });

  it('rejects a missing path (FL_ERR_ANALYZE_PATH) and an unknown revision (FL_ERR_ANALYZE_REV)', async () => {
    await expect(analyzeRepo({ repo: join(base, 'nope') })).rejects.toSatisfy((e: unknown) => isFaultlineError(e, 'FL_ERR_ANALYZE_PATH'));
    await expect(analyzeRepo({ repo: bare, rev: 'no-such-branch', noCache: true })).rejects.toSatisfy((e: unknown) => isFaultlineError(e, 'FL_ERR_ANALYZE_REV'));
  });
});

describe('faultline analyze (CLI, from dist/)', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FAULTLINE_STATE_DIR: join(base, 'state'), CI: '1' }, timeout: 60_000 });

  it('prints the CodeAnalysis and the history with --json', () => {
    const r = run(['--json', 'analyze', '--repo', bare, '--no-cache']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['files', 'graph', 'history', 'rev', 'smells', 'stats']);
    expect(out.files.map((f: { path: string }) => f.path)).toEqual(['src/index.ts', 'src/util/helper.ts']);
    expect(out.history.commits).toBe(2);
    expect(out.history.files.map((f: { path: string }) => f.path).sort()).toContain('src/util/helper.ts');
  });

  it('prints totals, complex files, smells by kind and central files as text', () => {
    const r = run(['analyze', '--repo', bare, '--rev', firstCommit, '--no-history', '--smells', '--top', '3']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^2 files, 2 functions, \d+ lines of code at [0-9a-f]{12}/);
    expect(r.stdout).toContain('most complex files');
    expect(r.stdout).toContain('unguarded-json-parse (1, recipe guard-json-parse)');
    expect(r.stdout).toContain('src/util/helper.ts:2:10 in helper');
    expect(r.stdout).toContain('most central files');
  });

  it('exits 2 on bad input, naming the argument', () => {
    const top = run(['--json', 'analyze', '--repo', bare, '--top', 'many']);
    expect(top.status).toBe(2);
    expect(JSON.parse(top.stdout).error.code).toBe('FL_ERR_INVALID_ARGUMENT');
    const rev = run(['--json', 'analyze', '--repo', bare, '--rev', 'nope', '--no-cache']);
    expect(rev.status).toBe(2);
    expect(JSON.parse(rev.stdout).error.code).toBe('FL_ERR_ANALYZE_REV');
  });
});

describe('lazy compiler', () => {
  it('loads typescript only when a file must be parsed (a fully cached run never loads it)', () => {
    const cacheDir = join(base, 'lazy-cache');
    const script = `
      const m = await import(${JSON.stringify(join(ROOT, 'dist/analyze/code/index.js'))});
      const out = [m.typescriptLoaded()];
      await m.analyzeRepo({ repo: ${JSON.stringify(bare)}, cacheDir: ${JSON.stringify(cacheDir)} });
      out.push(m.typescriptLoaded());
      console.log(JSON.stringify(out));`;
    const cold = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(cold.stdout)).toEqual([false, true]);
    const warm = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(warm.stdout)).toEqual([false, false]);
  });
});
