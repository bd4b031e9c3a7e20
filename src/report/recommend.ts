/**
 * Recommendations from what a run observed (pure). Each rule reads named signals of the report — the fault's
 * layer and kind, the traffic while it was active, its resilience figures, the evidence the agent recorded —
 * and proposes one change, with the code location from the evidence when there is one. The rules and their
 * signals are documented in docs/reference/reports.md; recipe ids are those of the refactoring engine.
 */
import type { ErrorEvidence, EvidenceSite, FaultFigures, FaultWindow, Recommendation, RunFault, RunReport, TrafficSummary } from '../core/run.js';
import { fmtMs, fmtPct, fmtRate } from './format.js';
import { faultLabel, faultWindows } from './timeline.js';

/** Maps a generated file:line:col to its source (see source-map.ts); undefined leaves the location as recorded. */
export type MapLocation = (file: string, line: number, col?: number) => { file: string; line: number; col?: number } | undefined;

const NO_APP_FRAME = '(no application frame)';
/** ErrorEvidence.source of the calls to a faulted dependency link (src/loop/dependency-calls.ts) */
const DEPENDENCY_CALL = 'dependency-call';

/**
 * Groups errors by the top application frame (the first frame with `app: true`), mapped through `mapLocation`:
 * one site per location and function, with the number of errors, the most frequent message (and how many
 * others there were) and the faults that were active. Sorted by count, then location.
 */
export function evidenceSites(evidence: readonly ErrorEvidence[], mapLocation?: MapLocation): EvidenceSite[] {
  interface Group {
    location: string;
    fn?: string;
    messages: Map<string, number>;
    count: number;
    faultIds: Set<string>;
    call: boolean;
    outer?: string;
    profile?: 'cpu-profile' | 'heap-profile';
    selfMs?: number;
    profiledMs?: number;
    liveBytes?: number;
    heapGrowthBytes?: number;
  }
  const groups = new Map<string, Group>();
  for (const ev of evidence) {
    const frame = ev.frames.find((f) => f.app);
    let location = NO_APP_FRAME;
    if (frame) {
      const mapped = mapLocation?.(frame.file, frame.line, frame.col);
      location = mapped ? `${mapped.file}:${mapped.line}` : `${frame.file}:${frame.line}`;
    } else if (ev.module !== undefined) {
      location = ev.module;
    }
    const fn = frame?.fn ?? ev.fn;
    const call = ev.source === DEPENDENCY_CALL;
    // for an error a request was answered with (a 5xx the agent saw), the outermost frame is the handler's
    const last = ev.source === 'response' ? [...ev.frames].reverse().find((f) => f.app) : undefined;
    let outer: string | undefined;
    if (last && last !== frame) {
      const mapped = mapLocation?.(last.file, last.line, last.col);
      outer = mapped ? `${mapped.file}:${mapped.line}` : `${last.file}:${last.line}`;
    }
    const profile = ev.source === 'cpu-profile' || ev.source === 'heap-profile' ? ev.source : undefined;
    const key = `${location}\0${fn ?? ''}\0${call ? DEPENDENCY_CALL : (profile ?? '')}`;
    let g = groups.get(key);
    if (!g) {
      g = { location, messages: new Map(), count: 0, faultIds: new Set(), call };
      if (fn !== undefined) g.fn = fn;
      if (profile !== undefined) g.profile = profile;
      groups.set(key, g);
    }
    // a profile's figures add up over its records (one per run of the probe); the heap's growth is the largest seen
    if (ev.selfMs !== undefined) g.selfMs = (g.selfMs ?? 0) + ev.selfMs;
    if (ev.profiledMs !== undefined) g.profiledMs = (g.profiledMs ?? 0) + ev.profiledMs;
    if (ev.liveBytes !== undefined) g.liveBytes = (g.liveBytes ?? 0) + ev.liveBytes;
    if (ev.heapGrowthBytes !== undefined) g.heapGrowthBytes = Math.max(g.heapGrowthBytes ?? Number.NEGATIVE_INFINITY, ev.heapGrowthBytes);
    g.count += ev.count ?? 1;
    if (g.outer === undefined && outer !== undefined && outer !== location) g.outer = outer;
    // a profile's record is a measurement, not an error: its class name would only be noise
    const msg = ev.name !== undefined && profile === undefined && !ev.message.startsWith(ev.name) ? `${ev.name}: ${ev.message}` : ev.message;
    g.messages.set(msg, (g.messages.get(msg) ?? 0) + (ev.count ?? 1));
    if (ev.faultId !== undefined) g.faultIds.add(ev.faultId);
  }
  return [...groups.values()]
    .map((g) => {
      const byCount = [...g.messages.entries()].sort((a, b) => b[1] - a[1]);
      const others = byCount.length - 1;
      const site: EvidenceSite = {
        location: g.location,
        message: `${(byCount[0] as [string, number])[0]}${others > 0 ? ` (and ${others} other message${others === 1 ? '' : 's'})` : ''}`,
        count: g.count,
        faultIds: [...g.faultIds].sort(),
      };
      if (g.fn !== undefined) site.fn = g.fn;
      if (g.call) site.source = DEPENDENCY_CALL;
      else if (g.profile !== undefined) site.source = g.profile;
      for (const k of ['selfMs', 'profiledMs', 'liveBytes', 'heapGrowthBytes'] as const) if (g[k] !== undefined) site[k] = g[k];
      if (g.outer !== undefined) site.outer = g.outer;
      return site;
    })
    .sort((a, b) => b.count - a.count || a.location.localeCompare(b.location));
}

// ---------------------------------------------------------------------------------------------------------
// Signals

const LATENCY_KINDS: Record<string, readonly string[]> = {
  proxy: ['latency', 'http_delay', 'bandwidth', 'slicer', 'stall', 'timeout', 'slow_close'],
  network: ['delay', 'bandwidth'],
  agent: ['delay', 'block'],
};
const CONNECTION_ERROR = /ECONNREFUSED|ECONNRESET|EPIPE|ECONNABORTED|socket hang up|UND_ERR_SOCKET/;
const CONNECTION_KINDS = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET'];
const NULL_ERROR = /TypeError|Cannot read propert|Cannot destructure|is not a function|is not iterable|null|undefined/;

/** What a fault did, read from the report. */
export interface FaultImpact {
  fault: RunFault;
  label: string;
  window?: FaultWindow;
  figures?: FaultFigures;
  /** traffic while the fault was active (its figures, else the buckets of its window) */
  during?: TrafficSummary;
  /** baseline availability minus availability during the fault, in percentage points (≥ 0) */
  availabilityLossPts: number;
  p99Breached: boolean;
  errorRateBreached: boolean;
  /** false only when the figures say it did not recover */
  recovered: boolean;
  http5xx: number;
  timeouts: number;
  connectionErrors: number;
  /** evidence sites recorded while this fault was active, most frequent first (errors and dependency calls) */
  sites: EvidenceSite[];
  /** what a profile probe alongside the fault saw: functions by self time ('cpu-profile'), by live bytes ('heap-profile') */
  profile: EvidenceSite[];
  /** the retained heap grew more than steadyState.maxHeapGrowth across the fault */
  heapBreached: boolean;
}

function sumTraffic(buckets: readonly TrafficSummary[]): TrafficSummary | undefined {
  if (buckets.length === 0) return undefined;
  const requests = buckets.reduce((s, b) => s + b.requests, 0);
  const ok = buckets.reduce((s, b) => s + b.ok, 0);
  const errors = buckets.reduce((s, b) => s + b.errors, 0);
  const errorsByKind: Record<string, number> = {};
  for (const b of buckets) for (const [k, v] of Object.entries(b.errorsByKind)) errorsByKind[k] = (errorsByKind[k] ?? 0) + v;
  const max = (pick: (b: TrafficSummary) => number): number => Math.max(...buckets.map(pick));
  return {
    requests,
    ok,
    errors,
    errorRate: requests > 0 ? errors / requests : 0,
    errorsByKind,
    throughputPerSec: buckets.reduce((s, b) => s + b.throughputPerSec, 0) / buckets.length,
    latencyMs: { p50: max((b) => b.latencyMs.p50), p90: max((b) => b.latencyMs.p90), p99: max((b) => b.latencyMs.p99), p999: max((b) => b.latencyMs.p999), max: max((b) => b.latencyMs.max), mean: max((b) => b.latencyMs.mean) },
  };
}

const availability = (t: TrafficSummary): number => (t.requests > 0 ? (t.ok / t.requests) * 100 : 100);

/** The signals every rule reads, one entry per fault of the run. */
export function faultImpacts(report: RunReport): FaultImpact[] {
  const windows = faultWindows(report);
  const buckets = report.observation?.buckets ?? [];
  const firstStart = Math.min(...windows.map((w) => w.startMs));
  const baseline = report.figures?.baseline ?? sumTraffic(buckets.filter((b) => b.atMs < firstStart));
  const baselineAvailability = baseline ? availability(baseline) : 100;
  const bounds = report.figures?.bounds;
  return report.faults.map((fault) => {
    const window = windows.find((w) => w.faultId === fault.id);
    const figures = report.figures?.faults.find((f) => f.faultId === fault.id);
    const end = window?.endMs ?? Number.POSITIVE_INFINITY;
    const during = figures?.during ?? (window ? sumTraffic(buckets.filter((b) => b.atMs >= window.startMs && b.atMs < end)) : undefined);
    const all = report.evidence.filter((s) => s.faultIds.includes(fault.id)).sort((a, b) => b.count - a.count);
    const isProfile = (s: EvidenceSite): boolean => s.source === 'cpu-profile' || s.source === 'heap-profile';
    const sites = all.filter((s) => !isProfile(s));
    const kinds = during?.errorsByKind ?? {};
    const impact: FaultImpact = {
      fault,
      label: figures?.label ?? faultLabel(fault),
      availabilityLossPts: during ? Math.max(0, baselineAvailability - availability(during)) : 0,
      p99Breached: during !== undefined && bounds?.maxP99LatencyMs !== undefined && during.latencyMs.p99 > bounds.maxP99LatencyMs,
      errorRateBreached: during !== undefined && bounds !== undefined && during.errorRate > bounds.maxErrorRate,
      recovered: figures?.recovered ?? true,
      http5xx: Object.entries(kinds).reduce((s, [k, v]) => (/^http_5/.test(k) ? s + v : s), 0),
      timeouts: kinds.timeout ?? 0,
      connectionErrors: CONNECTION_KINDS.reduce((s, k) => s + (kinds[k] ?? 0), 0) + sites.filter((s) => s.source !== DEPENDENCY_CALL && CONNECTION_ERROR.test(s.message)).reduce((s, x) => s + x.count, 0),
      sites,
      profile: all.filter(isProfile),
      heapBreached: fault.heapGrowthBytes !== undefined && bounds?.maxHeapGrowthBytes !== undefined && fault.heapGrowthBytes > bounds.maxHeapGrowthBytes,
    };
    if (window) impact.window = window;
    if (figures) impact.figures = figures;
    if (during) impact.during = during;
    return impact;
  });
}

/** high: not recovered or ≥ 10 points of availability lost; medium: ≥ 1 point lost or the p99 bound broken; low otherwise. */
export function severityOf(i: FaultImpact): Recommendation['severity'] {
  if (!i.recovered || i.availabilityLossPts >= 10) return 'high';
  if (i.availabilityLossPts >= 1 || i.p99Breached) return 'medium';
  return 'low';
}

// ---------------------------------------------------------------------------------------------------------
// Rules

type Rule = (i: FaultImpact, report: RunReport) => Recommendation | undefined;

function impactText(i: FaultImpact): string {
  const parts: string[] = [];
  if (i.during) {
    parts.push(`p99 ${fmtMs(i.during.latencyMs.p99)}`, `error rate ${fmtRate(i.during.errorRate)}`);
    if (i.availabilityLossPts > 0) parts.push(`${fmtPct(i.availabilityLossPts, 1).replace(' %', '')} points of availability lost`);
  }
  if (!i.recovered) parts.push('did not recover');
  return parts.join(', ');
}

/** Where the fault was felt: the call site of the faulted dependency when there is one, else the top error site. */
const siteOf = (i: FaultImpact): EvidenceSite | undefined => i.sites.find((s) => s.source === DEPENDENCY_CALL) ?? i.sites[0];

function located(r: Recommendation, i: FaultImpact): Recommendation {
  const site = siteOf(i);
  if (site) r.location = site.location;
  return r;
}

const callSite = (i: FaultImpact): string => {
  const site = siteOf(i);
  return site ? ` at ${site.location}${site.fn ? ` (${site.fn})` : ''}` : '';
};

const dependencyOf = (f: RunFault): string => f.target;

const addTimeout: Rule = (i, report) => {
  if (!(LATENCY_KINDS[i.fault.layer] ?? []).includes(i.fault.kind)) return undefined;
  if (!i.p99Breached && i.timeouts === 0) return undefined;
  const bound = report.figures?.bounds.maxP99LatencyMs;
  const why = [`${i.label} raised p99 latency to ${fmtMs(i.during?.latencyMs.p99)}${bound !== undefined ? ` (tolerance ${fmtMs(bound)})` : ''}`];
  if (i.timeouts > 0) why.push(`${i.timeouts} request(s) timed out`);
  return located(
    {
      title: `Add a timeout and a fallback where ${dependencyOf(i.fault)} is called`,
      why: why.join('; '),
      change: `Give the call${callSite(i)} a deadline shorter than your own latency budget (AbortSignal.timeout(ms) for fetch/undici, the timeout option of http.request) and answer from a fallback (a cached or default value, or a partial answer) when it fires.`,
      severity: severityOf(i),
      recipe: 'add-timeout',
    },
    i,
  );
};

const retryOrBreak: Rule = (i) => {
  if (i.fault.layer !== 'proxy' && i.fault.layer !== 'network') return undefined;
  if (i.connectionErrors === 0) return undefined;
  const persistent = (i.during?.errorRate ?? 0) >= 0.5;
  const why = `${i.connectionErrors} connection refused/reset error(s) under ${i.label}${i.during ? ` (error rate ${fmtRate(i.during.errorRate)} while active)` : ''}`;
  return located(
    persistent
      ? {
          title: `Put a circuit breaker around calls to ${dependencyOf(i.fault)}`,
          why: `${why}: the dependency was down for most of the fault, where retries only add load`,
          change: `Wrap the call${callSite(i)} in a circuit breaker: open after a run of connection errors, fail fast (with a fallback answer) while open, and let one trial call through after a cool-down.`,
          severity: severityOf(i),
          recipe: 'add-circuit-breaker',
        }
      : {
          title: `Retry calls to ${dependencyOf(i.fault)} with backoff and jitter`,
          why: `${why}: the failures were intermittent, so a retry would likely have succeeded`,
          change: `Retry the call${callSite(i)} on ECONNRESET/ECONNREFUSED a bounded number of times (e.g. 3) with exponential backoff and full jitter, only for idempotent requests, within the caller's deadline.`,
          severity: severityOf(i),
          recipe: 'add-retry',
        },
    i,
  );
};

/** HTTP faults that make a dependency answer with an error status, or with a body that is not what it sent. */
const isErrorAnswer = (f: RunFault): 'status' | 'body' | undefined => {
  if (f.layer !== 'proxy') return undefined;
  if (f.kind === 'http_status') return Number(f.params.status ?? 503) >= 500 ? 'status' : undefined;
  if (f.kind === 'http_body') return 'body';
  return undefined;
};

/** Statuses a retry may cure (the add-retry recipe retries exactly these). */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * True when the fault acted on a share of the requests only (a per-request `probability` or a per-connection
 * `toxicity` below 1): the failures were intermittent, so the same request sent again would likely pass.
 */
const intermittent = (f: RunFault): boolean => {
  const share = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 1);
  return share(f.params.probability) < 1 || share(f.params.toxicity) < 1;
};

const retryErrorAnswers: Rule = (i) => {
  if (i.fault.layer !== 'proxy' || i.fault.kind !== 'http_status' || !intermittent(i.fault)) return undefined;
  const status = Number(i.fault.params.status ?? 503);
  if (!RETRYABLE_STATUS.has(status)) return undefined;
  if (i.http5xx === 0 && !i.errorRateBreached) return undefined;
  const share = Math.round(100 * Math.min(Number(i.fault.params.probability ?? 1), Number(i.fault.params.toxicity ?? 1)));
  return located(
    {
      title: `Retry calls to ${dependencyOf(i.fault)} that answer ${status}, with backoff and jitter`,
      why: `${dependencyOf(i.fault)} answered ${status} to about ${share} % of the requests (${i.label}) and the service failed with it: ${i.http5xx > 0 ? `${i.http5xx} HTTP 5xx answer(s)` : 'the error-rate bound broke'}${i.during ? `, error rate ${fmtRate(i.during.errorRate)}` : ''}; the failures were intermittent, so the same request sent again would likely have passed`,
      change: `Retry the call${callSite(i)} on ${status} (and resets) a bounded number of times with exponential backoff and full jitter, only for idempotent requests, within the caller's deadline; the fallback stays for when the retries run out.`,
      severity: severityOf(i),
      recipe: 'add-retry',
    },
    i,
  );
};

/** The evidence of an agent `iolatency` fault for a synchronous file call it held: the thread (the event loop) waited. */
const SYNC_IO = /synchronous call/;

const moveOffRequestPath: Rule = (i, report) => {
  if (i.fault.layer !== 'agent' || i.fault.kind !== 'iolatency') return undefined;
  if (!i.p99Breached && i.timeouts === 0 && !i.errorRateBreached) return undefined;
  // only awaited calls were slowed: the requests that wait for the disk are slow, nobody else is held up
  const sync = i.sites.filter((s) => SYNC_IO.test(s.message));
  const site = sync[0];
  if (site === undefined) return undefined;
  const bound = report.figures?.bounds.maxP99LatencyMs;
  return {
    title: `Move the blocking file call at ${site.location} off the request path`,
    why: `${i.label} made every matching file call ${String(i.fault.params.ms ?? '?')} ms slower, and the synchronous call at ${site.location}${site.fn ? ` (${site.fn})` : ''} (${site.count}×) held the event loop while it waited: p99 latency ${fmtMs(i.during?.latencyMs.p99)}${bound !== undefined ? ` (tolerance ${fmtMs(bound)})` : ''}${i.timeouts > 0 ? `, ${i.timeouts} request(s) timed out` : ''}, for every request, not only those that use the disk`,
    change: `Use the promise form of the call (fs.promises / node:fs/promises) and await it, making its function async and its callers await it, so the event loop serves other requests while the disk works.`,
    severity: severityOf(i),
    recipe: 'move-off-request-path',
    location: site.location,
  };
};

const mib = (b: number | undefined): string => `${((b ?? 0) / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The retained heap grew past steadyState.maxHeapGrowth across the fault (measured after a full GC by the profile
 * probe), and the heap profile names the application function whose allocations stayed live: bound the collection
 * it grows (the recipe finds the one module-level Map or Set that function grows, or refuses).
 */
const boundGrowth: Rule = (i, report) => {
  if (!i.heapBreached) return undefined;
  const site = i.profile.filter((s) => s.source === 'heap-profile' && s.liveBytes !== undefined && s.location !== NO_APP_FRAME).sort((a, b) => (b.liveBytes ?? 0) - (a.liveBytes ?? 0))[0];
  if (site === undefined) return undefined;
  const bound = report.figures?.bounds.maxHeapGrowthBytes;
  return {
    title: `Bound what ${site.fn ?? 'the function'} at ${site.location} keeps`,
    why: `${i.label}: the retained heap grew ${mib(i.fault.heapGrowthBytes)} across the fault, after a full GC (bound ${mib(bound)}); ${mib(site.liveBytes)} of what was still live was allocated in ${site.fn ?? 'the function'} (${site.location}), so it keeps something for every new key`,
    change: 'Cap the collection that function grows (an LRU of at most cacheMaxEntries entries, or a TTL), so memory follows the working set instead of every key ever seen.',
    severity: i.recovered ? 'medium' : 'high',
    recipe: 'bound-collection',
    location: site.location,
  };
};

/** Share of the profiled time one function must hold the event loop to be named as the cause (20 %). */
export const CPU_HOT_SHARE = 0.2;

/**
 * The steady state broke (p99, timeouts or errors) while the CPU profile shows one application function holding
 * the event loop for a large share of the time: run it on a worker thread so the loop serves other requests.
 */
const offloadCpuWork: Rule = (i, report) => {
  if (!i.p99Breached && i.timeouts === 0 && !i.errorRateBreached) return undefined;
  const site = i.profile.filter((s) => s.source === 'cpu-profile' && s.selfMs !== undefined && s.profiledMs !== undefined && s.profiledMs > 0 && s.location !== NO_APP_FRAME).sort((a, b) => (b.selfMs ?? 0) - (a.selfMs ?? 0))[0];
  if (site === undefined) return undefined;
  const share = (site.selfMs ?? 0) / (site.profiledMs ?? 1);
  if (share < CPU_HOT_SHARE) return undefined;
  const bound = report.figures?.bounds.maxP99LatencyMs;
  return {
    title: `Move the CPU work of ${site.fn ?? 'the function'} at ${site.location} off the event loop`,
    why: `${i.label}: ${site.fn ?? 'the function'} (${site.location}) ran on the event loop for ${Math.round(100 * share)} % of the profiled time, and every other request waited behind it: p99 latency ${fmtMs(i.during?.latencyMs.p99)}${bound !== undefined ? ` (tolerance ${fmtMs(bound)})` : ''}${i.timeouts > 0 ? `, ${i.timeouts} request(s) timed out` : ''}`,
    change: 'Run the function on a worker thread (its callers await the result), so the event loop keeps serving other requests while it computes; or make it cheaper, or compute it once and cache it.',
    severity: severityOf(i),
    recipe: 'offload-to-worker',
    location: site.location,
  };
};

const routeToFallback: Rule = (i) => {
  const what = isErrorAnswer(i.fault);
  if (what === undefined) return undefined;
  // an error answer to a share of the requests is retried (retryErrorAnswers); the fallback is for a dependency that keeps failing
  if (what === 'status' && intermittent(i.fault) && RETRYABLE_STATUS.has(Number(i.fault.params.status ?? 503))) return undefined;
  if (i.http5xx === 0 && !i.errorRateBreached) return undefined;
  const answer = what === 'status' ? `answered ${String(i.fault.params.status ?? 503)}` : 'answered with a body that is not what it sends';
  return located(
    {
      title: `Serve the fallback when ${dependencyOf(i.fault)} ${what === 'status' ? 'answers with an error' : 'answers with an unreadable body'}`,
      why: `while ${dependencyOf(i.fault)} ${answer} (${i.label}), the service failed too: ${i.http5xx > 0 ? `${i.http5xx} HTTP 5xx answer(s)` : 'the error-rate bound broke'}${i.during ? `, error rate ${fmtRate(i.during.errorRate)}` : ''}`,
      change: `Treat an error status or a body that does not parse${callSite(i)} like a failed call: check them inside the try/catch that guards the call, so its fallback (a cached or default value) answers instead of the error.`,
      severity: severityOf(i),
      recipe: 'route-to-fallback',
    },
    i,
  );
};

const guardCall: Rule = (i, report) => {
  if (i.fault.layer !== 'agent' || i.fault.kind !== 'throw') return undefined;
  const surfaced = i.http5xx > 0 || (i.during === undefined && report.deviated && i.sites.length > 0);
  if (!surfaced) return undefined;
  const fn = i.sites[0]?.fn ?? i.fault.target;
  return located(
    {
      title: `Catch errors from ${fn} and degrade at the caller`,
      why: `errors thrown by ${i.label} reached clients as ${i.http5xx > 0 ? `${i.http5xx} HTTP 5xx answer(s)` : 'failed requests'}${i.sites[0] ? ` (${i.sites[0].count}× "${i.sites[0].message}")` : ''}`,
      change: `Wrap the call${callSite(i)} in try/catch (or .catch for a promise) and degrade: answer without that part, from a cache or a default, and log the error, instead of failing the whole request.`,
      severity: severityOf(i),
      recipe: 'guard-call',
    },
    i,
  );
};

const nullGuard: Rule = (i, report) => {
  if (i.fault.layer !== 'agent' || (i.fault.kind !== 'null' && i.fault.kind !== 'undefined')) return undefined;
  const typeErrors = i.sites.filter((s) => NULL_ERROR.test(s.message)).reduce((s, x) => s + x.count, 0);
  const crashedOr5xx = i.http5xx > 0 || i.connectionErrors > 0 || (typeErrors > 0 && (report.deviated || i.availabilityLossPts > 0));
  if (!crashedOr5xx) return undefined;
  const what = i.http5xx > 0 ? `${i.http5xx} HTTP 5xx answer(s)` : i.connectionErrors > 0 ? 'a crash (connections refused afterwards)' : `${typeErrors} TypeError(s)`;
  return located(
    {
      title: `Validate the result of ${i.sites[0]?.fn ?? i.fault.target} before using it`,
      why: `when ${i.label} returned ${i.fault.kind}, the service failed with ${what}`,
      change: `Check the value${callSite(i)} before dereferencing it (if (x == null) …, optional chaining with an explicit default) and treat a missing result as a handled case, not a crash.`,
      severity: severityOf(i),
      recipe: 'null-guard',
    },
    i,
  );
};

const restartPolicy: Rule = (i, report) => {
  if (i.fault.layer !== 'process' || (i.fault.kind !== 'kill' && i.fault.kind !== 'pause')) return undefined;
  const ttr = i.figures?.timeToRecoverMs ?? null;
  const slo = report.slo?.recoverMs;
  const late = ttr !== null && slo !== undefined && ttr > slo;
  if (i.recovered && !late) return undefined;
  const service = i.fault.target;
  return {
    title: i.fault.kind === 'kill' ? `Restart ${service} automatically when it dies` : `Detect a hung ${service} with a health check and restart it`,
    why: i.recovered ? `${i.label}: recovered after ${fmtMs(ttr)}, above the ${fmtMs(slo)} SLO` : `${i.label}: the service did not return to steady state after the fault ended`,
    change:
      i.fault.kind === 'kill'
        ? `Run ${service} under a supervisor with a restart policy (restart: on-failure in faultline.yaml, systemd Restart=, a Kubernetes liveness probe) and make start-up fast enough to meet the recovery SLO.`
        : `Add a liveness health check that answers from the event loop (a paused or blocked process stops answering) with a short timeout, and restart the process when it fails a few times in a row.`,
    severity: severityOf(i),
  };
};

const monotonicTime: Rule = (i, report) => {
  if (i.fault.layer !== 'process' || (i.fault.kind !== 'timeskew' && i.fault.kind !== 'clockdrift')) return undefined;
  const hurt = i.errorRateBreached || i.p99Breached || i.sites.length > 0 || (report.deviated && i.availabilityLossPts > 0);
  if (!hurt) return undefined;
  return located(
    {
      title: `Measure durations and timeouts with a monotonic clock in ${i.fault.target}`,
      why: `shifting the wall clock (${i.label}) changed the service's behaviour: ${impactText(i) || `${i.sites.length} error site(s)`}`,
      change: `Use performance.now() or process.hrtime.bigint() for elapsed time, timeouts, TTLs and rate limits${callSite(i)}; keep Date.now() for timestamps shown to people, and validate token/cache expiry with a skew allowance.`,
      severity: severityOf(i),
      recipe: 'monotonic-clock',
    },
    i,
  );
};

/** A corrupted data file (process corruptfile) that kept the service from starting or made it answer errors. */
const skipBadRecord: Rule = (i, report) => {
  if (i.fault.layer !== 'process' || i.fault.kind !== 'corruptfile') return undefined;
  const site = i.sites.find((s) => s.source !== DEPENDENCY_CALL);
  if (!site) return undefined;
  const failed = i.http5xx > 0 || i.connectionErrors > 0 || i.errorRateBreached || !i.recovered || i.availabilityLossPts > 0 || report.deviated;
  if (!failed) return undefined;
  const file = typeof i.fault.params.path === 'string' ? i.fault.params.path : 'its data file';
  return {
    title: `Skip (and report) a corrupt record instead of refusing to start`,
    why: `with a corrupt record in ${file} (${i.label}), ${i.fault.target} failed at ${site.location}${site.fn ? ` (${site.fn})` : ''}: ${site.message}${impactText(i) ? `; ${impactText(i)}` : ''}`,
    change: `Parse each record of the file on its own at ${site.location}: a record that does not parse is skipped with a warning naming it (its line number), and the service starts with the others; keep a copy of the bad record for repair.`,
    location: site.location,
    severity: severityOf(i),
    recipe: 'skip-bad-record',
  };
};

/** A JSON SyntaxError (what JSON.parse throws on malformed input), as the evidence words it. */
const JSON_SYNTAX_ERROR = /SyntaxError[\s\S]*(JSON|Unexpected (token|end|non-whitespace|character)|Expected ',' or|Bad control character|Unterminated string)/;

/** Malformed requests (traffic fault) answered 5xx: from the fault's own summary, else from the traffic while it was active. */
function malformed5xx(i: FaultImpact): number {
  if (i.fault.layer !== 'traffic' || i.fault.kind !== 'malformed') return 0;
  return i.fault.traffic?.byClass['5xx'] ?? i.during?.errorsByKind.malformed_http_5xx ?? 0;
}

function malformedWhy(i: FaultImpact, n: number): string {
  const t = i.fault.traffic;
  return t ? `${t.sent} malformed ${t.request} request(s) (expected ${t.expect}): ${n} answered 5xx, ${t.asExpected} as expected` : `${n} malformed request(s) answered 5xx under ${i.label}`;
}

const guardJsonInput: Rule = (i) => {
  const n = malformed5xx(i);
  if (n === 0) return undefined;
  const site = i.sites.find((s) => JSON_SYNTAX_ERROR.test(s.message));
  if (!site) return undefined;
  return {
    title: `Answer malformed JSON with 400, not 500${site.fn ? ` in ${site.fn}` : ''}`,
    why: `${malformedWhy(i, n)}; the SyntaxError of JSON.parse at ${site.location} reached the client as a server error (${site.count}× "${site.message}")`,
    change: `Parse the request body at ${site.location} through a helper that turns the SyntaxError into a typed error with status 400 (JsonParseError), so the handler can tell bad input from an outage.`,
    severity: severityOf(i),
    recipe: 'guard-json-parse',
    location: site.location,
  };
};

/**
 * error-status: where the 500 is answered. The evidence records where the error arose and the frames up to the
 * request handler; the outermost application frame is the handler's call inside the try whose catch answered,
 * so the recommendation names it (the recipe takes the catch-all of the try around that line). Without such a
 * frame it names the error's own site (the recipe then refuses unless that line is inside such a try).
 */
const errorStatus: Rule = (i) => {
  const n = malformed5xx(i);
  if (n === 0) return undefined;
  const site = i.sites.find((s) => JSON_SYNTAX_ERROR.test(s.message)) ?? i.sites[0];
  const where = site?.outer ?? site?.location;
  const r: Recommendation = {
    title: "Answer client errors with their own 4xx status in the handler's catch-all",
    why: `${malformedWhy(i, n)}: the handler answers every error with 500, so bad input looks like an outage${site ? ` (errors at ${site.location})` : ''}`,
    change: `In the catch-all of the request handler${where ? ` around ${where}` : ''}, answer err.status/err.statusCode when it is a 4xx (the http-errors convention) and 500 otherwise, without sending the raw message of a 5xx to the client.`,
    severity: severityOf(i),
    recipe: 'error-status',
  };
  if (where) r.location = where;
  return r;
};

/** the bound the fault broke furthest, as the signal an alert should watch */
function signalOf(i: FaultImpact, report: RunReport): string {
  const b = report.figures?.bounds;
  const d = i.during;
  if (!b || !d) return 'error rate and p99 latency';
  const errRatio = b.maxErrorRate > 0 ? d.errorRate / b.maxErrorRate : d.errorRate > 0 ? Number.POSITIVE_INFINITY : 0;
  const p99Ratio = b.maxP99LatencyMs ? d.latencyMs.p99 / b.maxP99LatencyMs : 0;
  const tpRatio = b.minThroughputPerSec && d.throughputPerSec > 0 ? b.minThroughputPerSec / d.throughputPerSec : 0;
  const best = Math.max(errRatio, p99Ratio, tpRatio);
  if (best === p99Ratio && p99Ratio > 0) return `p99 latency (above ${fmtMs(b.maxP99LatencyMs)})`;
  if (best === tpRatio && tpRatio > 0) return `throughput (below ${b.minThroughputPerSec} req/s)`;
  return `error rate (above ${fmtRate(b.maxErrorRate)})`;
}

const detection: Rule = (i, report) => {
  const ff = i.figures;
  if (!ff) return undefined;
  const slo = report.slo?.detectMs;
  const restartCase = i.fault.layer === 'process' && (i.fault.kind === 'kill' || i.fault.kind === 'pause');
  if (!ff.recovered && i.window?.endMs !== undefined && !restartCase) {
    return located(
      {
        title: `Alert when ${i.fault.target} stays out of steady state after a fault`,
        why: `${i.label} ended but the service did not return to steady state before the observation stopped (${impactText(i)})`,
        change: `Add an alert (or a steady-state probe in your experiments) on ${signalOf(i, report)} that fires when it stays out of bounds for longer than the recovery SLO, and find what keeps the service degraded (stuck connections, a poisoned cache, an open breaker that never closes).`,
        severity: 'high',
      },
      i,
    );
  }
  if (slo === undefined) return undefined;
  if (ff.timeToDetectMs === null) {
    return {
      title: `Add a steady-state probe that detects ${i.label}`,
      why: `the fault was expected to be detected within ${fmtMs(slo)}, but no steady-state violation was observed while it was active`,
      change: `Add a probe or alert on the signal this fault degrades (${signalOf(i, report)}), or tighten the steady-state bounds, so the fault is seen within ${fmtMs(slo)}.`,
      severity: severityOf(i),
    };
  }
  if (ff.timeToDetectMs > slo) {
    return {
      title: `Detect ${i.label} faster`,
      why: `time to detect ${fmtMs(ff.timeToDetectMs)} is above the ${fmtMs(slo)} SLO`,
      change: `Alert on ${signalOf(i, report)} over a shorter window (or probe more often) so detection fits within ${fmtMs(slo)}.`,
      severity: severityOf(i),
    };
  }
  return undefined;
};

const RULES: readonly Rule[] = [addTimeout, retryOrBreak, retryErrorAnswers, moveOffRequestPath, boundGrowth, offloadCpuWork, routeToFallback, guardCall, nullGuard, restartPolicy, monotonicTime, skipBadRecord, guardJsonInput, errorStatus, detection];
const RANK: Record<Recommendation['severity'], number> = { high: 0, medium: 1, low: 2 };

/** Every recommendation the rules derive from the report, highest severity first, without duplicates. */
export function recommend(report: RunReport): Recommendation[] {
  const out: Recommendation[] = [];
  const seen = new Map<string, Recommendation>();
  for (const impact of faultImpacts(report)) {
    for (const rule of RULES) {
      const r = rule(impact, report);
      if (!r) continue;
      const key = `${r.recipe ?? r.title}\0${r.location ?? r.title}`;
      const earlier = seen.get(key);
      if (earlier) {
        if (!earlier.faultIds?.includes(impact.fault.id)) {
          earlier.faultIds = [...(earlier.faultIds ?? []), impact.fault.id];
          // what each fault did, for the first three (a fix is verified against each)
          if (earlier.faultIds.length <= 3 && !earlier.why.includes(r.why)) earlier.why = `${earlier.why}; ${r.why}`;
        }
        continue;
      }
      const withFault = { ...r, faultIds: [impact.fault.id] };
      seen.set(key, withFault);
      out.push(withFault);
    }
  }
  return out.map((r, i) => [r, i] as const).sort((a, b) => RANK[a[0].severity] - RANK[b[0].severity] || a[1] - b[1]).map(([r]) => r);
}
