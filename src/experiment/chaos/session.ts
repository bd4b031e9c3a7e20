/**
 * Continuous chaos and game days. A session draws incidents from the eligible cards by risk (seeded), runs each
 * as a card drill (runCard), waits a jittered interval, and stops after `incidents`, after `durationMs`, or when
 * the signal aborts (every fault reverted; the drills in flight and the session recorded as 'interrupted').
 * In stress mode up to min(3, maxConcurrentFaults) drills run at once, the load rate split between them.
 */
import { newFaultId } from '../../core/fault.js';
import { createRng, type Rng } from '../../core/rng.js';
import type { RunRecord, RunStatus } from '../../core/run.js';
import { appendRun } from '../../store/runs.js';
import type { Bindings } from '../cards/bind.js';
import { pause, runCard, type CardRunDeps, type CardRunOptions, type CardRunResult } from '../cards/run.js';
import type { FailureCard } from '../cards/types.js';
import { startTime, type GameDay } from './gameday.js';
import type { FailurePoint } from '../../core/analysis.js';
import { guideCards } from './guide.js';
import { chaosSchedule, eligibleCards, stressWidth, type Admission, type ChaosStep, type SkippedCard } from './select.js';

export interface ChaosOptions {
  cards: readonly FailureCard[];
  bindings: Bindings;
  /** wait between incidents, jittered ±20 % (default 30 s) */
  intervalMs?: number;
  /** stop starting incidents after this long */
  durationMs?: number;
  /** stop after this many incidents (steps) */
  incidents?: number;
  stress?: boolean;
  /** safeZones.maxConcurrentFaults */
  maxConcurrentFaults: number;
  seed: number;
  /** per-drill options (baseline, poll, sustain; durationMs overrides every card's hold time) */
  drill?: CardRunOptions;
  /** cards whose fault the safe zones or fault profiles would refuse are skipped with the reason */
  admit?: Admission;
  /** failure points from `faultline predict`: they raise the weights of the cards that exercise their failure types */
  guidance?: readonly Pick<FailurePoint, 'failureType' | 'confidence' | 'path' | 'line' | 'fn'>[];
}

export interface IncidentResult {
  step: number;
  cardId: string;
  result?: CardRunResult;
  /** a drill that could not start (refused binding, unexpected error) */
  error?: string;
}

export interface PlannedStep extends ChaosStep {
  /** estimated start, ms after the session's start (each drill taking baseline + hold + recovery SLO) */
  estimatedStartMs: number;
}

export interface ChaosPlan {
  seed: number;
  eligible: string[];
  skipped: SkippedCard[];
  width: number;
  steps: PlannedStep[];
  /** card id → why prediction raised its weight */
  guided?: Record<string, string>;
}

export interface SessionResult {
  kind: 'chaos' | 'gameday';
  seed?: number;
  skipped: SkippedCard[];
  incidents: IncidentResult[];
  record: RunRecord;
}

/** Why continuous chaos drew this card: its weight among the eligible cards, and what raised it. */
function chosenBecause(card: FailureCard, guided: string | undefined): string {
  return guided ? `drawn by weight: ${guided}` : `drawn by weight: risk ${card.risk}`;
}

function nominalMs(card: FailureCard, drill: CardRunOptions | undefined): number {
  return (drill?.baselineMs ?? 2000) + (drill?.durationMs ?? card.injection?.durationMs ?? 0) + card.slo.recoverMs;
}

/** The plan a session with this seed would follow (dry run): up to `incidents` steps, or those that fit in `durationMs` by estimate (default 10). */
export function planChaos(o: ChaosOptions, maxSteps = 1000): ChaosPlan {
  const { eligible: plain, skipped } = eligibleCards(o.cards, o.bindings, o.admit);
  const { cards: eligible, why } = guideCards(plain, o.guidance ?? []);
  const sched = { intervalMs: o.intervalMs ?? 30_000, stress: o.stress ?? false, maxConcurrentFaults: o.maxConcurrentFaults };
  const plan: ChaosPlan = { seed: o.seed, eligible: eligible.map((c) => c.id), skipped, width: stressWidth(sched), steps: [], ...(why.size > 0 ? { guided: Object.fromEntries(why) } : {}) };
  if (eligible.length === 0) return plan;
  const limit = o.incidents ?? (o.durationMs === undefined ? 10 : maxSteps);
  let t = 0;
  for (const step of chaosSchedule(eligible, sched, createRng(o.seed))) {
    if (plan.steps.length >= limit || (o.durationMs !== undefined && t >= o.durationMs)) break;
    plan.steps.push({ ...step, estimatedStartMs: t });
    t += Math.max(...step.cards.map((id) => nominalMs(eligible.find((c) => c.id === id) as FailureCard, o.drill))) + step.waitAfterMs;
  }
  return plan;
}

function mean(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : Math.round(v.reduce((s, x) => s + x, 0) / v.length);
}

function sessionRecord(kind: 'chaos' | 'gameday', title: string, t0: number, incidents: IncidentResult[], interrupted: boolean): RunRecord {
  const recs = incidents.flatMap((i) => (i.result ? [i.result.record] : []));
  const deviated = recs.some((r) => r.deviated) || incidents.some((i) => i.error !== undefined);
  const status: RunStatus = interrupted ? 'interrupted' : deviated ? 'failed' : 'completed';
  const end = Date.now();
  return {
    id: newFaultId(kind),
    kind,
    title,
    status,
    deviated,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(end).toISOString(),
    durationMs: end - t0,
    mttdMs: mean(recs.map((r) => r.mttdMs)),
    mttrMs: mean(recs.map((r) => r.mttrMs)),
  };
}

async function drill(step: number, card: FailureCard, bindings: Bindings, deps: CardRunDeps, o: CardRunOptions): Promise<IncidentResult> {
  try {
    return { step, cardId: card.id, result: await runCard(card, bindings, deps, o) };
  } catch (e) {
    deps.onProgress?.(`[${card.id}] not run: ${(e as Error).message}`);
    return { step, cardId: card.id, error: (e as Error).message };
  }
}

/** Runs a continuous chaos session (see the module comment). The session's RunRecord (kind 'chaos') is appended when deps.stateDir is set. */
export async function runChaos(o: ChaosOptions, deps: CardRunDeps): Promise<SessionResult> {
  const t0 = Date.now();
  const rng: Rng = createRng(o.seed);
  const { eligible: plain, skipped } = eligibleCards(o.cards, o.bindings, o.admit);
  const { cards: eligible, why } = guideCards(plain, o.guidance ?? []);
  for (const s of skipped) deps.onProgress?.(`skip ${s.id}: ${s.reason}`);
  for (const [id, reason] of why) deps.onProgress?.(`guided ${id}: ${reason}`);
  const sched = { intervalMs: o.intervalMs ?? 30_000, stress: o.stress ?? false, maxConcurrentFaults: o.maxConcurrentFaults };
  const incidents: IncidentResult[] = [];
  const deadline = o.durationMs !== undefined ? t0 + o.durationMs : Infinity;
  if (eligible.length > 0) {
    for (const step of chaosSchedule(eligible, sched, rng)) {
      if (deps.signal?.aborted || (o.incidents !== undefined && step.index >= o.incidents) || Date.now() >= deadline) break;
      const cards = step.cards.map((id) => plain.find((c) => c.id === id) as FailureCard); // the cards as written (guided weights only steer the draw)
      deps.onProgress?.(`incident ${step.index + 1}: ${step.cards.join(' + ')}`);
      // in stress mode the drills share the load: each sends rate / k
      const share: CardRunDeps = cards.length > 1 && deps.load ? { ...deps, load: { ...deps.load, ratePerSec: Math.max(1, deps.load.ratePerSec / cards.length) } } : deps;
      const results = await Promise.all(cards.map((c) => drill(step.index, c, o.bindings, share, { ...o.drill, seed: o.seed, session: `chaos#${step.index + 1}`, reason: chosenBecause(c, why.get(c.id)) })));
      incidents.push(...results);
      const last = o.incidents !== undefined && step.index + 1 >= o.incidents;
      if (last || deps.signal?.aborted) break;
      await pause(Math.min(step.waitAfterMs, Math.max(0, deadline - Date.now())), deps.signal);
    }
  }
  const record = sessionRecord('chaos', `chaos session (seed ${o.seed}${o.stress ? ', stress' : ''})`, t0, incidents, deps.signal?.aborted ?? false);
  if (deps.stateDir) appendRun(deps.stateDir, record);
  return { kind: 'chaos', seed: o.seed, skipped, incidents, record };
}

export interface GameDayOptions {
  cards: readonly FailureCard[];
  /** bindings from the command line and faultline.yaml; the game day's and each step's bind override them */
  bindings: Bindings;
  maxConcurrentFaults: number;
  drill?: CardRunOptions;
  /** injectable clock for the schedule wait (default Date.now) */
  now?: () => number;
  /** steps whose fault the safe zones or fault profiles would refuse are skipped with the reason */
  admit?: Admission;
}

/**
 * Runs a game day: waits for its schedule, then starts each step at its offset; a step whose time comes while
 * maxConcurrentFaults drills run waits for one to finish. Steps whose card cannot run are recorded with the reason.
 */
export async function runGameDay(gd: GameDay, o: GameDayOptions, deps: CardRunDeps): Promise<SessionResult> {
  const now = o.now ?? Date.now;
  const startAt = startTime(gd.schedule, now());
  if (startAt > now()) deps.onProgress?.(`game day "${gd.name}" starts at ${new Date(startAt).toISOString()}`);
  await pause(startAt - now(), deps.signal);
  const t0 = Date.now();
  const incidents: IncidentResult[] = [];
  const skipped: SkippedCard[] = [];
  const running = new Set<Promise<void>>();
  const limit = Math.max(1, o.maxConcurrentFaults);
  for (const [i, step] of gd.steps.entries()) {
    await pause(t0 + step.atMs - Date.now(), deps.signal);
    while (running.size >= limit && !deps.signal?.aborted) await Promise.race(running);
    if (deps.signal?.aborted) break;
    const card = o.cards.find((c) => c.id === step.card);
    const bindings = { ...o.bindings, ...gd.bind, ...step.bind };
    if (!card) {
      skipped.push({ id: step.card, reason: 'not in the catalogue' });
      continue;
    }
    const { skipped: why } = eligibleCards([card], bindings, o.admit);
    if (why[0]) {
      skipped.push(why[0]);
      deps.onProgress?.(`skip step ${i + 1} (${card.id}): ${why[0].reason}`);
      continue;
    }
    deps.onProgress?.(`step ${i + 1} at +${step.atMs} ms: ${card.id}`);
    const p: Promise<void> = drill(i, card, bindings, deps, { ...o.drill, session: gd.name }).then((r) => {
      incidents.push(r);
      running.delete(p);
    });
    running.add(p);
  }
  await Promise.all(running);
  incidents.sort((a, b) => a.step - b.step);
  const record = sessionRecord('gameday', `game day: ${gd.name}`, t0, incidents, deps.signal?.aborted ?? false);
  if (deps.stateDir) appendRun(deps.stateDir, record);
  return { kind: 'gameday', skipped, incidents, record };
}
