import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLedger } from '../../../../src/core/fault.js';
import type { TimelineBucket } from '../../../../src/core/run.js';
import { findCardOrThrow, loadCatalogue } from '../../../../src/experiment/cards/load.js';
import { detectionTime, recoveryTime, runCard } from '../../../../src/experiment/cards/run.js';
import { listRuns } from '../../../../src/store/runs.js';
import { traffic, world } from './fakes.js';

const within = (actual: number, expected: number, delta: number): void => {
  expect(Math.abs(actual - expected), `${actual} vs ${expected} ± ${delta}`).toBeLessThanOrEqual(delta);
};
const LOAD = { url: 'http://127.0.0.1:1/', method: 'GET', ratePerSec: 40, timeoutMs: 1000 };
const cards = loadCatalogue();
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('detection and recovery on a timeline', () => {
  const b = (atMs: number, err: number): TimelineBucket => ({ ...traffic(err, 10), atMs });
  const det = { signal: 'errorRate' as const, above: 0.1, withinMs: 2000 };
  const tl = [b(0, 0), b(250, 0), b(500, 0.5), b(750, 0.5), b(1000, 0.5), b(1250, 0), b(1500, 0.5), b(1750, 0), b(2000, 0), b(2250, 0), b(2500, 0), b(2750, 0)];

  it('time to detect: first crossing bucket at or after injection', () => {
    expect(detectionTime(det, 400, 3000, tl, 250, [])).toBe(100);
    expect(detectionTime(det, 1800, 3000, tl, 250, [])).toBeNull();
  });

  it('time to recover: start of a sustained (≥ sustain) good run after the revert; a flap restarts it', () => {
    expect(recoveryTime(det, 1100, tl, 250, [], 1000)).toBe(650); // 1250 is good but 1500 flaps; 1750…2500 sustains
    expect(recoveryTime(det, 1100, tl, 250, [], 5000)).toBeNull();
  });

  it('health: failed probes detect, consecutive ok probes recover', () => {
    const h = [0, 200, 400, 600, 800, 1000, 1200, 1400].map((atMs) => ({ atMs, ok: atMs < 300 || atMs > 900 }));
    const hd = { signal: 'health' as const, withinMs: 1000 };
    expect(detectionTime(hd, 300, 2000, [], 250, h)).toBe(100);
    expect(recoveryTime(hd, 900, [], 250, h, 400)).toBe(100);
  });
});

describe('runCard (in-memory driver and observer)', () => {
  it('injects with the card TTL, detects, reverts, measures MTTD/MTTR and records the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-card-'));
    dirs.push(dir);
    const w = world({ recoverDelayMs: 300 });
    const card = findCardOrThrow(cards, 'dependency-errors');
    const { report, record } = await runCard(card, { proxy: 'pricing' }, { faults: w.driver, startObserver: w.startObserver, load: LOAD, stateDir: dir, figures: () => ({ bounds: { maxErrorRate: 0.05 }, faults: [], availabilityPct: 90, errorRate: 0.1, mttdMs: 1, mttrMs: 1, faultToleranceScore: 1, gracefulDegradationScore: 1, recoverySuccessRate: 1 }) }, { baselineMs: 200, durationMs: 1500, bucketMs: 50, pollMs: 50, sustainMs: 200 });
    expect(w.injected[0]).toMatchObject({ layer: 'proxy', kind: 'http_status', target: { proxy: 'pricing' }, ttlMs: card.injection!.ttlMs });
    expect(w.active.size).toBe(0);
    expect(report, JSON.stringify(report.checks)).toMatchObject({ kind: "card", cardId: "dependency-errors", status: "completed", deviated: false });
    expect(report.faults[0]).toMatchObject({ endedBy: 'run' });
    within(record.mttdMs!, 0, 100);
    within(record.mttrMs!, 300, 150);
    expect(record.availabilityPct).toBe(90);
    expect(report.evidence[0]).toMatchObject({ location: '/app/lib.js:3', count: 1 });
    expect(listRuns(dir, { cardId: 'dependency-errors' })).toEqual([record]);
  });

  it('not detected → failed, deviated, with a recommendation to add a monitor', async () => {
    const w = world({ errorRate: 0 });
    const { report, record } = await runCard(findCardOrThrow(cards, 'dependency-errors'), { proxy: 'p' }, { faults: w.driver, startObserver: w.startObserver, load: LOAD }, { baselineMs: 100, durationMs: 300, bucketMs: 50, pollMs: 50, sustainMs: 100 });
    expect(report.status).toBe('failed');
    expect(record.mttdMs).toBeNull();
    expect(report.recommendations[0]?.title).toMatch(/not detected/);
  });

  it('a halt condition reverts at once and ends the run as aborted', async () => {
    const w = world();
    const ledger = memoryLedger();
    const t = Date.now();
    const { report } = await runCard(findCardOrThrow(cards, 'dependency-errors'), { proxy: 'p' }, { faults: w.driver, startObserver: w.startObserver, load: LOAD, ledger, halt: (s) => (s.errorRate > 0.3 ? 'errorRate above 0.3' : undefined) }, { baselineMs: 100, durationMs: 10_000, bucketMs: 50, pollMs: 50 });
    expect(Date.now() - t).toBeLessThan(3000);
    expect(report).toMatchObject({ status: 'aborted', halted: 'errorRate above 0.3' });
    expect(report.faults[0]?.endedBy).toBe('halt');
    expect(w.active.size).toBe(0);
    expect(ledger.events.map((e) => e.action)).toEqual(['abort']);
  });

  it('interruption (AbortSignal) reverts at once and marks the run interrupted', async () => {
    const w = world();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const { report, record } = await runCard(findCardOrThrow(cards, 'dependency-errors'), { proxy: 'p' }, { faults: w.driver, startObserver: w.startObserver, load: LOAD, signal: ac.signal }, { baselineMs: 100, durationMs: 10_000, bucketMs: 50, pollMs: 50 });
    expect(record.status).toBe('interrupted');
    expect(report.faults[0]?.endedBy).toBe('interrupt');
    expect(w.active.size).toBe(0);
  });

  it('a refused injection ends the run as aborted with the refusal as a failed check', async () => {
    const w = world();
    w.driver.inject = async () => {
      const { FaultlineError } = await import('../../../../src/core/errors.js');
      throw new FaultlineError('FL_ERR_SAFE_ZONE', 'proxy "p" is protected');
    };
    const { report } = await runCard(findCardOrThrow(cards, 'dependency-errors'), { proxy: 'p' }, { faults: w.driver, startObserver: w.startObserver, load: LOAD }, { baselineMs: 50, bucketMs: 50 });
    expect(report.status).toBe('aborted');
    expect(report.checks[0]).toMatchObject({ probe: 'inject', met: false, error: expect.stringContaining('FL_ERR_SAFE_ZONE') });
  });

  it('a health-signal card measures with the health probe', async () => {
    const w = world({ recoverDelayMs: 200 });
    const { record } = await runCard(findCardOrThrow(cards, 'heartbeat-loss'), { service: 'api' }, { faults: w.driver, health: async () => w.active.size === 0 && Date.now() >= w.badUntil }, { baselineMs: 150, durationMs: 400, pollMs: 50, sustainMs: 150 });
    expect(record.status).toBe('completed');
    within(record.mttdMs!, 0, 100);
    within(record.mttrMs!, 200, 150);
  });
});
