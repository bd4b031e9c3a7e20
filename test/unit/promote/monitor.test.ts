import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { judgeSample, watchRelease, type ProbeResult, type WatchClock } from '../../../src/promote/monitor.js';

/** Time moves only when the watch sleeps (or a probe says it took a while); no real waiting. */
function fakeClock(start = 1_000_000): WatchClock & { t: number; sleeps: number[] } {
  const c = {
    t: start,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      c.sleeps.push(ms);
      if (signal?.aborted) return;
      c.t += ms;
    },
  };
  return c;
}

/** A probe that returns the given results in turn (the last one forever); a string throws it. */
function scripted(results: (ProbeResult | string)[], clock?: { t: number }, takesMs = 0): () => Promise<ProbeResult> {
  let i = 0;
  return async () => {
    const r = results[Math.min(i++, results.length - 1)];
    if (clock) clock.t += takesMs;
    if (typeof r === 'string') throw new Error(r);
    return r as ProbeResult;
  };
}

describe('watchRelease', () => {
  it('passes when the window ends with good samples, sampling at 0, interval, 2×interval …', async () => {
    const clock = fakeClock();
    const v = await watchRelease({ windowMs: 10_000, intervalMs: 1000, probe: scripted([{ healthy: true, errorRate: 0 }]), criteria: { health: true, maxErrorRate: 0.01 }, clock });
    expect(v.ok).toBe(true);
    expect(v.samples).toHaveLength(10);
    expect(v.samples.map((s) => s.at - 1_000_000)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
    expect(v.badSamples).toBe(0);
    expect(v.reason).toBeUndefined();
    expect(v.elapsedMs).toBe(9000);
  });

  it('fails at the first failAfter consecutive bad samples, with the reason and when', async () => {
    const clock = fakeClock();
    const probe = scripted([{ errorRate: 0 }, { errorRate: 0.3 }, { errorRate: 0 }, { errorRate: 0.5 }, { errorRate: 0.42 }, { errorRate: 0 }]);
    const v = await watchRelease({ windowMs: 60_000, intervalMs: 1000, probe, criteria: { maxErrorRate: 0.01 }, clock });
    expect(v.ok).toBe(false);
    expect(v.reason).toBe('error rate 0.42 > 0.01 for 2 samples');
    expect(v.failedAtMs).toBe(4000);
    expect(v.samples).toHaveLength(5);
    expect(v.badSamples).toBe(3);
    expect(v.samples[1]?.violations).toEqual(['error rate 0.3 > 0.01']);
    expect(v.samples[2]?.violations).toEqual([]);
  });

  it('failAfter 1 fails at the first bad sample; 3 needs three in a row', async () => {
    const one = await watchRelease({ windowMs: 10_000, intervalMs: 1000, failAfter: 1, probe: scripted([{ healthy: true }, { healthy: false }]), criteria: { health: true }, clock: fakeClock() });
    expect(one).toMatchObject({ ok: false, reason: 'health check failed for 1 sample', failedAtMs: 1000 });
    const three = await watchRelease({ windowMs: 10_000, intervalMs: 1000, failAfter: 3, probe: scripted([{ healthy: false }, { healthy: false }, { healthy: true }, { healthy: false }, { healthy: false }, { healthy: true }]), criteria: { health: true }, clock: fakeClock() });
    expect(three.ok).toBe(true);
    expect(three.badSamples).toBe(4);
  });

  it('a probe that throws is a bad sample carrying the error', async () => {
    const v = await watchRelease({ windowMs: 10_000, intervalMs: 500, probe: scripted([{ healthy: true }, 'connect ECONNREFUSED 127.0.0.1:4000']), criteria: { health: true }, clock: fakeClock() });
    expect(v.ok).toBe(false);
    expect(v.reason).toBe('probe failed: connect ECONNREFUSED 127.0.0.1:4000 for 2 samples');
    expect(v.samples[1]).toMatchObject({ error: 'connect ECONNREFUSED 127.0.0.1:4000' });
    expect(v.failedAtMs).toBe(1000);
  });

  it('names every criterion of the failing run, with its latest value and how many samples broke it', async () => {
    const probe = scripted([
      { errorRate: 0.2, p99LatencyMs: 100, value: 1 },
      { errorRate: 0.3, p99LatencyMs: 900, value: 7 },
    ]);
    const v = await watchRelease({ windowMs: 10_000, intervalMs: 1000, probe, criteria: { maxErrorRate: 0.05, maxP99LatencyMs: 500, query: { name: 'http_5xx_ratio', above: 5 } }, clock: fakeClock() });
    expect(v.reason).toBe('error rate 0.3 > 0.05 for 2 samples; p99 latency 900 ms > 500 ms for 1 sample; http_5xx_ratio 7 > 5 for 1 sample');
  });

  it('judges each criterion, and an unmeasured criterion is bad', () => {
    const at = 0;
    expect(judgeSample({ at, healthy: true }, { health: true })).toEqual([]);
    expect(judgeSample({ at }, { health: true }).map((v) => v.text)).toEqual(['health not measured']);
    expect(judgeSample({ at, errorRate: 0.01 }, { maxErrorRate: 0.01 })).toEqual([]);
    expect(judgeSample({ at, errorRate: Number.NaN }, { maxErrorRate: 0.01 }).map((v) => v.text)).toEqual(['error rate not measured']);
    expect(judgeSample({ at, p99LatencyMs: 501 }, { maxP99LatencyMs: 500 }).map((v) => v.text)).toEqual(['p99 latency 501 ms > 500 ms']);
    expect(judgeSample({ at, value: 0.5 }, { query: { name: 'up', below: 1 } }).map((v) => v.text)).toEqual(['up 0.5 < 1']);
    expect(judgeSample({ at, value: 1 }, { query: { name: 'up', below: 1 } })).toEqual([]);
    expect(judgeSample({ at }, { query: { name: 'up', below: 1 } }).map((v) => v.text)).toEqual(['up: no value']);
    // no criteria: only a probe error is bad
    expect(judgeSample({ at, healthy: false, errorRate: 1 }, {})).toEqual([]);
    expect(judgeSample({ at, error: 'boom', healthy: true }, { health: true }).map((v) => v.text)).toEqual(['probe failed: boom']);
  });

  it('keeps to fixed sampling times when a probe is slow, skipping ticks rather than bursting', async () => {
    const clock = fakeClock(0);
    const v = await watchRelease({ windowMs: 10_000, intervalMs: 1000, probe: scripted([{ healthy: true }], clock, 1500), criteria: { health: true }, clock });
    // probes start at 0, 2000, 4000, 6000, 8000 (each takes 1.5 s), every sample is taken when its probe returns
    expect(v.samples.map((s) => s.at)).toEqual([1500, 3500, 5500, 7500, 9500]);
    expect(clock.sleeps).toEqual([500, 500, 500, 500]);
    expect(v.ok).toBe(true);
  });

  it('uses the sample time the probe gives, and reports each sample with the verdict so far', async () => {
    const seen: string[] = [];
    const clock = fakeClock(0);
    const v = await watchRelease({
      windowMs: 3000,
      intervalMs: 1000,
      probe: scripted([{ at: 42, healthy: true }, { healthy: false }, { healthy: false }]),
      criteria: { health: true },
      clock,
      onSample: (s, so) => seen.push(`${s.at}:${so.ok}:${so.consecutiveBad}:${so.samples}`),
    });
    expect(seen).toEqual(['42:true:0:1', '1000:true:1:2', '2000:false:2:3']);
    expect(v.ok).toBe(false);
  });

  it('stops when the signal aborts: not ok, aborted, no failure reason of the service', async () => {
    const ac = new AbortController();
    const clock = fakeClock(0);
    let n = 0;
    const v = await watchRelease({
      windowMs: 60_000,
      intervalMs: 1000,
      probe: async () => {
        if (++n === 3) ac.abort();
        return { healthy: true };
      },
      criteria: { health: true },
      clock,
      signal: ac.signal,
    });
    expect(v).toMatchObject({ ok: false, aborted: true });
    expect(v.samples).toHaveLength(3);
    expect(v.failedAtMs).toBeUndefined();
  });

  it('a window of 0 takes one sample', async () => {
    const v = await watchRelease({ windowMs: 0, intervalMs: 1000, probe: scripted([{ healthy: true }]), criteria: { health: true }, clock: fakeClock() });
    expect(v.samples).toHaveLength(1);
    expect(v.ok).toBe(true);
  });

  it('rejects a bad window, interval or failAfter with FL_ERR_INVALID_ARGUMENT', async () => {
    for (const o of [{ windowMs: -1, intervalMs: 1000 }, { windowMs: 1000, intervalMs: 0 }, { windowMs: 1000, intervalMs: 100, failAfter: 0 }]) {
      const e = await watchRelease({ ...o, probe: scripted([{}]), criteria: {}, clock: fakeClock() }).catch((x: unknown) => x);
      expect(isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});
