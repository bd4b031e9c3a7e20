/**
 * Prediction guides chaos: the failure points `faultline predict` ranked (with their failure types and
 * calibrated confidences) raise the weights of the failure cards that exercise those failure types, so the
 * likeliest weaknesses are drilled first, and each card carries the reason it was weighted up.
 */
import type { FailurePoint, FailureType } from '../../core/analysis.js';
import type { FailureCard } from '../cards/types.js';

/** The card scenarios that exercise each failure type. */
export const SCENARIOS_FOR: Readonly<Record<FailureType, readonly string[]>> = {
  timeout: ['network-latency', 'slow-responses', 'latency-spike', 'network-partition', 'packet-loss', 'dependency-errors'],
  'unhandled-error': ['random-exceptions', 'dependency-errors', 'corrupt-response', 'code-error', 'config-drift', 'missing-dependency-binary'],
  'null-value': ['null-values', 'schema-drift'],
  'resource-leak': ['memory-leak', 'disk-exhaustion', 'queue-backlog'],
  'blocking-io': ['cpu-spike', 'deadlock', 'heartbeat-loss'],
  'data-corruption': ['state-corruption', 'corrupted-data-file', 'corrupt-response', 'race-condition', 'time-skew', 'clock-drift'],
  crash: ['process-crash', 'heartbeat-loss', 'code-error'],
  logic: [],
};

/** How many failure points count per card: the strongest few, so one noisy file cannot dominate. */
export const POINTS_PER_CARD = 5;

export interface Guided {
  /** copies of the cards with `risk` set to the guided weight (what the scheduler draws by) */
  cards: FailureCard[];
  /** card id → why its weight was raised (absent: weight = risk) */
  why: Map<string, string>;
}


/**
 * weight = risk × (1 + Σ confidence of the POINTS_PER_CARD most confident failure points whose failure type the
 * card's scenario exercises). With no points, every weight is the card's risk.
 */
export function guideCards(cards: readonly FailureCard[], points: readonly Pick<FailurePoint, 'failureType' | 'confidence' | 'path' | 'line' | 'fn'>[]): Guided {
  const why = new Map<string, string>();
  const out = cards.map((card) => {
    const scenario = card.scenario;
    const matching = points
      .filter((p) => (SCENARIOS_FOR[p.failureType] ?? []).includes(scenario) || (SCENARIOS_FOR[p.failureType] ?? []).includes(card.id))
      .sort((a, b) => b.confidence - a.confidence)
      .slice(0, POINTS_PER_CARD);
    if (matching.length === 0) return card;
    const boost = matching.reduce((s, p) => s + Math.max(0, Math.min(1, p.confidence)), 0);
    const weight = card.risk * (1 + boost);
    why.set(
      card.id,
      `weight ${weight.toFixed(2)} = risk ${card.risk} × (1 + ${boost.toFixed(2)}) from predicted ${[...new Set(matching.map((p) => p.failureType))].join('/')} at ${matching
        .slice(0, 3)
        .map((p) => `${p.path}:${p.line}${p.fn ? ` (${p.fn})` : ''} p=${p.confidence.toFixed(2)}`)
        .join(', ')}${matching.length > 3 ? ` and ${matching.length - 3} more` : ''}`,
    );
    return { ...card, risk: weight };
  });
  return { cards: out, why };
}
