// Root-cause hints on synthetic observations: which metric moved first, which moved most, and the nearest fault
// or deploy event before the anomaly.
import { describe, expect, it } from 'vitest';
import type { Observation, ProcessSample, TimelineBucket, TimelineEvent } from '../../../src/core/run.js';
import { findDetectorOrThrow } from '../../../src/observe/anomaly/registry.js';
import { rootCause, seriesOfObservation, type NamedSeries } from '../../../src/observe/anomaly/root-cause.js';
import { rng } from './early-synthetic.js';

/** 90 s at 250 ms: CPU climbs from 40 s, p99 from 42 s, errors from 44 s; a deploy note at 20 s, an inject at 39.5 s */
function incident(seed = 1): Observation {
  const rand = rng(seed);
  const buckets: TimelineBucket[] = [];
  const process: ProcessSample[] = [];
  for (let i = 0; i < 360; i++) {
    const t = i * 250;
    const p99 = t >= 42_000 ? 60 + (t - 42_000) / 50 : 20 + rand() * 3;
    const errors = t >= 44_000 ? 4 : 0;
    buckets.push({ atMs: t, requests: 12, ok: 12 - errors, errors, errorRate: errors / 12, errorsByKind: {}, throughputPerSec: ((12 - errors) * 1000) / 250, latencyMs: { p50: p99 / 3, p90: p99 / 2, p99, p999: p99, max: p99, mean: p99 / 3 } });
    process.push({ atMs: t + 5, pid: 9, service: 'api', cpuPercent: t >= 40_000 ? 90 + rand() * 5 : 10 + rand() * 3, rssBytes: 8e7 + rand() * 1e5, openFds: 30 });
  }
  const events: TimelineEvent[] = [
    { atMs: 0, kind: 'phase', label: 'baseline' },
    { atMs: 20_000, kind: 'note', label: 'deploy v1.2.3' },
    { atMs: 39_500, kind: 'inject', label: 'cpu-spike', faultId: 'p-1' },
    { atMs: 60_000, kind: 'revert', label: 'cpu-spike', faultId: 'p-1' },
  ];
  return { startedAt: 0, durationMs: 90_000, bucketMs: 250, buckets, events, process, summary: buckets[0] as TimelineBucket };
}

describe('root-cause hints', () => {
  const detector = findDetectorOrThrow('robust-z');

  it('names the metric that moved first, the one that moved most, and the fault injected just before', () => {
    const obs = incident();
    const h = rootCause(seriesOfObservation(obs), obs.events, 50_000, { detector });
    expect(h.first).toBe('api.cpuPercent');
    const cpu = h.moved.find((m) => m.metric === 'api.cpuPercent');
    const p99 = h.moved.find((m) => m.metric === 'p99LatencyMs');
    const err = h.moved.find((m) => m.metric === 'errorRate');
    // onsets at the bucket ends of the first anomalous samples
    expect(cpu?.onsetMs).toBeGreaterThanOrEqual(40_000);
    expect(cpu?.onsetMs).toBeLessThanOrEqual(40_500);
    expect(p99?.onsetMs).toBeGreaterThanOrEqual(42_000);
    expect(p99?.onsetMs).toBeLessThanOrEqual(42_500);
    expect(err?.onsetMs).toBeGreaterThanOrEqual(44_000);
    expect(h.moved.indexOf(cpu!)).toBeLessThan(h.moved.indexOf(p99!));
    expect(h.moved.indexOf(p99!)).toBeLessThan(h.moved.indexOf(err!));
    // p99: ≈ 21.5 → 215 ms against its 2 ms minimum scale (the noise's robust σ is ≈ 1.1 ms) is ≈ 99 robust z,
    // more than the errors' 0 → 1/3 against 0.005 (≈ 67)
    expect(h.most).toBe('p99LatencyMs');
    expect(p99?.size).toBeGreaterThan(95);
    expect(p99?.value).toBe(215); // the bucket that ends at 50 s starts at 49.75 s
    expect(err?.size).toBeCloseTo(1 / 3 / 0.005, 0);
    expect(err?.baseline).toBe(0);
    // throughput dropped: a negative move
    expect(h.moved.find((m) => m.metric === 'throughputPerSec')?.size).toBeLessThan(0);
    expect(h.nearestEvent).toMatchObject({ kind: 'inject', label: 'cpu-spike', faultId: 'p-1' });
    expect(h.nearestEvent?.beforeMs).toBe((cpu?.onsetMs as number) - 39_500);
    expect(h.summary).toContain('api.cpuPercent moved first');
    expect(h.summary).toContain('p99LatencyMs moved most');
    expect(h.summary).toContain('inject "cpu-spike"');
  });

  it('without the fault on record, the deploy before it is the nearest event', () => {
    const obs = incident();
    const h = rootCause(seriesOfObservation(obs), obs.events.filter((e) => e.kind !== 'inject'), 50_000, { detector });
    expect(h.nearestEvent).toMatchObject({ kind: 'note', label: 'deploy v1.2.3' });
  });

  it('reports nothing moved on a quiet stretch, and looks only at the lookback window', () => {
    const obs = incident();
    const h = rootCause(seriesOfObservation(obs), obs.events, 35_000, { detector });
    expect(h.moved).toEqual([]);
    expect(h.first).toBeUndefined();
    expect(h.summary).toContain('nearest event: note "deploy v1.2.3"');
    // 41 s: only the CPU has moved yet
    const early = rootCause(seriesOfObservation(obs), obs.events, 41_000, { detector });
    expect(early.moved.map((m) => m.metric)).toEqual(['api.cpuPercent']);
    // a lookback that ends before the change: nothing
    expect(rootCause(seriesOfObservation(obs), obs.events, 41_000, { detector, lookbackMs: 0 }).moved).toEqual([]);
  });

  it('works on any named series, with gaps', () => {
    const atMs = Array.from({ length: 200 }, (_, i) => i * 1000);
    const a: NamedSeries = { name: 'queue_depth', atMs, values: atMs.map((t, i) => (i % 17 === 0 ? null : t >= 150_000 ? 500 : 10 + (i % 3))) };
    const b: NamedSeries = { name: 'workers', atMs, values: atMs.map(() => 4) };
    const h = rootCause([a, b], [], 160_000, { detector });
    expect(h.first).toBe('queue_depth');
    expect(h.moved).toHaveLength(1);
    expect(h.moved[0]?.onsetMs).toBe(150_000);
    expect(h.nearestEvent).toBeUndefined();
  });
});
