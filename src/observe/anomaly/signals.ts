/**
 * The signals the early warning reads, one value per time step: the steady-state metrics (error rate, p99
 * latency, throughput) and the process metrics (CPU, RSS, open fds, event-loop lag). A recorded run, a live
 * observation or a Prometheus query all become a stream of `SignalSample`s; several services fold into one value
 * per signal (CPU and lag: the busiest process; RSS and fds: the sum).
 */
import type { SteadyStateBounds } from '../../core/run.js';
import type { WarnRun } from './warn-corpus.js';

export const SIGNALS = ['errorRate', 'p99LatencyMs', 'throughputPerSec', 'cpuPercent', 'rssBytes', 'openFds', 'eventLoopLagMs'] as const;
export type Signal = (typeof SIGNALS)[number];

/** one time step: a value per signal, or undefined when not measured */
export type SignalSample = Partial<Record<Signal, number>>;

/** the smallest robust scale per signal, in its unit, so a flat baseline does not make every change infinite */
export const MIN_SCALE: Readonly<Record<Signal, number>> = { errorRate: 0.005, p99LatencyMs: 2, throughputPerSec: 1, cpuPercent: 2, rssBytes: 1 << 20, openFds: 1, eventLoopLagMs: 1 };

/** the minimum scale of a series by its name (`p99LatencyMs`, `api.cpuPercent`, `p50LatencyMs`), or undefined */
export function minScaleOf(name: string): number | undefined {
  const field = name.slice(name.lastIndexOf('.') + 1);
  if (field === 'p50LatencyMs') return MIN_SCALE.p99LatencyMs;
  if (field === 'requests') return 1;
  return isSignal(field) ? MIN_SCALE[field] : undefined;
}

export function isSignal(x: string): x is Signal {
  return (SIGNALS as readonly string[]).includes(x);
}

const FOLD: Record<'cpuPercent' | 'rssBytes' | 'openFds' | 'eventLoopLagMs', 'max' | 'sum'> = { cpuPercent: 'max', rssBytes: 'sum', openFds: 'sum', eventLoopLagMs: 'max' };

/** The signal samples of a recorded run, one per bucket. */
export function runSamples(run: WarnRun): SignalSample[] {
  const n = run.atMs.length;
  const out: SignalSample[] = [];
  const traffic: Array<'errorRate' | 'p99LatencyMs' | 'throughputPerSec'> = ['errorRate', 'p99LatencyMs', 'throughputPerSec'];
  const processCols = Object.keys(run.columns).filter((k) => k.includes('.'));
  for (let i = 0; i < n; i++) {
    const s: SignalSample = {};
    for (const k of traffic) {
      const v = run.columns[k]?.[i];
      if (v !== null && v !== undefined) s[k] = v;
    }
    for (const col of processCols) {
      const field = col.slice(col.lastIndexOf('.') + 1) as keyof typeof FOLD;
      const how = FOLD[field];
      if (how === undefined) continue;
      const v = run.columns[col]?.[i];
      if (v === null || v === undefined) continue;
      const cur = s[field];
      s[field] = cur === undefined ? v : how === 'max' ? Math.max(cur, v) : cur + v;
    }
    out.push(s);
  }
  return out;
}

/** How far a sample is into its steady-state bounds: 1 = at a bound, > 1 = past it (the largest over the bounds set). */
export function boundRatio(s: SignalSample, bounds: SteadyStateBounds | undefined): number {
  if (!bounds) return 0;
  let r = 0;
  if (s.errorRate !== undefined && bounds.maxErrorRate > 0) r = Math.max(r, s.errorRate / bounds.maxErrorRate);
  if (s.p99LatencyMs !== undefined && bounds.maxP99LatencyMs !== undefined && bounds.maxP99LatencyMs > 0) r = Math.max(r, s.p99LatencyMs / bounds.maxP99LatencyMs);
  if (s.throughputPerSec !== undefined && bounds.minThroughputPerSec !== undefined && bounds.minThroughputPerSec > 0) {
    r = Math.max(r, s.throughputPerSec > 0 ? bounds.minThroughputPerSec / s.throughputPerSec : 10);
  }
  return r;
}
