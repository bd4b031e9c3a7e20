import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { appendRefactor, findRefactor, findRefactorOrThrow, fixLabels, listRefactors, readRefactorLog, type RefactorRecord } from '../../../src/store/refactors.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fl-refactors-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rec = (o: Partial<RefactorRecord>): RefactorRecord => ({
  id: 'r1-01',
  runId: 'r1',
  at: '2024-05-01T10:00:00.000Z',
  repo: '/repo',
  baseCommit: 'a'.repeat(40),
  branch: 'faultline/refactor/r1',
  target: { path: 'src/a.ts', line: 3, confidence: 0.7, severity: 'high', source: 'prediction', evidence: [], failureType: 'timeout' },
  recipe: 'add-timeout',
  outcome: 'kept',
  commit: 'b'.repeat(40),
  checks: [{ name: 'test', ok: true, ms: 10, detail: 'exit 0' }],
  files: ['src/a.ts'],
  ...o,
});

describe('store: refactors.jsonl', () => {
  it('appends, reads back, and a record appended again with the same id replaces the earlier one', () => {
    appendRefactor(dir, rec({}));
    appendRefactor(dir, rec({ id: 'r1-02', outcome: 'reverted', commit: undefined, reason: 'test failed' }));
    appendRefactor(dir, rec({ appliedCommit: 'c'.repeat(40) }));
    const all = listRefactors(dir);
    expect(all.map((r) => [r.id, r.outcome, r.appliedCommit ?? null])).toEqual([
      ['r1-01', 'kept', 'c'.repeat(40)],
      ['r1-02', 'reverted', null],
    ]);
    expect(listRefactors(dir, { outcome: 'reverted' }).map((r) => r.id)).toEqual(['r1-02']);
    expect(findRefactor(dir, 'r1-02')?.reason).toBe('test failed');
    expect(findRefactor(dir, 'nope')).toBeUndefined();
    const err = (() => {
      try {
        findRefactorOrThrow(dir, 'nope');
      } catch (e) {
        return e;
      }
    })();
    expect(isFaultlineError(err, 'FL_ERR_REFACTOR_NOT_FOUND')).toBe(true);
  });

  it('skips a torn last line and still appends on a fresh line after it', () => {
    appendRefactor(dir, rec({}));
    appendFileSync(join(dir, 'refactors.jsonl'), '{"id":"r1-02","runId":');
    appendRefactor(dir, rec({ id: 'r1-03' }));
    const log = readRefactorLog(dir);
    expect(log.records.map((r) => r.id)).toEqual(['r1-01', 'r1-03']);
    expect(log.skipped).toBe(1);
  });

  it('rejects invalid records by field', () => {
    const bad = (r: RefactorRecord): string | undefined => {
      try {
        appendRefactor(dir, r);
      } catch (e) {
        return isFaultlineError(e, 'FL_ERR_REFACTOR_RECORD_INVALID') ? String(e.context.field) : 'other';
      }
      return undefined;
    };
    expect(bad(rec({ outcome: 'maybe' as never }))).toBe('outcome');
    expect(bad(rec({ commit: undefined }))).toBe('commit');
    expect(bad(rec({ at: 'yesterday' }))).toBe('at');
    expect(bad(rec({ outcome: 'skipped', commit: undefined }))).toBeUndefined();
  });

  it('labels for the predictor: only kept fixes not reverted since are confirmed weaknesses', () => {
    const labels = fixLabels([
      rec({ id: 'a' }),
      rec({ id: 'b', outcome: 'reverted', commit: undefined }),
      rec({ id: 'c', outcome: 'unverified' }),
      rec({ id: 'd', revertedBy: { commit: 'd'.repeat(40), on: 'current-branch', at: '2024-05-02T00:00:00Z' } }),
      rec({ id: 'e', target: { path: 'src/b.ts', line: 9, confidence: 0.6, severity: 'low', source: 'smell', evidence: [] } }),
    ]);
    expect(labels).toEqual([
      { path: 'src/a.ts', line: 3, failureType: 'timeout', label: 1, at: '2024-05-01T10:00:00.000Z', recipe: 'add-timeout' },
      { path: 'src/b.ts', line: 9, label: 1, at: '2024-05-01T10:00:00.000Z', recipe: 'add-timeout' },
    ]);
  });
});
