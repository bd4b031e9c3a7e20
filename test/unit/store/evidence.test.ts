import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord, RunReport } from '../../../src/core/run.js';
import { chaosEvidence, foldEvidence, repoPath, splitLocation } from '../../../src/store/evidence.js';
import { appendRun } from '../../../src/store/runs.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const report = (id: string, sites: { location: string; count: number; faultIds: string[]; fn?: string }[], faults: { id: string; kind: string }[]): Pick<RunReport, 'id' | 'evidence' | 'faults'> => ({
  id,
  evidence: sites.map((s) => ({ message: 'boom', ...s })),
  faults: faults.map((f) => ({ ...f, layer: 'agent', target: 'svc', params: {}, startMs: 0 })),
});

describe('chaos evidence: where the target failed, under which fault', () => {
  it('splits file:line locations, keeps colons in the file, makes paths repository-relative', () => {
    expect(splitLocation('/repo/src/a.ts:27')).toEqual({ file: '/repo/src/a.ts', line: 27 });
    expect(splitLocation('C:/x/y.ts:3')).toEqual({ file: 'C:/x/y.ts', line: 3 });
    expect(splitLocation('no line here')).toBeUndefined();
    expect(repoPath('/repo/src/a.ts', '/repo')).toBe('src/a.ts');
    expect(repoPath('/elsewhere/a.ts', '/repo')).toBeUndefined();
    expect(repoPath('src/a.ts', '/repo')).toBe('src/a.ts');
  });

  it('folds per location and fault kind: counts add up, runs are distinct', () => {
    const a = report('r1', [{ location: '/repo/src/api.ts:27', count: 10, faultIds: ['f1'], fn: 'getProduct' }, { location: '/repo/src/api.ts:27', count: 3, faultIds: ['f2'] }], [{ id: 'f1', kind: 'null' }, { id: 'f2', kind: 'throw' }]);
    const b = report('r2', [{ location: '/repo/src/api.ts:27', count: 5, faultIds: ['g1'], fn: 'getProduct' }, { location: '/other/lib.js:1', count: 9, faultIds: ['g1'] }], [{ id: 'g1', kind: 'null' }]);
    expect(foldEvidence([a, b], '/repo')).toEqual([
      { path: 'src/api.ts', line: 27, fn: 'getProduct', faultKind: 'null', count: 15, runs: 2 },
      { path: 'src/api.ts', line: 27, faultKind: 'throw', count: 3, runs: 1 },
    ]);
  });

  it('reads the reports of the recorded runs once each (the drills of a loop share its report)', () => {
    const state = mkdtempSync(join(tmpdir(), 'fl-ev-'));
    dirs.push(state);
    mkdirSync(join(state, 'runs', 'loop-1'), { recursive: true });
    const file = join(state, 'runs', 'loop-1', 'report.json');
    writeFileSync(file, JSON.stringify(report('loop-1', [{ location: '/repo/src/api.ts:26', count: 4, faultIds: ['f1'] }], [{ id: 'f1', kind: 'throw' }])));
    const base: Omit<RunRecord, 'id' | 'kind'> = { title: 't', status: 'completed', deviated: false, startedAt: '2026-11-23T00:00:00Z', endedAt: '2026-11-23T00:00:01Z', durationMs: 1000, mttdMs: 0, mttrMs: 0, reportPath: file };
    appendRun(state, { ...base, id: 'loop-1', kind: 'loop' });
    appendRun(state, { ...base, id: 'loop-1-a', kind: 'card', cardId: 'random-exceptions' });
    appendRun(state, { ...base, id: 'gone', kind: 'card', reportPath: join(state, 'missing.json') });
    expect(chaosEvidence(state, '/repo')).toEqual([{ path: 'src/api.ts', line: 26, faultKind: 'throw', count: 4, runs: 1 }]);
  });
});
