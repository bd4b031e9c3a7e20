import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { pToScore, scoreToP, sidak } from '../../../src/observe/anomaly/calibrate.js';
import { combineMultivariate, createMultivariate, DEFAULT_DETECTOR, DETECTORS, findDetector, findDetectorOrThrow } from '../../../src/observe/anomaly/registry.js';
import type { DetectorSpec } from '../../../src/observe/anomaly/types.js';

const THRESHOLD = pToScore(1e-5);

describe('detector registry', () => {
  it('has unique kebab-case names, descriptions, and the default among them', () => {
    const names = DETECTORS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of DETECTORS) {
      expect(d.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(d.description.length).toBeGreaterThan(20);
    }
    expect(DETECTORS).toContain(DEFAULT_DETECTOR);
    expect(names).toEqual(expect.arrayContaining(['robust-z', 'ewma', 'windowed-gaussian', 'isolation-forest', 'seasonal', 'lstm', 'context']));
  });

  it('looks detectors up by name, in pairs', () => {
    expect(findDetector('ewma')?.name).toBe('ewma');
    expect(findDetector('nope')).toBeUndefined();
    try {
      findDetectorOrThrow('nope');
      expect.unreachable();
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_DETECTOR_NOT_FOUND')).toBe(true);
    }
  });
});

/** three noisy metrics (latency-, error- and CPU-like), one of which gets a spike at `at` */
function metrics(n: number, seed: number, spikeAt?: number): number[][] {
  const rng = createRng(seed);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = [100 + rng.normal(0, 5), 0.01 + Math.abs(rng.normal(0, 0.002)), 40 + 10 * Math.sin(i / 50) + rng.normal(0, 1)];
    if (i === spikeAt) row[1] = 0.2;
    rows.push(row);
  }
  return rows;
}

describe('combineMultivariate', () => {
  const spec = findDetectorOrThrow('robust-z');

  it('flags a spike in one of three metrics, and stays quiet on clean metrics', () => {
    const P = 500;
    const at = 1500;
    const d = combineMultivariate(spec, { dims: 3, probationary: P, seed: 1 });
    const scores = metrics(2000, 3, at).map((r, i) => d.update(i * 60_000, r));
    expect(scores.slice(0, P).every((s) => s === 0)).toBe(true);
    expect(Math.max(...scores.slice(at, at + 5))).toBeGreaterThanOrEqual(THRESHOLD);
    const clean = combineMultivariate(spec, { dims: 3, probationary: P, seed: 1 });
    const cs = metrics(2000, 3).map((r, i) => clean.update(i * 60_000, r));
    const alarms = cs.slice(P).filter((s) => s >= THRESHOLD).length;
    expect(alarms / (2000 - P)).toBeLessThan(0.005);
  });

  it('reports the most surprising metric, Šidák-corrected for the number of metrics', () => {
    // a fake spec whose instances return fixed scores, to check the arithmetic
    let k = 0;
    const fixed = [0.5, 0.1, 0.0];
    const fake: DetectorSpec = { name: 'fake', description: 'fixed scores for the combination test', create: () => ({ update: ((s) => () => s)(fixed[k++ % 3] as number), memoryBytes: () => 10 }) };
    const d = combineMultivariate(fake, { dims: 3, probationary: 0, seed: 1 });
    expect(d.update(0, [1, 2, 3])).toBeCloseTo(pToScore(sidak(scoreToP(0.5), 3)), 12);
    expect(d.memoryBytes()).toBe(94);
  });

  it('refuses a sample with the wrong number of metrics', () => {
    const d = combineMultivariate(spec, { dims: 3, probationary: 0, seed: 1 });
    try {
      d.update(0, [1, 2]);
      expect.unreachable();
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_DETECTOR_OPTIONS')).toBe(true);
    }
  });
});

describe('native multivariate isolation forest', () => {
  it('flags two metrics that part ways while each stays in its usual range; the per-metric combination does not', () => {
    const rng = createRng(11);
    const n = 3000;
    const at = 2500;
    const P = 750;
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) {
      const x = 50 + 20 * Math.sin(i / 40) + rng.normal(0, 1);
      const y = x + rng.normal(0, 1) + (i >= at && i < at + 30 ? 12 : 0);
      rows.push([x, y]);
    }
    const iforest = findDetectorOrThrow('isolation-forest');
    const first = (scores: number[]) => scores.findIndex((s, i) => i >= at && s >= THRESHOLD);
    const native = createMultivariate(iforest, { dims: 2, probationary: P, seed: 1 });
    const nativeScores = rows.map((r, i) => native.update(i * 60_000, r));
    const per = combineMultivariate(iforest, { dims: 2, probationary: P, seed: 1 });
    const perScores = rows.map((r, i) => per.update(i * 60_000, r));
    const hit = first(nativeScores);
    expect(hit).toBeGreaterThanOrEqual(at);
    expect(hit).toBeLessThan(at + 30);
    expect(Math.max(...perScores.slice(at, at + 30))).toBeLessThan(THRESHOLD);
  });
});
