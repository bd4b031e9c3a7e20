// Seeded synthetic metric series for the anomaly detector tests: noise, trend, daily seasonality, and anomalies
// injected at known positions.
import { createRng } from '../../../src/core/rng.js';
import type { DetectorSpec } from '../../../src/observe/anomaly/types.js';

export const STEP_MS = 300_000; // 5 minutes, like most of NAB
export const DAY = 288; // samples per day
export const T0 = Date.UTC(2024, 0, 1);

export interface Synthetic {
  timestamps: number[];
  values: number[];
}

export interface Shape {
  n: number;
  seed: number;
  level?: number;
  noise?: number;
  /** amplitude of a daily sine */
  daily?: number;
  /** change per sample */
  trend?: number;
}

export function clean(s: Shape): Synthetic {
  const rng = createRng(s.seed);
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < s.n; i++) {
    timestamps.push(T0 + i * STEP_MS);
    values.push((s.level ?? 100) + (s.daily ?? 0) * Math.sin((2 * Math.PI * i) / DAY) + (s.trend ?? 0) * i + rng.normal(0, s.noise ?? 1));
  }
  return { timestamps, values };
}

export type Injection = { kind: 'spike'; at: number; size: number } | { kind: 'shift'; at: number; size: number } | { kind: 'variance'; at: number; factor: number; seed: number };

/** a copy of `base` with the anomaly injected (spike: one sample; shift and variance: from `at` to the end) */
export function inject(base: Synthetic, a: Injection, noise = 1): Synthetic {
  const values = [...base.values];
  if (a.kind === 'spike') values[a.at] = (values[a.at] as number) + a.size;
  else if (a.kind === 'shift') for (let i = a.at; i < values.length; i++) values[i] = (values[i] as number) + a.size;
  else {
    const rng = createRng(a.seed);
    for (let i = a.at; i < values.length; i++) values[i] = (values[i] as number) + rng.normal(0, noise * Math.sqrt(a.factor * a.factor - 1));
  }
  return { timestamps: base.timestamps, values };
}

/** runs a detector over a series the way NAB does (inputMin/inputMax of the series, the given probationary period) */
export function scoresOf(spec: DetectorSpec, s: Synthetic, probationary: number, seed = 7, knownRange = true): number[] {
  let mn = Infinity;
  let mx = -Infinity;
  for (const v of s.values) {
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  const d = spec.create({ probationary, seed, ...(knownRange ? { inputMin: mn, inputMax: mx } : {}) });
  return s.values.map((v, i) => d.update(s.timestamps[i] as number, v));
}

/** first index ≥ from whose score reaches the threshold, or -1 */
export function firstAlarm(scores: readonly number[], threshold: number, from = 0, to = scores.length): number {
  for (let i = from; i < to; i++) if ((scores[i] as number) >= threshold) return i;
  return -1;
}

/** share of samples at or after `from` whose score reaches the threshold */
export function alarmRate(scores: readonly number[], threshold: number, from: number): number {
  let k = 0;
  for (let i = from; i < scores.length; i++) if ((scores[i] as number) >= threshold) k++;
  return k / Math.max(1, scores.length - from);
}
