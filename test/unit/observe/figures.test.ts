import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import type { FaultWindow, Observation, TimelineBucket } from '../../../src/core/run.js';
import { combine, computeFigures, deriveBounds } from '../../../src/observe/figures.js';

const B = 250;

/** a bucket of `n` requests with `err` errors and a p99 of `p99` ms */
function bucket(i: number, n: number, err = 0, p99 = 10): TimelineBucket {
  return {
    atMs: i * B,
    requests: n,
    ok: n - err,
    errors: err,
    errorRate: n === 0 ? 0 : err / n,
    errorsByKind: err > 0 ? { http_5xx: err } : {},
    throughputPerSec: ((n - err) * 1000) / B,
    latencyMs: { p50: p99 / 2, p90: p99 * 0.9, p99, p999: p99, max: p99, mean: p99 / 2 },
  };
}

/** a timeline from a string: '.' steady, 'x' all errors, 'h' half errors, 's' slow (p99 500 ms), '_' no traffic */
function timeline(spec: string): Observation {
  const buckets = [...spec].map((c, i) => (c === '.' ? bucket(i, 50) : c === 'x' ? bucket(i, 50, 50) : c === 'h' ? bucket(i, 50, 25) : c === 's' ? bucket(i, 50, 0, 500) : bucket(i, 0)));
  return { startedAt: 0, durationMs: spec.length * B, bucketMs: B, buckets, events: [], process: [], summary: combine(buckets, spec.length * B) };
}

const win = (startMs: number, endMs?: number, id = 'f1'): FaultWindow => ({ faultId: id, label: id, startMs, ...(endMs === undefined ? {} : { endMs }) });

describe('computeFigures', () => {
  it('baselineEndMs ends the baseline before the first window (an injection that took a restart is not baseline)', () => {
    // the card's phase starts at 1500 ms; its injection restarts the service (errors 1500–2000 ms); its window starts at 2000 ms
    const o = timeline('......xx....xx......');
    expect(computeFigures(o, [win(2000, 3000)]).baseline?.errors).toBe(100);
    const f = computeFigures(o, [win(2000, 3000)], undefined, { baselineEndMs: 1500 });
    expect(f.baseline).toMatchObject({ requests: 300, errors: 0 });
    // a window on slice boundaries takes exactly its slices: the slice before it and the one at its end are not "during"
    expect(f.faults[0]!.during).toMatchObject({ requests: 200, errors: 0 });
  });

  it('detects, recovers and measures a clean outage', () => {
    // baseline 8 buckets (2 s), outage buckets 8..11 (2000–3000 ms), steady after
    const o = timeline('........xxxx........');
    const f = computeFigures(o, [win(2000, 3000)]);
    const x = f.faults[0]!;
    expect(x.timeToDetectMs).toBe(0);
    expect(x.timeToRecoverMs).toBe(0);
    expect(x.timeToRecoverFromDetectMs).toBe(1000);
    expect(x.recovered).toBe(true);
    expect(x.availabilityPct).toBe(0);
    expect(x.faultToleranceScore).toBe(0);
    expect(f.availabilityPct).toBeCloseTo(80, 6);
    expect(f.errorRate).toBeCloseTo(0.2, 6);
    expect(f.mttdMs).toBe(0);
    expect(f.mttrMs).toBe(0);
    expect(f.recoverySuccessRate).toBe(1);
    expect(f.baseline?.requests).toBe(400);
  });

  it('measures a late detection and a slow recovery, with a partial bucket at injection', () => {
    // fault 2100–3000; errors start in bucket 10 (2500); recovery starts at bucket 14 (3500)
    const o = timeline('..........xxxx........');
    const x = computeFigures(o, [win(2100, 3000)]).faults[0]!;
    expect(x.timeToDetectMs).toBe(400);
    expect(x.timeToRecoverMs).toBe(500);
    expect(x.timeToRecoverFromDetectMs).toBe(1000);
  });

  it('never detected: the fault was tolerated', () => {
    const f = computeFigures(timeline('....................'), [win(1000, 2000)]);
    const x = f.faults[0]!;
    expect(x.timeToDetectMs).toBeNull();
    expect(x.timeToRecoverFromDetectMs).toBeNull();
    expect(x.recovered).toBe(true);
    expect(x.timeToRecoverMs).toBe(0);
    expect(x.faultToleranceScore).toBe(1);
    expect(x.gracefulDegradationScore).toBe(1);
    expect(f.mttdMs).toBeNull();
    // MTTR averages faults that were detected and recovered only
    expect(f.mttrMs).toBeNull();
  });

  it('never recovered: violations last until the observation ends', () => {
    const f = computeFigures(timeline('........xxxxxxxxxxxx'), [win(2000, 3000)]);
    const x = f.faults[0]!;
    expect(x.timeToDetectMs).toBe(0);
    expect(x.recovered).toBe(false);
    expect(x.timeToRecoverMs).toBeNull();
    expect(f.recoverySuccessRate).toBe(0);
    expect(f.mttrMs).toBeNull();
  });

  it('a return shorter than the sustain time at the end of the observation is not a recovery', () => {
    const x = computeFigures(timeline('........xxxx...'), [win(2000, 3000)]).faults[0]!;
    expect(x.recovered).toBe(false);
    expect(computeFigures(timeline('........xxxx...'), [win(2000, 3000)], undefined, { sustainMs: 500 }).faults[0]!.recovered).toBe(true);
  });

  it('a fault outliving the observation is detected but not recovered; its traffic runs to the end', () => {
    const x = computeFigures(timeline('........xxxx'), [win(2000)]).faults[0]!;
    expect(x.timeToDetectMs).toBe(0);
    expect(x.recovered).toBe(false);
    expect(x.timeToRecoverMs).toBeNull();
    expect(x.during.requests).toBe(200);
  });

  it('flapping during recovery: only a sustained steady run counts', () => {
    // after the end (3000): steady 2 buckets, violation, steady 1, violation, then steady for good at 4250 (bucket 17)
    const x = computeFigures(timeline('........xxxx..x.x........'), [win(2000, 3000)]).faults[0]!;
    expect(x.timeToRecoverMs).toBe(1250);
    expect(x.timeToRecoverFromDetectMs).toBe(2250);
  });

  it('buckets without traffic neither break nor make a steady run', () => {
    // no traffic in 12..13: the run 12..17 has 4 steady buckets = 1000 ms and starts at bucket 12's neighbour
    const x = computeFigures(timeline('........xxxx__....____'), [win(2000, 3000)]).faults[0]!;
    expect(x.recovered).toBe(true);
    expect(x.timeToRecoverMs).toBe(500);
    // a bucket without traffic is no detection either
    expect(computeFigures(timeline('........____........'), [win(2000, 3000)]).faults[0]!.timeToDetectMs).toBeNull();
  });

  it('latency violations count, with bounds derived from the baseline', () => {
    const f = computeFigures(timeline('........ssss........'), [win(2000, 3000)]);
    // baseline p99 10 ms → bound max(20, 60) = 60 ms
    expect(f.bounds).toEqual({ maxErrorRate: 0.01, maxP99LatencyMs: 60 });
    const x = f.faults[0]!;
    expect(x.timeToDetectMs).toBe(0);
    expect(x.availabilityPct).toBe(100);
    // all requests served, p99 500 ms against a 60 ms bound: 0.5 × 1 + 0.5 × 60/500
    expect(x.gracefulDegradationScore).toBeCloseTo(0.5 + 0.5 * (60 / 500), 6);
  });

  it('graceful degradation rewards partial service over a total outage', () => {
    const half = computeFigures(timeline('........hhhh........'), [win(2000, 3000)]).faults[0]!;
    const none = computeFigures(timeline('........xxxx........'), [win(2000, 3000)]).faults[0]!;
    expect(half.gracefulDegradationScore).toBeCloseTo(0.75, 6);
    expect(none.gracefulDegradationScore).toBeCloseTo(0.5, 6);
  });

  it('uses given bounds as they are', () => {
    const f = computeFigures(timeline('........hhhh........'), [win(2000, 3000)], { maxErrorRate: 0.6 });
    expect(f.bounds).toEqual({ maxErrorRate: 0.6 });
    expect(f.faults[0]!.timeToDetectMs).toBeNull();
    const t = computeFigures(timeline('........hhhh........'), [win(2000, 3000)], { maxErrorRate: 1, minThroughputPerSec: 150 });
    expect(t.faults[0]!.timeToDetectMs).toBe(0);
  });

  it('averages MTTD and MTTR over several faults, detection limited to the time before the next fault', () => {
    // fault A 1000–1500 causes nothing; fault B 3000–3500 causes errors from 3250
    const o = timeline('....................x.......');
    const f = computeFigures(o, [win(3000, 3500, 'B'), win(1000, 1500, 'A')]);
    expect(f.faults.map((x) => x.faultId)).toEqual(['A', 'B']);
    expect(f.faults[0]!.timeToDetectMs).toBeNull();
    expect(f.faults[1]!.timeToDetectMs).toBe(2000);
    expect(f.mttdMs).toBe(2000);
    const two = computeFigures(timeline('....xx......xxxx..........'), [win(1000, 1500, 'A'), win(3000, 4000, 'B')]);
    expect(two.mttdMs).toBe(0);
    expect(two.mttrMs).toBe(0);
    expect(two.faults.map((x) => x.timeToRecoverFromDetectMs)).toEqual([500, 1000]);
  });

  it('no faults: the whole observation is the baseline, scores are 1', () => {
    const f = computeFigures(timeline('........'), []);
    expect(f.faults).toEqual([]);
    expect(f.recoverySuccessRate).toBe(1);
    expect(f.faultToleranceScore).toBe(1);
    expect(f.mttdMs).toBeNull();
  });

  it('without a baseline, the error-rate bound is 1 %', () => {
    const f = computeFigures(timeline('xxxx....'), [win(0, 1000)]);
    expect(f.baseline).toBeUndefined();
    expect(f.bounds).toEqual({ maxErrorRate: 0.01 });
    expect(f.faults[0]!.timeToDetectMs).toBe(0);
  });

  it('refuses bad bounds and windows, naming the field', () => {
    const o = timeline('....');
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isFaultlineError(e) ? `${e.code} ${String(e.context.field)}` : 'other';
      }
      return undefined;
    };
    expect(code(() => computeFigures(o, [], { maxErrorRate: 5 }))).toBe('FL_ERR_FIGURES_INPUT bounds.maxErrorRate');
    expect(code(() => computeFigures(o, [win(500, 100)]))).toBe('FL_ERR_FIGURES_INPUT windows[f1].endMs');
    expect(code(() => computeFigures(o, [], undefined, { sustainMs: -1 }))).toBe('FL_ERR_FIGURES_INPUT sustainMs');
  });
});

describe('deriveBounds', () => {
  it('follows the documented rule', () => {
    const base = combine([bucket(0, 100, 3, 40)], B);
    expect(deriveBounds(base)).toEqual({ maxErrorRate: 0.06, maxP99LatencyMs: 90 });
    expect(deriveBounds(combine([bucket(0, 100, 0, 200)], B))).toEqual({ maxErrorRate: 0.01, maxP99LatencyMs: 400 });
    expect(deriveBounds(undefined)).toEqual({ maxErrorRate: 0.01 });
  });
});

describe('combine', () => {
  it('adds counts exactly and weights latency by requests', () => {
    const c = combine([bucket(0, 100, 10, 10), bucket(1, 300, 0, 30), bucket(2, 0)], 3 * B);
    expect(c).toMatchObject({ requests: 400, ok: 390, errors: 10, errorRate: 10 / 400, errorsByKind: { http_5xx: 10 } });
    expect(c.latencyMs.p99).toBeCloseTo(25, 6);
    expect(c.latencyMs.max).toBe(30);
    expect(c.throughputPerSec).toBeCloseTo(390 / 0.75, 6);
  });
});
