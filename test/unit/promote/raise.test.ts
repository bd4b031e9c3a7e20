import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import type { ReleaseRecord, ReleaseStatus } from '../../../src/core/promote.js';
import { coverageRaise } from '../../../src/promote/raise.js';

/** One release per letter, a minute apart: R rolled back, S stable, P promoted (being watched), X rejected. */
function history(s: string, module = 'api'): ReleaseRecord[] {
  const status: Record<string, ReleaseStatus> = { R: 'rolled-back', S: 'stable', P: 'promoted', X: 'rejected' };
  return [...s].map((c, i) => {
    const at = new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();
    const st = status[c];
    if (st === undefined) throw new Error(`bad letter ${c}`);
    return {
      id: `r${i}`,
      module,
      version: `1.${i}.0`,
      decision: 'promote',
      fis: 0.2,
      coverage: 90,
      requiredCoverage: 80,
      status: st,
      at,
      ...(st === 'rolled-back' ? { rollback: { at, reason: 'error rate 0.5 > 0.01 for 2 samples', adapter: 'symlink' } } : {}),
    };
  });
}

describe('coverageRaise', () => {
  it.each([
    // history, stepPct, decayAfter, maxPct, raise, rollbacks, successes since the last change
    ['', 5, 3, undefined, 0, 0, 0],
    ['S', 5, 3, undefined, 0, 0, 1],
    ['R', 5, 3, undefined, 5, 1, 0],
    ['RR', 5, 3, undefined, 10, 2, 0],
    ['RRRRR', 5, 3, undefined, 20, 5, 0], // capped at the default 20
    ['RRR', 5, 3, 12, 12, 3, 0], // capped at maxPct, even mid-step
    ['RS', 5, 3, undefined, 5, 1, 1],
    ['RSS', 5, 3, undefined, 5, 1, 2],
    ['RSSS', 5, 3, undefined, 0, 1, 0], // three in a row take a step off, the count restarts
    ['RRSSS', 5, 3, undefined, 5, 2, 0],
    ['RRSSSSSS', 5, 3, undefined, 0, 2, 0],
    ['RRSSSSSSS', 5, 3, undefined, 0, 2, 1], // not below 0
    ['RSSRSS', 5, 3, undefined, 10, 2, 2], // a rollback breaks the run
    ['RSPSXS', 5, 3, undefined, 0, 1, 0], // promoted and rejected do not count, nor break the run
    ['RS', 5, 1, undefined, 0, 1, 0], // decayAfter 1: every success takes a step off
    ['SSSR', 5, 3, undefined, 5, 1, 0], // successes before any rollback do not bank a discount
    ['RSSS', 2.5, 3, undefined, 0, 1, 0],
    ['RRR', 7, 2, undefined, 20, 3, 0],
    ['RRRSS', 7, 2, undefined, 13, 3, 0], // 20 (capped) − 7
  ])('%s with step %s, decayAfter %s, max %s → raise %s', (h, stepPct, decayAfter, maxPct, raise, rollbacks, successes) => {
    const r = coverageRaise(history(h), { stepPct, decayAfter, ...(maxPct !== undefined ? { maxPct } : {}) });
    expect(r).toMatchObject({ raise, rollbacks, successesSinceLastChange: successes });
  });

  it('orders by time, not by the order given', () => {
    const h = history('RSSS');
    const shuffled = [h[3], h[0], h[2], h[1]] as ReleaseRecord[];
    expect(coverageRaise(shuffled, { stepPct: 5, decayAfter: 3 }).raise).toBe(0);
    // the same releases with the rollback last: one step
    const later = h.map((r, i) => (i === 0 ? { ...r, at: '2025-02-01T00:00:00.000Z' } : r));
    expect(coverageRaise(later, { stepPct: 5, decayAfter: 3 }).raise).toBe(5);
  });

  it('says why, one line per change', () => {
    const r = coverageRaise(history('RRSSS'), { stepPct: 5, decayAfter: 3, maxPct: 8 });
    expect(r.raise).toBe(3);
    expect(r.reasons).toHaveLength(3);
    expect(r.reasons[0]).toMatch(/^1\.0\.0 rolled back at .*\(error rate 0\.5 > 0\.01 for 2 samples\): raise \+5 → 5 points$/);
    expect(r.reasons[1]).toMatch(/raise \+3 → 8 points$/);
    expect(r.reasons[2]).toMatch(/^3 successful promotions in a row up to 1\.4\.0: raise −5 → 3 points$/);
  });

  it('rejects bad options and releases of several modules with FL_ERR_INVALID_ARGUMENT', () => {
    const bad = [
      () => coverageRaise([], { stepPct: -1, decayAfter: 3 }),
      () => coverageRaise([], { stepPct: 5, decayAfter: 0 }),
      () => coverageRaise([], { stepPct: 5, decayAfter: 1.5 }),
      () => coverageRaise([], { stepPct: 5, decayAfter: 3, maxPct: Number.NaN }),
      () => coverageRaise([...history('R'), ...history('S', 'web')], { stepPct: 5, decayAfter: 3 }),
    ];
    for (const fn of bad) {
      let code: string | undefined;
      try {
        fn();
      } catch (e) {
        if (isFaultlineError(e)) code = e.code;
      }
      expect(code).toBe('FL_ERR_INVALID_ARGUMENT');
    }
  });
});
