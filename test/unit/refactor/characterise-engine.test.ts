// The engine's side of characterisation with an in-memory workspace and a fake characteriser: the function is
// pinned on the text BEFORE the change, the characterisation check runs first, its failure reverts the fix with
// a reason of its own, a decision not to characterise is reported, and the report renders all of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterisationDecision, Characteriser } from '../../../src/refactor/characterise/characteriser.js';
import type { CheckResult, CheckSpec } from '../../../src/refactor/engine/checks.js';
import { runEngine } from '../../../src/refactor/engine/engine.js';
import { renderMarkdown, renderText } from '../../../src/refactor/engine/report.js';
import type { RefactorTarget } from '../../../src/refactor/engine/targets.js';
import type { Recipe } from '../../../src/refactor/recipe.js';
import { MemoryWorkspace } from './memory-workspace.js';

/** `bump`: turns `+ 1` on the line into `+ 2` (a behaviour change), or `+ 1` into `+ (1)` with `same` (none). */
const bump: Recipe = {
  id: 'bump',
  title: 'bump',
  category: 'structural',
  addresses: { smells: [], failureTypes: [] },
  options: [],
  applies: (file, loc) => ((file.text.split('\n')[loc.line - 1] ?? '').includes('+ 1') ? { ok: true } : { ok: false, reason: 'no + 1' }),
  transform(file, loc) {
    let off = 0;
    for (let l = 1; l < loc.line; l++) off = file.text.indexOf('\n', off) + 1;
    const at = file.text.indexOf('+ 1', off);
    const same = (file.text.split('\n')[loc.line - 1] ?? '').includes('same');
    return [{ start: at, end: at + 3, newText: same ? '+ (1)' : '+ 2' }];
  },
};

const target = (line: number): RefactorTarget => ({ path: 'a.js', line, recipes: ['bump'], confidence: 0.8, severity: 'high', evidence: [], source: 'prediction' });

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'fl-char-engine-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

describe('engine with a characteriser', () => {
  it('pins before the change, checks first, reverts on a changed behaviour, and reports a function it does not characterise', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'export function f(x) {\n  return x + 1;\n}\nexport function g(x) {\n  return x + 1; // same\n}\nexport function h(x) {\n  return x + 1;\n}\n' });
    const pinnedTexts: string[] = [];
    const ran: string[] = [];
    const characteriser: Characteriser = {
      async decide(t, file) {
        const name = ['f', 'g', 'h'][Math.floor((t.line - 1) / 3)] as string;
        const d: CharacterisationDecision = { characterise: name !== 'h', reason: name === 'h' ? 'strongly covered (test/h.test.js mentions h): its tests pin it already' : 'weakly covered (no test file mentions it)', fn: { name, line: t.line - 1, endLine: t.line + 1, params: 'x: number' }, mode: 'exact', ms: 1 };
        expect(file).toEqual({ dir: '/mem', text: ws.read('a.js') });
        return d;
      },
      async pin(d, at) {
        pinnedTexts.push(ws.read(at.path) as string);
        const fn = d.fn?.name as string;
        const check: CheckSpec = { name: 'characterisation', kind: 'characterisation', command: 'node', args: [fn], cwd: at.dir, timeoutMs: 1000 };
        return { ok: true, check, pinned: { fn, path: at.path, seed: 5, generated: 3, pinned: 3, compared: 3, mode: 'exact', dropped: { unstable: 0, timeout: 0, crashed: 0 }, cases: [{ call: `${fn}(1)`, args: [1], outcome: { kind: 'returned', value: '2' }, was: 'returned 2' }], testFile: `.faultline-characterisation/${at.fixId}.pinned.mjs`, ms: 12 } };
      },
    };
    const runCheck = async (spec: CheckSpec): Promise<CheckResult> => {
      ran.push(spec.name);
      const text = ws.read('a.js') as string;
      const changed = spec.kind === 'characterisation' && text.includes('+ 2');
      return { name: spec.name, kind: spec.kind, ok: !changed, ms: 3, exitCode: changed ? 1 : 0, timedOut: false, detail: changed ? `1 of 3 pinned inputs changed behaviour, e.g. ${spec.args[0]}(1) returned 2, now returns 3` : '3 pinned input(s): the same behaviour' };
    };
    const report = await runEngine(
      { runId: 'r1', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target(2), target(5), target(8)] },
      { recipes: (id) => (id === 'bump' ? bump : undefined), openWorkspace: async () => ws, checks: (dir) => [{ name: 'test', kind: 'test', command: 'npm', args: ['test'], cwd: dir, timeoutMs: 1000 }], runCheck, characteriser },
    );
    // pinned on the untouched text (the second after the first fix was reverted)
    expect(pinnedTexts.every((t) => !t.includes('+ 2') && !t.includes('+ (1)'))).toBe(true);
    expect(report.fixes.map((f) => [f.outcome, f.reason ?? null])).toEqual([
      ['reverted', 'characterisation: 1 of 3 pinned inputs changed behaviour, e.g. f(1) returned 2, now returns 3'],
      ['kept', null],
      ['kept', null],
    ]);
    expect(ran).toEqual(['test', 'characterisation', 'characterisation', 'test', 'test']);
    expect(report.fixes[0]?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['characterisation', false],
      ['test', null],
    ]);
    expect(report.fixes[1]?.characterisation).toMatchObject({ characterised: true, recheckMs: 3, pinMs: 12, pinned: { compared: 3 } });
    expect(report.fixes[2]?.characterisation).toMatchObject({ characterised: false, reason: 'strongly covered (test/h.test.js mentions h): its tests pin it already' });
    expect(report.fixes[2]?.checks.map((c) => c.name)).toEqual(['test']);
    expect(report.timing.characteriseMs).toBeGreaterThanOrEqual(0);

    const text = renderText(report);
    expect(text).toMatch(/characterised g: 3 input\(s\) pinned \(seed 5\) in 12 ms, re-checked in 3 ms; weakly covered/);
    expect(text).toMatch(/not characterised h: strongly covered/);
    const md = renderMarkdown(report);
    expect(md).toContain('### Characterisation');
    expect(md).toContain('| r1-02 | g (x: number) | 3 input(s), seed 5 (12 ms + 3 ms re-check) |');
    expect(md).toContain('- `g(1)` returned 2');
  });

  it('without a characteriser nothing changes (no characterisation field, no timing)', async () => {
    const ws = new MemoryWorkspace({ 'a.js': 'x + 1\n' });
    const report = await runEngine(
      { runId: 'r2', repo: '/repo', baseCommit: 'base', outDir: out, targets: [target(1)] },
      { recipes: () => bump, openWorkspace: async () => ws, checks: (dir) => [{ name: 'test', kind: 'test', command: 'npm', args: [], cwd: dir, timeoutMs: 1 }], runCheck: async (s) => ({ name: s.name, kind: s.kind, ok: true, ms: 1, exitCode: 0, timedOut: false, detail: 'exit 0' }) },
    );
    expect(report.fixes[0]?.outcome).toBe('kept');
    expect(report.fixes[0]?.characterisation).toBeUndefined();
    expect(report.timing.characteriseMs).toBeUndefined();
  });
});
