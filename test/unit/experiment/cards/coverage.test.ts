import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../../src/core/run.js';
import { coverage, drillIntervalDays } from '../../../../src/experiment/cards/coverage.js';
import type { FailureCard } from '../../../../src/experiment/cards/types.js';

const DAY = 86_400_000;
const NOW = Date.parse('2024-03-10T12:00:00.000Z');

const card = (id: string, risk: number, extra: Partial<FailureCard> = {}): FailureCard => ({
  id,
  title: id,
  category: 'network',
  scenario: 'network-latency',
  description: '',
  risk,
  status: 'ready',
  injection: { layer: 'proxy', kind: 'latency', target: {}, params: {}, durationMs: 1000, ttlMs: 2000 },
  detection: { signal: 'errorRate', above: 0.1, withinMs: 1000 },
  remediation: { text: 'x' },
  verification: [],
  rollback: [],
  slo: { detectMs: 1000, recoverMs: 1000 },
  source: 'x:1:1',
  ...extra,
});
const drill = (cardId: string, agoMs: number): RunRecord => ({ id: `r-${cardId}`, kind: 'card', title: cardId, status: 'completed', deviated: false, cardId, startedAt: new Date(NOW - agoMs).toISOString(), endedAt: new Date(NOW - agoMs).toISOString(), durationMs: 1, mttdMs: 100, mttrMs: 200 });

describe('drill frequency rules', () => {
  it('risk ≥ 2.0 every 3 days, 1.0 ≤ risk < 2.0 every 7, below 1.0 every 14 (boundaries exact)', () => {
    expect(drillIntervalDays(3)).toBe(3);
    expect(drillIntervalDays(2.0)).toBe(3);
    expect(drillIntervalDays(1.9999)).toBe(7);
    expect(drillIntervalDays(1.0)).toBe(7);
    expect(drillIntervalDays(0.9999)).toBe(14);
    expect(drillIntervalDays(0.1)).toBe(14);
  });

  it('exactly 3 days after the last drill a risk-2.0 card is due, not overdue; 1 ms later it is overdue and high-risk pending', () => {
    const cards = [card('hi', 2.0)];
    const atDue = coverage(cards, new Map([['hi', drill('hi', 3 * DAY)]]), NOW);
    expect(atDue.cards[0]).toMatchObject({ state: 'current', overdueByMs: 0, intervalDays: 3 });
    expect(atDue.highRiskPending).toEqual([]);
    const late = coverage(cards, new Map([['hi', drill('hi', 3 * DAY + 1)]]), NOW);
    expect(late.cards[0]).toMatchObject({ state: 'overdue', overdueByMs: 1 });
    expect(late.overdue).toEqual(['hi']);
    expect(late.highRiskPending).toEqual(['hi']);
  });

  it('risk 1.0 exactly uses 7 days (overdue at 7 days + 1 ms, not at 4 days) and is never high-risk', () => {
    const cards = [card('mid', 1.0)];
    expect(coverage(cards, new Map([['mid', drill('mid', 4 * DAY)]]), NOW).overdue).toEqual([]);
    expect(coverage(cards, new Map([['mid', drill('mid', 7 * DAY)]]), NOW).overdue).toEqual([]);
    const r = coverage(cards, new Map([['mid', drill('mid', 7 * DAY + 1)]]), NOW);
    expect(r.overdue).toEqual(['mid']);
    expect(r.highRiskPending).toEqual([]);
  });

  it('below 1.0: 14 days', () => {
    const cards = [card('lo', 0.5)];
    expect(coverage(cards, new Map([['lo', drill('lo', 14 * DAY)]]), NOW).overdue).toEqual([]);
    expect(coverage(cards, new Map([['lo', drill('lo', 14 * DAY + 1)]]), NOW).overdue).toEqual(['lo']);
  });
});

describe('coverage report', () => {
  it('never drilled, high-risk pending, cannot run, partial, by category, % current', () => {
    const cards = [
      card('a', 2.5),
      card('b', 0.5, { category: 'time' }),
      card('c', 3, { status: 'needs-mechanism', missing: 'a loader fault', category: 'incident' }),
      card('d', 1.5, { status: 'partial', approximation: 'close enough', category: 'time' }),
    ];
    const r = coverage(cards, new Map([['b', drill('b', DAY)]]), NOW);
    expect(r.total).toBe(4);
    expect(r.runnable).toBe(3);
    expect(r.neverDrilled).toEqual(['a', 'd']);
    expect(r.highRiskPending).toEqual(['a']);
    expect(r.cannotRun).toEqual([{ id: 'c', missing: 'a loader fault' }]);
    expect(r.partial).toEqual([{ id: 'd', approximation: 'close enough' }]);
    expect(r.byCategory.time).toEqual({ cards: 2, drilled: 1, overdue: 0, neverDrilled: 1, cannotRun: 0 });
    expect(r.byCategory.incident).toMatchObject({ cards: 1, cannotRun: 1 });
    expect(r.byCategory.network).toMatchObject({ cards: 1, neverDrilled: 1 });
    expect(r.currentPct).toBeCloseTo(33.3, 1);
    expect(r.cards.find((c) => c.id === 'b')).toMatchObject({ lastMttdMs: 100, lastMttrMs: 200, dueAt: new Date(NOW - DAY + 14 * DAY).toISOString() });
  });
});
