import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import type { ModuleData } from '../../../src/core/promote.js';
import { applyCalibration } from '../../../src/promote/calibrate.js';
import { computeFis, noisyOr } from '../../../src/promote/fis.js';

describe('noisy-OR', () => {
  it('is the probability that at least one fails, assuming independence', () => {
    expect(noisyOr([])).toBe(0);
    expect(noisyOr([0.3])).toBeCloseTo(0.3, 15);
    expect(noisyOr([0.1, 0.2])).toBeCloseTo(1 - 0.9 * 0.8, 15);
    expect(noisyOr([0.5, 0.5, 0.5])).toBeCloseTo(0.875, 15);
    expect(noisyOr([0.2, 1])).toBe(1);
    expect(noisyOr([0, 0, 0])).toBe(0);
  });
  it('keeps precision with many tiny probabilities', () => {
    const p = noisyOr(Array.from({ length: 1000 }, () => 1e-9));
    expect(p).toBeCloseTo(1e-6, 12); // 1 − (1 − 1e-9)^1000 ≈ 1e-6 − 5e-13
    expect(p).toBeLessThan(1e-6);
  });
  it('is at least the largest and at most the sum', () => {
    const ps = [0.05, 0.3, 0.12, 0.01];
    const p = noisyOr(ps);
    expect(p).toBeGreaterThanOrEqual(0.3);
    expect(p).toBeLessThanOrEqual(ps.reduce((a, b) => a + b, 0));
  });
});

describe('computeFis', () => {
  it('FIS = noisy-OR probability × severity weight, rounded to 4 decimals, with its factors', () => {
    const r = computeFis({ name: 'orders', failureProbabilities: [0.1, 0.2], criticality: 'high' });
    expect(r).toMatchObject({ module: 'orders', probability: 0.28, severity: 'High', severityWeight: 0.8, model: 'formula', fis: 0.224 });
    expect(r.factors.map((f) => f.name)).toEqual(['probability', 'severity.criticality', 'severity', 'model']);
    expect(r.factors[0]?.detail).toMatch(/noisy-OR of 2 .*assuming independence/);
    expect(r.factors.find((f) => f.name === 'model')?.detail).toBe('formula: FIS = P 0.28 × High 0.8 = 0.224');
    // in a product both terms decide: their shares of log(FIS) add up to 1
    const shares = r.factors.filter((f) => f.name === 'probability' || f.name === 'severity').map((f) => f.contribution ?? 0);
    expect(shares[0]! + shares[1]!).toBeCloseTo(1, 3);
    expect(computeFis({ name: 'x', failureProbabilities: [0.123456], criticality: 'critical' }).fis).toBe(0.1235);
  });

  it('takes the probability from failureProbabilities, else failureProbability, else 0 with "no prediction"', () => {
    expect(computeFis({ name: 'x', failureProbabilities: [0.5], failureProbability: 0.9, criticality: 'critical' }).fis).toBe(0.5);
    expect(computeFis({ name: 'x', failureProbability: 0.9, criticality: 'critical' }).fis).toBe(0.9);
    expect(computeFis({ name: 'x', failureProbabilities: [], failureProbability: 0.9, criticality: 'critical' }).fis).toBe(0.9);
    expect(computeFis({ name: 'x', failureProbabilities: [], criticality: 'critical' }).fis).toBe(0);
    const none = computeFis({ name: 'x', criticality: 'critical' });
    expect(none.fis).toBe(0);
    expect(none.probability).toBe(0);
    expect(none.factors[0]).toMatchObject({ name: 'probability', value: 0 });
    expect(none.factors[0]?.detail).toMatch(/no prediction/);
  });

  it('severity comes from dependency reach when nothing is configured', () => {
    const m: ModuleData = { name: 'core', failureProbability: 0.5, dependents: ['a', 'b', 'c', 'd'], totalModules: 5 };
    const r = computeFis(m);
    expect(r.severity).toBe('Critical');
    expect(r.fis).toBe(0.5);
    expect(r.factors.find((f) => f.name === 'severity.dependency-reach')).toMatchObject({ value: 1, contribution: 1 });
  });

  it("with a calibration the model is 'calibrated' and the calibrated probability is used", () => {
    const calibration = { kind: 'platt' as const, a: 2, b: -1, samples: 100, failures: 30, brierBefore: 0.2, brierAfter: 0.15 };
    const m: ModuleData = { name: 'x', failureProbability: 0.4, criticality: 'high' };
    const r = computeFis(m, { calibration });
    const p = applyCalibration(calibration, 0.4);
    expect(r.model).toBe('calibrated');
    expect(r.probability).toBe(Math.round(p * 1e4) / 1e4);
    expect(r.fis).toBe(Math.round(p * 0.8 * 1e4) / 1e4);
    expect(r.fis).not.toBe(computeFis(m).fis);
    expect(r.factors.find((f) => f.name === 'calibration')?.detail).toMatch(/Platt calibration σ\(2 · logit\(P\) \+ -1\) fitted on 100 promotions/);
  });

  it('FIS is always in [0, 1]', () => {
    for (const p of [0, 1e-9, 0.5, 1]) for (const c of ['critical', 'negligible'] as const) {
      const r = computeFis({ name: 'x', failureProbability: p, criticality: c });
      expect(r.fis).toBeGreaterThanOrEqual(0);
      expect(r.fis).toBeLessThanOrEqual(1);
    }
    expect(computeFis({ name: 'x', failureProbabilities: [1, 1], criticality: 'critical' }).fis).toBe(1);
  });

  it.each([
    [{ failureProbabilities: [0.1, 0.2, 0.3, 1.2] }, 'failureProbabilities[3]'],
    [{ failureProbabilities: [0.1, Number.NaN] }, 'failureProbabilities[1]'],
    [{ failureProbabilities: [-0.01] }, 'failureProbabilities[0]'],
    [{ failureProbability: 1.01 }, 'failureProbability'],
    [{ failureProbability: Number.POSITIVE_INFINITY }, 'failureProbability'],
    [{ name: '' }, 'name'],
    [{ trafficShare: 2 }, 'trafficShare'],
  ] as Array<[Partial<ModuleData>, string]>)('rejects %o naming %s', (extra, field) => {
    let caught: unknown;
    try {
      computeFis({ name: 'x', ...extra });
    } catch (e) {
      caught = e;
    }
    expect(isFaultlineError(caught, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((caught as { context: { field: string } }).context.field).toBe(field);
    expect((caught as Error).message).toContain(field);
  });
});
