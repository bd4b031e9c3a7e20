/**
 * The coverage raise after rollbacks: a module that was rolled back must show more coverage at its next gate.
 * Each rollback adds `stepPct` points (capped at `maxPct`); `decayAfter` successful promotions in a row take
 * one step off again (never below 0). Pure: it reads the module's releases, oldest first, from the registry.
 */
import { FaultlineError } from '../core/errors.js';
import type { ReleaseRecord } from '../core/promote.js';

export interface RaiseOptions {
  /** points added per rollback */
  stepPct: number;
  /** successful promotions in a row that take one step off */
  decayAfter: number;
  /** the most the raise can be, points; default 20 */
  maxPct?: number;
}

export interface CoverageRaise {
  /** points to add to the required coverage, 0 … maxPct */
  raise: number;
  /** rolled-back releases seen */
  rollbacks: number;
  /** 'stable' releases since the raise last changed (or since the last decay step) */
  successesSinceLastChange: number;
  /** one line per change of the raise, oldest first */
  reasons: string[];
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * The raise for one module from its releases, oldest first (they are put in `at` order again here).
 * 'rolled-back' adds a step and breaks a run of successes; 'stable' counts towards the decay; 'promoted'
 * (still being watched) and 'rejected' (never deployed) do not count.
 */
export function coverageRaise(releases: readonly ReleaseRecord[], o: RaiseOptions): CoverageRaise {
  const maxPct = o.maxPct ?? 20;
  if (!Number.isFinite(o.stepPct) || o.stepPct < 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `coverage raise: stepPct must be a number ≥ 0, got ${o.stepPct}`);
  if (!Number.isInteger(o.decayAfter) || o.decayAfter < 1) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `coverage raise: decayAfter must be an integer ≥ 1, got ${o.decayAfter}`);
  if (!Number.isFinite(maxPct) || maxPct < 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `coverage raise: maxPct must be a number ≥ 0, got ${maxPct}`);
  const modules = [...new Set(releases.map((r) => r.module))];
  if (modules.length > 1) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `coverage raise: give the releases of one module, got ${modules.join(', ')}`);
  const ordered = releases.map((r, i) => ({ r, i, t: Date.parse(r.at) })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.r);
  let raise = 0;
  let rollbacks = 0;
  let successes = 0;
  const reasons: string[] = [];
  for (const r of ordered) {
    if (r.status === 'rolled-back') {
      rollbacks++;
      successes = 0;
      const next = round(Math.min(maxPct, raise + o.stepPct));
      const why = r.rollback?.reason ? ` (${r.rollback.reason})` : '';
      reasons.push(next > raise ? `${r.version} rolled back at ${r.rollback?.at ?? r.at}${why}: raise +${round(next - raise)} → ${next} points` : `${r.version} rolled back at ${r.rollback?.at ?? r.at}${why}: raise stays at the cap of ${maxPct} points`);
      raise = next;
    } else if (r.status === 'stable') {
      successes++;
      if (successes >= o.decayAfter) {
        successes = 0;
        if (raise > 0) {
          const next = round(Math.max(0, raise - o.stepPct));
          reasons.push(`${o.decayAfter} successful promotion${o.decayAfter === 1 ? '' : 's'} in a row up to ${r.version}: raise −${round(raise - next)} → ${next} points`);
          raise = next;
        }
      }
    }
  }
  return { raise, rollbacks, successesSinceLastChange: successes, reasons };
}
