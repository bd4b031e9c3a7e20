import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../../../src/core/rng.js';
import { loadCatalogue } from '../../../../src/experiment/cards/load.js';
import type { FailureCard } from '../../../../src/experiment/cards/types.js';
import { loadGameDay, nextCronTime, parseSchedule, startTime } from '../../../../src/experiment/chaos/gameday.js';
import { chaosSchedule, eligibleCards, jitter, pickWeighted } from '../../../../src/experiment/chaos/select.js';
import { planChaos, runChaos, runGameDay } from '../../../../src/experiment/chaos/session.js';
import { listRuns } from '../../../../src/store/runs.js';
import { world } from '../cards/fakes.js';

const LOAD = { url: 'http://127.0.0.1:1/', method: 'GET', ratePerSec: 30, timeoutMs: 1000 };
const FAST = { baselineMs: 30, durationMs: 60, pollMs: 20, bucketMs: 20, sustainMs: 40 };
const catalogue = loadCatalogue();
const BIND = { proxy: 'pricing', service: 'api', dependency: 'pricing', fn: 'fetchPrice', dataDir: '/tmp' };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fl-chaos-'));
  dirs.push(d);
  return d;
};
/** the cards, with every recovery SLO cut short so drills take ~0.2 s */
const quick = (cards: FailureCard[]): FailureCard[] => cards.map((c) => ({ ...c, slo: { detectMs: 200, recoverMs: 100 } }));

describe('selection', () => {
  it('frequencies follow the risk weights (chi-square, 20k draws)', () => {
    const items = [{ id: 'a', risk: 0.5 }, { id: 'b', risk: 1 }, { id: 'c', risk: 2 }, { id: 'd', risk: 3 }];
    const rng = createRng(7);
    const n = 20_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const p = pickWeighted(items, rng);
      counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
    }
    const total = 6.5;
    let chi2 = 0;
    for (const it of items) {
      const expected = (n * it.risk) / total;
      chi2 += ((counts.get(it.id) ?? 0) - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(16.27); // 3 degrees of freedom, p = 0.001
    expect(counts.get('d')! / counts.get('a')!).toBeGreaterThan(5);
  });

  it('the same seed replays the same sequence of incidents and waits; another seed does not', () => {
    const { eligible } = eligibleCards(catalogue, BIND);
    const take = (seed: number) => {
      const g = chaosSchedule(eligible, { intervalMs: 30_000, stress: true, maxConcurrentFaults: 3 }, createRng(seed));
      return Array.from({ length: 20 }, () => g.next().value);
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('intervals are jittered within ±20 %', () => {
    const rng = createRng(1);
    const xs = Array.from({ length: 2000 }, () => jitter(30_000, rng));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(24_000);
    expect(Math.max(...xs)).toBeLessThanOrEqual(36_000);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(10_000);
  });

  it('stress mode never draws more than 3 cards, nor more than maxConcurrentFaults', () => {
    const { eligible } = eligibleCards(catalogue, BIND);
    for (const max of [1, 2, 3, 10]) {
      const g = chaosSchedule(eligible, { intervalMs: 1000, stress: true, maxConcurrentFaults: max }, createRng(max));
      const widths = Array.from({ length: 300 }, () => g.next().value!.cards.length);
      expect(Math.max(...widths)).toBe(Math.min(3, max));
      expect(Math.min(...widths)).toBe(1);
      for (const s of Array.from({ length: 50 }, () => g.next().value!)) expect(new Set(s.cards).size).toBe(s.cards.length);
    }
  });

  it('skips needs-mechanism cards and cards with missing bindings, saying why', () => {
    const { eligible, skipped } = eligibleCards(catalogue, { proxy: 'pricing' });
    expect(eligible.every((c) => c.status !== 'needs-mechanism')).toBe(true);
    expect(skipped.find((s) => s.id === 'secret-in-logs')?.reason).toMatch(/^needs-mechanism: /);
    expect(skipped.find((s) => s.id === 'process-crash')?.reason).toMatch(/missing binding \{service\}/);
    expect(eligible.map((c) => c.id)).toContain('network-latency');
  });
});

describe('sessions', () => {
  it('dry run: the plan with its seed, eligible and skipped cards, injects nothing', () => {
    const plan = planChaos({ cards: catalogue, bindings: { proxy: 'p' }, incidents: 5, maxConcurrentFaults: 3, seed: 9 });
    expect(plan.seed).toBe(9);
    expect(plan.steps).toHaveLength(5);
    expect(plan.steps[0]?.estimatedStartMs).toBe(0);
    expect(plan.steps.every((s) => s.cards.every((id) => plan.eligible.includes(id)))).toBe(true);
    expect(plan).toEqual(planChaos({ cards: catalogue, bindings: { proxy: 'p' }, incidents: 5, maxConcurrentFaults: 3, seed: 9 }));
    const timed = planChaos({ cards: catalogue, bindings: { proxy: 'p' }, durationMs: 120_000, intervalMs: 10_000, maxConcurrentFaults: 3, seed: 9 });
    expect(timed.steps.every((s) => s.estimatedStartMs < 120_000)).toBe(true);
  });

  it('runs N incidents in the seeded order, records each drill and the session with MTTD/MTTR', async () => {
    const dir = tmp();
    const w = world();
    const cards = quick(catalogue);
    const o = { cards, bindings: BIND, incidents: 3, intervalMs: 50, maxConcurrentFaults: 3, seed: 5, drill: FAST };
    const r = await runChaos(o, { faults: w.driver, startObserver: w.startObserver, load: LOAD, stateDir: dir });
    const planned = planChaos(o).steps.map((s) => s.cards[0]);
    expect(r.incidents.map((i) => i.cardId)).toEqual(planned);
    expect(r.record).toMatchObject({ kind: 'chaos', status: expect.stringMatching(/completed|failed/) });
    expect(r.record.mttdMs).not.toBeNull();
    const runs = listRuns(dir);
    expect(runs.filter((x) => x.kind === 'card')).toHaveLength(3);
    expect(runs.filter((x) => x.kind === 'chaos')).toHaveLength(1);
    expect(w.active.size).toBe(0);
  });

  it('stress: concurrent drills never exceed maxConcurrentFaults, the load is shared', async () => {
    const w = world({ injectDelayMs: 5 });
    const rates: number[] = [];
    const startObserver: typeof w.startObserver = (opts) => (rates.push(opts.load?.ratePerSec ?? 0), w.startObserver(opts));
    const r = await runChaos({ cards: quick(catalogue), bindings: BIND, incidents: 6, intervalMs: 10, stress: true, maxConcurrentFaults: 2, seed: 11, drill: FAST }, { faults: w.driver, startObserver, load: LOAD });
    expect(w.maxActive).toBeLessThanOrEqual(2);
    expect(r.incidents.length).toBeGreaterThan(6);
    expect(rates).toContain(15);
  });

  it('an interrupted session leaves no fault active and is recorded as interrupted', async () => {
    const dir = tmp();
    const w = world();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 250);
    const r = await runChaos({ cards: quick(catalogue), bindings: BIND, intervalMs: 20, stress: true, maxConcurrentFaults: 3, seed: 3, drill: { ...FAST, durationMs: 5000 } }, { faults: w.driver, startObserver: w.startObserver, load: LOAD, stateDir: dir, signal: ac.signal });
    expect(w.active.size).toBe(0);
    expect(r.record.status).toBe('interrupted');
    expect(listRuns(dir).filter((x) => x.kind === 'card').every((x) => x.status === 'interrupted')).toBe(true);
  });

  it('--duration stops starting incidents after the duration', async () => {
    const w = world();
    const t = Date.now();
    await runChaos({ cards: quick(catalogue), bindings: BIND, durationMs: 400, intervalMs: 50, maxConcurrentFaults: 1, seed: 1, drill: FAST }, { faults: w.driver, startObserver: w.startObserver, load: LOAD });
    expect(Date.now() - t).toBeLessThan(1500);
    expect(w.injected.length).toBeGreaterThan(0);
  });
});

describe('game days', () => {
  const file = (text: string): string => {
    const p = join(tmp(), 'gd.yaml');
    writeFileSync(p, text);
    return p;
  };

  it('loads name, schedule, bind and steps sorted by offset', () => {
    const gd = loadGameDay(file('name: pricing outage\nschedule: now\nbind: { proxy: pricing }\nsteps:\n  - { card: process-crash, at: "+1s", bind: { service: api } }\n  - { card: network-latency, at: "+0s" }\n'), catalogue);
    expect(gd).toMatchObject({ name: 'pricing outage', schedule: { kind: 'now' }, bind: { proxy: 'pricing' } });
    expect(gd.steps.map((s) => [s.card, s.atMs])).toEqual([['network-latency', 0], ['process-crash', 1000]]);
  });

  it('problems name file:line:col and field', () => {
    expect.assertions(4);
    try {
      loadGameDay(file('name: x\nschedule: sometimes\nsteps:\n  - { card: nope, at: "+3 parsecs" }\n'), catalogue);
    } catch (e) {
      const msg = (e as Error).message;
      expect((e as { code: string }).code).toBe('FL_ERR_GAMEDAY_INVALID');
      expect(msg).toMatch(/gd\.yaml:2:11 schedule:/);
      expect(msg).toMatch(/gd\.yaml:4:\d+ steps\.0\.card: no card "nope"/);
      expect(msg).toMatch(/steps\.0\.at: "\+3 parsecs"/);
    }
  });

  it('schedules: now, an ISO time, a 5-field cron', () => {
    const now = new Date(2024, 0, 1, 9, 59, 30).getTime();
    expect(startTime(parseSchedule('now')!, now)).toBe(now);
    expect(startTime(parseSchedule('2030-01-01T00:00:00Z')!, now)).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(startTime(parseSchedule('2001-01-01T00:00:00Z')!, now)).toBe(now);
    expect(nextCronTime('0 10 * * *', now)).toBe(new Date(2024, 0, 1, 10, 0).getTime());
    expect(nextCronTime('*/15 * * * *', new Date(2024, 0, 1, 10, 1).getTime())).toBe(new Date(2024, 0, 1, 10, 15).getTime());
    expect(nextCronTime('30 9 * * 1', now)).toBe(new Date(2024, 0, 8, 9, 30).getTime()); // 2024-01-01 is a Monday; 9:30 passed
    expect(parseSchedule('cron: 0 10 * * 1-5')).toEqual({ kind: 'cron', expr: '0 10 * * 1-5' });
    expect(parseSchedule('61 * * * *')).toBeUndefined();
  });

  it('runs the steps at their offsets, skipping (with the reason) a step whose binding is missing', async () => {
    const dir = tmp();
    const w = world();
    const gd = loadGameDay(file('name: drill\nsteps:\n  - { card: network-latency, at: "+0s", bind: { proxy: pricing } }\n  - { card: process-crash, at: "+300ms" }\n  - { card: dependency-errors, at: "+150ms", bind: { proxy: pricing } }\n'), catalogue);
    const t = Date.now();
    const r = await runGameDay(gd, { cards: quick(catalogue), bindings: {}, maxConcurrentFaults: 3, drill: FAST }, { faults: w.driver, startObserver: w.startObserver, load: LOAD, stateDir: dir });
    expect(r.incidents.map((i) => i.cardId)).toEqual(['network-latency', 'dependency-errors']);
    expect(r.skipped).toEqual([{ id: 'process-crash', reason: expect.stringContaining('{service}') }]);
    expect(Date.now() - t).toBeGreaterThanOrEqual(300);
    expect(listRuns(dir, { kind: 'gameday' })[0]).toMatchObject({ title: 'game day: drill' });
    expect(w.active.size).toBe(0);
  });
});
