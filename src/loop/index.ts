/**
 * `faultline loop`: the whole loop on one target, as far as the stages exist (inject, experiment, observe, report).
 * It starts the proxy links and the services of faultline.yaml and one observation (open-loop load and process
 * samples on one timeline), measures a baseline, then drills each failure card of `cards.loop` (or, without it,
 * each fault-profile entry): inject, hold under load, revert, watch the recovery. The resilience figures are
 * computed from the observed timeline; the report (JSON, HTML, JUnit) is written and every drill is recorded.
 * Every fault is reverted on the way out, on SIGINT/SIGTERM and when a halt condition trips.
 */
import { sleep } from '../core/clock.js';
import type { FaultlineConfig, FaultProfileEntry } from '../core/config-types.js';
import { newFaultId, type ActiveFault, type FaultRequest, type InjectionGuard, type LedgerSink } from '../core/fault.js';
import type { ErrorEvidence, FaultFigures, FaultWindow, HypothesisCheck, ResilienceFigures, RunFault, RunReport, SteadyStateBounds, TrafficSummary } from '../core/run.js';
import { bindCard, bindCompanions, type Bindings } from '../experiment/cards/bind.js';
import { defaultBindings } from '../experiment/cards/defaults.js';
import { findCardOrThrow, loadCatalogue } from '../experiment/cards/load.js';
import { companionOf } from '../experiment/cards/run.js';
import { type AnomalyHalt, startAnomalyHalt, watchHalt } from '../experiment/halt.js';
import { anomalyScorerFactory } from '../observe/anomaly/scorer.js';
import { InjectionEngine } from '../inject/engine.js';
import { readServiceRecords, Supervisor } from '../inject/process/index.js';
import { ProxyRegistry } from '../inject/proxy/index.js';
import { computeFigures, DEFAULT_BUCKET_MS, startObserver } from '../observe/index.js';
import type { RunMetrics } from '../report/index.js';
import { appendRun } from '../store/runs.js';
import { createRng } from '../core/rng.js';
import { analyzeRun, createFaultDriver, dependencyCalls, markStarted, runRecordOf, saveRun, trafficWiring, withMetrics } from './wiring.js';

export interface LoopOptions {
  config: FaultlineConfig;
  stateDir: string;
  ledger: LedgerSink;
  guard: InjectionGuard;
  /** how long each fault is held under load (default 3 s) */
  phaseMs?: number;
  /** how long the recovery after each revert is watched (default 2 s) */
  recoveryMs?: number;
  /** the baseline before the first fault (default: phaseMs) */
  baselineMs?: number;
  /** card ids to drill (default: cards.loop of faultline.yaml, else the fault profiles) */
  cards?: string[];
  /** where the report goes (default <reports.dir>/<run id>) */
  reportDir?: string;
  /** live Prometheus metrics */
  metrics?: RunMetrics;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** One fault of the loop, as measured. */
export interface LoopPhase {
  phase: string;
  cardId?: string;
  fault?: { id: string; layer: string; kind: string; target: string; params: Record<string, unknown> };
  /** traffic while the fault was active */
  during?: TrafficSummary;
  timeToDetectMs: number | null;
  timeToRecoverMs: number | null;
  recovered: boolean;
  /**
   * the steady state held during the fault: every slice of the timeline with traffic while it was active stayed
   * within the steady-state bounds (faultline.yaml `steadyState`, else derived from the baseline); absent without
   * traffic. The verdict `faultline refactor` re-runs a card for ("violated before the fix, held after").
   */
  held?: boolean;
  availabilityPct?: number;
  /** the card's SLO, and whether the drill met it */
  slo?: { detectMs: number; recoverMs: number; detected: boolean; recoveredInTime: boolean };
  /** agent faults: errors the target recorded, and the top code location */
  /** what the agent recorded while the fault was on: errors, or (an iolatency fault) the synchronous calls it held */
  evidence?: { count: number; top?: string; what?: 'blocking calls' };
  /** what the card's agent `profile` probe measured: the heap's growth after a full GC and the hottest code */
  profile?: PhaseProfile;
  halted?: string;
  error?: string;
}

export interface LoopResult {
  runId: string;
  target: string;
  stages: { name: string; ran: boolean; note?: string }[];
  seed?: number;
  baseline?: TrafficSummary;
  phases: LoopPhase[];
  figures?: ResilienceFigures;
  /** resolution of the timeline (and of TTD/TTR): a 0 means "within the first slice" */
  bucketMs?: number;
  report: Record<string, string>;
  ledgerEvents: number;
  aborted: boolean;
  halted?: string;
}

interface PhaseSpec {
  name: string;
  request: FaultRequest;
  /** companion faults (a card's `injection.with`): injected before `request`, reverted after it */
  with?: FaultRequest[];
  cardId?: string;
  slo?: { detectMs: number; recoverMs: number };
  /** how long this phase holds its fault (the loop's phase, or the card's longer injection.minHold) */
  holdMs?: number;
}

function describeEntry(entry: FaultProfileEntry): string {
  const p = Object.entries(entry.params)
    .filter(([k]) => k !== 'body' && k !== 'message')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const where = entry.target.proxy ? `link ${entry.target.proxy}` : entry.target.fn ? `${entry.target.fn}()` : '';
  return [entry.layer, entry.kind, p, where].filter(Boolean).join(' ');
}

/** The faults the loop drills: the cards asked for, else the fault profiles of faultline.yaml. */
export function loopPhases(config: FaultlineConfig, phaseMs: number, cardIds?: readonly string[]): PhaseSpec[] {
  const ids = cardIds ?? config.cards.loop;
  // the TTL is the safety net should the loop die: the phase and a margin, and for a process fault the time its
  // injection may take to restart the service (stop, then start until healthy), which the TTL must not cut short
  const ttl = (ms: number, layer?: string, service?: unknown, holdMs = phaseMs): number => {
    const svc = layer === 'process' && typeof service === 'string' ? config.services[service] : undefined;
    const restart = svc ? svc.stopTimeoutMs + (svc.health?.timeoutMs ?? 0) : 0;
    return Math.min(ms, holdMs + 2000 + restart);
  };
  if (ids && ids.length > 0) {
    const catalogue = loadCatalogue(config.cards.dirs);
    const bindings: Bindings = defaultBindings(config);
    return ids.map((id) => {
      const card = findCardOrThrow(catalogue, id);
      const req = bindCard(card, bindings, 'loop');
      const holdMs = Math.max(phaseMs, card.injection?.minHoldMs ?? 0);
      const ttlMs = ttl(req.ttlMs, req.layer, req.target.service, holdMs);
      const companions = bindCompanions(card, bindings, 'loop').map((c) => ({ ...c, ttlMs: Math.max(ttlMs, ttl(c.ttlMs, c.layer, c.target.service, holdMs)) }));
      return { name: `${card.id}: ${card.title}`, request: { ...req, ttlMs }, ...(companions.length > 0 ? { with: companions } : {}), cardId: card.id, slo: card.slo, ...(holdMs > phaseMs ? { holdMs } : {}) };
    });
  }
  const out: PhaseSpec[] = [];
  for (const [service, entries] of Object.entries(config.profiles)) {
    for (const entry of entries) {
      out.push({
        name: `${service}: ${describeEntry(entry)}`,
        request: {
          kind: entry.kind,
          layer: entry.layer,
          target: { service, ...entry.target },
          params: entry.layer === 'agent' ? { probability: entry.intensity, ...entry.params } : entry.layer === 'proxy' ? { toxicity: entry.intensity, ...entry.params } : entry.params,
          ttlMs: ttl(entry.durationMs, entry.layer, service),
          actor: 'loop',
        },
      });
    }
  }
  return out;
}


/**
 * How long after a fault ends a heap probe alongside it waits before its last full GC and measurement: the requests
 * in flight are done, and the keep-alive sockets a flood made the service open to its dependencies have gone idle
 * and closed (undici, behind fetch, keeps an idle socket 4 s). Transient memory is not growth.
 */
export const HEAP_SETTLE_MS = 5000;

/** What a card's profile probe saw, for the loop's line and JSON (the full sites are in the report's evidence). */
export interface PhaseProfile {
  /** retained JS heap growth across the probe, after a full GC at each end */
  heapGrowthBytes?: number;
  /** within steadyState.maxHeapGrowth (absent without that bound) */
  heapHeld?: boolean;
  /** the application function with the most self time on the event loop: "buildReport (report.js:4) 61 %" */
  cpuTop?: string;
  /** the application function whose allocations stayed live the most: "fetchPrice (pricing-client.js:16) 2.1 MiB" */
  heapTop?: string;
}

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

export function profileOf(ev: readonly ErrorEvidence[]): PhaseProfile | undefined {
  const at = (e: ErrorEvidence): string => {
    const f = e.frames.find((x) => x.app);
    return `${e.fn ?? f?.fn ?? '(anonymous)'}${f ? ` (${f.file.split('/').slice(-1)[0] ?? f.file}:${f.line})` : ''}`;
  };
  const cpu = ev.filter((e) => e.source === 'cpu-profile' && e.selfMs !== undefined).sort((a, b) => (b.selfMs ?? 0) - (a.selfMs ?? 0))[0];
  const heap = ev.filter((e) => e.source === 'heap-profile');
  const live = heap.filter((e) => e.liveBytes !== undefined).sort((a, b) => (b.liveBytes ?? 0) - (a.liveBytes ?? 0))[0];
  const growth = heap.find((e) => e.heapGrowthBytes !== undefined)?.heapGrowthBytes;
  if (!cpu && heap.length === 0) return undefined;
  return {
    ...(growth !== undefined ? { heapGrowthBytes: growth } : {}),
    ...(cpu ? { cpuTop: `${at(cpu)} ${cpu.profiledMs ? `${Math.round((100 * (cpu.selfMs ?? 0)) / cpu.profiledMs)} %` : `${Math.round(cpu.selfMs ?? 0)} ms`}` } : {}),
    ...(live ? { heapTop: `${at(live)} ${mib(live.liveBytes ?? 0)}` } : {}),
  };
}

const where = (e: ErrorEvidence): string | undefined => {
  const frame = e.frames.find((f) => f.app);
  if (e.fn) return `${e.fn}() in ${(e.module ?? frame?.file ?? '').split('/').slice(-2).join('/')}`;
  return frame ? `${frame.file.split('/').slice(-2).join('/')}:${frame.line}` : undefined;
};

/** Runs the loop; services and the proxy are started and stopped here. */
export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  const { config } = o;
  const phaseMs = o.phaseMs ?? 3000;
  const recoveryMs = o.recoveryMs ?? 2000;
  const baselineMs = o.baselineMs ?? phaseMs;
  const say = o.onProgress ?? (() => undefined);
  const specs = loopPhases(config, phaseMs, o.cards);
  let ledgerEvents = 0;
  const ledger: LedgerSink = { record: (e) => (ledgerEvents++, o.ledger.record(e)) };
  const proxies = new ProxyRegistry({ guard: o.guard, ledger, actor: 'loop', ...(config.defaults.seed !== undefined ? { seed: config.defaults.seed } : {}) });
  const services = new Supervisor({ services: config.services, stateDir: o.stateDir, ledger, actor: 'loop' });
  const traffic = trafficWiring(createRng(config.defaults.seed), ledger, o.stateDir);
  const engine = new InjectionEngine({ stateDir: o.stateDir, ledger, guard: o.guard, services, proxies, traffic: traffic.faults, actor: 'loop' });
  const plain = createFaultDriver(engine, undefined, dependencyCalls(config, o.stateDir), traffic);
  const { driver, startObserver: observe } = o.metrics ? withMetrics(o.metrics, plain, startObserver) : { driver: plain, startObserver };
  const runId = newFaultId('loop');
  const startedAt = new Date();
  markStarted(o.stateDir, { id: runId, kind: 'loop', title: `faultline loop on ${config.file ?? 'faultline.yaml'}`, startedAt: startedAt.toISOString() });
  const t0 = performance.now();
  const phases: LoopPhase[] = [];
  const windows: FaultWindow[] = [];
  /** the baseline ends where the first card phase starts (before its injection, which may take a restart) */
  let baselineEndMs: number | undefined;
  const faults: RunFault[] = [];
  const evidence: ErrorEvidence[] = [];
  let aborted = false;
  let halted: string | undefined;
  const interrupted = (): boolean => o.signal?.aborted === true;
  const load = config.load;
  let observer: ReturnType<typeof observe> | undefined;
  let anomalyHalt: AnomalyHalt | undefined;
  let observation: Awaited<ReturnType<NonNullable<typeof observer>['stop']>> | undefined;

  try {
    for (const link of config.proxy.proxies) {
      await proxies.createProxy({ name: link.name, listen: link.listen, upstream: link.upstream });
      say(`proxy link ${link.name}: ${link.listen} → ${link.upstream}`);
    }
    say(`starting services: ${Object.keys(config.services).join(', ')}`);
    await services.start();
    observer = observe({
      ...(load ? { load: { url: load.url, method: load.method, ratePerSec: load.ratePerSec, timeoutMs: load.timeoutMs, connections: load.connections, ...(load.body !== undefined ? { body: load.body } : {}), ...(load.headers ? { headers: load.headers } : {}), traffic: traffic.faults } } : {}),
      targets: () => Object.values(readServiceRecords(o.stateDir)).map((r) => ({ pid: r.pid, service: r.name })),
    });
    const obs = observer;
    /** Waits for the next slice boundary and returns it (the window's start or end is that boundary, exactly). */
    const toSliceStart = async (): Promise<number> => {
      const at = Math.ceil(obs.now() / DEFAULT_BUCKET_MS) * DEFAULT_BUCKET_MS;
      // timers run on the event loop's millisecond clock and may fire a fraction of a millisecond early
      while (obs.now() < at && o.signal?.aborted !== true) await sleep(Math.max(1, at - obs.now()), o.signal);
      return at;
    };
    // detector halt conditions learn from the baseline on: one feed for the whole loop, checked in every phase
    anomalyHalt = startAnomalyHalt(config.safeZones.haltConditions, obs, anomalyScorerFactory());
    obs.mark({ kind: 'phase', label: 'baseline' });
    say(`baseline: ${baselineMs} ms${load ? ` of ${load.ratePerSec} req/s to ${load.url}` : ' (no load.url: no traffic)'}`);
    await sleep(baselineMs, o.signal);

    for (const spec of specs) {
      if (interrupted()) break;
      const phase: LoopPhase = { phase: spec.name, ...(spec.cardId ? { cardId: spec.cardId } : {}), timeToDetectMs: null, timeToRecoverMs: null, recovered: false };
      phases.push(phase);
      obs.mark({ kind: 'phase', label: spec.name });
      baselineEndMs ??= obs.now();
      let id: string | undefined;
      const companions: ActiveFault[] = [];
      const revertCompanions = async (): Promise<void> => {
        while (companions.length > 0) await driver.revert((companions.pop() as ActiveFault).id).catch(() => undefined);
      };
      const stop = new AbortController();
      const onAbort = (): void => stop.abort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for (const c of spec.with ?? []) {
          const cf = await driver.inject(c);
          companions.push(cf);
          say(`with ${c.layer}/${c.kind} (ttl ${c.ttlMs} ms, id ${cf.id})`);
        }
        const f = await driver.inject(spec.request);
        id = f.id;
        // the fault's window covers whole timeline slices: a slice that straddled its start would mix the time
        // before the fault was in place (an injection that restarts the service) into it; the same at its end
        const startMs = await toSliceStart();
        obs.mark({ kind: 'inject', label: spec.name, faultId: id, atMs: startMs });
        const target = Object.entries(spec.request.target)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',');
        phase.fault = { id, layer: spec.request.layer, kind: spec.request.kind, target, params: spec.request.params };
        const runFault: RunFault = { id, kind: spec.request.kind, layer: spec.request.layer, target, params: spec.request.params, startMs: performance.now() - t0 };
        faults.push(runFault);
        say(`inject ${spec.name} (ttl ${spec.request.ttlMs} ms, id ${id})`);
        const faultId = id;
        const watcher = watchHalt({
          conditions: config.safeZones.haltConditions,
          observer: obs,
          ...(anomalyHalt ? { anomaly: anomalyHalt } : {}),
          onTrip: (why) => {
            halted = why;
            phase.halted = why;
            obs.mark({ kind: 'halt', label: why, faultId });
            say(`  HALT: ${why}: reverting now`);
            void driver.revert(faultId).catch(() => undefined);
            stop.abort();
          },
        });
        await sleep(spec.holdMs ?? phaseMs, stop.signal);
        watcher.stop();
        if (spec.request.layer === 'proxy' || spec.request.layer === 'traffic') {
          // the calls to the dependency link while the fault was on, by call site (the report maps them to source)
          const calls = await driver.evidence(id).catch(() => [] as ErrorEvidence[]);
          evidence.push(...calls.map((e) => ({ ...e, faultId })));
        }
        if (spec.request.layer === 'agent' || spec.request.layer === 'process') {
          // the agent's evidence; for a process fault, the crash a restart under it ended in
          const ev = await driver.evidence(id).catch(() => [] as ErrorEvidence[]);
          const thrown = ev.filter((e) => e.source !== 'response');
          evidence.push(...ev.map((e) => ({ ...e, faultId })));
          const top = thrown[0] ? where(thrown[0]) : undefined;
          // a blocking call site is one record that counts its calls
          const blocking = thrown.length > 0 && thrown.every((e) => e.source === 'blocking-call');
          phase.evidence = { count: thrown.reduce((n, e) => n + (e.count ?? 1), 0), ...(top ? { top } : {}), ...(blocking ? { what: 'blocking calls' } : {}) };
        }
        // the fault's window ends when its revert starts: what the revert itself costs (a restart back to the
        // original file or environment) belongs to the recovery, not to the fault
        const endMs = await toSliceStart();
        obs.mark({ kind: 'revert', label: spec.name, faultId: id, atMs: endMs });
        runFault.endMs = performance.now() - t0;
        if (!phase.halted) await driver.revert(id);
        const alongside = [...companions];
        // a heap probe measures once the requests the fault left in flight are done (a flood's last requests and
        // their sockets would count as growth otherwise)
        if (alongside.some((c) => c.layer === 'agent' && c.kind === 'profile' && c.params.heap !== false)) await sleep(HEAP_SETTLE_MS, o.signal);
        await revertCompanions();
        // an agent companion (the profile probe) records what it saw when it ends: it counts for the card's fault
        for (const c of alongside) {
          if (c.layer !== 'agent') continue;
          const ev = await driver.evidence(c.id).catch(() => [] as ErrorEvidence[]);
          evidence.push(...ev.map((e) => ({ ...e, faultId })));
          const profile = profileOf(ev);
          if (profile) {
            phase.profile = profile;
            if (profile.heapGrowthBytes !== undefined) runFault.heapGrowthBytes = profile.heapGrowthBytes;
          }
        }
        const answered = driver.trafficSummary?.(id);
        if (answered) runFault.traffic = answered;
        if (alongside.length > 0) runFault.with = alongside.map((c) => companionOf(c, driver.trafficSummary?.(c.id)));
        runFault.endedBy = phase.halted ? 'halt' : interrupted() ? 'interrupt' : 'run';
        windows.push({ faultId: id, label: spec.name, startMs, endMs });
      } catch (e) {
        if (interrupted()) break;
        phase.error = (e as Error).message;
        say(`  ${spec.name}: ${phase.error}`);
        if (id) await driver.revert(id).catch(() => undefined);
      } finally {
        await revertCompanions();
        o.signal?.removeEventListener('abort', onAbort);
      }
      if (interrupted()) break;
      // a killed or paused service needs a moment; the recovery window shows how long
      await sleep(recoveryMs, o.signal);
      const w = obs.window(recoveryMs);
      say(`  after revert: ${fmt(w)}`);
      if (halted) {
        aborted = true;
        ledger.record({ action: 'abort', faultId: id ?? '-', kind: spec.request.kind, layer: spec.request.layer, target: phase.fault?.target ?? '', params: {}, actor: 'loop', outcome: 'ok', detail: `halt condition: ${halted}` });
        break;
      }
    }
  } catch (e) {
    if (!interrupted()) throw e;
  } finally {
    await driver.revertAll().catch(() => undefined);
    anomalyHalt?.stop();
    observation = observer ? await observer.stop().catch(() => undefined) : undefined;
    await services.stop().catch(() => undefined);
    await proxies.close().catch(() => undefined);
  }
  if (interrupted()) {
    aborted = true;
    ledger.record({ action: 'abort', faultId: '-', kind: 'loop', layer: 'supervisor', target: config.file ?? '', params: {}, actor: 'loop', outcome: 'ok', detail: 'interrupted (SIGINT/SIGTERM): every fault reverted' });
  }

  // figures from the observed timeline
  const s = config.steadyState;
  const bounds: SteadyStateBounds | undefined = s?.maxErrorRate !== undefined ? { maxErrorRate: s.maxErrorRate, ...(s.maxP99LatencyMs !== undefined ? { maxP99LatencyMs: s.maxP99LatencyMs } : {}), ...(s.minThroughputPerSec !== undefined ? { minThroughputPerSec: s.minThroughputPerSec } : {}), ...(s.maxHeapGrowthBytes !== undefined ? { maxHeapGrowthBytes: s.maxHeapGrowthBytes } : {}) } : undefined;
  const figures = observation && load ? computeFigures(observation, windows, bounds, baselineEndMs !== undefined ? { baselineEndMs } : {}) : undefined;
  const checks: HypothesisCheck[] = [];
  for (const phase of phases) {
    const ff: FaultFigures | undefined = figures?.faults.find((f) => f.faultId === phase.fault?.id);
    if (ff) {
      phase.during = ff.during;
      phase.timeToDetectMs = ff.timeToDetectMs;
      phase.timeToRecoverMs = ff.timeToRecoverMs;
      phase.recovered = ff.recovered;
      if (ff.during.requests > 0) phase.held = ff.faultToleranceScore >= 1;
      phase.availabilityPct = ff.availabilityPct;
    }
    // the memory bound: judged where the card's profile probe measured the heap after a full GC
    const maxHeap = config.steadyState?.maxHeapGrowthBytes;
    if (maxHeap !== undefined && phase.profile?.heapGrowthBytes !== undefined) {
      phase.profile.heapHeld = phase.profile.heapGrowthBytes <= maxHeap;
      phase.held = (phase.held ?? true) && phase.profile.heapHeld;
      // the heap is measured once, when the fault ends: a growth over the bound is detected then, if nothing was sooner
      const w = windows.find((x) => x.faultId === phase.fault?.id);
      if (!phase.profile.heapHeld && phase.timeToDetectMs === null && w?.endMs !== undefined) phase.timeToDetectMs = w.endMs - w.startMs;
    }
    const spec = specs.find((x) => x.name === phase.phase);
    if (spec?.slo && phase.fault) {
      const detected = phase.timeToDetectMs !== null && phase.timeToDetectMs <= spec.slo.detectMs;
      const recoveredInTime = phase.timeToRecoverMs !== null && phase.timeToRecoverMs <= spec.slo.recoverMs;
      phase.slo = { ...spec.slo, detected, recoveredInTime };
      const atMs = windows.find((w) => w.faultId === phase.fault?.id)?.startMs ?? 0;
      checks.push({ phase: 'during', probe: `${phase.cardId}: detected within ${spec.slo.detectMs} ms`, met: detected, tolerance: { maxMs: spec.slo.detectMs }, value: phase.timeToDetectMs, atMs, durationMs: 0 });
      checks.push({ phase: 'after', probe: `${phase.cardId}: recovered within ${spec.slo.recoverMs} ms`, met: recoveredInTime, tolerance: { maxMs: spec.slo.recoverMs }, value: phase.timeToRecoverMs, atMs, durationMs: 0 });
    }
  }
  const baseline = figures?.baseline;
  const endedAt = new Date();
  const status: RunReport['status'] = interrupted() ? 'interrupted' : halted ? 'aborted' : phases.some((p) => p.error) ? 'failed' : 'completed';
  let report: RunReport = {
    id: runId,
    kind: 'loop',
    title: `faultline loop on ${config.file ?? 'faultline.yaml'}`,
    status,
    deviated: phases.some((p) => p.fault && !p.recovered),
    ...(halted ? { halted } : {}),
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    ...(config.defaults.seed !== undefined ? { seed: config.defaults.seed } : {}),
    checks,
    faults,
    ...(observation ? { observation } : {}),
    ...(figures ? { figures } : {}),
    evidence: [],
    recommendations: [],
    artifacts: {},
  };
  report = saveRun(analyzeRun(report, evidence), config, o.stateDir, o.reportDir ? { dir: o.reportDir } : {});
  // each card drilled counts as a drill of that card (coverage, drill frequency)
  for (const phase of phases) {
    if (!phase.cardId || !phase.fault) continue;
    appendRun(o.stateDir, {
      ...runRecordOf(report, report.artifacts.json),
      id: `${runId}-${phase.cardId}`,
      kind: 'card',
      title: phase.phase,
      status: phase.error ? 'failed' : phase.halted ? 'aborted' : report.status === 'interrupted' ? 'interrupted' : 'completed',
      deviated: !phase.recovered,
      cardId: phase.cardId,
      mttdMs: phase.timeToDetectMs,
      mttrMs: phase.timeToRecoverMs,
      ...(phase.availabilityPct !== undefined ? { availabilityPct: phase.availabilityPct } : {}),
    });
  }

  return {
    runId,
    target: config.file ?? '(defaults)',
    stages: [
      { name: 'inject', ran: true },
      { name: 'observe', ran: load !== undefined, ...(load ? {} : { note: 'no load.url in the config' }) },
      { name: 'experiment', ran: true, note: specs.some((x) => x.cardId) ? 'failure cards' : 'fault profiles' },
      { name: 'report', ran: true },
      { name: 'predict', ran: false, note: 'run `faultline predict`' },
      { name: 'refactor', ran: false, note: 'with --refactor' },
      { name: 'promote', ran: false, note: 'with the gate stage' },
    ],
    ...(config.defaults.seed !== undefined ? { seed: config.defaults.seed } : {}),
    ...(baseline ? { baseline } : {}),
    phases,
    ...(figures ? { figures } : {}),
    ...(observation ? { bucketMs: observation.bucketMs } : {}),
    report: Object.fromEntries(Object.entries(report.artifacts)),
    ledgerEvents,
    aborted,
    ...(halted ? { halted } : {}),
  };
}

export function fmt(s: TrafficSummary): string {
  if (s.requests === 0) return 'no requests';
  const kinds = Object.entries(s.errorsByKind)
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
  return `${s.requests} req, errors ${(s.errorRate * 100).toFixed(1)}%${kinds ? ` (${kinds})` : ''}, p50 ${s.latencyMs.p50.toFixed(1)} ms, p99 ${s.latencyMs.p99.toFixed(1)} ms`;
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${Math.round(v)}`);

export function renderTable(r: LoopResult): string {
  // figures are measured on the timeline's slices: 0 means "within the slice the fault started or ended in"
  const res = (v: number | null): string => (v === 0 && r.bucketMs ? `<${r.bucketMs}` : ms(v));
  const rows: string[][] = [['fault', 'requests', 'errors', 'p50 ms', 'p99 ms', 'TTD ms', 'TTR ms', 'note']];
  if (r.baseline) rows.push(['baseline (steady state)', String(r.baseline.requests), `${(r.baseline.errorRate * 100).toFixed(1)}%`, r.baseline.latencyMs.p50.toFixed(1), r.baseline.latencyMs.p99.toFixed(1), '', '', '']);
  for (const p of r.phases) {
    const d = p.during;
    const note = [
      p.held === true ? 'steady state held' : '',
      p.profile?.heapGrowthBytes !== undefined ? `heap ${p.profile.heapGrowthBytes >= 0 ? '+' : ''}${mib(p.profile.heapGrowthBytes)} after GC${p.profile.heapHeld === false ? ' (over the bound)' : ''}${p.profile.heapTop ? `, most live in ${p.profile.heapTop}` : ''}` : '',
      p.profile?.cpuTop ? `hottest ${p.profile.cpuTop}` : '',
      p.slo ? `SLO detect ${p.slo.detected ? 'met' : 'MISSED'}, recover ${p.slo.recoveredInTime ? 'met' : 'MISSED'}` : p.fault ? (p.recovered ? 'recovered' : 'NOT recovered') : '',
      p.evidence ? `${p.evidence.count} ${p.evidence.what ?? 'errors'} recorded${p.evidence.top ? ` at ${p.evidence.top}` : ''}` : '',
      p.halted ? `HALT ${p.halted}` : '',
      p.error ? `error: ${p.error}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    rows.push([p.phase, d ? String(d.requests) : '', d ? `${(d.errorRate * 100).toFixed(1)}%` : '', d ? d.latencyMs.p50.toFixed(1) : '', d ? d.latencyMs.p99.toFixed(1) : '', res(p.timeToDetectMs), res(p.timeToRecoverMs), note]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const lines = rows.map((row) => row.map((c, i) => (i >= 1 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const f = r.figures;
  const figures = f
    ? [
        '',
        `resilience figures (docs/reference/resilience-figures.md):`,
        `  availability ${f.availabilityPct.toFixed(2)}%   error rate ${(f.errorRate * 100).toFixed(2)}%   MTTD ${res(f.mttdMs)} ms   MTTR ${res(f.mttrMs)} ms   (resolution: ${r.bucketMs ?? '—'} ms slices)`,
        `  fault tolerance ${f.faultToleranceScore.toFixed(2)}   graceful degradation ${f.gracefulDegradationScore.toFixed(2)}   recovery success ${(f.recoverySuccessRate * 100).toFixed(0)}%`,
        `  steady state: error rate ≤ ${(f.bounds.maxErrorRate * 100).toFixed(1)}%${f.bounds.maxP99LatencyMs !== undefined ? `, p99 ≤ ${f.bounds.maxP99LatencyMs.toFixed(0)} ms` : ''}`,
      ]
    : [];
  const stages = r.stages.map((s) => `${s.name}${s.ran ? ' ✓' : ` (not run${s.note ? `: ${s.note}` : ''})`}`).join(' · ');
  const report = Object.entries(r.report)
    .filter(([k]) => k === 'html' || k === 'json' || k === 'junit')
    .map(([k, v]) => `  ${k}: ${v}`);
  return [
    ...lines,
    ...figures,
    '',
    'report:',
    ...report,
    '',
    `stages: ${stages}`,
    `${r.ledgerEvents} ledger events recorded${r.aborted ? '; the run was ABORTED and every fault reverted' : '; every fault was reverted'} — see \`faultline ledger\``,
  ].join('\n');
}
