import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../src/observe/histogram.js';
import { percentile, summarize, type RequestSample } from '../../../src/observe/load.js';

describe('LatencyHistogram', () => {
  it('is empty at first and after reset', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
    h.record(12);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.summary().max).toBe(0);
  });

  it('has µs resolution and exact max and mean', () => {
    const h = new LatencyHistogram();
    for (const v of [0.001, 0.002, 0.003, 0.004]) h.record(v);
    expect(h.summary()).toMatchObject({ p50: 0.002, max: 0.004 });
    expect(h.summary().mean).toBeCloseTo(0.0025, 9);
  });

  it('percentiles are within 0.1 % (+1 µs) of the exact nearest-rank percentile', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 500 }), (values) => {
        const h = new LatencyHistogram();
        for (const v of values) h.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        for (const p of [50, 90, 99, 99.9]) {
          const exact = percentile(sorted, p);
          expect(Math.abs(h.percentile(p) - exact)).toBeLessThanOrEqual(exact * 0.001 + 0.001);
        }
        expect(h.summary().max).toBe(sorted[sorted.length - 1]);
      }),
      { numRuns: 200 },
    );
  });

  it('adds histograms', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 50; i++) a.record(i);
    for (let i = 51; i <= 100; i++) b.record(i);
    a.add(b);
    expect(a.count).toBe(100);
    const sum = a.summary();
    expect(sum).toMatchObject({ max: 100, mean: 50.5 });
    // HDR reports the highest value equivalent to the recorded one: within 0.1 %
    expect(Math.abs(sum.p50 - 50)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(sum.p99 - 99)).toBeLessThanOrEqual(0.1);
  });
});

describe('summarize', () => {
  const s = (outcome: string, latencyMs: number): RequestSample => ({ at: 0, latencyMs, status: outcome === 'ok' ? 200 : 0, outcome });

  it('counts outcomes by kind and leaves aborted requests out', () => {
    const r = summarize([s('ok', 1), s('ok', 3), s('http_5xx', 2), s('timeout', 5000), s('ECONNRESET', 1), s('aborted', 9000)], 1000);
    expect(r).toMatchObject({ requests: 5, ok: 2, errors: 3, errorRate: 0.6, errorsByKind: { http_5xx: 1, timeout: 1, ECONNRESET: 1 }, throughputPerSec: 2 });
    expect(r.latencyMs.max).toBe(5000);
    expect(r.latencyMs.p50).toBe(2);
  });

  it('handles no samples', () => {
    expect(summarize([], 0)).toMatchObject({ requests: 0, errorRate: 0, throughputPerSec: 0, latencyMs: { p50: 0, p99: 0, max: 0 } });
  });

  it('is linear: 1e6 samples in well under a second', () => {
    const many: RequestSample[] = Array.from({ length: 1_000_000 }, (_, i) => s('ok', (i % 1000) / 10));
    const t0 = performance.now();
    const r = summarize(many, 10_000);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.requests).toBe(1_000_000);
    expect(Math.abs(r.latencyMs.p50 - 49.9)).toBeLessThan(0.06);
  });
});
