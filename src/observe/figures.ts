/**
 * Resilience figures, computed only from an observation's timeline buckets and the faults' active windows.
 * Pure: no clock, no I/O. Every figure is defined, with its formula, in docs/reference/resilience-figures.md.
 */
import { FaultlineError } from '../core/errors.js';
import type { FaultFigures, FaultWindow, Observation, ResilienceFigures, SteadyStateBounds, TimelineBucket, TrafficSummary } from '../core/run.js';

export interface FigureOptions {
  /** how long a return to steady state must last to count as recovery (default 1000 ms) */
  sustainMs?: number;
  /** where the baseline ends (default: where the first fault starts); a fault whose injection takes time (a restart) is not baseline */
  baselineEndMs?: number;
}

export const DEFAULT_SUSTAIN_MS = 1000;
/** the floor of a derived error-rate bound, and the bound when there is no baseline */
export const MIN_ERROR_RATE_BOUND = 0.01;
/** a derived p99 bound is at least the baseline p99 plus this */
export const P99_BOUND_SLACK_MS = 50;

type Verdict = 'steady' | 'violated' | 'no-traffic';

export function bucketVerdict(b: TrafficSummary, bounds: SteadyStateBounds): Verdict {
  if (b.requests === 0) return 'no-traffic';
  if (b.errorRate > bounds.maxErrorRate) return 'violated';
  if (bounds.maxP99LatencyMs !== undefined && b.latencyMs.p99 > bounds.maxP99LatencyMs) return 'violated';
  if (bounds.minThroughputPerSec !== undefined && b.throughputPerSec < bounds.minThroughputPerSec) return 'violated';
  return 'steady';
}

/**
 * Combines bucket summaries: counts exactly; latency percentiles and mean as request-weighted means of the
 * buckets' values (percentiles do not add up exactly across buckets); max as the max; throughput over `spanMs`.
 */
export function combine(buckets: readonly TrafficSummary[], spanMs: number): TrafficSummary {
  let requests = 0;
  let ok = 0;
  const errorsByKind: Record<string, number> = {};
  const lat = { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  for (const b of buckets) {
    requests += b.requests;
    ok += b.ok;
    for (const [k, v] of Object.entries(b.errorsByKind)) errorsByKind[k] = (errorsByKind[k] ?? 0) + v;
    const w = b.requests;
    lat.p50 += b.latencyMs.p50 * w;
    lat.p90 += b.latencyMs.p90 * w;
    lat.p99 += b.latencyMs.p99 * w;
    lat.p999 += b.latencyMs.p999 * w;
    lat.mean += b.latencyMs.mean * w;
    lat.max = Math.max(lat.max, b.latencyMs.max);
  }
  if (requests > 0) {
    lat.p50 /= requests;
    lat.p90 /= requests;
    lat.p99 /= requests;
    lat.p999 /= requests;
    lat.mean /= requests;
  }
  return { requests, ok, errors: requests - ok, errorRate: requests === 0 ? 0 : (requests - ok) / requests, errorsByKind, throughputPerSec: spanMs > 0 ? (ok * 1000) / spanMs : 0, latencyMs: lat };
}

/** The documented rule: maxErrorRate = max(0.01, 2 × baseline), maxP99LatencyMs = max(2 × baseline p99, baseline p99 + 50 ms). */
export function deriveBounds(baseline: TrafficSummary | undefined): SteadyStateBounds {
  if (!baseline || baseline.requests === 0) return { maxErrorRate: MIN_ERROR_RATE_BOUND };
  const p99 = baseline.latencyMs.p99;
  return { maxErrorRate: Math.max(MIN_ERROR_RATE_BOUND, 2 * baseline.errorRate), maxP99LatencyMs: Math.max(2 * p99, p99 + P99_BOUND_SLACK_MS) };
}

function validate(obs: Observation, windows: readonly FaultWindow[], bounds: SteadyStateBounds | undefined, sustainMs: number): void {
  const bad = (field: string, why: string): never => {
    throw new FaultlineError('FL_ERR_FIGURES_INPUT', `${field}: ${why}`, { context: { field } });
  };
  if (!(obs.bucketMs > 0)) bad('observation.bucketMs', `${obs.bucketMs} must be > 0`);
  if (!(sustainMs >= 0)) bad('sustainMs', `${sustainMs} must be ≥ 0 ms`);
  if (bounds) {
    if (!(bounds.maxErrorRate >= 0 && bounds.maxErrorRate <= 1)) bad('bounds.maxErrorRate', `${bounds.maxErrorRate} must be a rate between 0 and 1 (0.05 = 5 %)`);
    if (bounds.maxP99LatencyMs !== undefined && !(bounds.maxP99LatencyMs >= 0)) bad('bounds.maxP99LatencyMs', `${bounds.maxP99LatencyMs} must be ≥ 0 ms`);
    if (bounds.minThroughputPerSec !== undefined && !(bounds.minThroughputPerSec >= 0)) bad('bounds.minThroughputPerSec', `${bounds.minThroughputPerSec} must be ≥ 0 per second`);
  }
  for (const w of windows) {
    if (!Number.isFinite(w.startMs)) bad(`windows[${w.faultId}].startMs`, `${w.startMs} must be a number of ms since the observation started`);
    if (w.endMs !== undefined && !(w.endMs >= w.startMs)) bad(`windows[${w.faultId}].endMs`, `${w.endMs} must be ≥ startMs (${w.startMs})`);
  }
}

interface Timeline {
  buckets: readonly TimelineBucket[];
  verdicts: readonly Verdict[];
  bucketMs: number;
  sustainMs: number;
}

/** index of the first bucket whose slice ends after `ms` */
function firstEndingAfter(t: Timeline, ms: number): number {
  let i = 0;
  while (i < t.buckets.length && (t.buckets[i] as TimelineBucket).atMs + t.bucketMs <= ms) i++;
  return i;
}

/**
 * Start (ms) of the first sustained return to steady state among buckets from index `from`: a steady bucket
 * followed by steady (or no-traffic) buckets only, whose steady buckets span at least `sustainMs`. undefined when
 * the observation ends first.
 */
function sustainedSteadyFrom(t: Timeline, from: number): number | undefined {
  let runStart: number | undefined;
  let steadyMs = 0;
  for (let i = from; i < t.buckets.length; i++) {
    const v = t.verdicts[i];
    if (v === 'violated') {
      runStart = undefined;
      steadyMs = 0;
    } else if (v === 'steady') {
      runStart ??= (t.buckets[i] as TimelineBucket).atMs;
      steadyMs += t.bucketMs;
      if (steadyMs >= t.sustainMs) return runStart;
    }
  }
  return undefined;
}

function faultFigures(t: Timeline, w: FaultWindow, scopeEndMs: number, bounds: SteadyStateBounds, baseline: TrafficSummary | undefined, obsEndMs: number): FaultFigures {
  const endMs = w.endMs ?? obsEndMs;
  const duringBuckets = t.buckets.filter((b) => b.atMs < Math.max(endMs, w.startMs + 1) && b.atMs + t.bucketMs > w.startMs);
  const during = combine(duringBuckets, duringBuckets.length * t.bucketMs);

  // detection: the first violated bucket that ends after the injection and starts before the fault's scope ends
  let detectIdx = -1;
  for (let i = firstEndingAfter(t, w.startMs); i < t.buckets.length && (t.buckets[i] as TimelineBucket).atMs < scopeEndMs; i++) {
    if (t.verdicts[i] === 'violated') {
      detectIdx = i;
      break;
    }
  }
  const detectAt = detectIdx >= 0 ? (t.buckets[detectIdx] as TimelineBucket).atMs : undefined;
  const timeToDetectMs = detectAt === undefined ? null : Math.max(0, detectAt - w.startMs);

  const recoverAt = w.endMs === undefined ? undefined : sustainedSteadyFrom(t, firstEndingAfter(t, w.endMs));
  const recovered = recoverAt !== undefined;
  const timeToRecoverMs = recoverAt === undefined || w.endMs === undefined ? null : Math.max(0, recoverAt - w.endMs);
  const recoverFromDetect = detectIdx >= 0 && recovered ? sustainedSteadyFrom(t, detectIdx) : undefined;
  const timeToRecoverFromDetectMs = recoverFromDetect === undefined || detectAt === undefined ? null : Math.max(0, recoverFromDetect - detectAt);

  const withTraffic = duringBuckets.filter((b) => b.requests > 0);
  const steadyDuring = withTraffic.filter((b) => bucketVerdict(b, bounds) === 'steady').length;
  const availabilityPct = during.requests === 0 ? 100 : (100 * during.ok) / during.requests;
  const faultToleranceScore = withTraffic.length === 0 ? 1 : steadyDuring / withTraffic.length;
  const baseAvail = baseline && baseline.requests > 0 ? baseline.ok / baseline.requests : 1;
  const servedShare = during.requests === 0 ? 1 : Math.min(1, during.ok / during.requests / Math.max(baseAvail, Number.EPSILON));
  const latencyRef = bounds.maxP99LatencyMs ?? baseline?.latencyMs.p99;
  const latencyShare = during.requests === 0 || latencyRef === undefined || during.latencyMs.p99 <= latencyRef ? 1 : latencyRef / during.latencyMs.p99;
  const gracefulDegradationScore = 0.5 * servedShare + 0.5 * latencyShare;

  return { faultId: w.faultId, label: w.label, timeToDetectMs, timeToRecoverMs, timeToRecoverFromDetectMs, recovered, during, availabilityPct, faultToleranceScore, gracefulDegradationScore };
}

const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * The resilience figures of an observation. `bounds` default to the rule of deriveBounds() applied to the
 * baseline (the buckets that end at or before the first fault starts).
 */
export function computeFigures(obs: Observation, windows: FaultWindow[], bounds?: SteadyStateBounds, opts: FigureOptions = {}): ResilienceFigures {
  const sustainMs = opts.sustainMs ?? DEFAULT_SUSTAIN_MS;
  validate(obs, windows, bounds, sustainMs);
  const sorted = [...windows].sort((a, b) => a.startMs - b.startMs);
  const firstFault = Math.min(sorted[0]?.startMs ?? obs.durationMs, opts.baselineEndMs ?? Number.POSITIVE_INFINITY);
  const baseBuckets = obs.buckets.filter((b) => b.atMs + obs.bucketMs <= firstFault);
  const baseline = baseBuckets.some((b) => b.requests > 0) ? combine(baseBuckets, baseBuckets.length * obs.bucketMs) : undefined;
  const used = bounds ?? deriveBounds(baseline);
  const t: Timeline = { buckets: obs.buckets, verdicts: obs.buckets.map((b) => bucketVerdict(b, used)), bucketMs: obs.bucketMs, sustainMs };
  const faults = sorted.map((w, i) => {
    const next = sorted.slice(i + 1).find((n) => n.startMs > w.startMs);
    return faultFigures(t, w, next?.startMs ?? obs.durationMs, used, baseline, obs.durationMs);
  });
  const detected = faults.filter((f) => f.timeToDetectMs !== null);
  const recoveredAfterDetect = detected.filter((f) => f.timeToRecoverMs !== null);
  return {
    bounds: used,
    ...(baseline ? { baseline } : {}),
    faults,
    availabilityPct: obs.summary.requests === 0 ? 100 : (100 * obs.summary.ok) / obs.summary.requests,
    errorRate: obs.summary.errorRate,
    mttdMs: mean(detected.map((f) => f.timeToDetectMs as number)),
    mttrMs: mean(recoveredAfterDetect.map((f) => f.timeToRecoverMs as number)),
    faultToleranceScore: mean(faults.map((f) => f.faultToleranceScore)) ?? 1,
    gracefulDegradationScore: mean(faults.map((f) => f.gracefulDegradationScore)) ?? 1,
    recoverySuccessRate: faults.length === 0 ? 1 : faults.filter((f) => f.recovered).length / faults.length,
  };
}
