import { afterEach, describe, expect, it } from 'vitest';
import { computeFigures, startObserver } from '../../../src/observe/index.js';
import { admin, startFixture, until, within, type Fixture } from './helpers.js';

const BUCKET = 250;
// the tolerance stated in docs/reference/resilience-figures.md
const TIME_TOL = BUCKET + 100;

describe('resilience figures against a target whose failures are known', () => {
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.stop();
    fx = undefined;
  });

  it('an outage of exactly 1500 ms: TTD, TTR, availability and error rate match the truth', async () => {
    fx = await startFixture();
    const port = fx.port;
    const obs = startObserver({ load: { url: `${fx.url}/`, method: 'GET', ratePerSec: 200, timeoutMs: 2000, connections: 16 }, bucketMs: BUCKET });
    await until(obs.now, 2000);
    const truth = await admin(port, '/admin/outage?ms=1500');
    await until(obs.now, 6000);
    const o = await obs.stop();
    const startedAt = o.startedAt;
    const counts = await admin(port, '/admin/counts', 'GET');
    const window = { faultId: 'outage', label: 'outage 1500 ms', startMs: (truth.from as number) - startedAt, endMs: (truth.until as number) - startedAt };
    const f = computeFigures(o, [window]);
    const fault = f.faults[0]!;
    // the observer counted every request the server saw
    expect(o.summary.requests).toBe(counts.requests);
    expect(o.summary.errors).toBe(counts.failed);
    const truthAvail = 100 * (1 - (counts.failed as number) / (counts.requests as number));
    expect(within(f.availabilityPct, truthAvail, 2)).toBe(true);
    expect(within(f.errorRate, (counts.failed as number) / (counts.requests as number), 0.02)).toBe(true);
    expect(fault.timeToDetectMs).not.toBeNull();
    expect(within(fault.timeToDetectMs!, 0, TIME_TOL)).toBe(true);
    expect(fault.recovered).toBe(true);
    expect(within(fault.timeToRecoverMs!, 0, TIME_TOL)).toBe(true);
    // from detection to recovery ≈ the outage length
    expect(within(fault.timeToRecoverFromDetectMs!, 1500, TIME_TOL)).toBe(true);
    // during the outage nearly every request failed
    expect(within(fault.availabilityPct, 0, 100 * (2 * BUCKET) / 1500 + 2)).toBe(true);
    expect(f.mttdMs).toBe(fault.timeToDetectMs);
    expect(f.recoverySuccessRate).toBe(1);
    expect(o.summary.errorsByKind).toEqual({ http_5xx: counts.failed });
  });

  it('a 30 % failure rate for 2 s: error rate during the fault within 2 points of the truth', async () => {
    fx = await startFixture();
    const obs = startObserver({ load: { url: `${fx.url}/`, method: 'GET', ratePerSec: 400, timeoutMs: 2000, connections: 16 }, bucketMs: BUCKET });
    await until(obs.now, 1500);
    const truth = await admin(fx.port, '/admin/fail?p=0.3&ms=2000');
    await until(obs.now, 5000);
    const o = await obs.stop();
    const startedAt = o.startedAt;
    const f = computeFigures(o, [{ faultId: 'p30', label: '30 %', startMs: (truth.from as number) - startedAt, endMs: (truth.until as number) - startedAt }]);
    const fault = f.faults[0]!;
    // the during-window includes up to one partial bucket at each end, diluting the rate a little
    expect(within(fault.during.errorRate, 0.3, 0.3 * (2 * BUCKET) / 2000 + 0.02)).toBe(true);
    expect(within(fault.timeToDetectMs!, 0, TIME_TOL)).toBe(true);
    expect(within(fault.timeToRecoverMs!, 0, TIME_TOL)).toBe(true);
    expect(fault.faultToleranceScore).toBeLessThan(0.2);
  });
});
