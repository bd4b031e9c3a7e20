// Seeded synthetic observations for the early-warning tests: a steady service (p99 ≈ 20 ms, 50 req/s, no errors)
// with incidents that either creep in (p99 and CPU ramp up for `rampMs` before crossing the bound) or hit at
// once (a step), and distractors (CPU bursts that never violate anything). Labelled through the real path
// (warnRunFromObservation → bucketVerdict).
import type { Observation, ProcessSample, SteadyStateBounds, TimelineBucket, TimelineEvent } from '../../../src/core/run.js';
import { warnRunFromObservation, type WarnRun } from '../../../src/observe/anomaly/warn-corpus.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BOUNDS: SteadyStateBounds = { maxErrorRate: 0.01, maxP99LatencyMs: 60 };

export interface SynthOptions {
  seed: number;
  buckets?: number;
  /** incident onsets (ms): the bound is crossed there */
  incidentsMs: number[];
  /** how long the precursor ramp lasts before the bound is crossed (0: a step) */
  rampMs: number;
  /** how long each incident stays violated */
  holdMs?: number;
  /** CPU bursts that violate nothing (ms) */
  distractorsMs?: number[];
}

export function synthObservation(o: SynthOptions): Observation {
  const rand = rng(o.seed);
  const bucketMs = 250;
  const n = o.buckets ?? 480;
  const hold = o.holdMs ?? 4000;
  const buckets: TimelineBucket[] = [];
  const process: ProcessSample[] = [];
  const events: TimelineEvent[] = [{ atMs: 0, kind: 'phase', label: 'baseline' }];
  for (const s of o.incidentsMs) events.push({ atMs: s - o.rampMs - 100, kind: 'inject', label: 'synthetic incident', faultId: `f${s}` }, { atMs: s + hold, kind: 'revert', label: 'synthetic incident', faultId: `f${s}` });
  events.sort((a, b) => a.atMs - b.atMs);
  for (let i = 0; i < n; i++) {
    const t = i * bucketMs;
    let p99 = 20 + (rand() - 0.5) * 4;
    let cpu = 10 + (rand() - 0.5) * 4;
    let errors = 0;
    for (const s of o.incidentsMs) {
      if (t >= s - o.rampMs && t < s) {
        const f = o.rampMs > 0 ? (t - (s - o.rampMs)) / o.rampMs : 1;
        p99 = 22 + f * 36 + (rand() - 0.5) * 2; // stays below the 60 ms bound until the onset
        cpu = 10 + f * 70;
      } else if (t >= s && t < s + hold) {
        p99 = 120 + rand() * 30;
        cpu = 95;
        errors = 3;
      }
    }
    for (const d of o.distractorsMs ?? []) if (t >= d && t < d + 1500) cpu = 85 + rand() * 10;
    const requests = 12 + Math.round(rand());
    buckets.push({
      atMs: t,
      requests,
      ok: requests - errors,
      errors,
      errorRate: errors / requests,
      errorsByKind: errors ? { http_5xx: errors } : {},
      throughputPerSec: ((requests - errors) * 1000) / bucketMs,
      latencyMs: { p50: p99 / 3, p90: p99 / 1.5, p99, p999: p99, max: p99, mean: p99 / 3 },
    });
    if (i % 2 === 0) process.push({ atMs: t + 10, pid: 100, service: 'api', cpuPercent: cpu, rssBytes: 80e6 + rand() * 1e6, openFds: 30 });
  }
  return { startedAt: 1_700_000_000_000 + o.seed * 1e7, durationMs: n * bucketMs, bucketMs, buckets, events, process, summary: buckets[0] as TimelineBucket };
}

export function synthRun(o: SynthOptions): WarnRun {
  return warnRunFromObservation(synthObservation(o), BOUNDS, { id: `synth-${o.seed}`, title: 'synthetic', seed: o.seed, cards: ['synthetic'] });
}

/** a corpus of `count` runs, incidents at different times in each */
export function synthCorpus(count: number, rampMs: number, seed = 1): WarnRun[] {
  const runs: WarnRun[] = [];
  for (let k = 0; k < count; k++) {
    const base = 20_000 + k * 1500;
    runs.push(synthRun({ seed: seed + k, rampMs, incidentsMs: [base + 10_000, base + 45_000, base + 80_000], distractorsMs: [base + 25_000, base + 62_000] }));
  }
  return runs;
}
