import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/core/run.js';
import { openLedger } from '../../../src/store/ledger.js';
import { appendRun, lastDrills, listRuns, scanRunLog } from '../../../src/store/runs.js';

const rec = (id: string, startedAt: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  id,
  kind: 'card',
  title: `run ${id}`,
  status: 'completed',
  deviated: false,
  startedAt,
  endedAt: startedAt,
  durationMs: 1000,
  mttdMs: 500,
  mttrMs: 1500,
  ...extra,
});

describe('run store (runs.jsonl + SQLite index)', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'fl-runs-'));
    dirs.push(d);
    return d;
  };

  it('appends to the log and lists back, oldest first, filtered by kind, card and since', () => {
    const dir = tmp();
    expect(listRuns(dir)).toEqual([]);
    appendRun(dir, rec('b', '2024-01-02T00:00:00.000Z', { cardId: 'net-latency' }));
    appendRun(dir, rec('a', '2024-01-01T00:00:00.000Z', { cardId: 'proc-crash' }));
    appendRun(dir, rec('c', '2024-01-03T00:00:00.000Z', { kind: 'experiment' }));
    expect(readFileSync(join(dir, 'runs.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(listRuns(dir).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(listRuns(dir, { kind: 'card' }).map((r) => r.id)).toEqual(['a', 'b']);
    expect(listRuns(dir, { cardId: 'net-latency' })[0]).toMatchObject({ id: 'b', mttdMs: 500, mttrMs: 1500 });
    expect(listRuns(dir, { since: '2024-01-02T00:00:00.000Z' }).map((r) => r.id)).toEqual(['b', 'c']);
    expect(listRuns(dir, { limit: 2 }).map((r) => r.id)).toEqual(['b', 'c']);
  });

  it('keeps the index in the ledger database without disturbing the fault ledger', () => {
    const dir = tmp();
    const l = openLedger(dir);
    l.record({ action: 'inject', faultId: 'f1', kind: 'latency', layer: 'proxy', target: 'proxy=db', params: {}, actor: 't', outcome: 'ok' });
    appendRun(dir, rec('r1', '2024-01-01T00:00:00.000Z'));
    expect(listRuns(dir)).toHaveLength(1);
    expect(l.query()).toHaveLength(1);
    l.close();
  });

  it('a record appended again with the same id replaces the earlier one (marked interrupted)', () => {
    const dir = tmp();
    appendRun(dir, rec('r1', '2024-01-01T00:00:00.000Z', { cardId: 'x' }));
    expect(listRuns(dir)[0]?.status).toBe('completed');
    appendRun(dir, rec('r1', '2024-01-01T00:00:00.000Z', { cardId: 'x', status: 'interrupted' }));
    expect(listRuns(dir)).toHaveLength(1);
    expect(listRuns(dir)[0]?.status).toBe('interrupted');
  });

  it('skips and counts a torn line; the next append starts on a fresh line', () => {
    const dir = tmp();
    appendRun(dir, rec('a', '2024-01-01T00:00:00.000Z'));
    appendFileSync(join(dir, 'runs.jsonl'), '{"id":"torn","kin');
    expect(scanRunLog(dir)).toMatchObject({ skipped: 1 });
    expect(listRuns(dir).map((r) => r.id)).toEqual(['a']);
    appendRun(dir, rec('b', '2024-01-02T00:00:00.000Z'));
    const scan = scanRunLog(dir);
    expect(scan.records.map((r) => r.id)).toEqual(['a', 'b']);
    expect(scan.skipped).toBe(1);
    expect(listRuns(dir).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('reads a log larger than one chunk', () => {
    const dir = tmp();
    for (let i = 0; i < 600; i++) appendRun(dir, rec(`r${String(i).padStart(4, '0')}`, new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(), { title: 'x'.repeat(200) }));
    const scan = scanRunLog(dir);
    expect(scan.records).toHaveLength(600);
    expect(scan.skipped).toBe(0);
    expect(listRuns(dir)).toHaveLength(600);
    expect(listRuns(dir, { limit: 1 })[0]?.id).toBe('r0599');
  });

  it('lastDrills: the latest completed or failed run per card; aborted and interrupted runs do not count', () => {
    const dir = tmp();
    appendRun(dir, rec('a1', '2024-01-01T00:00:00.000Z', { cardId: 'a' }));
    appendRun(dir, rec('a2', '2024-01-05T00:00:00.000Z', { cardId: 'a', status: 'failed' }));
    appendRun(dir, rec('a3', '2024-01-06T00:00:00.000Z', { cardId: 'a', status: 'interrupted' }));
    appendRun(dir, rec('b1', '2024-01-02T00:00:00.000Z', { cardId: 'b', status: 'aborted' }));
    appendRun(dir, rec('x', '2024-01-02T00:00:00.000Z', { kind: 'experiment' }));
    const m = lastDrills(dir);
    expect([...m.keys()]).toEqual(['a']);
    expect(m.get('a')?.id).toBe('a2');
  });

  it('refuses an invalid record naming the field', () => {
    const dir = tmp();
    expect(() => appendRun(dir, { ...rec('a', 'yesterday') })).toThrow(expect.objectContaining({ code: 'FL_ERR_RUN_RECORD_INVALID', context: { field: 'startedAt' } }));
    expect(() => appendRun(dir, { ...rec('a', '2024-01-01T00:00:00.000Z'), kind: 'nope' as never })).toThrow(expect.objectContaining({ context: { field: 'kind' } }));
  });
});
