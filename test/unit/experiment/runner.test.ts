import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLedger, type ActiveFault, type FaultRequest } from '../../../src/core/fault.js';
import { createRng } from '../../../src/core/rng.js';
import type { FaultDriver, Observation, Observer, ObserveOptions, TimelineEvent, TrafficSummary } from '../../../src/core/run.js';
import type { Experiment } from '../../../src/experiment/format/types.js';
import { runExperiment, shouldRunRollbacks, type RollbackStrategy } from '../../../src/experiment/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** An in-memory FaultDriver: faults are entries in a map. */
function memoryDriver() {
  const active = new Map<string, ActiveFault>();
  const log: string[] = [];
  let seq = 0;
  const driver: FaultDriver & { active: typeof active; log: string[]; injected: number } = {
    active,
    log,
    injected: 0,
    async inject(req: FaultRequest) {
      const f: ActiveFault = { ...req, id: `m-${++seq}`, startedAt: Date.now(), expiresAt: Date.now() + req.ttlMs };
      active.set(f.id, f);
      driver.injected++;
      log.push(`inject ${f.id} at ${Date.now()}`);
      return f;
    },
    async revert(id) {
      active.delete(id);
      log.push(`revert ${id} at ${Date.now()}`);
    },
    async revertAll() {
      const ids = [...active.keys()];
      active.clear();
      log.push(`revertAll ${ids.join(',')} at ${Date.now()}`);
      return ids;
    },
    async evidence() {
      return [];
    },
  };
  return driver;
}

const traffic = (errorRate: number): TrafficSummary => ({ requests: 100, ok: Math.round(100 * (1 - errorRate)), errors: Math.round(100 * errorRate), errorRate, errorsByKind: {}, throughputPerSec: 50, latencyMs: { p50: 5, p90: 8, p99: 10, p999: 12, max: 15, mean: 6 } });

/** A scripted observer: window() answers `state.summary`. */
function scriptedObserver() {
  const state = { summary: traffic(0), started: 0, stopped: 0, events: [] as TimelineEvent[], options: undefined as ObserveOptions | undefined };
  const t0 = Date.now();
  const start = (o: ObserveOptions): Observer => {
    state.started++;
    state.options = o;
    return {
      now: () => Date.now() - t0,
      mark: (e) => void state.events.push({ atMs: Date.now() - t0, ...e }),
      window: () => state.summary,
      stop: async (): Promise<Observation> => {
        state.stopped++;
        return { startedAt: t0, durationMs: Date.now() - t0, bucketMs: 250, buckets: [], events: state.events, process: [], summary: state.summary };
      },
    };
  };
  return { state, start };
}

/** A steady-state probe that reads a flag file; the method can flip it to make the run deviate. */
function experiment(o: { deviate?: boolean; inject?: boolean; rollbacks?: boolean; pause?: number; failBefore?: boolean }): Experiment {
  const flag = join(dir, `flag-${++n}`);
  writeFileSync(flag, o.failBefore ? 'bad' : 'ok');
  return {
    title: 'flag stays ok',
    configuration: { flag },
    'steady-state-hypothesis': {
      title: 'flag ok',
      probes: [{ type: 'probe', name: 'flag-is-ok', tolerance: { type: 'regex', pattern: '^ok', target: 'stdout' }, provider: { type: 'process', path: 'cat', arguments: ['${flag}'] } }],
    },
    method: [
      ...(o.inject ? [{ type: 'action' as const, name: 'slow-db', provider: { type: 'faultline', func: 'inject', arguments: { layer: 'proxy', kind: 'latency', target: { proxy: 'db' }, params: { latency: 100 }, ttl: '30s' } } }] : []),
      ...(o.deviate ? [{ type: 'action' as const, name: 'break-flag', provider: { type: 'process', path: 'sh', arguments: ['-c', 'echo bad > "$0"', '${flag}'] } }] : []),
      { type: 'action' as const, name: 'wait', provider: { type: 'process', path: 'true' }, pauses: { after: o.pause ?? 0 } },
    ],
    ...(o.rollbacks !== false ? { rollbacks: [{ type: 'action' as const, name: 'restore-flag', provider: { type: 'process', path: 'sh', arguments: ['-c', 'echo ok > "$0"', '${flag}'] } }] } : {}),
  };
}

describe('rollback strategies', () => {
  const cases: [RollbackStrategy, boolean, boolean, boolean][] = [];
  for (const s of ['default', 'always', 'never', 'deviated'] as const)
    for (const deviated of [false, true])
      for (const injected of [false, true]) cases.push([s, deviated, injected, s === 'always' || (s === 'deviated' && deviated) || (s === 'default' && (!deviated || injected))]);

  it.each(cases)('%s, deviated=%s, injected=%s → rollbacks played: %s', async (strategy, deviated, injected, play) => {
    const driver = memoryDriver();
    const { journal } = await runExperiment(experiment({ deviate: deviated, inject: injected }), { rollbackStrategy: strategy }, { faults: driver, rng: createRng(1) });
    expect(journal.deviated).toBe(deviated);
    expect(journal.status).toBe(deviated ? 'failed' : 'completed');
    expect(journal.faultline.rollbacksPlayed).toBe(play);
    expect(journal.rollbacks.map((r) => r.activity.name)).toEqual(play ? ['restore-flag'] : []);
    // whatever the strategy, every fault the run injected is reverted at the end
    expect(driver.active.size).toBe(0);
    expect(journal.faultline.reverted).toEqual(injected ? ['m-1'] : []);
    expect(shouldRunRollbacks(strategy, journal.status, deviated, injected).play).toBe(play);
  });

  it('a failed steady state before the method: the method does not run, default rollbacks do not play (CTK)', async () => {
    const driver = memoryDriver();
    const { journal, report } = await runExperiment(experiment({ failBefore: true, inject: true }), {}, { faults: driver, rng: createRng(1) });
    expect(journal.status).toBe('failed');
    expect(journal.deviated).toBe(false);
    expect(journal.run).toEqual([]);
    expect(driver.injected).toBe(0);
    expect(journal.faultline.rollbacksPlayed).toBe(false);
    expect(journal.faultline.violated).toMatchObject({ phase: 'before', probe: 'flag-is-ok', value: 'bad' });
    expect(report.checks).toEqual([expect.objectContaining({ phase: 'before', probe: 'flag-is-ok', met: false })]);
  });
});

describe('the journal', () => {
  it("records a fault's own traffic summary (a traffic fault: what its replaced requests got) when the driver has one", async () => {
    const driver = memoryDriver();
    const summary = { request: 'POST /orders', expect: '4xx', sent: 26, asExpected: 0, byClass: { '5xx': 26 } };
    const withTraffic: FaultDriver = { ...driver, trafficSummary: (id) => (id === 'm-1' ? summary : undefined) };
    const { report } = await runExperiment(experiment({ inject: true }), {}, { faults: withTraffic, rng: createRng(3) });
    expect(report.faults.map((f) => [f.id, f.traffic])).toEqual([['m-1', summary]]);
  });

  it('keeps Chaos Toolkit fields, statuses, durations and outputs', async () => {
    const driver = memoryDriver();
    const { journal, report } = await runExperiment(experiment({ inject: true, pause: 0.2 }), { vars: {} }, { faults: driver, rng: createRng(7) });
    for (const k of ['chaoslib-version', 'platform', 'node', 'experiment', 'start', 'end', 'duration', 'status', 'deviated', 'steady_states', 'run', 'rollbacks']) expect(journal).toHaveProperty(k);
    expect(journal.status).toBe('completed');
    expect(journal.steady_states.before?.steady_state_met).toBe(true);
    expect(journal.steady_states.after?.probes[0]).toMatchObject({ status: 'succeeded', tolerance_met: true, output: { status: 0, stdout: 'ok', stderr: '' } });
    expect(journal.run.map((r) => [r.activity.name, r.status])).toEqual([
      ['slow-db', 'succeeded'],
      ['wait', 'succeeded'],
    ]);
    const inject = journal.run[0]!;
    expect(inject.output).toMatchObject({ id: 'm-1', layer: 'proxy', kind: 'latency', ttlMs: 30_000 });
    expect(Date.parse(inject.end)).toBeGreaterThanOrEqual(Date.parse(inject.start));
    // pauses are not part of an activity's duration (CTK); the pause after comes before the next step
    expect(Date.parse(journal.steady_states.after!.probes[0]!.start) - Date.parse(journal.run[1]!.end)).toBeGreaterThanOrEqual(190);
    expect(journal.duration).toBeGreaterThan(0.19);
    expect(journal.faultline.faults).toEqual([expect.objectContaining({ id: 'm-1', endedBy: 'run', target: 'proxy=db' })]);
    expect(report).toMatchObject({ kind: 'experiment', status: 'completed', deviated: false, seed: 7 });
    expect(JSON.parse(JSON.stringify(journal))).toEqual(journal);
  });

  it('a failing activity is recorded with its exception and the method goes on (CTK)', async () => {
    const exp = experiment({});
    exp.method.unshift({ type: 'action', name: 'no-such-program', provider: { type: 'process', path: '/nonexistent/bin' } });
    const { journal } = await runExperiment(exp, {}, { faults: memoryDriver(), rng: createRng(1) });
    expect(journal.run[0]).toMatchObject({ status: 'failed', exception: expect.arrayContaining([expect.stringMatching(/could not be started \(ENOENT\)/)]) });
    expect(journal.run[1]).toMatchObject({ status: 'succeeded' });
    expect(journal.status).toBe('completed');
  });
});

describe('dry run', () => {
  it('returns the substituted plan and never injects nor observes', async () => {
    const driver = memoryDriver();
    const obs = scriptedObserver();
    const { plan, journal } = await runExperiment(experiment({ inject: true }), { dryRun: true }, { faults: driver, startObserver: obs.start, rng: createRng(1) });
    expect(driver.injected).toBe(0);
    expect(obs.state.started).toBe(0);
    expect(journal.run).toEqual([]);
    expect(plan.map((s) => `${s.phase}:${s.name}:${s.injects}`)).toEqual(['steady-state-before:flag-is-ok:false', 'method:slow-db:true', 'method:wait:false', 'steady-state-after:flag-is-ok:false', 'rollbacks:restore-flag:false']);
    expect(plan[0]!.provider.arguments).toEqual([expect.stringContaining('flag-')]);
  });
});

describe('halt conditions and interruption', () => {
  it('a halt condition trips: every fault reverted within a second, the method stops, status aborted, ledger has the abort', async () => {
    const driver = memoryDriver();
    const obs = scriptedObserver();
    const ledger = memoryLedger();
    const exp = experiment({ inject: true, pause: 10 });
    // the fault makes the error rate jump (as a real one would, through the load generator)
    const realInject = driver.inject.bind(driver);
    let injectedAt = 0;
    driver.inject = async (req) => {
      const f = await realInject(req);
      injectedAt = Date.now();
      obs.state.summary = traffic(0.9);
      return f;
    };
    const t0 = Date.now();
    const { journal, report } = await runExperiment(exp, {}, { faults: driver, startObserver: obs.start, haltConditions: [{ metric: 'errorRate', above: 0.5 }], ledger, rng: createRng(1) });
    expect(journal.status).toBe('aborted');
    expect(report.halted).toMatch(/errorRate 0\.900 > 0\.5/);
    const revertAt = Number(/revertAll m-1 at (\d+)/.exec(driver.log.join('\n'))?.[1]);
    expect(revertAt - injectedAt).toBeLessThan(1000);
    expect(Date.now() - t0).toBeLessThan(5000); // the 10 s pause was cut short
    expect(journal.steady_states.after).toBeNull();
    expect(journal.faultline.faults[0]).toMatchObject({ endedBy: 'halt' });
    expect(ledger.events).toEqual([expect.objectContaining({ action: 'abort', faultId: 'm-1', detail: expect.stringMatching(/^halt condition: errorRate/) })]);
    expect(obs.state.events.some((e) => e.kind === 'halt')).toBe(true);
    expect(obs.state.stopped).toBe(1);
  });

  it('an interruption reverts at once, marks the run interrupted and still yields a journal', async () => {
    const driver = memoryDriver();
    const ac = new AbortController();
    const realInject = driver.inject.bind(driver);
    driver.inject = async (req) => {
      const f = await realInject(req);
      setTimeout(() => ac.abort(), 200);
      return f;
    };
    const ledger = memoryLedger();
    const t0 = Date.now();
    const { journal } = await runExperiment(experiment({ inject: true, pause: 10 }), {}, { faults: driver, rng: createRng(1), signal: ac.signal, ledger });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(journal.status).toBe('interrupted');
    expect(driver.active.size).toBe(0);
    expect(journal.faultline.faults[0]).toMatchObject({ endedBy: 'interrupt' });
    expect(journal.faultline.rollbacksPlayed).toBe(false);
    expect(ledger.events[0]).toMatchObject({ action: 'abort', detail: expect.stringMatching(/^interrupted/) });
  });
});

describe('hypothesis strategies', () => {
  it('continuously: the hypothesis runs during the method; --fail-fast stops the method at the first miss', async () => {
    const exp = experiment({ deviate: true, pause: 5 });
    const t0 = Date.now();
    const { journal } = await runExperiment(exp, { hypothesisStrategy: 'continuously', hypothesisFrequencyMs: 100, failFast: true }, { faults: memoryDriver(), rng: createRng(1) });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(journal.steady_states.during.length).toBeGreaterThan(0);
    expect(journal.steady_states.during.some((s) => s.steady_state_met === false)).toBe(true);
    expect(journal.deviated).toBe(true);
    expect(journal.status).toBe('failed');
  });

  it('after-method-only skips the check before; before-method-only never deviates', async () => {
    const a = await runExperiment(experiment({ deviate: true }), { hypothesisStrategy: 'after-method-only' }, { faults: memoryDriver(), rng: createRng(1) });
    expect(a.journal.steady_states.before).toBeNull();
    expect(a.journal.deviated).toBe(true);
    const b = await runExperiment(experiment({ deviate: true }), { hypothesisStrategy: 'before-method-only' }, { faults: memoryDriver(), rng: createRng(1) });
    expect(b.journal.steady_states.after).toBeNull();
    expect(b.journal.deviated).toBe(false);
  });
});
