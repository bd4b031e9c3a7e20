import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import type { GateDecision, GateResult, PromotionRequest } from '../../../src/core/promote.js';
import { fitFisCalibration } from '../../../src/promote/calibrate.js';
import { computeFis } from '../../../src/promote/fis.js';
import { coverageMultiplier, evaluateGate, gateExitCode, roundPercent } from '../../../src/promote/gate.js';

const FIS_POINTS: Array<[fis: number, tier: 0 | 1 | 2 | 'blocked']> = [
  [0, 0],
  [0.1999, 0],
  [0.2, 1],
  [0.4999, 1],
  [0.5, 2],
  [0.7999, 2],
  [0.8, 'blocked'],
  [1.0, 'blocked'],
];

/** required coverage per tier (×1.00, ×1.10, ×1.20), written out by hand */
const SETTINGS: Array<{ base: number; raise: number; required: [number, number, number] }> = [
  { base: 80, raise: 0, required: [80, 88, 96] },
  { base: 70, raise: 0, required: [70, 77, 84] },
  { base: 80, raise: 5, required: [85, 93, 100] }, // 96 + 5 = 101 → capped
  { base: 70, raise: 5, required: [75, 82, 89] },
  { base: 90, raise: 0, required: [90, 99, 100] }, // 90 × 1.2 = 108 → capped
  { base: 85, raise: 0, required: [85, 93.5, 100] }, // 102 → capped
  { base: 80, raise: 2.5, required: [82.5, 90.5, 98.5] },
];
const MULTIPLIERS = [1, 1.1, 1.2] as const;

const req = (fis: number, coverage: number, extra: Partial<PromotionRequest> = {}): PromotionRequest => ({ module: { name: 'orders' }, coverage, fis, ...extra });

describe('gate: every FIS boundary × coverage at, a hair below and above the threshold', () => {
  const cases: Array<{ fis: number; base: number; raise: number; coverage: number; decision: GateDecision; required: number | null; multiplier: number | null }> = [];
  for (const s of SETTINGS) {
    for (const [fis, tier] of FIS_POINTS) {
      if (tier === 'blocked') {
        for (const coverage of [0, s.base, 100]) cases.push({ fis, base: s.base, raise: s.raise, coverage, decision: 'blocked', required: null, multiplier: null });
        continue;
      }
      const required = s.required[tier];
      cases.push({ fis, base: s.base, raise: s.raise, coverage: required, decision: 'promote', required, multiplier: MULTIPLIERS[tier] });
      cases.push({ fis, base: s.base, raise: s.raise, coverage: Math.round((required - 0.01) * 100) / 100, decision: 'insufficient-coverage', required, multiplier: MULTIPLIERS[tier] });
      if (required < 100) cases.push({ fis, base: s.base, raise: s.raise, coverage: Math.round((required + 0.01) * 100) / 100, decision: 'promote', required, multiplier: MULTIPLIERS[tier] });
      else cases.push({ fis, base: s.base, raise: s.raise, coverage: 100, decision: 'promote', required, multiplier: MULTIPLIERS[tier] });
    }
  }

  it.each(cases)('FIS $fis, B $base, raise $raise, coverage $coverage → $decision (required $required)', (c) => {
    const r = evaluateGate(req(c.fis, c.coverage), { baseCoverageThreshold: c.base, raise: c.raise });
    expect(r.decision).toBe(c.decision);
    expect(r.requiredCoverage).toBe(c.required);
    expect(r.multiplier).toBe(c.multiplier);
    expect(r.fis).toBe(c.fis);
    expect(r.baseCoverageThreshold).toBe(c.base);
    expect(r.raise).toBe(c.raise);
    expect(r.label).toBe({ promote: 'Promote', 'insufficient-coverage': 'Insufficient Coverage', blocked: 'Blocked — Manual Review Required' }[c.decision]);
  });

  it('covers every boundary case (sanity of the table itself)', () => {
    expect(cases.length).toBe(SETTINGS.length * (6 * 3 + 2 * 3));
    expect(new Set(cases.map((c) => c.decision))).toEqual(new Set(['promote', 'insufficient-coverage', 'blocked']));
  });
});

describe('gate: numbers and reasons', () => {
  it('90 × 1.1 is 99 and 85 × 1.1 is 93.5 (no float residue), and the multiplier follows the tiers', () => {
    expect(90 * 1.1).not.toBe(99); // the float residue the rounding removes
    expect(85 * 1.1).not.toBe(93.5);
    expect(roundPercent(90 * 1.1)).toBe(99);
    expect(roundPercent(85 * 1.1)).toBe(93.5);
    expect(roundPercent(80 * 1.1)).toBe(88);
    expect(evaluateGate(req(0.3, 99), { baseCoverageThreshold: 90 }).requiredCoverage).toBe(99);
    expect(coverageMultiplier(0.1999)).toBe(1);
    expect(coverageMultiplier(0.2)).toBe(1.1);
    expect(coverageMultiplier(0.5)).toBe(1.2);
    expect(coverageMultiplier(0.8)).toBeNull();
    const r = evaluateGate(req(0.3, 88), { baseCoverageThreshold: 80 });
    expect(r.requiredCoverage).toBe(88);
    expect(r.decision).toBe('promote');
  });

  it('computes the FIS from the module when none is given, and says what it is made of', () => {
    const r = evaluateGate({ module: { name: 'orders', failureProbability: 0.72, criticality: 'medium' }, coverage: 87.5 }, { baseCoverageThreshold: 80 });
    expect(r.fis).toBe(0.432);
    expect(r.severity).toBe('Medium');
    expect(r.decision).toBe('insufficient-coverage');
    expect(r.reasons).toEqual([
      'FIS 0.432 (Medium severity × P 0.72) is in [0.2, 0.5): coverage threshold 80% × 1.10 = 88%',
      'coverage 87.5% < 88%: insufficient',
    ]);
  });

  it('explains a raise with the rollback history and a cap at 100%', () => {
    const module = { name: 'payments', failureProbability: 0.9, criticality: 'high' as const, history: { promotions: 4, rollbacks: 1 } };
    const r = evaluateGate({ module, coverage: 99 }, { baseCoverageThreshold: 85, raise: 5 });
    expect(r.fis).toBe(0.72);
    expect(r.severity).toBe('High');
    expect(r.requiredCoverage).toBe(100);
    expect(r.decision).toBe('insufficient-coverage');
    expect(r.reasons).toEqual([
      'FIS 0.72 (High severity × P 0.9) is in [0.5, 0.8): coverage threshold 85% × 1.20 = 102%',
      'raised by 5 points after 1 rollback in 4 promotions: 102% + 5 = 107%',
      'capped at 100% (107% cannot be reached)',
      'coverage 99% < 100%: insufficient',
    ]);
  });

  it('a blocked module says so and that coverage did not decide', () => {
    const r = evaluateGate(req(0.85, 100), { baseCoverageThreshold: 80 });
    expect(r.reasons[0]).toBe('FIS 0.85 (given) is ≥ 0.8: blocked, manual review required');
    expect(r.reasons[1]).toMatch(/coverage 100% does not decide/);
  });

  it("the request's base threshold replaces the configured one", () => {
    const r = evaluateGate(req(0.1, 72, { baseCoverageThreshold: 70 }), { baseCoverageThreshold: 80 });
    expect(r.baseCoverageThreshold).toBe(70);
    expect(r.requiredCoverage).toBe(70);
    expect(r.decision).toBe('promote');
  });

  it('uses a precomputed FISResult, and a calibration when it computes the FIS itself', () => {
    const module = { name: 'orders', failureProbability: 0.3, criticality: 'critical' as const };
    const pre = computeFis(module);
    expect(evaluateGate({ module, coverage: 90 }, { baseCoverageThreshold: 80, fis: pre }).fis).toBe(0.3);
    const samples = Array.from({ length: 40 }, (_, i) => ({ probability: 0.3, failed: i % 2 === 0 }));
    const cal = fitFisCalibration(samples);
    if ('reason' in cal) throw new Error(cal.reason);
    const r = evaluateGate({ module, coverage: 90 }, { baseCoverageThreshold: 80, calibration: cal });
    expect(r.fis).toBeGreaterThan(0.45); // outcomes say half fail at P 0.3
    expect(r.reasons[0]).toContain('calibrated P');
  });

  it('shows extras in the reasons without changing the decision', () => {
    const extras = { mutationScore: 12.5, dependencyHealth: { critical: 3, high: 1, moderate: 0, low: 0, info: 0, total: 4 } };
    for (const [fis, cov] of [[0.1, 80], [0.1, 79], [0.9, 100]] as const) {
      const plain = evaluateGate(req(fis, cov), { baseCoverageThreshold: 80 });
      const withExtras = evaluateGate(req(fis, cov, { extras }), { baseCoverageThreshold: 80 });
      expect(withExtras.decision).toBe(plain.decision);
      expect(withExtras.requiredCoverage).toBe(plain.requiredCoverage);
      expect(withExtras.extras).toEqual(extras);
      expect(withExtras.reasons.slice(0, plain.reasons.length)).toEqual(plain.reasons);
      expect(withExtras.reasons.slice(plain.reasons.length)).toEqual([
        'mutation score 12.5% (shown for review; does not change the decision)',
        'dependency health: 4 known vulnerabilities (3 critical, 1 high, 0 moderate, 0 low, 0 info) (shown for review; does not change the decision)',
      ]);
    }
  });
});

describe('gate: validation names the field', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['coverage above 100', () => evaluateGate(req(0.1, 100.5), { baseCoverageThreshold: 80 }), 'coverage'],
    ['negative coverage', () => evaluateGate(req(0.1, -1), { baseCoverageThreshold: 80 }), 'coverage'],
    ['NaN coverage', () => evaluateGate(req(0.1, Number.NaN), { baseCoverageThreshold: 80 }), 'coverage'],
    ['threshold above 100', () => evaluateGate(req(0.1, 90), { baseCoverageThreshold: 120 }), 'baseCoverageThreshold'],
    ['request threshold below 0', () => evaluateGate(req(0.1, 90, { baseCoverageThreshold: -5 }), { baseCoverageThreshold: 80 }), 'baseCoverageThreshold'],
    ['fis above 1', () => evaluateGate(req(1.5, 90), { baseCoverageThreshold: 80 }), 'fis'],
    ['fis negative', () => evaluateGate(req(-0.1, 90), { baseCoverageThreshold: 80 }), 'fis'],
    ['raise negative', () => evaluateGate(req(0.1, 90), { baseCoverageThreshold: 80, raise: -1 }), 'raise'],
    ['FISResult of another module', () => evaluateGate({ module: { name: 'a' }, coverage: 90 }, { baseCoverageThreshold: 80, fis: computeFis({ name: 'b' }) }), 'fis.module'],
    ['mutation score above 100', () => evaluateGate(req(0.1, 90, { extras: { mutationScore: 140 } }), { baseCoverageThreshold: 80 }), 'extras.mutationScore'],
    ['bad module probability', () => evaluateGate({ module: { name: 'a', failureProbabilities: [0.1, 2] }, coverage: 90 }, { baseCoverageThreshold: 80 }), 'failureProbabilities[1]'],
  ];
  it.each(cases)('%s → FL_ERR_INVALID_ARGUMENT naming %s', (_label, fn, field) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(isFaultlineError(caught, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    const e = caught as { message: string; context: { field?: string } };
    expect(e.context.field).toBe(field);
    expect(e.message.startsWith(`${field} `)).toBe(true);
  });
});

describe('gateExitCode', () => {
  const r = (decision: GateDecision): GateResult => evaluateGate(req(decision === 'blocked' ? 0.9 : 0.1, decision === 'promote' ? 90 : 10), { baseCoverageThreshold: 80 });
  it('is the worst decision: 0 all promoted, 1 any insufficient, 3 any blocked', () => {
    expect(gateExitCode([])).toBe(0);
    expect(gateExitCode([r('promote'), r('promote')])).toBe(0);
    expect(gateExitCode([r('promote'), r('insufficient-coverage')])).toBe(1);
    expect(gateExitCode([r('blocked'), r('insufficient-coverage'), r('promote')])).toBe(3);
    expect(gateExitCode([r('blocked')])).toBe(3);
  });
});
