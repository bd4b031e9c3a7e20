/**
 * Severity of a module's failure: how much breaks when it breaks.
 *
 * Four exposure signals, each scaled to [0, 1]; the impact is the largest of the signals that are known
 * (a module is as severe as its widest exposure, and a missing input never dilutes the others):
 *
 * | signal | input | score in [0, 1] |
 * |---|---|---|
 * | dependency reach | `dependents`, `totalModules` | dependents ÷ (totalModules − 1) (transitive dependents; unknown when totalModules ≤ 1) |
 * | traffic share | `trafficShare` | the share itself (observed traffic through the module, 0–1) |
 * | routes | `routes` | min(1, log10(1 + routes) ÷ log10(1 + 100)): 1 route 0.15, 3 0.30, 10 0.52, 30 0.74, ≥ 100 1 |
 * | load | `loadRps` | min(1, log10(1 + rps) ÷ log10(1 + 1000)): 1 rps 0.10, 10 0.35, 100 0.67, ≥ 1000 1 |
 *
 * impact = max(known scores) → inferred severity:
 *
 * | impact | inferred severity | weight |
 * |---|---|---|
 * | ≥ 0.75 | Critical | 1.0 |
 * | ≥ 0.50 | High | 0.8 |
 * | ≥ 0.25 | Medium | 0.6 |
 * | ≥ 0.10 | Low | 0.4 |
 * | < 0.10 | Negligible | 0.2 |
 * | no signal known | Medium | 0.6 (an unknown module is not assumed harmless; a configured criticality is used as it is) |
 *
 * Configured criticality (faultline.yaml) is a floor: critical → Critical, high → High, medium → Medium,
 * low → Low, negligible → Negligible. Severity = the higher of the floor and the inferred severity, so
 * inference can raise a configured level but never lower it.
 *
 * Note: dependency reach measures how many modules build on this one, so an application at the top of the
 * graph (nothing imports it) scores 0 there; its routes, traffic or configured criticality carry its weight.
 */
import { FaultlineError } from '../core/errors.js';
import { CRITICALITIES, SEVERITIES, type Criticality, type FisFactor, type ModuleData, type Severity } from '../core/promote.js';

export const SEVERITY_WEIGHTS: Readonly<Record<Severity, number>> = { Critical: 1.0, High: 0.8, Medium: 0.6, Low: 0.4, Negligible: 0.2 };

/** Lower bounds of impact for each inferred severity, from the top. */
export const SEVERITY_THRESHOLDS: ReadonlyArray<readonly [Severity, number]> = [
  ['Critical', 0.75],
  ['High', 0.5],
  ['Medium', 0.25],
  ['Low', 0.1],
  ['Negligible', 0],
];

/** The route count and the load that score 1. */
export const ROUTES_FULL = 100;
export const LOAD_FULL_RPS = 1000;

/** The severity when no exposure signal is known and nothing is configured. */
export const UNKNOWN_SEVERITY: Severity = 'Medium';

export const CRITICALITY_FLOOR: Readonly<Record<Criticality, Severity>> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', negligible: 'Negligible' };

export interface SeverityResult {
  severity: Severity;
  /** SEVERITY_WEIGHTS[severity] */
  weight: number;
  /** max of the known signal scores, 0–1; undefined when none is known */
  impact: number | undefined;
  /** the severity the signals alone give (the floor, or Medium, when no signal is known) */
  inferred: Severity;
  /** the configured floor, when a criticality is configured */
  floor?: Severity;
  /** one per signal that is known, and the criticality; `contribution` 1 for what decided the severity, else 0 */
  factors: FisFactor[];
}

/** 0 = Critical … 4 = Negligible */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export function higherSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) <= severityRank(b) ? a : b;
}

export function severityOfImpact(impact: number): Severity {
  for (const [s, min] of SEVERITY_THRESHOLDS) if (impact >= min) return s;
  return 'Negligible';
}

const logScale = (x: number, full: number): number => Math.min(1, Math.log10(1 + x) / Math.log10(1 + full));
const r2 = (x: number): string => String(Math.round(x * 100) / 100);

function invalid(field: string, what: string, got: unknown): FaultlineError {
  return new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field} ${what} (got ${typeof got === 'number' ? String(got) : JSON.stringify(got)})`, { context: { field } });
}

/** Checks the severity inputs of a module; throws FL_ERR_INVALID_ARGUMENT naming the field. */
export function validateSeverityInputs(m: ModuleData): void {
  if (m.criticality !== undefined && !(CRITICALITIES as readonly string[]).includes(m.criticality)) throw invalid('criticality', `must be one of ${CRITICALITIES.join(', ')}`, m.criticality);
  if (m.totalModules !== undefined && !(Number.isInteger(m.totalModules) && m.totalModules >= 1)) throw invalid('totalModules', 'must be an integer ≥ 1', m.totalModules);
  if (m.dependents !== undefined) {
    if (!Array.isArray(m.dependents)) throw invalid('dependents', 'must be a list of module names', m.dependents);
    if (m.totalModules !== undefined && m.dependents.length > m.totalModules - 1) {
      throw invalid('dependents', `has ${m.dependents.length} modules, more than the other ${m.totalModules - 1} of totalModules ${m.totalModules}`, m.dependents.length);
    }
  }
  if (m.trafficShare !== undefined && !(Number.isFinite(m.trafficShare) && m.trafficShare >= 0 && m.trafficShare <= 1)) throw invalid('trafficShare', 'must be a share in [0, 1]', m.trafficShare);
  if (m.routes !== undefined && !(Number.isFinite(m.routes) && m.routes >= 0)) throw invalid('routes', 'must be a finite number ≥ 0', m.routes);
  if (m.loadRps !== undefined && !(Number.isFinite(m.loadRps) && m.loadRps >= 0)) throw invalid('loadRps', 'must be a finite number ≥ 0 (requests per second)', m.loadRps);
}

/** The severity of a module's failure, with each input and what it contributed. */
export function assessSeverity(m: ModuleData): SeverityResult {
  validateSeverityInputs(m);
  const signals: { name: string; value: number; score: number; detail: string }[] = [];
  if (m.dependents !== undefined && m.totalModules !== undefined && m.totalModules > 1) {
    const reach = m.dependents.length / (m.totalModules - 1);
    signals.push({ name: 'dependency-reach', value: reach, score: reach, detail: `${m.dependents.length} of the other ${m.totalModules - 1} modules depend on it (directly or transitively): reach ${r2(reach)}` });
  }
  if (m.trafficShare !== undefined) signals.push({ name: 'traffic-share', value: m.trafficShare, score: m.trafficShare, detail: `${r2(m.trafficShare * 100)}% of the observed traffic goes through it` });
  if (m.routes !== undefined) {
    const s = logScale(m.routes, ROUTES_FULL);
    signals.push({ name: 'routes', value: m.routes, score: s, detail: `${m.routes} HTTP routes: log10(1 + routes) / log10(${1 + ROUTES_FULL}) = ${r2(s)}` });
  }
  if (m.loadRps !== undefined) {
    const s = logScale(m.loadRps, LOAD_FULL_RPS);
    signals.push({ name: 'load', value: m.loadRps, score: s, detail: `${r2(m.loadRps)} requests/s: log10(1 + rps) / log10(${1 + LOAD_FULL_RPS}) = ${r2(s)}` });
  }
  let impact: number | undefined;
  let decider: string | undefined;
  for (const s of signals) {
    if (impact === undefined || s.score > impact) {
      impact = s.score;
      decider = s.name;
    }
  }
  const floor = m.criticality === undefined ? undefined : CRITICALITY_FLOOR[m.criticality];
  // no signal: the configured level as it is, or Medium when nothing is configured either
  const inferred = impact === undefined ? (floor ?? UNKNOWN_SEVERITY) : severityOfImpact(impact);
  const severity = floor === undefined ? inferred : higherSeverity(floor, inferred);
  // what decided: the configured floor when it is at least the inferred level, else the strongest signal
  const floorDecides = floor !== undefined && severityRank(floor) <= severityRank(inferred);
  const factors: FisFactor[] = signals.map((s) => ({
    name: s.name,
    value: round4(s.value),
    contribution: !floorDecides && s.name === decider ? 1 : 0,
    detail: `${s.detail}${!floorDecides && s.name === decider ? ` — the widest exposure: impact ${r2(s.score)} → ${inferred}` : ''}`,
  }));
  if (m.criticality !== undefined && floor !== undefined) {
    factors.push({
      name: 'criticality',
      value: SEVERITY_WEIGHTS[floor],
      contribution: floorDecides ? 1 : 0,
      detail: floorDecides
        ? `configured ${m.criticality}: floor ${floor}${severityRank(floor) < severityRank(inferred) ? ` (the signals alone give ${inferred})` : ''}`
        : `configured ${m.criticality}: floor ${floor}, raised to ${inferred} by ${decider ?? 'the signals'}`,
    });
  }
  if (signals.length === 0 && floor === undefined) {
    factors.push({ name: 'no-exposure-data', value: SEVERITY_WEIGHTS[UNKNOWN_SEVERITY], contribution: 1, detail: `no criticality, dependency reach, routes, traffic or load known: ${UNKNOWN_SEVERITY} (an unknown module is not assumed harmless)` });
  }
  const res: SeverityResult = { severity, weight: SEVERITY_WEIGHTS[severity], impact: impact === undefined ? undefined : round4(impact), inferred, factors };
  if (floor !== undefined) res.floor = floor;
  return res;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
