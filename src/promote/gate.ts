/**
 * The promotion gate: FIS and coverage → promote, insufficient coverage, or blocked.
 *
 * With base coverage threshold B (percent; the request's `baseCoverageThreshold` replaces the configured one):
 *
 * | FIS | required coverage | multiplier |
 * |---|---|---|
 * | FIS < 0.2 | B | 1.00 |
 * | 0.2 ≤ FIS < 0.5 | B × 1.10 | 1.10 |
 * | 0.5 ≤ FIS < 0.8 | B × 1.20 | 1.20 |
 * | FIS ≥ 0.8 | — blocked: manual review required | — |
 *
 * required = min(100, B × multiplier + raise), rounded to 2 decimals (80 × 1.1 is 88, not 88.00000000000001);
 * `raise` is the points added after rollbacks (raise.ts). coverage ≥ required → promote, else insufficient
 * coverage (a difference under 1e-9 points counts as equal: float noise, not a shortfall). The FIS is the
 * request's `fis` when given, else `opts.fis` (a computed FISResult), else computed from the request's module.
 *
 * Extras (mutation score, dependency health) appear in the reasons but never change the decision: they have no
 * agreed thresholds yet, and a gate that moves on numbers it does not show would be hard to trust.
 */
import { FaultlineError } from '../core/errors.js';
import { DECISION_LABELS, GATE_EXIT_CODES, type FISResult, type GateDecision, type GateExtras, type GateResult, type PromotionRequest, type Severity } from '../core/promote.js';
import type { FisCalibration } from './calibrate.js';
import { computeFis } from './fis.js';
import { assessSeverity } from './severity.js';

export interface GateOptions {
  /** B, percent; the request's baseCoverageThreshold replaces it */
  baseCoverageThreshold: number;
  /** points added to the requirement after rollbacks, ≥ 0 */
  raise?: number;
  /** the module's FIS when already computed */
  fis?: FISResult;
  /** used when the FIS is computed here */
  calibration?: FisCalibration;
}

/** The FIS tiers: [lower bound, multiplier]; FIS at or above BLOCK_FIS is blocked. */
export const GATE_TIERS: ReadonlyArray<readonly [number, number]> = [
  [0, 1.0],
  [0.2, 1.1],
  [0.5, 1.2],
];
export const BLOCK_FIS = 0.8;

const COVERAGE_EPSILON = 1e-9;

/** Rounds to 2 decimals without float residue (80 × 1.1 → 88). */
export function roundPercent(x: number): number {
  return Math.round(Number((x * 100).toPrecision(12))) / 100;
}

/** Numbers as people write them: up to 4 decimals, no trailing zeros. */
const num = (x: number, decimals = 4): string => String(Number(x.toFixed(decimals)));
const pct = (x: number): string => `${num(x, 2)}%`;
const mult = (m: number): string => m.toFixed(2);

function invalid(field: string, what: string, got: unknown): FaultlineError {
  return new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field} ${what} (got ${typeof got === 'number' ? String(got) : JSON.stringify(got)})`, { context: { field } });
}

function checkPercent(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 100) throw invalid(field, 'must be a percentage in [0, 100]', x);
  return x;
}

/** The multiplier of a FIS, or null when the FIS blocks promotion. */
export function coverageMultiplier(fis: number): number | null {
  if (fis >= BLOCK_FIS) return null;
  let m = 1;
  for (const [min, k] of GATE_TIERS) if (fis >= min) m = k;
  return m;
}

function tierText(fis: number): string {
  if (fis >= BLOCK_FIS) return `≥ ${BLOCK_FIS}`;
  const i = GATE_TIERS.findLastIndex(([min]) => fis >= min);
  const lo = (GATE_TIERS[i] as readonly [number, number])[0];
  const hi = i + 1 < GATE_TIERS.length ? (GATE_TIERS[i + 1] as readonly [number, number])[0] : BLOCK_FIS;
  return `in [${lo}, ${hi})`;
}

function extrasReasons(extras: GateExtras | undefined): string[] {
  const out: string[] = [];
  if (extras?.mutationScore !== undefined) out.push(`mutation score ${pct(extras.mutationScore)} (shown for review; does not change the decision)`);
  const h = extras?.dependencyHealth;
  if (h !== undefined) {
    out.push(`dependency health: ${h.total} known vulnerabilit${h.total === 1 ? 'y' : 'ies'} (${h.critical} critical, ${h.high} high, ${h.moderate} moderate, ${h.low} low, ${h.info} info) (shown for review; does not change the decision)`);
  }
  return out;
}

function checkExtras(extras: GateExtras | undefined): void {
  if (extras === undefined) return;
  if (extras.mutationScore !== undefined) checkPercent(extras.mutationScore, 'extras.mutationScore');
  const h = extras.dependencyHealth;
  if (h !== undefined) {
    for (const k of ['critical', 'high', 'moderate', 'low', 'info', 'total'] as const) {
      const v = h[k];
      if (!(Number.isInteger(v) && v >= 0)) throw invalid(`extras.dependencyHealth.${k}`, 'must be a count ≥ 0', v);
    }
  }
}

/** The gate's decision for one module, with one reason per number that decided it. */
export function evaluateGate(req: PromotionRequest, opts: GateOptions): GateResult {
  if (typeof req !== 'object' || req === null || typeof req.module !== 'object' || req.module === null) throw invalid('module', 'must be given (an object with a name)', req?.module);
  if (typeof req.module.name !== 'string' || req.module.name === '') throw invalid('module.name', 'must be a non-empty string', req.module.name);
  const coverage = checkPercent(req.coverage, 'coverage');
  const base = req.baseCoverageThreshold !== undefined ? checkPercent(req.baseCoverageThreshold, 'baseCoverageThreshold') : checkPercent(opts.baseCoverageThreshold, 'baseCoverageThreshold');
  const raise = opts.raise ?? 0;
  if (typeof raise !== 'number' || !Number.isFinite(raise) || raise < 0 || raise > 100) throw invalid('raise', 'must be a number of points in [0, 100]', raise);
  if (req.fis !== undefined && (typeof req.fis !== 'number' || !Number.isFinite(req.fis) || req.fis < 0 || req.fis > 1)) throw invalid('fis', 'must be a score in [0, 1]', req.fis);
  if (opts.fis !== undefined) {
    if (opts.fis.module !== req.module.name) throw invalid('fis.module', `must be the request's module "${req.module.name}"`, opts.fis.module);
    if (!Number.isFinite(opts.fis.fis) || opts.fis.fis < 0 || opts.fis.fis > 1) throw invalid('fis.fis', 'must be a score in [0, 1]', opts.fis.fis);
  }
  checkExtras(req.extras);

  let fis: number;
  let severity: Severity;
  let why: string;
  if (req.fis !== undefined) {
    fis = req.fis;
    severity = opts.fis?.severity ?? assessSeverity(req.module).severity;
    why = 'given';
  } else {
    const r = opts.fis ?? computeFis(req.module, opts.calibration === undefined ? {} : { calibration: opts.calibration });
    fis = r.fis;
    severity = r.severity;
    why = `${r.severity} severity × ${r.model === 'calibrated' ? 'calibrated ' : ''}P ${num(r.probability)}`;
  }

  const multiplier = coverageMultiplier(fis);
  const reasons: string[] = [];
  let decision: GateDecision;
  let required: number | null = null;
  if (multiplier === null) {
    decision = 'blocked';
    reasons.push(`FIS ${num(fis)} (${why}) is ${tierText(fis)}: blocked, manual review required`);
    reasons.push(`coverage ${pct(coverage)} does not decide a blocked module`);
  } else {
    const scaled = roundPercent(base * multiplier);
    reasons.push(`FIS ${num(fis)} (${why}) is ${tierText(fis)}: coverage threshold ${pct(base)} × ${mult(multiplier)} = ${pct(scaled)}`);
    const uncapped = roundPercent(base * multiplier + raise);
    required = Math.min(100, uncapped);
    if (raise > 0) {
      const h = req.module.history;
      const after = h === undefined ? 'after earlier rollbacks' : `after ${h.rollbacks} rollback${h.rollbacks === 1 ? '' : 's'}${h.promotions > 0 ? ` in ${h.promotions} promotion${h.promotions === 1 ? '' : 's'}` : ''}`;
      reasons.push(`raised by ${num(raise, 2)} points ${after}: ${pct(scaled)} + ${num(raise, 2)} = ${pct(uncapped)}`);
    }
    if (uncapped > 100) reasons.push(`capped at 100% (${pct(uncapped)} cannot be reached)`);
    if (coverage + COVERAGE_EPSILON >= required) {
      decision = 'promote';
      reasons.push(`coverage ${pct(coverage)} ≥ ${pct(required)}: promote`);
    } else {
      decision = 'insufficient-coverage';
      reasons.push(`coverage ${pct(coverage)} < ${pct(required)}: insufficient`);
    }
  }
  reasons.push(...extrasReasons(req.extras));
  const result: GateResult = {
    module: req.module.name,
    decision,
    label: DECISION_LABELS[decision],
    fis,
    severity,
    coverage,
    baseCoverageThreshold: base,
    multiplier,
    raise,
    requiredCoverage: required,
    reasons,
  };
  if (req.extras !== undefined) result.extras = req.extras;
  return result;
}

/** The exit code of a gate run: the worst decision's (3 if any blocked, else 1 if any insufficient, else 0). */
export function gateExitCode(results: readonly GateResult[]): number {
  let code = GATE_EXIT_CODES.promote;
  for (const r of results) code = Math.max(code, GATE_EXIT_CODES[r.decision]);
  return code;
}
