import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendEvent, openLedger } from '../../../src/store/ledger.js';

const ev = (faultId: string, action: 'inject' | 'revert' | 'expire' = 'inject') => ({ action, faultId, kind: 'latency', layer: 'proxy' as const, target: 'proxy=db', params: { latency: 100 }, actor: 'test', outcome: 'ok' as const, ttlMs: 1000 });

describe('ledger (SQLite + JSONL)', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'fl-ledger-'));
    dirs.push(d);
    return d;
  };

  it('records to both the JSONL log and SQLite, and queries back', () => {
    const dir = tmp();
    const l = openLedger(dir);
    l.record(ev('a'));
    l.record(ev('a', 'revert'));
    l.record(ev('b'));
    expect(existsSync(join(dir, 'ledger.db'))).toBe(true);
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(l.query({ faultId: 'a' }).map((e) => e.action)).toEqual(['inject', 'revert']);
    expect(l.query({ limit: 1 })[0]?.faultId).toBe('b');
    expect(l.query({ action: 'inject' })[0]).toMatchObject({ params: { latency: 100 }, ttlMs: 1000, layer: 'proxy' });
    l.close();
  });

  it('imports events other processes appended (TTL guards), once, skipping torn lines', () => {
    const dir = tmp();
    const l = openLedger(dir);
    l.record(ev('a'));
    appendEvent(dir, ev('a', 'expire'));
    appendFileSync(join(dir, 'events.jsonl'), '{"torn\n');
    expect(l.sync()).toBe(2);
    expect(l.sync()).toBe(0);
    expect(l.query({ faultId: 'a' }).map((e) => e.action)).toEqual(['inject', 'expire']);
    l.close();
    const again = openLedger(dir);
    expect(again.query()).toHaveLength(2);
    again.close();
  });
});
