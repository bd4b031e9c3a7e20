// Halt conditions with a detector: the metric's series (its value over the last second, every 250 ms) is fed to a
// real detector of the observe stage from the observer's start, and a score above the threshold halts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HaltCondition } from '../../../src/core/config-types.js';
import type { TrafficSummary } from '../../../src/core/run.js';
import { evaluateHalt, startAnomalyHalt, watchHalt } from '../../../src/experiment/halt.js';
import { anomalyScorerFactory } from '../../../src/observe/anomaly/scorer.js';

function summary(p99: number, errorRate = 0): TrafficSummary {
  return { requests: 50, ok: 50, errors: 0, errorRate, errorsByKind: {}, throughputPerSec: 50, latencyMs: { p50: p99 / 2, p90: p99, p99, p999: p99, max: p99, mean: p99 / 2, min: 1 } } as unknown as TrafficSummary;
}

describe('detector halt conditions', () => {
  afterEach(() => vi.useRealTimers());
  const cond: HaltCondition = { metric: 'p99LatencyMs', detector: 'robust-z', above: 0.999 };

  it('learn the baseline, stay quiet on noise, and name the condition when p99 jumps; the watcher trips on it', () => {
    vi.useFakeTimers();
    let t = 0;
    let current = summary(10);
    const observer = { window: () => current };
    const halt = startAnomalyHalt([cond], observer, anomalyScorerFactory(), { now: () => t });
    expect(halt).toBeDefined();
    const trips: string[] = [];
    const watcher = watchHalt({ conditions: [cond], observer, anomaly: halt, onTrip: (why) => trips.push(why) });
    // 60 s of baseline noise around 10 ms
    for (let i = 0; i < 240; i++) {
      current = summary(10 + ((i * 7919) % 5) * 0.4);
      t += 250;
      vi.advanceTimersByTime(250);
    }
    expect(trips).toEqual([]);
    // the dependency slows down: p99 300 ms
    current = summary(300);
    for (let i = 0; i < 4 && trips.length === 0; i++) {
      t += 250;
      vi.advanceTimersByTime(250);
    }
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatch(/p99LatencyMs 300 ms is anomalous for robust-z \(score [0-9.]+ > 0\.999\)/);
    watcher.stop();
    halt?.stop();
  });

  it('value conditions ignore detector conditions; without detector conditions no feed starts; an unknown detector is a clear error', () => {
    expect(evaluateHalt([cond], summary(10_000))).toBeUndefined();
    expect(evaluateHalt([{ metric: 'p99LatencyMs', above: 500 }, cond], summary(10_000))).toMatch(/p99LatencyMs 10000 ms > 500/);
    expect(startAnomalyHalt([{ metric: 'errorRate', above: 0.5 }], { window: () => summary(1) }, anomalyScorerFactory())).toBeUndefined();
    expect(() => startAnomalyHalt([{ metric: 'errorRate', detector: 'nope', above: 0.9 }], { window: () => summary(1) }, anomalyScorerFactory())).toThrow(expect.objectContaining({ code: 'FL_ERR_DETECTOR_NOT_FOUND' }));
  });
});
