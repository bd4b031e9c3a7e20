import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { CRITICALITIES, SEVERITIES, type ModuleData } from '../../../src/core/promote.js';
import { assessSeverity, severityRank, SEVERITY_WEIGHTS } from '../../../src/promote/severity.js';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`);
/** a module with `k` of the other 10 modules depending on it */
const withReach = (k: number, extra: Partial<ModuleData> = {}): ModuleData => ({ name: 'x', dependents: names(k), totalModules: 11, ...extra });

describe('severity', () => {
  it('weights are Critical 1.0, High 0.8, Medium 0.6, Low 0.4, Negligible 0.2', () => {
    expect(SEVERITIES.map((s) => SEVERITY_WEIGHTS[s])).toEqual([1, 0.8, 0.6, 0.4, 0.2]);
  });

  it.each([
    [0, 'Negligible'],
    [1, 'Low'], // reach 0.1
    [2, 'Low'],
    [3, 'Medium'], // 0.3
    [5, 'High'], // 0.5
    [7, 'High'],
    [8, 'Critical'], // 0.8
    [10, 'Critical'],
  ] as const)('dependency reach %i of 10 → %s', (k, sev) => {
    const r = assessSeverity(withReach(k));
    expect(r.severity).toBe(sev);
    expect(r.impact).toBe(k / 10);
    const reach = r.factors.find((f) => f.name === 'dependency-reach');
    expect(reach?.value).toBe(k / 10);
    expect(reach?.contribution).toBe(1);
  });

  it('a configured criticality is a floor: inference raises it, never lowers it', () => {
    for (const c of CRITICALITIES) {
      const floor = SEVERITIES[CRITICALITIES.indexOf(c)]!;
      for (let k = 0; k <= 10; k++) {
        const inferredAlone = assessSeverity(withReach(k)).severity;
        const r = assessSeverity(withReach(k, { criticality: c }));
        expect(severityRank(r.severity)).toBeLessThanOrEqual(severityRank(floor));
        expect(severityRank(r.severity)).toBeLessThanOrEqual(severityRank(inferredAlone));
        expect(r.severity).toBe(severityRank(floor) <= severityRank(inferredAlone) ? floor : inferredAlone);
      }
    }
    // critical with nobody depending on it stays Critical; low with 9 of 10 dependents is raised to Critical
    expect(assessSeverity(withReach(0, { criticality: 'critical' })).severity).toBe('Critical');
    const raised = assessSeverity(withReach(9, { criticality: 'low' }));
    expect(raised.severity).toBe('Critical');
    expect(raised.floor).toBe('Low');
    expect(raised.factors.find((f) => f.name === 'criticality')?.contribution).toBe(0);
    expect(raised.factors.find((f) => f.name === 'dependency-reach')?.contribution).toBe(1);
    // a configured level with no signal is used as it is, even when below the unknown default
    expect(assessSeverity({ name: 'x', criticality: 'negligible' }).severity).toBe('Negligible');
    expect(assessSeverity({ name: 'x', criticality: 'high' }).factors).toEqual([expect.objectContaining({ name: 'criticality', contribution: 1 })]);
  });

  it('more reach, traffic, routes or load never lowers severity (monotone)', () => {
    let prev = 4;
    for (let k = 0; k <= 10; k++) {
      const rank = severityRank(assessSeverity(withReach(k)).severity);
      expect(rank).toBeLessThanOrEqual(prev);
      prev = rank;
    }
    for (const field of ['trafficShare', 'routes', 'loadRps'] as const) {
      let last = 4;
      for (const v of field === 'trafficShare' ? [0, 0.05, 0.1, 0.3, 0.6, 0.9, 1] : [0, 1, 3, 10, 50, 200, 5000]) {
        const rank = severityRank(assessSeverity({ name: 'x', [field]: v }).severity);
        expect(rank).toBeLessThanOrEqual(last);
        last = rank;
      }
    }
  });

  it('routes and load count on a log scale; traffic share as it is; the widest exposure decides', () => {
    expect(assessSeverity({ name: 'x', routes: 1 }).severity).toBe('Low'); // 0.15
    expect(assessSeverity({ name: 'x', routes: 10 }).severity).toBe('High'); // 0.52
    expect(assessSeverity({ name: 'x', routes: 100 }).severity).toBe('Critical');
    expect(assessSeverity({ name: 'x', loadRps: 10 }).severity).toBe('Medium'); // 0.35
    expect(assessSeverity({ name: 'x', loadRps: 100 }).severity).toBe('High'); // 0.67
    expect(assessSeverity({ name: 'x', trafficShare: 0.3 }).severity).toBe('Medium');
    const r = assessSeverity(withReach(1, { trafficShare: 0.8, routes: 2 }));
    expect(r.severity).toBe('Critical');
    expect(r.factors.map((f) => [f.name, f.contribution])).toEqual([['dependency-reach', 0], ['traffic-share', 1], ['routes', 0]]);
  });

  it('with nothing known the severity is Medium, and a factor says why', () => {
    const r = assessSeverity({ name: 'x' });
    expect(r.severity).toBe('Medium');
    expect(r.impact).toBeUndefined();
    expect(r.factors[0]?.name).toBe('no-exposure-data');
    // a single module in the repository has no reach to speak of
    expect(assessSeverity({ name: 'x', dependents: [], totalModules: 1 }).severity).toBe('Medium');
  });

  it.each([
    [{ trafficShare: 1.5 }, 'trafficShare'],
    [{ trafficShare: Number.NaN }, 'trafficShare'],
    [{ routes: -1 }, 'routes'],
    [{ loadRps: Number.POSITIVE_INFINITY }, 'loadRps'],
    [{ totalModules: 0 }, 'totalModules'],
    [{ totalModules: 3, dependents: ['a', 'b', 'c'] }, 'dependents'],
    [{ criticality: 'urgent' }, 'criticality'],
  ] as Array<[Partial<ModuleData>, string]>)('rejects %o naming %s', (extra, field) => {
    let caught: unknown;
    try {
      assessSeverity({ name: 'x', ...extra });
    } catch (e) {
      caught = e;
    }
    expect(isFaultlineError(caught, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((caught as { context: { field: string } }).context.field).toBe(field);
  });
});
