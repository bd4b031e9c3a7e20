/**
 * The Failure Impact Score of a module: FIS = P × severity weight, in [0, 1], rounded to 4 decimals.
 *
 * P, the probability that the module fails:
 *  - `failureProbabilities` (the predictor's calibrated probabilities of its files or failure points): noisy-OR,
 *    P = 1 − Π(1 − pᵢ), the probability that at least one of them fails, assuming they fail independently
 *    (correlated failures make this an over-estimate, which errs on the side of caution);
 *  - else `failureProbability`, an aggregate given directly;
 *  - else 0, with a factor saying there is no prediction.
 * An empty `failureProbabilities` list means the predictor found nothing (P = 0) unless `failureProbability`
 * is given, which is then used.
 *
 * Severity weight: Critical 1.0, High 0.8, Medium 0.6, Low 0.4, Negligible 0.2 (severity.ts).
 *
 * Models: 'formula' uses P as is; 'calibrated' first maps P through the Platt calibration fitted on the
 * release registry's outcomes (calibrate.ts): FIS = σ(a · logit(P) + b) × severity weight.
 */
import { FaultlineError } from '../core/errors.js';
import type { FISResult, FisFactor, ModuleData } from '../core/promote.js';
import { applyCalibration, type FisCalibration } from './calibrate.js';
import { assessSeverity } from './severity.js';

export interface FisOptions {
  calibration?: FisCalibration;
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const clamp01 = (x: number): number => (x <= 0 ? 0 : x > 1 ? 1 : x); // also turns −0 into 0
const fmt = (x: number): string => String(round4(x));

function invalid(field: string, what: string, got: unknown): FaultlineError {
  return new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field} ${what} (got ${typeof got === 'number' ? String(got) : JSON.stringify(got)})`, { context: { field } });
}

function checkProbability(p: unknown, field: string): void {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) throw invalid(field, 'must be a probability in [0, 1]', p);
}

/** P = 1 − Π(1 − pᵢ), computed as −expm1(Σ log1p(−pᵢ)) so many small probabilities do not lose precision. */
export function noisyOr(probabilities: readonly number[]): number {
  let s = 0;
  for (const p of probabilities) s += Math.log1p(-p);
  return clamp01(-Math.expm1(s));
}

/** The probability of failure of a module and the factor that explains where it came from. */
export function moduleProbability(m: ModuleData): { probability: number; factor: FisFactor } {
  if (m.failureProbabilities !== undefined) {
    if (!Array.isArray(m.failureProbabilities)) throw invalid('failureProbabilities', 'must be a list of probabilities', m.failureProbabilities);
    m.failureProbabilities.forEach((p, i) => checkProbability(p, `failureProbabilities[${i}]`));
  }
  if (m.failureProbability !== undefined) checkProbability(m.failureProbability, 'failureProbability');
  const list = m.failureProbabilities;
  if (list !== undefined && (list.length > 0 || m.failureProbability === undefined)) {
    const p = noisyOr(list);
    const max = list.reduce((a, b) => Math.max(a, b), 0);
    const detail = list.length === 0
      ? 'the predictor found no failure points in the module: P = 0'
      : `noisy-OR of ${list.length} predicted failure probabilit${list.length === 1 ? 'y' : 'ies'} (max ${fmt(max)}): P = 1 − Π(1 − pᵢ), the probability that at least one fails, assuming independence`;
    return { probability: p, factor: { name: 'probability', value: round4(p), detail } };
  }
  if (m.failureProbability !== undefined) {
    return { probability: m.failureProbability, factor: { name: 'probability', value: round4(m.failureProbability), detail: 'aggregate failure probability given for the module' } };
  }
  return { probability: 0, factor: { name: 'probability', value: 0, detail: 'no prediction for the module (no failure probabilities given): P = 0; run `faultline predict` to score it' } };
}

/** The FIS of one module, with every factor that went into it. Throws FL_ERR_INVALID_ARGUMENT naming a bad field. */
export function computeFis(m: ModuleData, opts: FisOptions = {}): FISResult {
  if (typeof m !== 'object' || m === null) throw invalid('module', 'must be an object with a name', m);
  if (typeof m.name !== 'string' || m.name === '') throw invalid('name', 'must be a non-empty string', m.name);
  const { probability: raw, factor } = moduleProbability(m);
  const sev = assessSeverity(m);
  let probability = raw;
  const factors: FisFactor[] = [factor];
  let model: FISResult['model'] = 'formula';
  if (opts.calibration !== undefined) {
    const c = opts.calibration;
    probability = applyCalibration(c, raw);
    model = 'calibrated';
    factors.push({ name: 'calibration', value: round4(probability), detail: `Platt calibration σ(${fmt(c.a)} · logit(P) + ${fmt(c.b)}) fitted on ${c.samples} promotions (${c.failures} failed): P ${fmt(raw)} → ${fmt(probability)}` });
  }
  const fis = round4(clamp01(probability * sev.weight));
  const share = (part: number): number => (fis === 0 ? 0 : round4(part));
  // contributions: in a product both terms decide; report each one's share of log(FIS) when that is defined
  const lp = Math.log(Math.max(probability, 1e-12));
  const lw = Math.log(sev.weight);
  const denom = lp + lw;
  (factors[factors.length - 1] as FisFactor).contribution = share(denom === 0 ? 0.5 : lp / denom);
  factors.push(...sev.factors.map((f) => ({ ...f, name: `severity.${f.name}` })));
  factors.push({ name: 'severity', value: sev.weight, contribution: share(denom === 0 ? 0.5 : lw / denom), detail: `${sev.severity} (weight ${sev.weight})${sev.impact === undefined ? '' : `, impact ${fmt(sev.impact)}`}` });
  factors.push({
    name: 'model',
    value: fis,
    detail: model === 'formula' ? `formula: FIS = P ${fmt(probability)} × ${sev.severity} ${sev.weight} = ${fis}` : `calibrated: FIS = calibrated P ${fmt(probability)} × ${sev.severity} ${sev.weight} = ${fis}`,
  });
  return { module: m.name, fis, probability: round4(probability), severity: sev.severity, severityWeight: sev.weight, model, factors };
}
