/** The latency toxic's `ramp`: the delay curve, driven by a fake clock and a fake stream context. */
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { validateAttributes } from '../../../src/inject/proxy/attributes.js';
import { latency, rampedLatencyMs, type LatencyAttributes } from '../../../src/inject/proxy/toxics/latency.js';
import type { Chunk, ToxicContext } from '../../../src/inject/proxy/types.js';

/** A stream context whose clock the test moves; timers fire when the clock passes them. */
function fakeStream(attributes: LatencyAttributes, addedAt: number, seed = 1) {
  let now = addedAt;
  let timers: Array<{ at: number; fn: () => void }> = [];
  const pushed: Array<{ data: string; at: number }> = [];
  const ctx: ToxicContext<LatencyAttributes> = {
    name: 'lat',
    stream: 'downstream',
    attributes,
    state: undefined,
    rng: createRng(seed),
    addedAt,
    now: () => now,
    push: (c) => void pushed.push({ data: c.data.toString(), at: now }),
    end: () => undefined,
    close: () => undefined,
    reset: () => undefined,
    setTimer: (fn, ms) => void timers.push({ at: now + ms, fn }),
  };
  const handler = latency.create(ctx);
  return {
    pushed,
    /** writes a chunk arriving now; returns the time it is due (the toxic moves `ts` forward) */
    write(data: string): number {
      const c: Chunk = { data: Buffer.from(data), ts: now };
      handler.write(c);
      return c.ts;
    },
    advance(ms: number): void {
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = Math.max(now, next.at);
        next.fn();
      }
      now = end;
    },
    get now() {
      return now;
    },
  };
}

describe('rampedLatencyMs', () => {
  it('grows linearly from 0 to latency over the ramp, then stays at latency', () => {
    expect(rampedLatencyMs(600, 40_000, 0)).toBe(0);
    expect(rampedLatencyMs(600, 40_000, 10_000)).toBe(150);
    expect(rampedLatencyMs(600, 40_000, 20_000)).toBe(300);
    expect(rampedLatencyMs(600, 40_000, 39_999)).toBeCloseTo(599.985, 3);
    expect(rampedLatencyMs(600, 40_000, 40_000)).toBe(600);
    expect(rampedLatencyMs(600, 40_000, 3_600_000)).toBe(600);
  });

  it('ramp 0 is the plain toxic (the full delay at once), and a chunk from before the toxic gets no delay', () => {
    expect(rampedLatencyMs(600, 0, 0)).toBe(600);
    expect(rampedLatencyMs(600, 0, -5)).toBe(600);
    expect(rampedLatencyMs(600, 1000, -5)).toBe(0);
  });

  it('is monotone in time and never above latency', () => {
    let prev = -1;
    for (let t = -100; t <= 1200; t += 7) {
      const d = rampedLatencyMs(250, 1000, t);
      expect(d).toBeGreaterThanOrEqual(prev);
      expect(d).toBeLessThanOrEqual(250);
      prev = d;
    }
  });
});

describe('latency toxic with ramp', () => {
  it('delays chunks by the ramped latency, counted from when the toxic was added (not from the chunk or the connection)', () => {
    const s = fakeStream({ latency: 400, jitter: 0, ramp: 4000 }, 10_000);
    expect(s.write('a') - s.now).toBe(0); // at the start: no delay, pushed at once
    expect(s.pushed.map((p) => p.data)).toEqual(['a']);
    s.advance(1000);
    expect(s.write('b') - s.now).toBeCloseTo(100, 6);
    s.advance(1000);
    expect(s.write('c') - s.now).toBeCloseTo(200, 6);
    s.advance(3000); // 5 s after the toxic was added: past the ramp
    expect(s.write('d') - s.now).toBeCloseTo(400, 6);
    s.advance(400);
    expect(s.pushed.map((p) => p.data)).toEqual(['a', 'b', 'c', 'd']);
    // each chunk left when due (the timer fires at its due time)
    expect(s.pushed[1]!.at).toBeCloseTo(11_000 + 100, 6);
    expect(s.pushed[3]!.at).toBeCloseTo(15_000 + 400, 6);
  });

  it('a connection opened late in the ramp starts at the ramped delay, not at 0', () => {
    // the context of a connection made 3 s after the toxic: addedAt is the toxic's, the clock already at +3 s
    const s = fakeStream({ latency: 400, jitter: 0, ramp: 4000 }, 10_000);
    s.advance(3000);
    expect(s.write('x') - s.now).toBeCloseTo(300, 6);
  });

  it('without ramp the delay is the full latency from the first chunk (Toxiproxy behaviour)', () => {
    const s = fakeStream({ latency: 400, jitter: 0 }, 10_000);
    expect(s.write('a') - s.now).toBe(400);
    const z = fakeStream({ latency: 400, jitter: 0, ramp: 0 }, 10_000);
    expect(z.write('a') - z.now).toBe(400);
  });

  it('jitter applies on top of the ramped delay, never below 0', () => {
    const s = fakeStream({ latency: 1000, jitter: 50, ramp: 10_000 }, 0, 7);
    const early: number[] = [];
    for (let i = 0; i < 200; i++) early.push(s.write('e') - s.now); // at t=0: base 0, jitter clamps at 0
    expect(Math.min(...early)).toBe(0);
    expect(Math.max(...early)).toBeLessThanOrEqual(50);
    s.advance(5000);
    const mid: number[] = [];
    for (let i = 0; i < 200; i++) {
      s.advance(0.001);
      mid.push(s.write('m') - s.now);
    }
    // base ≈ 500 ms; order is kept (a chunk never leaves before the one ahead), so check the spread of the first
    expect(mid[0]).toBeGreaterThanOrEqual(450 - 1);
    expect(mid[0]).toBeLessThanOrEqual(550 + 1);
    expect(Math.min(...mid)).toBeGreaterThanOrEqual(449);
  });

  it('keeps chunk order while the delay grows', () => {
    const s = fakeStream({ latency: 1000, jitter: 0, ramp: 1000 }, 0);
    const due: number[] = [];
    for (let i = 0; i < 50; i++) {
      due.push(s.write(String(i)));
      s.advance(20);
    }
    for (let i = 1; i < due.length; i++) expect(due[i]!).toBeGreaterThanOrEqual(due[i - 1]!);
    s.advance(2000);
    expect(s.pushed.map((p) => p.data)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });
});

describe('ramp attribute', () => {
  const validate = (input: unknown, prev?: Record<string, unknown>) => validateAttributes('latency', latency.attributes, input, prev, latency.check);

  it('is a faultline extension left out of the attributes until set, so Toxiproxy clients see {latency, jitter}', () => {
    expect(validate({ latency: 100 })).toEqual({ latency: 100, jitter: 0 });
    expect(validate({ latency: 600, ramp: 40_000 })).toEqual({ latency: 600, jitter: 0, ramp: 40_000 });
    // an update keeps it
    expect(validate({ latency: 300 }, { latency: 600, jitter: 0, ramp: 40_000 })).toEqual({ latency: 300, jitter: 0, ramp: 40_000 });
  });

  it('is a whole number of ms ≥ 0, refused otherwise naming attributes.ramp', () => {
    for (const bad of [-1, 1.5, '40s', null, Number.NaN]) {
      try {
        validate({ latency: 10, ramp: bad });
        throw new Error(`ramp=${String(bad)} was accepted`);
      } catch (e) {
        expect(isFaultlineError(e) && e.code, String(e)).toBe('FL_ERR_TOXIC_ATTRIBUTE');
        expect((e as Error).message).toMatch(/^attributes\.ramp:/);
      }
    }
  });
});
