import { describe, expect, it } from 'vitest';
import { compactBuckets, faultWindows, markers } from '../../../src/report/timeline.js';
import { bucket, oneFaultRun, shopRun } from './helpers.js';

describe('report timeline', () => {
  it('fault windows come from the observation events, else from the run times shifted to the observation start', () => {
    expect(faultWindows(shopRun()).map((w) => [w.faultId, w.startMs, w.endMs])).toEqual([
      ['f-lat-1', 5000, 11000],
      ['f-thr-2', 13000, 16000],
    ]);
    const r = shopRun();
    r.observation!.events = [];
    // run fault times are since the run's start; the observer started 120 ms later
    expect(faultWindows(r).map((w) => [w.startMs, w.endMs])).toEqual([
      [5000, 11000],
      [13000, 16000],
    ]);
    const open = oneFaultRun({ endMs: undefined });
    expect(faultWindows(open)[0]!.endMs).toBeUndefined();
  });

  it('markers add detect/recover from the figures unless the observation has them', () => {
    const r = shopRun();
    expect(markers(r).filter((m) => m.kind === 'detect').map((m) => m.atMs)).toEqual([5000, 13000]);
    expect(markers(r).filter((m) => m.kind === 'recover').map((m) => m.atMs)).toEqual([11500, 16000]);
    r.observation!.events.push({ atMs: 5300, kind: 'detect', label: 'probe', faultId: 'f-lat-1' });
    expect(markers(r).filter((m) => m.kind === 'detect').map((m) => m.atMs)).toEqual([5300, 13000]);
    // phase and probe events are not markers
    expect(markers(r).some((m) => m.kind === 'phase' || m.kind === 'probe')).toBe(false);
  });

  it('compactBuckets merges consecutive buckets: sums counts, keeps the worst tail latency', () => {
    const bs = [bucket(0, { requests: 10, errors: 1, p99: 10 }), bucket(250, { requests: 30, errors: 0, p99: 90 }), bucket(500, { requests: 10, errors: 5, p99: 30 })];
    const [a, b] = compactBuckets(bs, 2);
    expect(a).toMatchObject({ atMs: 0, requests: 40, errors: 1, ok: 39, errorRate: 1 / 40 });
    expect(a!.latencyMs.p99).toBe(90);
    expect(a!.latencyMs.p50).toBeCloseTo((10 * 5 + 30 * 45) / 40);
    expect(b).toMatchObject({ atMs: 500, requests: 10, errors: 5 });
    expect(compactBuckets(bs, 5)).toEqual(bs);
  });
});
