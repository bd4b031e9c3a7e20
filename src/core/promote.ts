/**
 * The vocabulary of risk-gated promotion (src/promote, src/server, the release registry in src/store).
 * A module is a workspace package or a configured folder; its Failure Impact Score (FIS, 0–1) combines the
 * predicted probability that it fails with the severity of a failure; the gate turns FIS and coverage into a
 * decision. These shapes are also the HTTP API's bodies (docs/reference/api.md): keep them JSON-plain.
 * Coverage and thresholds are percentages (0–100); probabilities and FIS are 0–1.
 */

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Negligible'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Configured criticality of a module (lower case in faultline.yaml); maps onto a severity floor. */
export const CRITICALITIES = ['critical', 'high', 'medium', 'low', 'negligible'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

/** What the FIS of one module is computed from. Every field but `name` is optional. */
export interface ModuleData {
  name: string;
  version?: string;
  /** repository-relative folder of the module (forward slashes, no trailing slash; '' = the repository root) */
  path?: string;
  /** names of the modules this one depends on (import graph and package.json) */
  dependencies?: string[];
  /** names of the modules that depend on this one, directly or transitively (computed from a module set) */
  dependents?: string[];
  /** how many modules there are in all (the denominator of dependency reach) */
  totalModules?: number;
  /** configured criticality; inferred from dependency reach and traffic when absent */
  criticality?: Criticality;
  /** calibrated probabilities of failure of the module's files or failure points (0–1), from the predictor */
  failureProbabilities?: number[];
  /** an aggregate probability of failure given directly (0–1); used when failureProbabilities is absent */
  failureProbability?: number;
  /** HTTP routes served by or depending on this module */
  routes?: number;
  /** share of the observed traffic that goes through the module (0–1), from the observe stage */
  trafficShare?: number;
  /** observed load, requests per second */
  loadRps?: number;
  /** from the release registry: how the module's promotions went */
  history?: { promotions: number; rollbacks: number };
}

/** One input of a score, with its value and what it contributed. */
export interface FisFactor {
  name: string;
  value: number;
  /** the share of the score (or of the severity) it accounts for, when meaningful */
  contribution?: number;
  detail: string;
}

export interface FISResult {
  module: string;
  /** 0–1 */
  fis: number;
  /** aggregated probability of failure, 0–1 */
  probability: number;
  severity: Severity;
  /** the severity as a weight, 0–1 (Critical 1.0 … Negligible 0.2) */
  severityWeight: number;
  /** 'formula' (documented weights) or 'calibrated' (fitted on the registry's rollbacks) */
  model: 'formula' | 'calibrated';
  factors: FisFactor[];
}

export const GATE_DECISIONS = ['promote', 'insufficient-coverage', 'blocked'] as const;
export type GateDecision = (typeof GATE_DECISIONS)[number];

/** How decisions read in reports, exactly as the promotion policy names them. */
export const DECISION_LABELS: Record<GateDecision, string> = {
  promote: 'Promote',
  'insufficient-coverage': 'Insufficient Coverage',
  blocked: 'Blocked — Manual Review Required',
};

/** Exit codes of `faultline gate`. */
export const GATE_EXIT_CODES: Record<GateDecision, number> = { promote: 0, 'insufficient-coverage': 1, blocked: 3 };

/** Optional extra inputs shown beside a decision. */
export interface GateExtras {
  /** Stryker mutation score, percent */
  mutationScore?: number;
  /** `npm audit --json` counts by severity */
  dependencyHealth?: { critical: number; high: number; moderate: number; low: number; info: number; total: number };
}

export interface PromotionRequest {
  module: ModuleData;
  /** measured line coverage of the module, percent */
  coverage: number;
  /** the FIS, computed from `module` when absent */
  fis?: number;
  /** replaces the configured base threshold B, percent */
  baseCoverageThreshold?: number;
  extras?: GateExtras;
}

export interface GateResult {
  module: string;
  decision: GateDecision;
  /** DECISION_LABELS[decision] */
  label: string;
  fis: number;
  severity: Severity;
  coverage: number;
  baseCoverageThreshold: number;
  /** 1.00, 1.10 or 1.20; null when blocked */
  multiplier: number | null;
  /** points added after rollbacks (decaying after successful promotions) */
  raise: number;
  /** min(100, B × multiplier + raise); null when blocked */
  requiredCoverage: number | null;
  /** one line per number that decided it */
  reasons: string[];
  extras?: GateExtras;
}

export const RELEASE_STATUSES = ['promoted', 'stable', 'rolled-back', 'rejected'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** One entry of the release registry. */
export interface ReleaseRecord {
  id: string;
  module: string;
  version: string;
  commit?: string;
  /** what was deployed: a release directory, an image, a tarball */
  artifact?: string;
  decision: GateDecision;
  fis: number;
  /** the module's aggregated probability of failure at promotion (what the FIS calibration is fitted on) */
  probability?: number;
  coverage: number;
  requiredCoverage: number | null;
  status: ReleaseStatus;
  /** ISO time of the promotion */
  at: string;
  /** set when the release was rolled back */
  rollback?: { at: string; reason: string; to?: string; adapter: string };
}
