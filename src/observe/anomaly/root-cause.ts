/**
 * Root-cause hints for an anomaly or a steady-state violation at time T: which metric moved first and which moved
 * most, and the nearest fault or deploy event before it on the timeline. Pure.
 *
 * - A metric "moved" when the detector's calibrated score reached `scoreLevel` in the `lookbackMs` before T; its
 *   onset is the start of that anomalous stretch (up to `gapSamples` quiet samples do not end a stretch: the
 *   detectors rest after an alarm, so a sustained change alarms every few samples, not at each).
 * - Its size is the largest robust z-score between the onset and T against the `baselineMs` before the onset
 *   (median and 1.4826 × MAD, with a per-metric minimum scale), signed: + up, − down; a stretch smaller than
 *   `minSize` is the detector's noise, not a move.
 * - The nearest event is the latest fault, deploy or phase event at or before the earliest onset (else before T).
 */
import type { Observation, TimelineEvent, TimelineEventKind } from '../../core/run.js';
import { DEFAULT_DETECTOR } from './registry.js';
import { minScaleOf } from './signals.js';
import type { DetectorSpec } from './types.js';
import { observationColumns, type WarnRun } from './warn-corpus.js';

export interface NamedSeries {
  name: string;
  /** sample times, ms on the same time base as T and the events, increasing */
  atMs: readonly number[];
  /** one value per time; null when not measured */
  values: ReadonlyArray<number | null>;
}

export interface RootCauseOptions {
  detector?: DetectorSpec;
  /** a score at or above this is anomalous (default 0.25: p ≤ 1e-4) */
  scoreLevel?: number;
  /** how far before T an anomalous stretch may end and still count (default 60 s) */
  lookbackMs?: number;
  /** quiet samples that end an anomalous stretch, walking back (default: the detectors' rest after an alarm, probationary / 5, plus 2) */
  gapSamples?: number;
  /** the window before the onset that the size is measured against (default 30 s) */
  baselineMs?: number;
  /** samples each detector only learns from (default 40) */
  probationary?: number;
  /** a stretch whose largest deviation is smaller than this many robust z is not a move (default 3) */
  minSize?: number;
  seed?: number;
  /** event kinds that can be causes (default: inject, revert, expire, halt, action, note, phase except the baseline) */
  eventKinds?: readonly TimelineEventKind[];
}

export interface MetricMove {
  metric: string;
  /** ms, the start of the anomalous stretch */
  onsetMs: number;
  /** T − onset */
  leadMs: number;
  /** signed robust z-score of the largest deviation since the onset */
  size: number;
  /** the value at that deviation, and the baseline median */
  value: number;
  baseline: number;
  peakScore: number;
}

export interface RootCauseHint {
  atMs: number;
  /** metrics that moved, earliest onset first */
  moved: MetricMove[];
  first?: string;
  most?: string;
  /** the nearest cause-like event at or before the earliest onset, and how long before it */
  nearestEvent?: { kind: TimelineEventKind; label: string; atMs: number; faultId?: string; beforeMs: number };
  /** one line for terminals and warnings */
  summary: string;
}

export const ROOT_CAUSE_DEFAULTS = { scoreLevel: 0.25, lookbackMs: 60_000, baselineMs: 30_000, probationary: 40, minSize: 3, seed: 1 } as const;
const CAUSE_KINDS: readonly TimelineEventKind[] = ['inject', 'revert', 'expire', 'halt', 'action', 'note', 'phase'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

function moveOf(series: NamedSeries, atMs: number, o: Required<Omit<RootCauseOptions, 'detector' | 'eventKinds' | 'gapSamples'>> & { detector: DetectorSpec; gapSamples: number }, idx: number): MetricMove | undefined {
  const det = o.detector.create({ probationary: o.probationary, seed: (o.seed + idx * 0x9e3779b1) >>> 0 });
  const scores: number[] = [];
  const times: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < series.atMs.length; i++) {
    const t = series.atMs[i] as number;
    if (t > atMs) break;
    const v = series.values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    scores.push(det.update(t, v));
    times.push(t);
    vals.push(v);
  }
  // the last anomalous sample within the lookback
  let end = -1;
  for (let i = scores.length - 1; i >= 0 && (times[i] as number) >= atMs - o.lookbackMs; i--) {
    if ((scores[i] as number) >= o.scoreLevel) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  let on = end;
  let peakScore = scores[end] as number;
  for (let i = end - 1; i >= 0; i--) {
    if (on - i > o.gapSamples + 1) break;
    if ((scores[i] as number) >= o.scoreLevel) {
      on = i;
      peakScore = Math.max(peakScore, scores[i] as number);
    }
  }
  const onsetMs = times[on] as number;
  const base: number[] = [];
  for (let i = on - 1; i >= 0 && (times[i] as number) >= onsetMs - o.baselineMs; i--) base.push(vals[i] as number);
  if (base.length < 3) return undefined;
  const med = median(base);
  const mad = median(base.map((v) => Math.abs(v - med)));
  const scale = Math.max(1.4826 * mad, minScaleOf(series.name) ?? 0, 1e-9 * Math.max(1, Math.abs(med)));
  let size = 0;
  let value = vals[on] as number;
  for (let i = on; i < vals.length; i++) {
    const z = ((vals[i] as number) - med) / scale;
    if (Math.abs(z) > Math.abs(size)) {
      size = z;
      value = vals[i] as number;
    }
  }
  if (Math.abs(size) < o.minSize) return undefined;
  return { metric: series.name, onsetMs, leadMs: atMs - onsetMs, size, value, baseline: med, peakScore };
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The root-cause hint for an anomaly or violation at `atMs`. */
export function rootCause(series: readonly NamedSeries[], events: readonly TimelineEvent[], atMs: number, o: RootCauseOptions = {}): RootCauseHint {
  const probationary = o.probationary ?? ROOT_CAUSE_DEFAULTS.probationary;
  const opts = { ...ROOT_CAUSE_DEFAULTS, ...o, detector: o.detector ?? DEFAULT_DETECTOR, gapSamples: o.gapSamples ?? Math.floor(probationary / 5) + 2 };
  const moved: MetricMove[] = [];
  series.forEach((s, i) => {
    const m = moveOf(s, atMs, opts, i);
    if (m) moved.push(m);
  });
  moved.sort((a, b) => a.onsetMs - b.onsetMs || Math.abs(b.size) - Math.abs(a.size));
  const first = moved[0];
  const most = moved.reduce<MetricMove | undefined>((best, m) => (!best || Math.abs(m.size) > Math.abs(best.size) ? m : best), undefined);
  const ref = first?.onsetMs ?? atMs;
  const kinds = o.eventKinds ?? CAUSE_KINDS;
  let nearest: TimelineEvent | undefined;
  for (const e of events) {
    if (!kinds.includes(e.kind) || (e.kind === 'phase' && e.label === 'baseline')) continue;
    if (e.atMs > ref) continue;
    if (!nearest || e.atMs > nearest.atMs || (e.atMs === nearest.atMs && e.kind === 'inject')) nearest = e;
  }
  const parts: string[] = [];
  if (first) parts.push(`${first.metric} moved first (${secs(first.leadMs)} before)`);
  if (most) parts.push(`${most.metric} moved most (${most.size >= 0 ? '+' : ''}${most.size.toFixed(1)} robust z: ${fmtValue(most.baseline)} → ${fmtValue(most.value)})`);
  if (nearest) parts.push(`nearest event: ${nearest.kind} "${nearest.label}" ${secs(ref - nearest.atMs)} before`);
  return {
    atMs,
    moved,
    ...(first ? { first: first.metric } : {}),
    ...(most ? { most: most.metric } : {}),
    ...(nearest ? { nearestEvent: { kind: nearest.kind, label: nearest.label, atMs: nearest.atMs, ...(nearest.faultId ? { faultId: nearest.faultId } : {}), beforeMs: ref - nearest.atMs } } : {}),
    summary: parts.length ? parts.join('; ') : 'no metric moved in the lookback window',
  };
}

function fmtValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1048576).toFixed(1)} Mi`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** The series of a recorded run (every column), on the run's time base (ms since it started, at bucket ends). */
export function seriesOfRun(run: Pick<WarnRun, 'atMs' | 'bucketMs' | 'columns'>): NamedSeries[] {
  const atMs = run.atMs.map((t) => t + run.bucketMs);
  return Object.entries(run.columns)
    .filter(([name]) => name !== 'requests')
    .map(([name, values]) => ({ name, atMs, values }));
}

/** The series of an observation, on its time base (ms since it started, at bucket ends). */
export function seriesOfObservation(obs: Pick<Observation, 'buckets' | 'bucketMs' | 'process'>): NamedSeries[] {
  return seriesOfRun({ atMs: obs.buckets.map((b) => b.atMs), bucketMs: obs.bucketMs, columns: observationColumns(obs) });
}
