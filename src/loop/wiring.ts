/**
 * Wires the real implementations behind the interfaces the stages meet through (src/core/run.ts): the
 * InjectionEngine behind FaultDriver, src/observe behind StartObserver and the figures, src/report behind the
 * analysis of a finished run and its report files, src/store behind the record of runs.
 */
import { join } from 'node:path';
import type { FaultlineConfig } from '../core/config-types.js';
import { parseDurationMs } from '../core/duration.js';
import { FaultlineError } from '../core/errors.js';
import type { ActiveFault, FaultRequest, InjectionGuard, LedgerSink } from '../core/fault.js';
import { createRng, type Rng } from '../core/rng.js';
import type { ErrorEvidence, FaultDriver, LoadSpec, ObserveTarget, Observer, RunRecord, RunReport, StartObserver, SteadyStateBounds } from '../core/run.js';
import type { RunDeps } from '../experiment/runner.js';
import type { ErrorRecord } from '../inject/agent/evidence.js';
import { InjectionEngine } from '../inject/engine.js';
import { effectiveHealth, probeHealth, readServiceRecords, Supervisor } from '../inject/process/index.js';
import { ProxyApiClient, ProxyRegistry } from '../inject/proxy/index.js';
import { anomalyScorerFactory } from '../observe/anomaly/scorer.js';
import { computeFigures, startObserver } from '../observe/index.js';
import { TrafficFaults } from '../observe/malformed.js';
import { analyzeReport, createSourceMapper, RunMetrics, startMetricsServer, writeReports, type MetricsServer, type ReportFormat } from '../report/index.js';
import { appendRun } from '../store/runs.js';
import { agentsOf, DependencyCalls } from './dependency-calls.js';
import { agentWatches, RequestErrors } from './request-errors.js';

/** Maps the agent's error records to the core's ErrorEvidence. */
export function toEvidence(records: readonly ErrorRecord[]): ErrorEvidence[] {
  return records.map((r) => ({
    at: Date.parse(r.ts),
    name: r.class,
    message: r.message,
    ...(r.fn !== undefined ? { fn: r.fn } : {}),
    ...(r.module !== undefined ? { module: r.module } : {}),
    source: r.source,
    frames: r.frames.map((f) => ({ file: f.file, line: f.line, col: f.column, ...(f.fn !== undefined ? { fn: f.fn } : {}), app: f.app })),
    ...(r.faultIds[0] !== undefined ? { faultId: r.faultIds[0] } : {}),
    ...(r.count !== undefined ? { count: r.count } : {}),
    ...(r.selfMs !== undefined ? { selfMs: r.selfMs } : {}),
    ...(r.profiledMs !== undefined ? { profiledMs: r.profiledMs } : {}),
    ...(r.liveBytes !== undefined ? { liveBytes: r.liveBytes } : {}),
    ...(r.heapGrowthBytes !== undefined ? { heapGrowthBytes: r.heapGrowthBytes } : {}),
  }));
}

/**
 * A FaultDriver over the InjectionEngine. With `proxyApi`, proxy faults go to a running proxy (the one
 * `faultline up` starts) through its API instead of an in-process registry; the toxic carries the TTL.
 */
/** The traffic faults of a run (applied by its load generator) and the agents' watch on their routes. */
export interface TrafficWiring {
  faults: TrafficFaults;
  errors?: RequestErrors;
}

/** A run's traffic faults: drawn from the run's Rng, recorded in its ledger, evidence from the agents in `stateDir`. */
export function trafficWiring(rng: Rng, ledger: LedgerSink, stateDir?: string): TrafficWiring {
  return { faults: new TrafficFaults({ rng, ledger }), ...(stateDir !== undefined ? { errors: new RequestErrors(agentWatches(stateDir), toEvidence) } : {}) };
}

export function createFaultDriver(engine: InjectionEngine, proxyApi?: ProxyApiClient, calls?: DependencyCalls, traffic?: TrafficWiring): FaultDriver {
  const viaApi = new Map<string, { proxy: string; toxic: string }>();
  const injectViaApi = async (api: ProxyApiClient, req: FaultRequest): Promise<ActiveFault> => {
    const proxy = String(req.target.proxy ?? '');
    if (proxy === '') throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'target.proxy: a proxy fault needs the proxy link name (see proxy.proxies in faultline.yaml)');
    const attributes = Object.fromEntries(Object.entries(req.params).filter(([k]) => k !== 'stream' && k !== 'toxicity'));
    const t = await api.addToxic(proxy, {
      type: req.kind,
      ...(typeof req.params.stream === 'string' ? { stream: req.params.stream as 'upstream' | 'downstream' } : {}),
      ...(typeof req.params.toxicity === 'number' ? { toxicity: req.params.toxicity } : {}),
      attributes,
      ttl: req.ttlMs,
    });
    const id = `${proxy}/${t.name}`;
    viaApi.set(id, { proxy, toxic: t.name });
    const startedAt = Date.now();
    return { ...req, id, startedAt, expiresAt: Date.parse(t.expires_at) || startedAt + req.ttlMs };
  };
  const revertViaApi = async (api: ProxyApiClient, id: string): Promise<void> => {
    const e = viaApi.get(id);
    if (!e) return;
    viaApi.delete(id);
    try {
      await api.removeToxic(e.proxy, e.toxic);
    } catch (err) {
      // expired (TTL) already: nothing to undo
      if (!(err instanceof FaultlineError) || err.code !== 'FL_ERR_TOXIC_NOT_FOUND') throw err;
    }
  };
  return {
    async inject(req) {
      const f = req.layer === 'proxy' && proxyApi ? await injectViaApi(proxyApi, req) : (await engine.inject(req)).fault;
      // the agents record the calls to that link while the fault lasts: the evidence of where it was felt
      if (req.layer === 'proxy' && calls) await calls.started(f.id, String(req.target.proxy ?? ''), req.ttlMs);
      // malformed requests: the agents record the errors (and 5xx answers) they cause while the fault lasts
      if (req.layer === 'traffic' && traffic?.errors) await traffic.errors.started(f.id, String(f.target.route ?? '*'), req.ttlMs);
      return f;
    },
    async revert(id) {
      calls?.ended(id);
      if (traffic?.errors?.has(id)) await traffic.errors.ended(id);
      if (viaApi.has(id) && proxyApi) return revertViaApi(proxyApi, id);
      await engine.revert(id);
    },
    async revertAll() {
      const ids = proxyApi ? [...viaApi.keys()] : [];
      const errors: unknown[] = [];
      for (const id of ids) await revertViaApi(proxyApi as ProxyApiClient, id).catch((e: unknown) => errors.push(e));
      const rest = await engine.revertAll().catch((e: unknown) => (errors.push(e), [] as string[]));
      for (const id of [...ids, ...rest]) calls?.ended(id);
      for (const id of rest) if (traffic?.errors?.has(id)) await traffic.errors.ended(id);
      if (errors.length > 0) throw errors[0];
      return [...ids, ...rest];
    },
    async evidence(id) {
      if (calls?.has(id)) return calls.evidence(id);
      if (traffic?.errors?.has(id)) return traffic.errors.evidence(id);
      const answer = await engine.evidence(id);
      return answer ? toEvidence(answer.errors) : [];
    },
    trafficSummary: (id) => traffic?.faults.summary(id),
  };
}

/** The dependency links of faultline.yaml (its proxy links), watched through the agents announced in `stateDir`. */
export function dependencyCalls(config: FaultlineConfig, stateDir: string): DependencyCalls {
  return new DependencyCalls(
    config.proxy.proxies.map((l) => ({ name: l.name, listen: l.listen })),
    agentsOf(stateDir),
  );
}

/** Keys of an experiment's configuration that set the load of a run (documented in docs/reference/experiments.md). */
export const LOAD_KEYS = { url: 'faultline_load_url', rate: 'faultline_load_rate', method: 'faultline_load_method', timeout: 'faultline_load_timeout' } as const;

/** The load of a run: the experiment's faultline_load_* configuration, else `load` of faultline.yaml. */
export function runLoad(config: FaultlineConfig, values: Readonly<Record<string, unknown>>): LoadSpec | undefined {
  const url = values[LOAD_KEYS.url];
  if (typeof url === 'string' && url !== '') {
    const rate = Number(values[LOAD_KEYS.rate] ?? 20);
    if (!Number.isFinite(rate) || rate <= 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `configuration.${LOAD_KEYS.rate}: expected requests per second > 0, got ${String(values[LOAD_KEYS.rate])}`);
    const timeout = values[LOAD_KEYS.timeout];
    return {
      url,
      method: String(values[LOAD_KEYS.method] ?? 'GET').toUpperCase(),
      ratePerSec: rate,
      timeoutMs: timeout === undefined ? 2000 : typeof timeout === 'number' ? timeout * 1000 : parseDurationMs(String(timeout), `configuration.${LOAD_KEYS.timeout}`),
    };
  }
  const l = config.load;
  if (!l) return undefined;
  return { url: l.url, method: l.method, ratePerSec: l.ratePerSec, timeoutMs: l.timeoutMs, ...(l.body !== undefined ? { body: l.body } : {}), ...(l.headers ? { headers: l.headers } : {}), ...(l.connections ? { connections: l.connections } : {}) };
}

export interface RunDepsArgs {
  config: FaultlineConfig;
  stateDir: string;
  ledger: LedgerSink;
  guard: InjectionGuard;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  /** the experiment's configuration values (after --var), for faultline_load_* */
  values?: Readonly<Record<string, unknown>>;
  /** no load generator (the observer still samples the services) */
  noLoad?: boolean;
  /** start the proxy links (in process) and the services, and stop them in close() */
  up?: boolean;
  /** live Prometheus metrics fed during the run */
  metrics?: RunMetrics;
}

export interface WiredRun {
  deps: RunDeps;
  /** steady-state bounds of faultline.yaml, when it sets maxErrorRate */
  bounds?: SteadyStateBounds;
  /** starts the proxy links and services (with `up`) */
  start(): Promise<void>;
  /** stops what start() started */
  close(): Promise<void>;
}

export function createRunDeps(a: RunDepsArgs): WiredRun {
  const { config } = a;
  const say = a.onProgress ?? (() => undefined);
  const services = new Supervisor({ services: config.services, stateDir: a.stateDir, ledger: a.ledger, actor: 'experiment' });
  const proxies = a.up ? new ProxyRegistry({ guard: a.guard, ledger: a.ledger, actor: 'experiment', ...(config.defaults.seed !== undefined ? { seed: config.defaults.seed } : {}) }) : undefined;
  const rng = createRng(config.defaults.seed);
  const traffic = trafficWiring(rng, a.ledger, a.stateDir);
  const engine = new InjectionEngine({ stateDir: a.stateDir, ledger: a.ledger, guard: a.guard, services, ...(proxies ? { proxies } : {}), traffic: traffic.faults, actor: 'experiment' });
  const proxyApi = proxies ? undefined : new ProxyApiClient(`http://${config.proxy.listen}`, { ...(process.env.FAULTLINE_PROXY_TOKEN ? { token: process.env.FAULTLINE_PROXY_TOKEN } : {}) });
  const plainLoad = a.noLoad ? undefined : runLoad(config, a.values ?? {});
  // the load generator applies the run's traffic faults (malformed requests) to its own requests
  const load = plainLoad ? { ...plainLoad, traffic: traffic.faults } : undefined;
  const targets = (): ObserveTarget[] =>
    Object.values(readServiceRecords(a.stateDir))
      .filter((r) => config.services[r.name] !== undefined)
      .map((r) => ({ pid: r.pid, service: r.name }));
  const checkHealth = async (service?: string): Promise<boolean> => {
    const names = service !== undefined ? [service] : Object.keys(config.services);
    for (const n of names) {
      const svc = config.services[n];
      const h = svc ? effectiveHealth(svc) : undefined;
      if (h && !(await probeHealth(h, 750))) return false;
    }
    return true;
  };
  const s = config.steadyState;
  const bounds: SteadyStateBounds | undefined =
    s?.maxErrorRate !== undefined ? { maxErrorRate: s.maxErrorRate, ...(s.maxP99LatencyMs !== undefined ? { maxP99LatencyMs: s.maxP99LatencyMs } : {}), ...(s.minThroughputPerSec !== undefined ? { minThroughputPerSec: s.minThroughputPerSec } : {}) } : undefined;
  let started = false;
  const driver = createFaultDriver(engine, proxyApi, dependencyCalls(config, a.stateDir), traffic);
  const wired = a.metrics ? withMetrics(a.metrics, driver, startObserver) : { driver, startObserver };
  return {
    deps: {
      faults: wired.driver,
      startObserver: wired.startObserver,
      analyze: analyzeRun,
      onStart: (r) => markStarted(a.stateDir, { ...r, kind: 'experiment' }),
      ...(load ? { load } : {}),
      targets,
      figures: (obs, windows, b) => computeFigures(obs, windows, b),
      haltConditions: [...config.safeZones.haltConditions],
      anomaly: anomalyScorerFactory(),
      checkHealth,
      ledger: a.ledger,
      rng,
      ...(a.onProgress ? { onProgress: a.onProgress } : {}),
      ...(a.signal ? { signal: a.signal } : {}),
    },
    ...(bounds ? { bounds } : {}),
    async start() {
      if (!a.up) return;
      started = true;
      for (const link of config.proxy.proxies) {
        await proxies?.createProxy({ name: link.name, listen: link.listen, upstream: link.upstream });
        say(`proxy link ${link.name}: ${link.listen} → ${link.upstream}`);
      }
      say(`starting services: ${Object.keys(config.services).join(', ') || '(none)'}`);
      await services.start();
    },
    async close() {
      await engine.revertAll().catch(() => undefined);
      if (!started) return;
      await services.stop().catch(() => undefined);
      await proxies?.close().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Live metrics, analysis and the record of a run

/** A FaultDriver and a StartObserver that also feed the live Prometheus metrics. */
export function withMetrics(metrics: RunMetrics, driver: FaultDriver, start: StartObserver): { driver: FaultDriver; startObserver: StartObserver } {
  const active = new Set<string>();
  let clock: (() => number) | undefined;
  const at = (): number => clock?.() ?? 0;
  return {
    driver: {
      async inject(req) {
        const f = await driver.inject(req);
        active.add(f.id);
        metrics.onEvent({ atMs: at(), kind: 'inject', label: `${req.layer} ${req.kind}`, faultId: f.id }, { layer: req.layer, kind: req.kind });
        metrics.setFaultsActive(active.size);
        return f;
      },
      async revert(id) {
        await driver.revert(id);
        if (active.delete(id)) metrics.onEvent({ atMs: at(), kind: 'revert', label: 'revert', faultId: id });
        metrics.setFaultsActive(active.size);
      },
      async revertAll() {
        const ids = await driver.revertAll();
        for (const id of ids) if (active.delete(id)) metrics.onEvent({ atMs: at(), kind: 'revert', label: 'revert', faultId: id });
        active.clear();
        metrics.setFaultsActive(0);
        return ids;
      },
      evidence: (id) => driver.evidence(id),
      trafficSummary: (id) => driver.trafficSummary?.(id),
    },
    startObserver: (o) => {
      const obs: Observer = start({ ...o, onBucket: (b) => (metrics.onBucket(b), o.onBucket?.(b)) });
      clock = () => obs.now();
      return {
        now: () => obs.now(),
        mark: (e) => {
          obs.mark(e);
          if (e.kind === 'halt') metrics.onEvent({ atMs: obs.now(), ...e });
        },
        window: (ms) => obs.window(ms),
        stop: () => obs.stop(),
      };
    },
  };
}

/** Starts the Prometheus endpoint of faultline.yaml's `metrics.listen` (or `listen`), when one is set. */
export async function startRunMetrics(config: FaultlineConfig, listen?: string): Promise<MetricsServer | undefined> {
  const addr = listen ?? config.metrics?.listen;
  if (!addr) return undefined;
  const i = addr.lastIndexOf(':');
  const host = i > 0 ? addr.slice(0, i) : '127.0.0.1';
  const port = Number(i >= 0 ? addr.slice(i + 1) : addr);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `metrics listen: "${addr}" is not host:port`);
  return startMetricsServer({ host, port, metrics: new RunMetrics(), ...(process.env.FAULTLINE_METRICS_TOKEN ? { token: process.env.FAULTLINE_METRICS_TOKEN } : {}) });
}

/** Evidence sites mapped through source maps to the original files, and the recommendations. */
export function analyzeRun(report: RunReport, evidence: readonly ErrorEvidence[]): RunReport {
  return analyzeReport(report, { ...(evidence.length > 0 ? { evidence } : {}), mapLocation: createSourceMapper() });
}

/** What the record of runs keeps of a report. */
export function runRecordOf(report: RunReport, reportPath?: string): RunRecord {
  const f = report.figures;
  return {
    id: report.id,
    kind: report.kind,
    title: report.title,
    status: report.status,
    deviated: report.deviated,
    ...(report.cardId !== undefined ? { cardId: report.cardId } : {}),
    startedAt: report.startedAt,
    endedAt: report.endedAt,
    durationMs: report.durationMs,
    mttdMs: f?.mttdMs ?? null,
    mttrMs: f?.mttrMs ?? null,
    ...(f ? { availabilityPct: f.availabilityPct } : {}),
    ...(reportPath !== undefined ? { reportPath } : {}),
  };
}

/**
 * Writes a finished run's report files into `<reports.dir>/<run id>/` (or `dir`) and records the run in the
 * store. Returns the report with its artifact paths.
 */
export function saveRun(report: RunReport, config: FaultlineConfig, stateDir: string, o: { dir?: string; formats?: readonly ReportFormat[]; record?: boolean } = {}): RunReport {
  const dir = o.dir ?? join(config.reports.dir, report.id);
  const written = writeReports(report, dir, o.formats ?? config.reports.formats);
  const saved: RunReport = { ...report, artifacts: { ...report.artifacts, ...(written as Record<string, string>) } };
  if (o.record !== false) appendRun(stateDir, runRecordOf(saved, written.json));
  return saved;
}

/** For drills: analyse (keeping the drill's own recommendations first) and write the report files; the drill records the run itself. */
export function finishDrill(config: FaultlineConfig, stateDir: string): (report: RunReport, evidence: ErrorEvidence[]) => RunReport {
  return (report, evidence) => {
    const analyzed = analyzeRun(report, evidence);
    const seen = new Set(report.recommendations.map((r) => r.title));
    const recommendations = [...report.recommendations, ...analyzed.recommendations.filter((r) => !seen.has(r.title))];
    return saveRun({ ...analyzed, recommendations }, config, stateDir, { record: false });
  };
}

/**
 * Puts a run on record as `interrupted` when it starts; the record of the finished run (same id) replaces it.
 * A runner that crashes or is killed therefore leaves its run marked, and its faults end at their TTLs.
 */
export function markStarted(stateDir: string, r: { id: string; kind: RunRecord['kind']; title: string; startedAt: string }): void {
  appendRun(stateDir, { id: r.id, kind: r.kind, title: r.title, status: 'interrupted', deviated: false, startedAt: r.startedAt, endedAt: r.startedAt, durationMs: 0, mttdMs: null, mttrMs: null });
}
