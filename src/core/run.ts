/**
 * The vocabulary of a run (an experiment, a failure-card drill, a chaos session, a test run under chaos).
 * Stages meet here: `experiment` drives faults through a FaultDriver and watches through an Observer, `observe`
 * implements the Observer and computes ResilienceFigures, `report` renders a RunReport, and `store` keeps
 * RunRecords. None of them imports another; the CLI (or the loop) wires the real implementations in.
 */
import type { ActiveFault, FaultRequest } from './fault.js';

// ---------------------------------------------------------------------------------------------------------
// Faults, as the experiment stage sees them (the CLI wires the InjectionEngine of src/inject behind it)

/** One stack frame of an error the in-process agent recorded. `app` is false for node_modules and node: frames. */
export interface EvidenceFrame {
  file: string;
  line: number;
  col?: number;
  fn?: string;
  app: boolean;
}

/** An error a target threw (or answered with) while a fault was active, as the agent recorded it. */
export interface ErrorEvidence {
  /** epoch ms */
  at: number;
  name?: string;
  message: string;
  /** the instrumented function that threw, and its module, when the agent knows them */
  fn?: string;
  module?: string;
  /** 'fault' (thrown by the injected fault), 'uncaught', 'rejection', 'response' (a 5xx answer) … */
  source?: string;
  frames: EvidenceFrame[];
  faultId?: string;
  /** how many times it happened, when the target counted repeats in one record (a blocking call site); 1 when absent */
  count?: number;
  /** source 'cpu-profile' (the agent's `profile` probe): the function's self time on the event loop and how long the profile ran, ms */
  selfMs?: number;
  profiledMs?: number;
  /** source 'heap-profile': bytes allocated in the function still live after a full GC */
  liveBytes?: number;
  /** source 'heap-profile', on every such record: the used JS heap after a full GC at the end minus at the start */
  heapGrowthBytes?: number;
}

export interface FaultDriver {
  /** injects one fault (admission by safe zones happens inside); resolves once it is active */
  inject(req: FaultRequest): Promise<ActiveFault>;
  /** reverts one fault this driver injected; reverting a fault that already expired is not an error */
  revert(id: string): Promise<void>;
  /** reverts every fault this driver injected; resolves with their ids */
  revertAll(): Promise<string[]>;
  /** errors the target recorded while the fault was active (agent faults only; [] otherwise) */
  evidence(id: string): Promise<ErrorEvidence[]>;
  /** for a `traffic` fault: what its replaced requests were answered (undefined for other layers) */
  trafficSummary?(id: string): TrafficFaultSummary | undefined;
}

/** What the requests of one `traffic` fault (e.g. malformed requests) were answered. */
export interface TrafficFaultSummary {
  /** "POST /orders" */
  request: string;
  /** the answer class that is correct for them ('4xx', or a status such as '400') */
  expect: string;
  /** requests sent in place of the load's own */
  sent: number;
  /** answered as expected */
  asExpected: number;
  /** by answer class: '2xx', '4xx', '5xx', 'timeout', a socket error code, 'aborted' */
  byClass: Record<string, number>;
}

/**
 * Faults the load generator applies to its own requests (layer `traffic`): asked once per request, it answers the
 * request to send instead (while such a fault is active and its draw says so), or undefined.
 */
export interface TrafficFaultSource {
  draw(): TrafficReplacement | undefined;
  /**
   * Called by a load generator as it starts, with its origin and timeout; the faults with `rate` flood that origin
   * while it runs. The function returned is called as the load stops sending; it resolves once the floods' sockets
   * are closed.
   */
  attach?(load: { origin: string; timeoutMs: number }): () => void | Promise<void>;
}

export interface TrafficReplacement {
  faultId: string;
  method: string;
  /** path and query, on the load's origin */
  path: string;
  body?: string;
  headers: Record<string, string>;
  /** records the answer and returns the outcome the load counts ('ok' when the answer is the expected one) */
  settle(status: number, outcome: string): string;
  /** true: only the fault's summary records it; the load leaves it out of its samples (traffic `mix` with measure: false) */
  unmeasured?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Observation: load, latency, errors and process samples on one timeline

/** Open-loop load: a constant request rate, latency measured from the intended send time. */
export interface LoadSpec {
  url: string;
  method: string;
  body?: string;
  headers?: Record<string, string>;
  ratePerSec: number;
  timeoutMs: number;
  /** maximum sockets (default 64) */
  connections?: number;
  /** faults of layer `traffic` that replace some of these requests while active (wired by the loop; not data) */
  traffic?: TrafficFaultSource;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface TrafficSummary {
  requests: number;
  ok: number;
  errors: number;
  /** errors / requests, 0 when there were no requests */
  errorRate: number;
  /** 'http_5xx', 'http_4xx', 'timeout', 'ECONNREFUSED', 'ECONNRESET' … */
  errorsByKind: Record<string, number>;
  /** successful responses per second */
  throughputPerSec: number;
  latencyMs: LatencySummary;
}

/** Traffic of one time slice; `atMs` is the slice's start, ms since the observation started. */
export interface TimelineBucket extends TrafficSummary {
  atMs: number;
}

export type TimelineEventKind = 'phase' | 'inject' | 'revert' | 'expire' | 'halt' | 'probe' | 'action' | 'detect' | 'recover' | 'note';

export interface TimelineEvent {
  /** ms since the observation started */
  atMs: number;
  kind: TimelineEventKind;
  label: string;
  faultId?: string;
}

/** One sample of a target process, read from /proc (cpu, rss, fds) and from its agent (event-loop lag). */
export interface ProcessSample {
  atMs: number;
  pid: number;
  service?: string;
  /** % of one core over the interval since the previous sample */
  cpuPercent: number;
  rssBytes: number;
  openFds: number;
  /** p99 event-loop delay over the interval, when the process runs the agent */
  eventLoopLagMs?: number;
}

/** One streaming anomaly scorer (a detector instance for one series): value at time t (epoch ms) → score in [0, 1]. */
export type AnomalyScorer = (t: number, value: number) => number;
/** Creates a scorer by detector name (the observe stage's registry, wired in src/loop/wiring.ts); throws on an unknown name. */
export type AnomalyScorerFactory = (detector: string) => AnomalyScorer;

export interface Observation {
  /** epoch ms of the observation's time zero */
  startedAt: number;
  durationMs: number;
  bucketMs: number;
  buckets: TimelineBucket[];
  events: TimelineEvent[];
  process: ProcessSample[];
  /** the whole observation */
  summary: TrafficSummary;
}

export interface ObserveTarget {
  pid: number;
  service?: string;
  /** the agent control API (host:port) of that process, for event-loop lag */
  agent?: string;
  /** the agent's token (FAULTLINE_AGENT_TOKEN), when it was started with one */
  agentToken?: string;
}

export interface ObserveOptions {
  /** no load: only process samples and events */
  load?: LoadSpec;
  /** processes to sample; called at each sample (a restarted service gets a new pid) */
  targets?: () => ObserveTarget[];
  /** timeline slice (default 250 ms) */
  bucketMs?: number;
  /** process sampling interval (default 500 ms) */
  sampleEveryMs?: number;
  /** called with each completed bucket (progress, live metrics) */
  onBucket?: (b: TimelineBucket) => void;
}

/** A running observation. */
export interface Observer {
  /** ms since the observation started */
  now(): number;
  /** puts an event on the timeline at now() (or at `atMs`) */
  mark(e: Omit<TimelineEvent, 'atMs'> & { atMs?: number }): void;
  /** traffic of the last `ms` milliseconds, for halt conditions and live checks */
  window(ms: number): TrafficSummary;
  /** stops the load (requests in flight finish or time out) and the samplers */
  stop(): Promise<Observation>;
}

export type StartObserver = (o: ObserveOptions) => Observer;

// ---------------------------------------------------------------------------------------------------------
// Resilience figures (definitions and formulas: docs/reference/resilience-figures.md)

/** What counts as steady: a bucket is steady when it meets every bound that is set. */
export interface SteadyStateBounds {
  maxErrorRate: number;
  maxP99LatencyMs?: number;
  minThroughputPerSec?: number;
  /** retained heap growth across a fault (after a full GC), judged where a profile probe measured it (not per slice) */
  maxHeapGrowthBytes?: number;
}

/** A fault's active interval on the observation's timeline. */
export interface FaultWindow {
  faultId: string;
  label: string;
  startMs: number;
  /** when it was reverted (or expired); undefined when it outlived the observation */
  endMs?: number;
}

export interface FaultFigures {
  faultId: string;
  label: string;
  /** first steady-state violation at or after injection, minus injection time; null when never detected */
  timeToDetectMs: number | null;
  /** from fault end to the start of a sustained return to steady state; null when it did not recover */
  timeToRecoverMs: number | null;
  /** from detection to the sustained return; null when not detected or not recovered */
  timeToRecoverFromDetectMs: number | null;
  recovered: boolean;
  /** traffic while the fault was active */
  during: TrafficSummary;
  availabilityPct: number;
  faultToleranceScore: number;
  gracefulDegradationScore: number;
}

export interface ResilienceFigures {
  bounds: SteadyStateBounds;
  baseline?: TrafficSummary;
  faults: FaultFigures[];
  /** ok / requests over the whole observation, in % */
  availabilityPct: number;
  errorRate: number;
  /** means over the faults that were detected / recovered; null when none */
  mttdMs: number | null;
  mttrMs: number | null;
  faultToleranceScore: number;
  gracefulDegradationScore: number;
  /** recovered faults / faults */
  recoverySuccessRate: number;
}

// ---------------------------------------------------------------------------------------------------------
// Reports and the record of runs

export type RunKind = 'experiment' | 'card' | 'chaos' | 'gameday' | 'loop' | 'test';
export type RunStatus = 'completed' | 'failed' | 'aborted' | 'interrupted';

/** One steady-state probe evaluated against its tolerance. */
export interface HypothesisCheck {
  phase: 'before' | 'during' | 'after';
  probe: string;
  met: boolean;
  tolerance?: unknown;
  value?: unknown;
  error?: string;
  /** ms since the run started */
  atMs: number;
  durationMs: number;
}

export interface RunFault {
  id: string;
  kind: string;
  layer: string;
  target: string;
  params: Record<string, unknown>;
  /** ms since the run started */
  startMs: number;
  endMs?: number;
  /** how it ended: reverted by the run, by a halt condition, by an interruption, or expired (TTL) */
  endedBy?: 'run' | 'halt' | 'interrupt' | 'ttl' | 'rollback';
  /** for a `traffic` fault: what its requests were answered */
  traffic?: TrafficFaultSummary;
  /** the faults that ran alongside this one for as long as it did (a failure card's `injection.with`) */
  with?: RunCompanion[];
  /** retained JS heap growth of the target across the fault (after a full GC), when an agent `profile` probe ran alongside */
  heapGrowthBytes?: number;
}

/** A fault injected alongside a run's fault, with its window (a failure card's `injection.with`). */
export interface RunCompanion {
  id: string;
  kind: string;
  layer: string;
  target: string;
  params: Record<string, unknown>;
  /** for a `traffic` fault: what its requests were answered */
  traffic?: TrafficFaultSummary;
}

/** Where failures happened in the code, grouped from the evidence. */
export interface EvidenceSite {
  /** file:line (mapped to the source file when a source map exists) */
  location: string;
  fn?: string;
  message: string;
  count: number;
  faultIds: string[];
  /**
   * 'dependency-call': not an error but the call site of the link a proxy fault acted on (the calls made there
   * while it was active, with their latency and failures); absent for errors.
   */
  source?: 'dependency-call' | 'cpu-profile' | 'heap-profile';
  /** 'cpu-profile': the function's self time on the event loop (ms, summed) and how long the profile ran */
  selfMs?: number;
  profiledMs?: number;
  /** 'heap-profile': bytes allocated in the function that were still live after a full GC, and the heap's growth */
  liveBytes?: number;
  heapGrowthBytes?: number;
  /**
   * for errors requests were answered with (evidence `source: 'response'`, a 5xx): their outermost application
   * frame (file:line, mapped like `location`), usually the request handler's line inside the try whose catch
   * answered; absent when it is `location`
   */
  outer?: string;
}

export interface Recommendation {
  title: string;
  /** what was observed that led to it */
  why: string;
  /** what to change */
  change: string;
  location?: string;
  severity: 'high' | 'medium' | 'low';
  /** a refactoring recipe that addresses it, when one exists */
  recipe?: string;
  /** the faults of the run whose effect led to it */
  faultIds?: string[];
}

export interface RunReport {
  id: string;
  kind: RunKind;
  title: string;
  status: RunStatus;
  deviated: boolean;
  /** the halt condition that stopped the run */
  halted?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  seed?: number;
  checks: HypothesisCheck[];
  faults: RunFault[];
  observation?: Observation;
  figures?: ResilienceFigures;
  evidence: EvidenceSite[];
  recommendations: Recommendation[];
  /** paths of what the run wrote: journal, report.json, report.html, junit.xml */
  artifacts: Record<string, string>;
  /** a failure card's id, for card drills */
  cardId?: string;
  /** the SLO timings the run's faults are held to (a failure card's slo); reports add an SLO test case per fault */
  slo?: { detectMs?: number; recoverMs?: number };
  /** why this run was chosen (continuous chaos guided by predicted failure points) */
  reason?: string;
}

/** What the store keeps of every run (the chaos ledger of runs; faults are in the fault ledger). */
export interface RunRecord {
  id: string;
  kind: RunKind;
  title: string;
  status: RunStatus;
  deviated: boolean;
  cardId?: string;
  category?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  mttdMs: number | null;
  mttrMs: number | null;
  availabilityPct?: number;
  /** path of the run's report.json */
  reportPath?: string;
}
