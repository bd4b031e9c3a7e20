// A fix that changes more than one file (a function made async and its callers awaiting it): the engine gives the
// recipe the target's package, writes every file, commits them in one commit, puts them all back when a check
// fails, and keeps locating later targets in every file it changed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult, CheckSpec } from '../../../src/refactor/engine/checks.js';
import { planFixes, runEngine, type EngineDeps } from '../../../src/refactor/engine/engine.js';
import type { RefactorTarget } from '../../../src/refactor/engine/targets.js';
import { projectFiles } from '../../../src/refactor/engine/workspace.js';
import { defineRecipe, refuse, type TextEdit } from '../../../src/refactor/recipe.js';
import { moveOffRequestPath } from '../../../src/refactor/recipes/move-off-request-path.js';
import { MemoryWorkspace } from './memory-workspace.js';

/** `shout-all`: `foo(` at the location becomes `FOO(`, and so does every `foo(` in the other files of the project. */
const shoutAll = defineRecipe({
  id: 'shout-all',
  title: 'shout every call',
  category: 'structural',
  addresses: { smells: [], failureTypes: ['timeout'] },
  options: [],
  plan(ctx) {
    if (!ctx.text.startsWith('foo(', ctx.offset)) return refuse('no foo( call here');
    if (!ctx.project) return refuse('needs the project');
    const others = ctx.project
      .files()
      .filter((f) => f.path !== ctx.path)
      .map((f) => ({ path: f.path, edits: [...f.text.matchAll(/foo\(/g)].map((m): TextEdit => ({ start: m.index, end: m.index + 3, newText: 'FOO' })) }));
    return { edits: [{ start: ctx.offset, end: ctx.offset + 3, newText: 'FOO' }], others };
  },
});

const target = (o: Partial<RefactorTarget>): RefactorTarget => ({ path: 'pkg/a.js', line: 1, col: 1, recipes: ['shout-all'], confidence: 0.8, severity: 'high', evidence: ['seen'], source: 'prediction', ...o });

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'fl-engine-mf-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

function deps(ws: MemoryWorkspace, testOk: (files: Map<string, string>) => boolean): EngineDeps {
  const result = (spec: CheckSpec, ok: boolean): CheckResult => ({ name: spec.name, kind: spec.kind, ok, ms: 1, exitCode: ok ? 0 : 1, timedOut: false, detail: ok ? 'exit 0' : 'exit 1' });
  return {
    recipes: (id) => (id === 'shout-all' ? shoutAll : id === moveOffRequestPath.id ? moveOffRequestPath : undefined),
    openWorkspace: async () => ws,
    checks: (dir) => [{ name: 'test', kind: 'test', command: 'npm', args: ['test'], cwd: dir, timeoutMs: 1000 }],
    runCheck: async (spec) => result(spec, testOk(ws.files)),
  };
}

describe('refactor engine: a fix across files', () => {
  it('the project is the target\'s package: its sources, without build output, dependencies or another package', () => {
    const listed = ['package.json', 'src/x.ts', 'pkg/package.json', 'pkg/a.js', 'pkg/lib/b.ts', 'pkg/lib/b.d.ts', 'pkg/dist/a.js', 'pkg/node_modules/m/i.js', 'pkg/README.md', 'pkg/inner/package.json', 'pkg/inner/c.js'];
    expect(projectFiles(listed, 'pkg/a.js')).toEqual(['pkg/a.js', 'pkg/lib/b.ts']);
    expect(projectFiles(listed, 'src/x.ts')).toEqual(['src/x.ts']);
  });

  it('writes and commits every file in one commit, and later targets in those files are located after the change', async () => {
    const ws = new MemoryWorkspace({ 'pkg/package.json': '{}', 'pkg/a.js': 'foo(1);\n', 'pkg/b.js': 'x;\nfoo(2); foo(3);\n', 'other/c.js': 'foo(9);\n' });
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({}), target({ path: 'pkg/b.js', line: 2, col: 1 })] }, deps(ws, () => true));
    expect(report.fixes.map((f) => [f.outcome, f.files, f.reason])).toEqual([
      ['kept', ['pkg/a.js', 'pkg/b.js'], undefined],
      ['skipped', [], 'a kept shout-all fix rewrote the code at pkg/b.js:2 (shout-all: no foo( call here); run `faultline refactor` again to look at it where it is now'],
    ]);
    expect(ws.commits.map((c) => c.paths)).toEqual([['pkg/a.js', 'pkg/b.js']]);
    expect(ws.committed.get('pkg/b.js')).toBe('x;\nFOO(2); FOO(3);\n');
    expect(ws.committed.get('other/c.js')).toBe('foo(9);\n');
    expect(report.fixes[0]?.diff).toMatch(/pkg\/a\.js[\s\S]*pkg\/b\.js/);
  });

  it('a fix whose test fails puts every file it changed back', async () => {
    const ws = new MemoryWorkspace({ 'package.json': '{}', 'a.js': 'foo(1);\n', 'b.js': 'foo(2);\n' });
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target({ path: 'a.js' })] }, deps(ws, (files) => !(files.get('b.js') ?? '').includes('FOO')));
    expect(report.fixes[0]).toMatchObject({ outcome: 'reverted', files: ['a.js', 'b.js'] });
    expect(ws.files.get('a.js')).toBe('foo(1);\n');
    expect(ws.files.get('b.js')).toBe('foo(2);\n');
    expect(ws.commits).toEqual([]);
  });

  it('move-off-request-path through the engine: the store\'s method made async and the api awaiting it, one commit; the dry run shows both diffs', async () => {
    const files = {
      'shop/package.json': '{}',
      'shop/src/store.ts': `import { appendFileSync } from 'node:fs';\nexport class Store {\n  add(line: string): void {\n    appendFileSync('f', line);\n  }\n}\n`,
      'shop/src/api.ts': `import { Store } from './store.js';\nconst store = new Store();\nexport async function place(b: string): Promise<void> {\n  store.add(b);\n}\n`,
    };
    const t = target({ path: 'shop/src/store.ts', line: 4, col: 5, recipes: ['move-off-request-path'] });
    const ws = new MemoryWorkspace(files);
    const report = await runEngine({ runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [t] }, deps(ws, () => true));
    expect(report.fixes[0]).toMatchObject({ outcome: 'kept', files: ['shop/src/store.ts', 'shop/src/api.ts'] });
    expect(ws.committed.get('shop/src/store.ts')).toContain('  async add(line: string): Promise<void> {\n    await appendFile(');
    expect(ws.committed.get('shop/src/api.ts')).toContain('  await store.add(b);');
    const dry = await planFixes({ runId: 'r2', repo: '/repo', baseCommit: 'base', targets: [t], read: (p) => files[p as keyof typeof files], list: () => Object.keys(files), recipes: (id) => (id === moveOffRequestPath.id ? moveOffRequestPath : undefined) });
    expect(dry.fixes[0]?.files).toEqual(['shop/src/store.ts', 'shop/src/api.ts']);
    expect(dry.fixes[0]?.diff).toContain('+  await store.add(b);');
  });
});
