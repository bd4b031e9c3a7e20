/** The failure-card vocabulary (format: docs/reference/failure-cards.md). */
import type { FaultLayer } from '../../core/fault.js';

export const CARD_CATEGORIES = ['network', 'resource', 'application', 'state', 'time', 'incident'] as const;
export type CardCategory = (typeof CARD_CATEGORIES)[number];

export const CARD_STATUSES = ['ready', 'partial', 'needs-mechanism'] as const;
/** ready: faultline injects it today; partial: an approximation (`approximation` says how); needs-mechanism: `missing` says what is missing */
export type CardStatus = (typeof CARD_STATUSES)[number];

export const DETECTION_SIGNALS = ['errorRate', 'p99LatencyMs', 'health', 'throughputPerSec'] as const;
export type DetectionSignal = (typeof DETECTION_SIGNALS)[number];

/** The 13 chaos scenarios and the 10 incident kinds the built-in catalogue covers. */
export const SCENARIOS = [
  'network-latency',
  'network-partition',
  'packet-loss',
  'cpu-spike',
  'memory-leak',
  'disk-exhaustion',
  'random-exceptions',
  'null-values',
  'slow-responses',
  'state-corruption',
  'race-condition',
  'deadlock',
  'time-skew',
  'clock-drift',
  'code-error',
  'missing-dependency-binary',
  'heartbeat-loss',
  'process-crash',
  'schema-drift',
  'corrupted-data-file',
  'queue-backlog',
  'config-drift',
  'latency-spike',
  'secret-in-logs',
] as const;

/**
 * A FaultRequest template: strings in `target` and `params` may hold variables `{name}` (or `{name:default}`),
 * bound when the card runs.
 */
export interface CardInjection {
  layer: FaultLayer;
  kind: string;
  target: Record<string, string | number>;
  params: Record<string, unknown>;
  /** how long the run keeps the fault before reverting it */
  durationMs: number;
  /** time-to-live enforced by whatever applies the fault (≥ durationMs) */
  ttlMs: number;
  /**
   * Companion faults: injected just before the main fault and reverted just after it, with its duration and TTL
   * (e.g. cache-busting traffic while the dependency fails some requests). The main fault is the one the card
   * measures and takes its evidence from.
   */
  with?: CardCompanion[];
  /**
   * the shortest time `faultline loop` holds this card, whatever its --phase (a gradual failure, such as a
   * collection that grows with every new key, needs time to show); at most durationMs
   */
  minHoldMs?: number;
}

/** A fault that runs alongside a card's main injection, for as long as it does. */
export interface CardCompanion {
  layer: FaultLayer;
  kind: string;
  target: Record<string, string | number>;
  params: Record<string, unknown>;
}

/** The signal a monitor should see cross a threshold once the fault is active. */
export interface DetectionSpec {
  signal: DetectionSignal;
  above?: number;
  below?: number;
  /** how long after injection the signal must cross (ms) */
  withinMs: number;
}

export interface FailureCard {
  id: string;
  title: string;
  category: CardCategory;
  /** the scenario or incident kind (one of SCENARIOS for built-in cards; any kebab-case id for user cards) */
  scenario: string;
  /** what happens, in words */
  description: string;
  /** risk weight (> 0): selection weight in continuous chaos, and drill frequency */
  risk: number;
  status: CardStatus;
  /** for partial cards: how the injection differs from the real failure */
  approximation?: string;
  /** for needs-mechanism cards: what faultline lacks */
  missing?: string;
  /** absent only for needs-mechanism cards */
  injection?: CardInjection;
  detection: DetectionSpec;
  remediation: { text: string; playbook?: string };
  verification: string[];
  rollback: string[];
  slo: { detectMs: number; recoverMs: number };
  /** file:line:col where the card is defined */
  source: string;
}
