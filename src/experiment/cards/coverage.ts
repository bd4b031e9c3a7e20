/**
 * Drill coverage of the catalogue: which cards were never drilled, which are overdue by the drill frequency
 * rules, which high-risk cards are pending, and per category. Pure: the last drills and the time are given.
 */
import type { RunRecord } from '../../core/run.js';
import { CARD_CATEGORIES, type CardCategory, type FailureCard } from './types.js';

const DAY_MS = 86_400_000;

/** Drill frequency: risk ≥ 2.0 every 3 days, 1.0 ≤ risk < 2.0 every 7, below 1.0 every 14. */
export function drillIntervalDays(risk: number): number {
  if (risk >= 2.0) return 3;
  if (risk >= 1.0) return 7;
  return 14;
}

export const HIGH_RISK = 2.0;

export interface CardCoverage {
  id: string;
  title: string;
  category: CardCategory;
  risk: number;
  status: FailureCard['status'];
  intervalDays: number;
  /** start of the last drill (ISO), when there was one */
  lastDrill?: string;
  /** when the next drill is due (ISO); undefined when never drilled (due now) */
  dueAt?: string;
  /** ms past dueAt (> 0 only when overdue) */
  overdueByMs: number;
  state: 'never-drilled' | 'overdue' | 'current' | 'cannot-run';
  lastMttdMs?: number | null;
  lastMttrMs?: number | null;
}

export interface CategoryCoverage {
  cards: number;
  drilled: number;
  overdue: number;
  neverDrilled: number;
  cannotRun: number;
}

export interface CoverageReport {
  at: string;
  total: number;
  runnable: number;
  cards: CardCoverage[];
  neverDrilled: string[];
  overdue: string[];
  /** runnable cards with risk ≥ 2.0 that were never drilled or are overdue */
  highRiskPending: string[];
  /** needs-mechanism cards, with what is missing */
  cannotRun: Array<{ id: string; missing: string }>;
  /** partial cards, with how they approximate */
  partial: Array<{ id: string; approximation: string }>;
  byCategory: Record<CardCategory, CategoryCoverage>;
  /** drilled / runnable, in % (a card counts once it has a drill that is not overdue) */
  currentPct: number;
}

/**
 * A card is overdue when more than its interval has passed since its last drill (at exactly the interval it is
 * due, not overdue). Cards that cannot run are left out of never-drilled, overdue and high-risk pending.
 */
export function coverage(cards: readonly FailureCard[], lastDrills: ReadonlyMap<string, RunRecord>, nowMs: number): CoverageReport {
  const byCategory = Object.fromEntries(CARD_CATEGORIES.map((c) => [c, { cards: 0, drilled: 0, overdue: 0, neverDrilled: 0, cannotRun: 0 }])) as Record<CardCategory, CategoryCoverage>;
  const rows: CardCoverage[] = cards.map((card) => {
    const intervalDays = drillIntervalDays(card.risk);
    const last = lastDrills.get(card.id);
    const cat = byCategory[card.category];
    cat.cards++;
    const base = { id: card.id, title: card.title, category: card.category, risk: card.risk, status: card.status, intervalDays };
    const drill = last ? { lastDrill: last.startedAt, lastMttdMs: last.mttdMs, lastMttrMs: last.mttrMs } : {};
    if (last) cat.drilled++;
    if (card.status === 'needs-mechanism') {
      cat.cannotRun++;
      return { ...base, ...drill, overdueByMs: 0, state: 'cannot-run' };
    }
    if (!last) {
      cat.neverDrilled++;
      return { ...base, overdueByMs: 0, state: 'never-drilled' };
    }
    const dueMs = Date.parse(last.startedAt) + intervalDays * DAY_MS;
    const overdueByMs = Math.max(0, nowMs - dueMs);
    if (overdueByMs > 0) cat.overdue++;
    return { ...base, ...drill, dueAt: new Date(dueMs).toISOString(), overdueByMs, state: overdueByMs > 0 ? 'overdue' : 'current' };
  });
  const runnable = rows.filter((r) => r.state !== 'cannot-run');
  return {
    at: new Date(nowMs).toISOString(),
    total: cards.length,
    runnable: runnable.length,
    cards: rows,
    neverDrilled: rows.filter((r) => r.state === 'never-drilled').map((r) => r.id),
    overdue: rows.filter((r) => r.state === 'overdue').map((r) => r.id),
    highRiskPending: rows.filter((r) => r.risk >= HIGH_RISK && (r.state === 'never-drilled' || r.state === 'overdue')).map((r) => r.id),
    cannotRun: cards.filter((c) => c.status === 'needs-mechanism').map((c) => ({ id: c.id, missing: c.missing ?? '' })),
    partial: cards.filter((c) => c.status === 'partial').map((c) => ({ id: c.id, approximation: c.approximation ?? '' })),
    byCategory,
    currentPct: runnable.length === 0 ? 0 : Math.round((1000 * runnable.filter((r) => r.state === 'current').length) / runnable.length) / 10,
  };
}
