/**
 * One drill of one failure card: baseline under load, inject (with the card's TTL), watch the card's detection
 * signal, revert after the card's duration, wait for recovery (bounded by the card's recovery SLO), and report.
 * MTTD and MTTR are measured on the card's own signal from the observed timeline (resolution: one bucket, or one
 * health probe); the generic resilience figures come from deps.figures.
 */
import { isFaultlineError } from '../../core/errors.js';
import { newFaultId, type ActiveFault, type LedgerSink } from '../../core/fault.js';
import type {
  ErrorEvidence,
  EvidenceSite,
  FaultDriver,
  FaultWindow,
  HypothesisCheck,
  LoadSpec,
  Observation,
  ObserveTarget,
  Observer,
  Recommendation,
  ResilienceFigures,
  RunCompanion,
  RunFault,
  RunRecord,
  RunReport,
  StartObserver,
  SteadyStateBounds,
  TimelineBucket,
  TrafficFaultSummary,
  TrafficSummary,
} from '../../core/run.js';
import { appendRun } from '../../store/runs.js';
import { sleep } from '../../core/clock.js';
import { bindCard, bindCompanions, type Bindings } from './bind.js';
import type { DetectionSpec, FailureCard } from './types.js';

export type ComputeFigures = (obs: Observation, windows: FaultWindow[], bounds?: SteadyStateBounds) => ResilienceFigures;

export interface CardRunDeps {
  faults: FaultDriver;
  /** observation with load; without it only the health signal can be measured */
  startObserver?: StartObserver;
  load?: LoadSpec;
  targets?: () => ObserveTarget[];
  figures?: ComputeFigures;
  /** steady-state bounds for the figures (derived from the baseline when absent) */
  bounds?: SteadyStateBounds;
  /** the bound service's health check (true = healthy); needed by cards whose signal is `health` */
  health?: () => Promise<boolean>;
  /** a halt condition over the last second of traffic: returns the reason to stop, or undefined */
  halt?: (lastSecond: TrafficSummary) => string | undefined;
  ledger?: LedgerSink;
  /** when given, the run's RunRecord is appended to <stateDir>/runs.jsonl */
  stateDir?: string;
  /** finishes the report (evidence mapped to source, recommendations, report files); the CLI wires src/report */
  finish?: (report: RunReport, evidence: ErrorEvidence[]) => RunReport;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
}

export interface CardRunOptions {
  /** load before the fault, to establish the steady state (default 2000 ms) */
  baselineMs?: number;
  /** how long the fault is kept (default: the card's injection.duration) */
  durationMs?: number;
  /** health probe and live-check interval (default 250 ms) */
  pollMs?: number;
  /** how long the signal must stay on the good side to count as recovered (default 1000 ms) */
  sustainMs?: number;
  bucketMs?: number;
  seed?: number;
  /** the chaos session or game day this drill belongs to (used in the title) */
  session?: string;
  /** why the card was chosen (recorded in the report) */
  reason?: string;
}

export interface CardRunResult {
  report: RunReport;
  record: RunRecord;
}

interface HealthSample {
  atMs: number;
  ok: boolean;
}

/** Sleeps `ms`, resolving early when the signal aborts. */
export const pause = sleep;

function describeDetection(d: DetectionSpec): string {
  if (d.signal === 'health') return `health check fails within ${d.withinMs} ms`;
  return `${d.signal} ${d.above !== undefined ? `above ${d.above}` : `below ${d.below}`} within ${d.withinMs} ms`;
}

/** True when the traffic crosses the card's threshold (the fault is visible); undefined when there is nothing to judge. */
export function crosses(d: DetectionSpec, t: TrafficSummary): boolean | undefined {
  if (d.signal === 'health') return undefined;
  if (d.signal !== 'throughputPerSec' && t.requests === 0) return undefined;
  const v = d.signal === 'errorRate' ? t.errorRate : d.signal === 'p99LatencyMs' ? t.latencyMs.p99 : t.throughputPerSec;
  return d.above !== undefined ? v > d.above : v < (d.below as number);
}

/** ms from injection to the first bucket (or failed health probe) where the signal crosses, within the window; null if none. */
export function detectionTime(d: DetectionSpec, injectMs: number, endMs: number, buckets: readonly TimelineBucket[], bucketMs: number, health: readonly HealthSample[]): number | null {
  if (d.signal === 'health') {
    const s = health.find((h) => h.atMs >= injectMs && h.atMs <= endMs && !h.ok);
    return s ? s.atMs - injectMs : null;
  }
  const b = buckets.find((x) => x.atMs + bucketMs > injectMs && x.atMs <= endMs && crosses(d, x) === true);
  return b ? Math.max(0, b.atMs - injectMs) : null;
}

/**
 * ms from the revert to the start of a sustained return to the good side of the threshold (at least `sustainMs`
 * of consecutive good buckets or health probes); null when it did not happen in what was observed.
 */
export function recoveryTime(d: DetectionSpec, revertMs: number, buckets: readonly TimelineBucket[], bucketMs: number, health: readonly HealthSample[], sustainMs: number): number | null {
  const series: Array<{ atMs: number; good: boolean; spanMs: number }> =
    d.signal === 'health'
      ? health.filter((h) => h.atMs >= revertMs).map((h, i, a) => ({ atMs: h.atMs, good: h.ok, spanMs: (a[i + 1]?.atMs ?? h.atMs) - h.atMs }))
      : buckets.filter((b) => b.atMs + bucketMs > revertMs).map((b) => ({ atMs: b.atMs, good: crosses(d, b) === false, spanMs: bucketMs }));
  let start: number | undefined;
  let span = 0;
  for (const s of series) {
    if (!s.good) {
      start = undefined;
      span = 0;
      continue;
    }
    if (start === undefined) start = s.atMs;
    span += s.spanMs;
    if (span >= sustainMs) return Math.max(0, start - revertMs);
  }
  return null;
}

/** Groups agent evidence by the first application frame (file:line). */
export function evidenceSites(errors: readonly ErrorEvidence[]): EvidenceSite[] {
  const sites = new Map<string, EvidenceSite>();
  for (const e of errors) {
    const f = e.frames.find((x) => x.app) ?? e.frames[0];
    const location = f ? `${f.file}:${f.line}` : (e.module ?? 'unknown');
    const key = `${location}\u0000${e.message}`;
    const s = sites.get(key) ?? { location, ...(f?.fn ?? e.fn ? { fn: (f?.fn ?? e.fn) as string } : {}), message: e.message, count: 0, faultIds: [] };
    s.count += e.count ?? 1;
    if (e.faultId && !s.faultIds.includes(e.faultId)) s.faultIds.push(e.faultId);
    sites.set(key, s);
  }
  return [...sites.values()].sort((a, b) => b.count - a.count);
}

/** How a report lists a companion fault (`injection.with`) of the fault it ran alongside. */
export function companionOf(f: ActiveFault, traffic?: TrafficFaultSummary): RunCompanion {
  return { id: f.id, kind: f.kind, layer: f.layer, target: Object.entries(f.target).map(([k, v]) => `${k}=${String(v)}`).join(','), params: f.params, ...(traffic ? { traffic } : {}) };
}

/** The RunRecord the store keeps of a card drill. */
export function toRunRecord(report: RunReport, card: FailureCard, mttdMs: number | null, mttrMs: number | null): RunRecord {
  return {
    id: report.id,
    kind: report.kind,
    title: report.title,
    status: report.status,
    deviated: report.deviated,
    cardId: card.id,
    category: card.category,
    startedAt: report.startedAt,
    endedAt: report.endedAt,
    durationMs: report.durationMs,
    mttdMs,
    mttrMs,
    ...(report.figures ? { availabilityPct: report.figures.availabilityPct } : {}),
    ...(report.artifacts.json ? { reportPath: report.artifacts.json } : {}),
  };
}

/**
 * Drills one card. Needs-mechanism cards and missing bindings throw (FL_ERR_CARD_NOT_RUNNABLE,
 * FL_ERR_CARD_BINDING) before anything starts; a refused injection ends the run as 'aborted'; an aborted
 * deps.signal reverts at once and ends it as 'interrupted'. The fault is always reverted before this returns.
 */
export async function runCard(card: FailureCard, bindings: Bindings, deps: CardRunDeps, o: CardRunOptions = {}): Promise<CardRunResult> {
  const req = bindCard(card, bindings);
  const companionReqs = bindCompanions(card, bindings);
  const inj = card.injection as NonNullable<FailureCard['injection']>;
  const baselineMs = o.baselineMs ?? 2000;
  const holdMs = o.durationMs ?? inj.durationMs;
  const pollMs = o.pollMs ?? 250;
  const sustainMs = o.sustainMs ?? 1000;
  const bucketMs = o.bucketMs ?? 250;
  const det = card.detection;
  const progress = (s: string): void => deps.onProgress?.(`[${card.id}] ${s}`);

  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const observer: Observer | undefined = deps.startObserver?.({
    ...(deps.load ? { load: deps.load } : {}),
    ...(deps.targets ? { targets: deps.targets } : {}),
    bucketMs,
  });
  const now = (): number => (observer ? observer.now() : Date.now() - t0);

  const healthSamples: HealthSample[] = [];
  let probing = det.signal === 'health' && deps.health !== undefined;
  const healthLoop = (async () => {
    while (probing) {
      const atMs = now();
      let ok = false;
      try {
        ok = await (deps.health as () => Promise<boolean>)();
      } catch {
        ok = false;
      }
      healthSamples.push({ atMs, ok });
      await pause(Math.max(0, pollMs - (now() - atMs)));
    }
  })();

  let status: RunReport['status'] = 'completed';
  let halted: string | undefined;
  let active: ActiveFault | undefined;
  /** companion faults (injection.with), injected before the main fault and reverted after it */
  const companions: ActiveFault[] = [];
  const revertCompanions = async (): Promise<void> => {
    while (companions.length > 0) {
      const c = companions.pop() as ActiveFault;
      await deps.faults.revert(c.id).catch(() => undefined);
    }
  };
  let runFault: RunFault | undefined;
  let injectError: string | undefined;
  let evidence: ErrorEvidence[] = [];
  let observation: Observation | undefined;

  const revert = async (endedBy: NonNullable<RunFault['endedBy']>): Promise<void> => {
    if (!active || !runFault || runFault.endMs !== undefined) return;
    const expired = Date.now() >= active.expiresAt;
    try {
      evidence = await deps.faults.evidence(active.id);
    } catch {
      evidence = [];
    }
    await deps.faults.revert(active.id);
    const alongside = [...companions];
    await revertCompanions();
    const traffic = deps.faults.trafficSummary?.(active.id);
    if (traffic) runFault.traffic = traffic;
    if (alongside.length > 0) runFault.with = alongside.map((c) => companionOf(c, deps.faults.trafficSummary?.(c.id)));
    runFault.endMs = now();
    runFault.endedBy = expired ? 'ttl' : endedBy;
    if (endedBy === 'halt' || endedBy === 'interrupt') {
      deps.ledger?.record({ action: 'abort', faultId: active.id, kind: active.kind, layer: active.layer, target: runFault.target, params: active.params, actor: `chaos:${card.id}`, outcome: 'ok', detail: endedBy === 'halt' ? `halted: ${halted ?? ''}` : 'interrupted' });
    }
    observer?.mark({ kind: 'revert', label: `revert ${card.id}`, faultId: active.id });
    progress(`reverted at +${runFault.endMs} ms (${runFault.endedBy})`);
  };

  try {
    progress(`baseline ${baselineMs} ms`);
    observer?.mark({ kind: 'phase', label: 'baseline' });
    await pause(baselineMs, deps.signal);
    if (deps.signal?.aborted) status = 'interrupted';
    else {
      try {
        for (const c of companionReqs) {
          const f = await deps.faults.inject(c);
          companions.push(f);
          progress(`with ${f.layer}/${f.kind} (${f.id})`);
        }
        active = await deps.faults.inject(req);
      } catch (e) {
        await revertCompanions();
        if (!isFaultlineError(e) || e.exitCode === 70) throw e;
        injectError = `${e.code}: ${e.message}`;
        status = 'aborted';
        progress(`injection refused: ${injectError}`);
      }
    }
    if (active) {
      const startMs = now();
      runFault = { id: active.id, kind: active.kind, layer: active.layer, target: Object.entries(active.target).map(([k, v]) => `${k}=${String(v)}`).join(','), params: active.params, startMs };
      observer?.mark({ kind: 'inject', label: card.title, faultId: active.id });
      progress(`injected ${active.layer}/${active.kind} (${active.id}), holding ${holdMs} ms`);
      // hold the fault, checking halt conditions and interruption every poll
      const until = Date.now() + holdMs;
      while (Date.now() < until && !deps.signal?.aborted) {
        await pause(Math.min(pollMs, until - Date.now()), deps.signal);
        const reason = observer && deps.halt ? deps.halt(observer.window(1000)) : undefined;
        if (reason) {
          halted = reason;
          status = 'aborted';
          break;
        }
      }
      if (deps.signal?.aborted) status = 'interrupted';
      await revert(status === 'interrupted' ? 'interrupt' : halted ? 'halt' : 'run');
      if (status === 'completed') {
        // wait for a sustained return to the good side, bounded by the recovery SLO
        const deadline = Date.now() + card.slo.recoverMs + sustainMs;
        while (Date.now() < deadline && !deps.signal?.aborted) {
          await pause(pollMs, deps.signal);
          const revertMs = runFault.endMs as number;
          const live = observer?.window(sustainMs);
          const back =
            det.signal === 'health'
              ? recoveryTime(det, revertMs, [], bucketMs, healthSamples, sustainMs) !== null
              : live !== undefined && now() - revertMs >= sustainMs && crosses(det, live) === false;
          if (back) {
            await pause(2 * bucketMs + 50); // let the observer close the buckets that complete the sustained run (a busy machine closes them late)
            break;
          }
        }
        if (deps.signal?.aborted) status = 'interrupted';
      }
    }
  } finally {
    // whatever happened, the fault does not outlive the run
    if (active && runFault && runFault.endMs === undefined) await revert(deps.signal?.aborted ? 'interrupt' : 'run');
    await revertCompanions();
    probing = false;
    await healthLoop;
    observation = await observer?.stop();
  }

  // measurements on the card's signal
  const checks: HypothesisCheck[] = [];
  let mttdMs: number | null = null;
  let mttrMs: number | null = null;
  const endedAtMs = Date.now();
  if (injectError) checks.push({ phase: 'during', probe: 'inject', met: false, error: injectError, atMs: baselineMs, durationMs: 0 });
  if (runFault) {
    const buckets = observation?.buckets ?? [];
    const bm = observation?.bucketMs ?? bucketMs;
    const measurable = det.signal === 'health' ? deps.health !== undefined : observation !== undefined && deps.load !== undefined;
    const why = det.signal === 'health' ? 'no health check for the bound service' : 'no load: give the run a load spec (faultline.yaml load)';
    const windowEnd = Math.min(runFault.startMs + det.withinMs, runFault.endMs ?? Infinity);
    const detectedAt = measurable ? detectionTime(det, runFault.startMs, runFault.endMs ?? Infinity, buckets, bm, healthSamples) : null;
    mttdMs = detectedAt;
    const detectedInWindow = detectedAt !== null && runFault.startMs + detectedAt <= windowEnd;
    checks.push({ phase: 'during', probe: `detection: ${describeDetection(det)}`, met: detectedInWindow, tolerance: det, value: detectedAt, ...(measurable ? {} : { error: why }), atMs: runFault.startMs, durationMs: windowEnd - runFault.startMs });
    checks.push({ phase: 'during', probe: `time to detect ≤ ${card.slo.detectMs} ms (SLO)`, met: detectedAt !== null && detectedAt <= card.slo.detectMs, tolerance: { maxMs: card.slo.detectMs }, value: detectedAt, atMs: runFault.startMs, durationMs: card.slo.detectMs });
    if (runFault.endMs !== undefined && status === 'completed') {
      mttrMs = measurable ? recoveryTime(det, runFault.endMs, buckets, bm, healthSamples, sustainMs) : null;
      checks.push({ phase: 'after', probe: `time to recover ≤ ${card.slo.recoverMs} ms (SLO)`, met: mttrMs !== null && mttrMs <= card.slo.recoverMs, tolerance: { maxMs: card.slo.recoverMs }, value: mttrMs, ...(measurable ? {} : { error: why }), atMs: runFault.endMs, durationMs: card.slo.recoverMs });
    }
  }
  const deviated = checks.some((c) => !c.met);
  if (status === 'completed' && deviated) status = 'failed';

  const windows: FaultWindow[] = runFault ? [{ faultId: runFault.id, label: card.title, startMs: runFault.startMs, ...(runFault.endMs !== undefined ? { endMs: runFault.endMs } : {}) }] : [];
  const figures = observation && deps.figures && windows.length > 0 ? deps.figures(observation, windows, deps.bounds) : undefined;
  const recommendations: Recommendation[] = [];
  if (runFault && mttdMs === null && status !== 'interrupted') {
    recommendations.push({
      title: `${card.title}: not detected`,
      why: `${det.signal} did not cross its threshold (${describeDetection(det)}) while the fault was active`,
      change: `add a monitor or alert on ${det.signal} for this failure; ${card.remediation.text}`,
      severity: card.risk >= 2 ? 'high' : 'medium',
    });
  }
  if (runFault && runFault.endMs !== undefined && status !== 'interrupted' && status !== 'aborted' && (mttrMs === null || mttrMs > card.slo.recoverMs)) {
    recommendations.push({
      title: `${card.title}: slow or no recovery`,
      why: mttrMs === null ? `no sustained return within ${card.slo.recoverMs} ms of the revert` : `recovered after ${mttrMs} ms, SLO ${card.slo.recoverMs} ms`,
      change: card.remediation.text,
      severity: card.risk >= 2 ? 'high' : 'medium',
    });
  }
  const sites = evidenceSites(evidence);
  const top = sites[0];
  if (top) recommendations.push({ title: `errors at ${top.location}`, why: `${top.count} error(s) "${top.message}" while the fault was active`, change: card.remediation.text, location: top.location, severity: 'medium' });

  const report: RunReport = {
    id: newFaultId('card'),
    kind: 'card',
    title: o.session ? `${o.session}: ${card.title}` : card.title,
    status,
    deviated,
    ...(halted ? { halted } : {}),
    startedAt,
    endedAt: new Date(endedAtMs).toISOString(),
    durationMs: endedAtMs - t0,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    checks,
    faults: runFault ? [runFault] : [],
    ...(observation ? { observation } : {}),
    ...(figures ? { figures } : {}),
    evidence: sites,
    recommendations,
    artifacts: {},
    cardId: card.id,
    ...(o.reason ? { reason: o.reason } : {}),
  };
  const finished = deps.finish ? deps.finish(report, evidence) : report;
  const record = toRunRecord(finished, card, mttdMs, mttrMs);
  if (deps.stateDir) appendRun(deps.stateDir, record);
  progress(`${status}${deviated ? ' (deviated)' : ''}: MTTD ${mttdMs ?? '-'} ms, MTTR ${mttrMs ?? '-'} ms`);
  return { report: finished, record };
}

