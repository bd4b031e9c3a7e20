/**
 * Prometheus alerting rules from faultline's detectors, so the alerting users already run can raise the same
 * warnings: for faultline's own metrics (src/report/prometheus.ts) and for any PromQL series of the user's.
 *
 * Per series, three kinds of rule:
 *  - the detector's threshold as PromQL. A calibrated score s stands for a two-sided p-value p = 10^(−16 s), i.e. a
 *    z-score z = Φ⁻¹(1 − p/2); the rule fires when the series is more than z deviations from its recent normal:
 *      robust-z:          |x − median| / robust σ, the median and the IQR/1.349 over the detector's window
 *      ewma:              |x − mean| / σ, avg_over_time and stddev_over_time over the EWMA's effective window
 *                         (2/α − 1 samples)
 *      windowed-gaussian: the same over NAB's 6,400-sample window
 *    (windows are the detector's sample counts × the scrape interval; σ has a floor, as the detectors' scales do);
 *  - the steady-state bound, when the series has one (x above/below it, held `for`);
 *  - the early warning as PromQL: predict_linear over the recent window crosses the bound within the horizon.
 * Detectors whose state PromQL cannot hold (context, seasonal, isolation-forest, lstm) have no rule form.
 */
import { stringify } from 'yaml';
import { FaultlineError } from '../../core/errors.js';
import type { SteadyStateBounds } from '../../core/run.js';
import { normalTail, SCORE_DECADES } from './calibrate.js';
import { EWMA_DEFAULTS } from './detectors/ewma.js';
import { ROBUST_Z_DEFAULTS } from './detectors/robust-z.js';
import { WINDOWED_GAUSSIAN_DEFAULTS } from './detectors/windowed-gaussian.js';
import { MIN_SCALE } from './signals.js';

export interface RuleSeries {
  /** CamelCase part of the alert names: `ErrorRate`, `CheckoutP99` */
  id: string;
  /** an instant-vector PromQL expression */
  expr: string;
  /** what it is, for the annotations */
  description: string;
  /** the steady-state bound, when there is one */
  above?: number;
  below?: number;
  /** floor of the deviation (the series' unit), so a flat series does not alert on every change */
  minScale?: number;
  /** format of values in annotations: humanize, humanizePercentage, humanizeDuration */
  humanize?: 'humanize' | 'humanizePercentage' | 'humanizeDuration';
}

export const RULE_DETECTORS = ['robust-z', 'ewma', 'windowed-gaussian'] as const;
export type RuleDetector = (typeof RULE_DETECTORS)[number];

export interface RulesOptions {
  detector: string;
  /** the detector score to alert at (default 0.25, p = 1e-4) */
  scoreThreshold?: number;
  /** Prometheus's scrape interval, for the detectors' windows (default 15 s) */
  scrapeIntervalMs?: number;
  /** how long a condition must hold before the alert fires (default 1m; the early-warning rule: 2 scrapes) */
  forMs?: number;
  /** the early-warning horizon of the predict_linear rule (default 10 m) */
  horizonMs?: number;
  /** group name (default faultline-early-warning) */
  group?: string;
  series: RuleSeries[];
}

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface RuleFile {
  groups: Array<{ name: string; interval?: string; rules: AlertRule[] }>;
}

/** inverse of the upper normal tail: z with P(Z > z) = q, for q in (0, 0.5] (Acklam's rational fit + Newton steps) */
export function normalTailInverse(q: number): number {
  if (!(q > 0 && q < 1)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `tail probability must be in (0, 1), got ${q}`);
  if (q > 0.5) return -normalTailInverse(1 - q);
  // Acklam, lower region, for p = q (z = −Φ⁻¹(q))
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  let z: number;
  if (q < 0.02425) {
    const t = Math.sqrt(-2 * Math.log(q));
    z = -((((((c[0] as number) * t + (c[1] as number)) * t + (c[2] as number)) * t + (c[3] as number)) * t + (c[4] as number)) * t + (c[5] as number)) / (((((d[0] as number) * t + (d[1] as number)) * t + (d[2] as number)) * t + (d[3] as number)) * t + 1);
  } else {
    const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
    const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const u = q - 0.5;
    const r = u * u;
    z = -(((((((a[0] as number) * r + (a[1] as number)) * r + (a[2] as number)) * r + (a[3] as number)) * r + (a[4] as number)) * r + (a[5] as number)) * u) / ((((((b[0] as number) * r + (b[1] as number)) * r + (b[2] as number)) * r + (b[3] as number)) * r + (b[4] as number)) * r + 1);
  }
  // Newton on log tail: refines to the precision of normalTail
  for (let k = 0; k < 3; k++) {
    const tail = normalTail(z);
    const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    if (!(tail > 0) || !(pdf > 0)) break;
    z += (tail - q) / pdf;
  }
  return z;
}

/** the z-score a calibrated score stands for, for the two-sided z detectors: p = 10^(−16 s), z = Φ⁻¹(1 − p/2) */
export function scoreToZ(score: number): number {
  if (!(score > 0 && score < 1)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `the score threshold must be in (0, 1), got ${score}`, { context: { attribute: 'threshold', value: score } });
  return normalTailInverse(10 ** (-score * SCORE_DECADES) / 2);
}

/** Prometheus duration of ms, rounded to whole seconds (≥ 1s): 1h5m, 30s */
export function promDuration(ms: number): string {
  let s = Math.max(1, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.join('');
}

const isPlainSelector = (expr: string): boolean => /^\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*(\{[^{}]*\})?\s*$/.test(expr);
/** the expression as an operand: plain selectors as they are, anything else in parentheses */
const operand = (expr: string): string => (isPlainSelector(expr) ? expr.trim() : `(${expr.trim()})`);

/** a plain vector selector (metric{matchers}) takes a range `[w]` directly; anything else needs a subquery */
function rangeOf(expr: string, windowMs: number, stepMs: number): string {
  const plain = isPlainSelector(expr);
  return plain ? `${expr.trim()}[${promDuration(windowMs)}]` : `(${expr.trim()})[${promDuration(windowMs)}:${promDuration(stepMs)}]`;
}

function num(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(6)).toString();
}

function isRuleDetector(name: string): name is RuleDetector {
  return (RULE_DETECTORS as readonly string[]).includes(name);
}

/** the detector's window in samples */
function windowSamples(d: RuleDetector): number {
  switch (d) {
    case 'robust-z':
      return ROBUST_Z_DEFAULTS.windowSize;
    case 'ewma':
      return Math.round(2 / EWMA_DEFAULTS.alpha - 1);
    case 'windowed-gaussian':
      return WINDOWED_GAUSSIAN_DEFAULTS.windowSize;
  }
}

/** the detector's deviation rule for one series: the expression that is > 0 when it fires, as `dev > z` */
export function detectorExpr(detector: string, s: RuleSeries, z: number, scrapeIntervalMs: number): string {
  if (!isRuleDetector(detector)) {
    throw new FaultlineError('FL_ERR_RULES_DETECTOR', `${detector} has no form as a Prometheus rule (its state does not fit PromQL); use one of ${RULE_DETECTORS.join(', ')}`, { context: { detector } });
  }
  const x = operand(s.expr);
  const r = rangeOf(s.expr, windowSamples(detector) * scrapeIntervalMs, scrapeIntervalMs);
  const floor = num(s.minScale ?? 1e-9);
  if (detector === 'robust-z') {
    return `abs(${x} - quantile_over_time(0.5, ${r})) / clamp_min((quantile_over_time(0.75, ${r}) - quantile_over_time(0.25, ${r})) / 1.349, ${floor}) > ${num(z)}`;
  }
  return `abs(${x} - avg_over_time(${r})) / clamp_min(stddev_over_time(${r}), ${floor}) > ${num(z)}`;
}

/** Builds the rule file. */
export function alertingRules(o: RulesOptions): RuleFile {
  const score = o.scoreThreshold ?? 0.25;
  const z = scoreToZ(score);
  const scrape = o.scrapeIntervalMs ?? 15_000;
  const forMs = o.forMs ?? 60_000;
  const horizonMs = o.horizonMs ?? 600_000;
  const rules: AlertRule[] = [];
  const seen = new Set<string>();
  for (const s of o.series) {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(s.id)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `series id "${s.id}" must be CamelCase letters and digits (it becomes part of the alert names)`, { context: { attribute: 'id', value: s.id } });
    if (seen.has(s.id)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `series id "${s.id}" is used twice; alert names must be unique`, { context: { attribute: 'id', value: s.id } });
    seen.add(s.id);
    const h = s.humanize ?? 'humanize';
    const detectorName = o.detector.split('-').map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join('');
    rules.push({
      alert: `Faultline${s.id}Anomaly${detectorName}`,
      expr: detectorExpr(o.detector, s, z, scrape),
      for: promDuration(Math.max(forMs, 2 * scrape)),
      labels: { severity: 'warning', detector: o.detector, faultline: 'anomaly' },
      annotations: {
        summary: `${s.description}: anomalous (${o.detector})`,
        description: `${s.description} is {{ $value | humanize }} deviations from its recent normal (alerting above ${num(z)}, faultline score ${num(score)}, p = ${(10 ** (-score * SCORE_DECADES)).toExponential(0)}).`,
      },
    });
    for (const [dir, bound] of [['above', s.above], ['below', s.below]] as const) {
      if (bound === undefined) continue;
      const op = dir === 'above' ? '>' : '<';
      rules.push({
        alert: `Faultline${s.id}SteadyState${dir === 'above' ? 'High' : 'Low'}`,
        expr: `${operand(s.expr)} ${op} ${num(bound)}`,
        for: promDuration(forMs),
        labels: { severity: 'critical', faultline: 'steady-state' },
        annotations: { summary: `${s.description} outside the steady state`, description: `${s.description} is {{ $value | ${h} }}, ${dir} the steady-state bound ${num(bound)}.` },
      });
      const r = rangeOf(s.expr, Math.max(10 * scrape, horizonMs / 2), scrape);
      rules.push({
        alert: `Faultline${s.id}EarlyWarning`,
        expr: `predict_linear(${r}, ${Math.round(horizonMs / 1000)}) ${op} ${num(bound)}`,
        for: promDuration(2 * scrape),
        labels: { severity: 'warning', faultline: 'early-warning' },
        annotations: {
          summary: `${s.description} heads ${dir} its steady-state bound within ${promDuration(horizonMs)}`,
          description: `At its recent trend ${s.description} reaches {{ $value | ${h} }} in ${promDuration(horizonMs)}, ${dir} the bound ${num(bound)}.`,
        },
      });
    }
  }
  return { groups: [{ name: o.group ?? 'faultline-early-warning', rules }] };
}

/** faultline's own metrics during a run (src/report/prometheus.ts), with the run's steady-state bounds */
export function faultlineSeries(bounds?: SteadyStateBounds): RuleSeries[] {
  return [
    { id: 'ErrorRate', expr: 'faultline_error_rate', description: 'faultline error rate', ...(bounds ? { above: bounds.maxErrorRate } : {}), minScale: MIN_SCALE.errorRate, humanize: 'humanizePercentage' },
    {
      id: 'P99Latency',
      expr: 'faultline_request_duration_seconds{quantile="0.99"}',
      description: 'faultline p99 latency (s)',
      ...(bounds?.maxP99LatencyMs !== undefined ? { above: bounds.maxP99LatencyMs / 1000 } : {}),
      minScale: MIN_SCALE.p99LatencyMs / 1000,
      humanize: 'humanizeDuration',
    },
    { id: 'Throughput', expr: 'faultline_throughput_per_second', description: 'faultline throughput (ok/s)', ...(bounds?.minThroughputPerSec !== undefined ? { below: bounds.minThroughputPerSec } : {}), minScale: MIN_SCALE.throughputPerSec },
  ];
}

/** the rule file as YAML, with a header comment */
export function renderRules(file: RuleFile, header?: string): string {
  const head = header ? header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n') + '\n' : '';
  return head + stringify(file, { lineWidth: 0 });
}
