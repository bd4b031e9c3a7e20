/**
 * Runs one experiment with Chaos Toolkit semantics: steady state before (not met: failed, method not run), the
 * method in order (pauses, background activities), steady state after (not met: deviated), rollbacks by strategy.
 * faultline adds: rollbacks also run on deviation by default when the run injected a fault; every fault the run
 * injected is reverted at the end whatever the strategy; one observer watches the whole run; halt conditions
 * abort within a second; an interruption reverts everything and still yields a journal.
 */
import { performance } from 'node:perf_hooks';
import { sleep } from '../core/clock.js';
import type { HaltCondition } from '../core/config-types.js';
import { FaultlineError } from '../core/errors.js';
import { describeTarget, type ActiveFault, type FaultLayer, type FaultRequest, type LedgerSink } from '../core/fault.js';
import type { Rng } from '../core/rng.js';
import type {
  AnomalyScorerFactory,
  ErrorEvidence,
  EvidenceSite,
  FaultDriver,
  FaultWindow,
  HypothesisCheck,
  LoadSpec,
  Observation,
  ObserveTarget,
  Observer,
  ResilienceFigures,
  RunFault,
  RunReport,
  RunStatus,
  StartObserver,
  SteadyStateBounds,
} from '../core/run.js';
import { VERSION } from '../core/version.js';
import { resolveActivity } from './format/loader.js';
import { resolveConfiguration, resolveSecrets, substitute, type Scope } from './format/substitute.js';
import type { Activity, ActivityOrRef, Experiment, ProviderSpec } from './format/types.js';
import { startAnomalyHalt, watchHalt } from './halt.js';
import { newJournal, type Journal, type JournalRun, type SteadyStateResult } from './journal.js';
import { findProviderOrThrow } from './providers/index.js';
import type { FaultlineHooks, ProviderContext } from './providers/types.js';
import { ActivityFailed, isObj } from './providers/types.js';
import { withinTolerance } from './tolerance.js';

export const ROLLBACK_STRATEGIES = ['default', 'always', 'never', 'deviated'] as const;
export type RollbackStrategy = (typeof ROLLBACK_STRATEGIES)[number];
export const HYPOTHESIS_STRATEGIES = ['default', 'before-method-only', 'after-method-only', 'during-method-only', 'continuously'] as const;
export type HypothesisStrategy = (typeof HYPOTHESIS_STRATEGIES)[number];

export interface RunOptions {
  rollbackStrategy?: RollbackStrategy;
  hypothesisStrategy?: HypothesisStrategy;
  /** how often the hypothesis runs during the method (during-method-only, continuously); default 1000 */
  hypothesisFrequencyMs?: number;
  /** stop the method at the first steady-state miss during the method */
  failFast?: boolean;
  /** override configuration values (Chaos Toolkit --var) */
  vars?: Record<string, unknown>;
  /** plan only: nothing is injected, no load, no provider runs */
  dryRun?: boolean;
  /** ttl of faultline inject activities without one (default 30 s) */
  defaultTtlMs?: number;
  /** folder relative process paths resolve against (the experiment's folder) */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** steady-state bounds for the resilience figures (derived from the baseline when absent) */
  bounds?: SteadyStateBounds;
  /** non-fatal notes from loading, copied to the journal */
  warnings?: string[];
  /** load before the steady-state hypothesis, establishing the baseline of the figures (default 2000 when there is load; 0 skips it) */
  baselineMs?: number;
  /** how long the observation goes on after the last revert, so the time to recover can be measured (default 3000; 0 stops at once) */
  recoveryWindowMs?: number;
}

export interface RunDeps {
  faults: FaultDriver;
  startObserver?: StartObserver;
  load?: LoadSpec;
  targets?: () => ObserveTarget[];
  figures?: (obs: Observation, windows: FaultWindow[], bounds?: SteadyStateBounds) => ResilienceFigures;
  haltConditions?: HaltCondition[];
  /** scorers for halt conditions with a `detector` (the observe stage's detectors, wired in src/loop/wiring.ts) */
  anomaly?: AnomalyScorerFactory;
  /** for 'health' halt conditions: is the service (every service when undefined) healthy now? */
  checkHealth?: (service?: string) => Promise<boolean>;
  ledger?: LedgerSink;
  rng: Rng;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** called once the run starts for real (not for a dry run), e.g. to put it on record as interrupted until it ends */
  onStart?: (run: { id: string; title: string; startedAt: string }) => void;
  /** finishes the report from the raw evidence (evidence sites mapped to source, recommendations); the CLI wires src/report */
  analyze?: (report: RunReport, evidence: ErrorEvidence[]) => RunReport;
}

export interface PlanStep {
  phase: 'steady-state-before' | 'method' | 'steady-state-during' | 'steady-state-after' | 'rollbacks';
  name: string;
  type: 'action' | 'probe';
  /** the provider after substitution */
  provider: ProviderSpec;
  does: string;
  tolerance?: unknown;
  pauses?: { before?: number; after?: number };
  background?: boolean;
  injects: boolean;
}

export interface RunResult {
  journal: Journal;
  report: RunReport;
  plan: PlanStep[];
}

/** Whether rollbacks play: Chaos Toolkit's rule, plus faultline's "on deviation when the run injected a fault". */
export function shouldRunRollbacks(strategy: RollbackStrategy, status: RunStatus, deviated: boolean, injected: boolean): { play: boolean; reason: string } {
  switch (strategy) {
    case 'always':
      return { play: true, reason: 'strategy always' };
    case 'never':
      return { play: false, reason: 'strategy never' };
    case 'deviated':
      return deviated ? { play: true, reason: 'strategy deviated: the run deviated' } : { play: false, reason: 'strategy deviated: the run did not deviate' };
    case 'default':
      if (deviated && injected) return { play: true, reason: 'default: the run deviated after faultline injected a fault' };
      if (status === 'failed' || status === 'interrupted') return { play: false, reason: `default: the run ${status === 'failed' ? (deviated ? 'deviated' : 'failed its steady state before the method') : 'was interrupted'}` };
      return { play: true, reason: `default: the run ${status}` };
  }
}

const hypothesisPhases = (s: HypothesisStrategy): { before: boolean; during: boolean; after: boolean } => ({
  before: s === 'default' || s === 'before-method-only' || s === 'continuously',
  during: s === 'during-method-only' || s === 'continuously',
  after: s === 'default' || s === 'after-method-only' || s === 'continuously',
});


const errorLines = (e: unknown): string[] => {
  const out: string[] = [];
  let cur: unknown = e;
  while (cur instanceof Error && out.length < 5) {
    out.push(`${cur instanceof FaultlineError ? cur.code : cur.name}: ${cur.message}`);
    cur = cur.cause;
  }
  return out.length > 0 ? out : [String(e)];
};

const METRIC_READERS: Record<string, (s: ReturnType<Observer['window']>) => number> = {
  errorRate: (s) => s.errorRate,
  p50LatencyMs: (s) => s.latencyMs.p50,
  p90LatencyMs: (s) => s.latencyMs.p90,
  p99LatencyMs: (s) => s.latencyMs.p99,
  throughputPerSec: (s) => s.throughputPerSec,
  requests: (s) => s.requests,
};

/** The plan of a run: every activity with its provider after substitution. */
export function planExperiment(exp: Experiment, scope: Scope, strategy: HypothesisStrategy = 'default'): PlanStep[] {
  const phases = hypothesisPhases(strategy);
  const step = (x: ActivityOrRef, phase: PlanStep['phase']): PlanStep => {
    const a = substitute(resolveActivity(x, exp), scope);
    const mod = findProviderOrThrow(a.provider.type);
    return {
      phase,
      name: a.name,
      type: a.type,
      provider: a.provider,
      does: mod.describe(a.provider),
      ...(a.tolerance !== undefined ? { tolerance: a.tolerance } : {}),
      ...(a.pauses ? { pauses: a.pauses } : {}),
      ...(a.background ? { background: true } : {}),
      injects: mod.injects(a.provider),
    };
  };
  const probes = exp['steady-state-hypothesis']?.probes ?? [];
  return [
    ...(phases.before ? probes.map((p) => step(p, 'steady-state-before')) : []),
    ...(phases.during ? probes.map((p) => step(p, 'steady-state-during')) : []),
    ...exp.method.map((a) => step(a, 'method')),
    ...(phases.after ? probes.map((p) => step(p, 'steady-state-after')) : []),
    ...(exp.rollbacks ?? []).map((a) => step(a, 'rollbacks')),
  ];
}

/** Groups agent evidence by its top application frame. */
function evidenceSites(items: { faultId: string; e: Awaited<ReturnType<FaultDriver['evidence']>>[number] }[]): EvidenceSite[] {
  const sites = new Map<string, EvidenceSite>();
  for (const { faultId, e } of items) {
    const frame = e.frames.find((f) => f.app) ?? e.frames[0];
    const location = frame ? `${frame.file}:${frame.line}` : (e.module ?? '(unknown)');
    const key = `${location}\u0000${e.message}`;
    const site = sites.get(key) ?? { location, ...(e.fn ?? frame?.fn ? { fn: (e.fn ?? frame?.fn) as string } : {}), message: e.message, count: 0, faultIds: [] };
    site.count += e.count ?? 1;
    if (!site.faultIds.includes(faultId)) site.faultIds.push(faultId);
    sites.set(key, site);
  }
  return [...sites.values()].sort((a, b) => b.count - a.count);
}

export async function runExperiment(exp: Experiment, options: RunOptions, deps: RunDeps): Promise<RunResult> {
  const rollbackStrategy = options.rollbackStrategy ?? 'default';
  const hypothesisStrategy = options.hypothesisStrategy ?? 'default';
  const frequencyMs = options.hypothesisFrequencyMs ?? 1000;
  const env = options.env ?? process.env;
  const say = deps.onProgress ?? (() => undefined);
  const ledger = deps.ledger;
  const started = new Date();
  const t0 = performance.now();
  const relMs = (): number => Math.round(performance.now() - t0);
  const runId = `run-${started.getTime().toString(36)}-${deps.rng.int(0, 36 ** 4 - 1).toString(36).padStart(4, '0')}`;
  const scope: Scope = { ...resolveSecrets(exp.secrets as Record<string, unknown> | undefined, env), ...resolveConfiguration(exp.configuration, options.vars ?? {}, env) };
  const title = String(substitute(exp.title, scope));
  const plan = planExperiment(exp, scope, hypothesisStrategy);
  const journal = newJournal(exp, started, {
    version: VERSION,
    runId,
    seed: deps.rng.seed,
    dry: options.dryRun === true,
    rollbackStrategy,
    hypothesisStrategy,
    rollbacksPlayed: false,
    rollbacksReason: '',
    faults: [],
    reverted: [],
    warnings: options.warnings ?? [],
  });
  const checks: HypothesisCheck[] = [];
  const finish = (report: Partial<RunReport> = {}): RunResult => {
    const ended = new Date();
    journal.end = ended.toISOString();
    journal.duration = (performance.now() - t0) / 1000;
    return {
      journal,
      plan,
      report: {
        id: runId,
        kind: 'experiment',
        title,
        status: journal.status,
        deviated: journal.deviated,
        ...(journal.faultline.halted ? { halted: journal.faultline.halted } : {}),
        startedAt: started.toISOString(),
        endedAt: ended.toISOString(),
        durationMs: Math.round(journal.duration * 1000),
        seed: deps.rng.seed,
        checks,
        faults: journal.faultline.faults,
        evidence: [],
        recommendations: [],
        artifacts: {},
        ...report,
      },
    };
  };

  if (options.dryRun) {
    say(`dry run of "${title}": ${plan.length} steps, nothing injected`);
    journal.faultline.rollbacksReason = 'dry run';
    return finish();
  }
  // until it finishes, the run is on record as interrupted: a runner that dies leaves that mark behind
  deps.onStart?.({ id: runId, title, startedAt: started.toISOString() });

  // ---- stopping: a halt condition or an interruption aborts `stop`; activities and pauses watch it
  const stop = new AbortController();
  let stopReason: 'halt' | 'interrupt' | 'fail-fast' | undefined;
  const phases = hypothesisPhases(hypothesisStrategy);
  let phase: 'before' | 'method' | 'during' | 'after' | 'rollbacks' = 'before';

  // ---- observation
  const observer: Observer | undefined = deps.startObserver?.({ ...(deps.load ? { load: deps.load } : {}), ...(deps.targets ? { targets: deps.targets } : {}) });
  const mark = (kind: Parameters<Observer['mark']>[0]['kind'], label: string, faultId?: string): void => observer?.mark({ kind, label, ...(faultId ? { faultId } : {}) });
  mark('phase', `start ${title}`);

  // ---- faults of this run
  const active = new Map<string, { fault: ActiveFault; run: RunFault; window: FaultWindow }>();
  const windows: FaultWindow[] = [];
  const byActivity = new Map<string, string>();
  const ended = (id: string, endedBy: NonNullable<RunFault['endedBy']>): void => {
    const entry = active.get(id);
    if (!entry) return;
    active.delete(id);
    const now = Date.now();
    const expired = entry.fault.expiresAt <= now;
    entry.run.endMs = expired ? Math.max(entry.run.startMs, relMs() - (now - entry.fault.expiresAt)) : relMs();
    entry.run.endedBy = expired ? 'ttl' : endedBy;
    // a traffic fault's own count of the requests it replaced and how they were answered
    const traffic = deps.faults.trafficSummary?.(id);
    if (traffic) entry.run.traffic = traffic;
    if (observer) entry.window.endMs = expired ? Math.max(entry.window.startMs, observer.now() - (now - entry.fault.expiresAt)) : observer.now();
    mark(expired ? 'expire' : 'revert', `${expired ? 'expired' : `reverted (${endedBy})`} ${entry.window.label}`, id);
  };
  const endedByNow = (): NonNullable<RunFault['endedBy']> => (stopReason === 'halt' ? 'halt' : stopReason === 'interrupt' ? 'interrupt' : phase === 'rollbacks' ? 'rollback' : 'run');
  let revertingAll: Promise<string[]> | undefined;
  const revertEverything = async (endedBy: NonNullable<RunFault['endedBy']>): Promise<string[]> => {
    const ids = await deps.faults.revertAll();
    for (const id of [...active.keys()]) ended(id, endedBy);
    return ids;
  };
  const hooks: FaultlineHooks = {
    async inject(activityName: string, req: FaultRequest) {
      if (stop.signal.aborted) throw new ActivityFailed('the run is stopping; no new fault is injected');
      const fault = await deps.faults.inject(req);
      const run: RunFault = { id: fault.id, kind: fault.kind, layer: fault.layer, target: describeTarget(fault.target), params: fault.params, startMs: relMs() };
      const window: FaultWindow = { faultId: fault.id, label: `${fault.layer}/${fault.kind} ${run.target}`, startMs: observer?.now() ?? 0 };
      journal.faultline.faults.push(run);
      windows.push(window);
      active.set(fault.id, { fault, run, window });
      byActivity.set(activityName, fault.id);
      mark('inject', `inject ${window.label}`, fault.id);
      say(`  injected ${window.label} (id ${fault.id}, ttl ${Math.round(fault.ttlMs / 1000)} s)`);
      // a halt or interruption that arrived while the fault was being applied: take it back at once
      if (stop.signal.aborted) await revertEverything(endedByNow());
      return fault;
    },
    async revert(name?: string) {
      const ids = name === undefined ? [...active.keys()] : [byActivity.get(name)].filter((x): x is string => x !== undefined);
      if (name !== undefined && ids.length === 0) throw new ActivityFailed(`no fault was injected by an activity named "${name}" in this run`);
      for (const id of ids) {
        if (!active.has(id)) continue;
        await deps.faults.revert(id);
        ended(id, endedByNow());
        say(`  reverted ${id}`);
      }
      return ids;
    },
    metric(metric: string, windowMs: number) {
      if (!observer) throw new ActivityFailed('the faultline metric probe reads the load generator: set load in faultline.yaml or configuration.faultline_load_url, and do not pass --no-load');
      const read = METRIC_READERS[metric];
      if (!read) throw new ActivityFailed(`unknown metric "${metric}"; use one of ${Object.keys(METRIC_READERS).join(', ')}`);
      return read(observer.window(windowMs));
    },
  };

  const record = (action: 'abort', detail: string): void => {
    const ids = journal.faultline.faults.map((f) => f.id);
    ledger?.record({ action, faultId: ids.join(',') || '-', kind: 'experiment', layer: (journal.faultline.faults[0]?.layer as FaultLayer | undefined) ?? 'supervisor', target: title, params: { runId }, actor: 'experiment', outcome: 'ok', detail });
  };
  const halt = (reason: string): void => {
    if (stopReason) return;
    stopReason = 'halt';
    journal.faultline.halted = reason;
    say(`HALT: ${reason}: reverting every fault now`);
    mark('halt', reason);
    stop.abort();
    revertingAll = revertEverything('halt');
    void revertingAll.then(
      (ids) => record('abort', `halt condition: ${reason}; reverted ${ids.join(', ') || 'nothing'}`),
      (e: unknown) => record('abort', `halt condition: ${reason}; revert failed: ${(e as Error).message}`),
    );
  };
  const interrupt = (): void => {
    if (stopReason === 'interrupt' || stopReason === 'halt') return;
    stopReason = 'interrupt';
    say('interrupted: reverting every fault now');
    mark('halt', 'interrupted');
    stop.abort();
    revertingAll = revertEverything('interrupt');
    void revertingAll.then(
      (ids) => record('abort', `interrupted (SIGINT/SIGTERM); reverted ${ids.join(', ') || 'nothing'}`),
      (e: unknown) => record('abort', `interrupted; revert failed: ${(e as Error).message}`),
    );
  };
  if (deps.signal?.aborted) interrupt();
  deps.signal?.addEventListener('abort', interrupt, { once: true });
  const anomalyHalt = observer && deps.anomaly && deps.haltConditions ? startAnomalyHalt(deps.haltConditions, observer, deps.anomaly) : undefined;
  const watcher =
    deps.haltConditions && deps.haltConditions.length > 0
      ? watchHalt({ conditions: deps.haltConditions, ...(observer ? { observer } : {}), ...(deps.checkHealth ? { checkHealth: deps.checkHealth } : {}), ...(anomalyHalt ? { anomaly: anomalyHalt } : {}), onTrip: halt })
      : undefined;

  // ---- activities
  const cwd = options.cwd ?? process.cwd();
  const providerContext = (a: Activity, signal: AbortSignal): ProviderContext => ({ activityName: a.name, activityType: a.type, signal, cwd, defaultTtlMs: options.defaultTtlMs ?? 30_000, faultline: hooks });
  const iso = (ms: number): string => new Date(started.getTime() + ms).toISOString();
  const runActivity = async (x: ActivityOrRef, signal: AbortSignal): Promise<JournalRun> => {
    const a = substitute(resolveActivity(x, exp), scope);
    await sleep((a.pauses?.before ?? 0) * 1000, signal);
    const mod = findProviderOrThrow(a.provider.type);
    const s = performance.now() - t0;
    mark(a.type === 'probe' ? 'probe' : 'action', `start ${a.name}`);
    let output: unknown = null;
    let exception: string[] | undefined;
    try {
      if (signal.aborted) throw new ActivityFailed('not run: the run was halted or interrupted');
      output = await mod.run(a.provider, providerContext(a, signal));
    } catch (e) {
      exception = errorLines(e);
    }
    const e = performance.now() - t0;
    mark(a.type === 'probe' ? 'probe' : 'action', `end ${a.name}${exception ? ' (failed)' : ''}`);
    const run: JournalRun = { activity: a, output, status: exception ? 'failed' : 'succeeded', start: iso(s), end: iso(e), duration: (e - s) / 1000, ...(exception ? { exception } : {}) };
    say(`  ${run.status === 'succeeded' ? '✓' : '✗'} ${a.type} ${a.name}${exception ? `: ${exception[0]}` : ''}`);
    await sleep((a.pauses?.after ?? 0) * 1000, signal);
    return run;
  };

  const checkTolerance = async (run: JournalRun, signal: AbortSignal): Promise<{ met: boolean; checked: unknown }> => {
    const tol = run.activity.tolerance;
    if (isObj(tol) && tol.type === 'probe') {
      const provider = { ...(tol.provider as ProviderSpec) };
      provider.arguments = { ...(isObj(provider.arguments) ? provider.arguments : {}), value: run.output };
      const probe: Activity = { type: 'probe', name: typeof tol.name === 'string' ? tol.name : `${run.activity.name} tolerance`, provider };
      const r = await runActivity(probe, signal);
      return { met: r.status === 'succeeded' && Boolean(r.output), checked: r.output };
    }
    return withinTolerance(tol, run.output);
  };

  const hypothesis = async (when: 'before' | 'during' | 'after', signal: AbortSignal): Promise<SteadyStateResult | null> => {
    const ssh = exp['steady-state-hypothesis'];
    const probes = ssh?.probes ?? [];
    if (!ssh || probes.length === 0) return null;
    say(`steady state ${when}: ${String(substitute(ssh.title, scope))}`);
    const state: SteadyStateResult = { steady_state_met: null, probes: [] };
    for (const p of probes) {
      const run = await runActivity(p, signal);
      state.probes.push(run);
      const atMs = Math.round(Date.parse(run.start) - started.getTime());
      const durationMs = Math.round(run.duration * 1000);
      if (run.status === 'failed') {
        run.tolerance_met = false;
        state.steady_state_met = false;
        const error = run.exception?.[0] ?? 'failed';
        checks.push({ phase: when, probe: run.activity.name, met: false, tolerance: run.activity.tolerance, error, atMs, durationMs });
        journal.faultline.violated ??= { phase: when, probe: run.activity.name, error };
        return state;
      }
      const { met, checked } = await checkTolerance(run, signal);
      run.tolerance_met = met;
      run.checked = checked;
      checks.push({ phase: when, probe: run.activity.name, met, tolerance: run.activity.tolerance, value: checked, atMs, durationMs });
      if (!met) {
        state.steady_state_met = false;
        journal.faultline.violated ??= { phase: when, probe: run.activity.name, value: checked };
        say(`  probe "${run.activity.name}" not within tolerance: value ${JSON.stringify(checked)}`);
        return state;
      }
    }
    state.steady_state_met = true;
    return state;
  };

  let observation: Observation | undefined;
  try {
    // a baseline under load, before anything else: the steady state the figures compare with
    const baselineMs = options.baselineMs ?? 2000;
    if (observer && deps.load && baselineMs > 0) {
      say(`baseline: ${baselineMs} ms of ${deps.load.ratePerSec} req/s to ${deps.load.url}`);
      mark('phase', 'baseline');
      await sleep(baselineMs, stop.signal);
    }
    // steady state before: not met → failed, the method does not run
    let gate = true;
    if (phases.before) {
      mark('phase', 'steady state before');
      journal.steady_states.before = await hypothesis('before', stop.signal);
      if (journal.steady_states.before && !journal.steady_states.before.steady_state_met) {
        gate = false;
        if (!stopReason) journal.status = 'failed';
        say('steady state before the method is NOT met: the method does not run');
      }
    }
    if (gate && !stop.signal.aborted) {
      phase = 'method';
      mark('phase', 'method');
      const methodDone = new AbortController();
      const duringLoop = phases.during
        ? (async () => {
            while (!methodDone.signal.aborted && !stop.signal.aborted) {
              const state = await hypothesis('during', stop.signal);
              if (state) {
                journal.steady_states.during.push(state);
                if (!state.steady_state_met && !stop.signal.aborted) {
                  journal.deviated = true;
                  journal.status = 'failed';
                  if (options.failFast && !stopReason) {
                    stopReason = 'fail-fast';
                    say('fail fast: the steady state deviated during the method; stopping the method');
                    stop.abort();
                  }
                }
              }
              await sleep(frequencyMs, AbortSignal.any([methodDone.signal, stop.signal]));
            }
          })()
        : Promise.resolve();
      const background: Promise<JournalRun>[] = [];
      for (const a of exp.method) {
        if (stop.signal.aborted) break;
        const resolved = resolveActivity(a, exp);
        if (resolved.background) background.push(runActivity(a, stop.signal));
        else journal.run.push(await runActivity(a, stop.signal));
      }
      journal.run.push(...(await Promise.all(background)));
      methodDone.abort();
      await duringLoop;
      if (stopReason !== 'fail-fast' && !stop.signal.aborted && phases.after) {
        phase = 'after';
        mark('phase', 'steady state after');
        journal.steady_states.after = await hypothesis('after', stop.signal);
        if (journal.steady_states.after && !journal.steady_states.after.steady_state_met) {
          journal.deviated = true;
          journal.status = 'failed';
        }
      }
    }
  } finally {
    watcher?.stop();
    anomalyHalt?.stop();
    if (stopReason === 'halt') journal.status = 'aborted';
    if (stopReason === 'interrupt') journal.status = 'interrupted';
    // rollbacks: CTK's strategy, plus "on deviation when faultline injected anything"
    phase = 'rollbacks';
    const decision = shouldRunRollbacks(rollbackStrategy, journal.status, journal.deviated, journal.faultline.faults.length > 0);
    journal.faultline.rollbacksPlayed = decision.play;
    journal.faultline.rollbacksReason = decision.reason;
    if (revertingAll) await revertingAll.catch(() => undefined);
    if (decision.play && (exp.rollbacks ?? []).length > 0) {
      say(`rollbacks (${decision.reason})`);
      mark('phase', 'rollbacks');
      const rollbackSignal = new AbortController().signal;
      for (const a of exp.rollbacks ?? []) journal.rollbacks.push(await runActivity(a, rollbackSignal));
    }
    // whatever the strategy: every fault the run injected is reverted (they also have TTLs)
    try {
      journal.faultline.reverted = await revertEverything(stopReason === 'halt' ? 'halt' : stopReason === 'interrupt' ? 'interrupt' : 'run');
    } catch (e) {
      journal.faultline.warnings.push(`revert-all failed: ${(e as Error).message}; the faults end at their TTL`);
    }
    const recoveryMs = options.recoveryWindowMs ?? 3000;
    if (observer && recoveryMs > 0 && journal.faultline.faults.length > 0 && stopReason !== 'interrupt' && !deps.signal?.aborted) {
      say(`observing recovery for ${recoveryMs} ms`);
      mark('phase', 'recovery window');
      await sleep(recoveryMs, deps.signal);
    }
    deps.signal?.removeEventListener('abort', interrupt);
    mark('phase', `end ${title}`);
    observation = observer ? await observer.stop() : undefined;
  }
  say(`${journal.status}${journal.deviated ? ', deviated' : ''}`);

  const evidence: { faultId: string; e: Awaited<ReturnType<FaultDriver['evidence']>>[number] }[] = [];
  for (const f of journal.faultline.faults) {
    // agent faults: the errors the target recorded; proxy faults: the calls to the faulted link, by call site;
    // traffic faults: the errors the malformed requests caused (src/loop/request-errors.ts)
    if (f.layer !== 'agent' && f.layer !== 'proxy' && f.layer !== 'traffic') continue;
    for (const e of await deps.faults.evidence(f.id).catch(() => [])) evidence.push({ faultId: f.id, e });
  }
  const figures = observation && deps.figures ? deps.figures(observation, windows, options.bounds) : undefined;
  const result = finish({ ...(observation ? { observation } : {}), ...(figures ? { figures } : {}), evidence: evidenceSites(evidence) });
  if (deps.analyze) result.report = deps.analyze(result.report, evidence.map(({ faultId, e }) => ({ ...e, faultId })));
  return result;
}
