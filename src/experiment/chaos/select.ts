/**
 * Which cards continuous chaos may run, and the seeded sequence it runs them in. Every random draw comes from
 * the session's Rng in a fixed order (per step: how many cards, which cards, the wait after), so a session with
 * the same seed and the same eligible cards picks the same sequence whatever the outcome of each incident.
 */
import type { Rng } from '../../core/rng.js';
import type { FaultRequest } from '../../core/fault.js';
import { bindCard, bindCompanions, missingBindings, type Bindings } from '../cards/bind.js';
import type { FailureCard } from '../cards/types.js';

export interface SkippedCard {
  id: string;
  reason: string;
}

/** Answers why a bound fault would be refused (safe zones, fault profiles), or undefined when it would be admitted. */
export type Admission = (req: FaultRequest) => string | undefined;

/** Cards that can run with these bindings; the others with the reason (needs-mechanism, missing bindings, refused by a safe zone). */
export function eligibleCards(cards: readonly FailureCard[], bindings: Bindings, admit?: Admission): { eligible: FailureCard[]; skipped: SkippedCard[] } {
  const eligible: FailureCard[] = [];
  const skipped: SkippedCard[] = [];
  for (const c of cards) {
    if (c.status === 'needs-mechanism' || !c.injection) {
      skipped.push({ id: c.id, reason: `needs-mechanism: ${c.missing ?? 'no injection'}` });
      continue;
    }
    const missing = missingBindings(c, bindings);
    if (missing.length > 0) {
      skipped.push({ id: c.id, reason: `missing binding ${missing.map((m) => `{${m}}`).join(', ')} (pass ${missing.map((m) => `--bind ${m}=…`).join(' ')})` });
      continue;
    }
    const refused = admit ? [bindCard(c, bindings), ...bindCompanions(c, bindings)].map(admit).find((r) => r !== undefined) : undefined;
    if (refused !== undefined) skipped.push({ id: c.id, reason: refused });
    else eligible.push(c);
  }
  return { eligible, skipped };
}

/** One card drawn with probability risk / Σ risk. */
export function pickWeighted<T extends { risk: number }>(items: readonly T[], rng: Rng): T {
  if (items.length === 0) throw new RangeError('pickWeighted: no items');
  const total = items.reduce((s, c) => s + c.risk, 0);
  let x = rng.next() * total;
  for (const c of items) {
    x -= c.risk;
    if (x < 0) return c;
  }
  return items[items.length - 1] as T;
}

/** `k` distinct cards, each drawn by weight from those not drawn yet. */
export function pickDistinct<T extends { risk: number }>(items: readonly T[], k: number, rng: Rng): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < k && pool.length > 0) {
    const c = pickWeighted(pool, rng);
    out.push(c);
    pool.splice(pool.indexOf(c), 1);
  }
  return out;
}

/** The interval jittered uniformly within ±20 %. */
export function jitter(intervalMs: number, rng: Rng): number {
  return Math.round(intervalMs * (0.8 + 0.4 * rng.next()));
}

/** Most simultaneous incidents in stress mode. */
export const STRESS_MAX = 3;

export interface ScheduleOptions {
  intervalMs: number;
  stress: boolean;
  /** safeZones.maxConcurrentFaults */
  maxConcurrentFaults: number;
}

export interface ChaosStep {
  index: number;
  /** card ids run together (one unless stress) */
  cards: string[];
  /** wait after this incident before the next one */
  waitAfterMs: number;
}

/** How many incidents run at once in stress mode: min(3, maxConcurrentFaults), at least 1. */
export function stressWidth(o: ScheduleOptions): number {
  return o.stress ? Math.max(1, Math.min(STRESS_MAX, o.maxConcurrentFaults)) : 1;
}

/** The endless seeded sequence of incidents. */
export function* chaosSchedule(eligible: readonly FailureCard[], o: ScheduleOptions, rng: Rng): Generator<ChaosStep> {
  const width = stressWidth(o);
  for (let index = 0; ; index++) {
    const k = width > 1 ? rng.int(1, Math.min(width, eligible.length)) : 1;
    const cards = pickDistinct(eligible, k, rng).map((c) => c.id);
    yield { index, cards, waitAfterMs: jitter(o.intervalMs, rng) };
  }
}
