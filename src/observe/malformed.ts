/**
 * Traffic faults: requests of the load replaced, while the fault is active, by other requests. The kinds:
 * - `malformed` (fuzzing under load): a share of the load's requests (a seeded draw per request) becomes
 *   `method path` with a malformed body on the load's own origin. An answer in the `expect` class (default 4xx)
 *   counts as ok; a 5xx, a reset or a timeout counts as an error, so the steady state's error rate shows a service
 *   that answers garbage with 500.
 * - `unique-keys` (cache-busting traffic, src/observe/traffic/unique-keys.ts): the path's `*` becomes a key never
 *   asked before in the run; `expect` defaults to 2xx.
 * - `mix` (another, valid request blended into the load, src/observe/traffic/mix.ts): the write traffic a read-only
 *   load lacks; `expect` defaults to 2xx.
 * The load generator applies the fault, so it also enforces the TTL: once `expiresAt` passes, no request is
 * replaced any more, reverted or not.
 *
 * With `rate` (unique-keys and mix), a fault replaces none of the load's requests: it floods the origin of the load
 * attached (`attach`, called by startLoad) with requests of its own, `rate` per second over a pool of its own, for
 * as long as it is active (src/observe/traffic/flood.ts, which enforces the TTL itself). Their outcomes go only to
 * the fault's summary. A rate-fault injected with no load attached floods once one attaches.
 *
 * Reference: docs/reference/traffic-faults.md.
 */
import { FaultlineError } from '../core/errors.js';
import { newFaultId, type ActiveFault, type FaultApplier, type FaultRequest, type LedgerSink } from '../core/fault.js';
import { createRng, type Rng } from '../core/rng.js';
import type { TrafficFaultSource, TrafficFaultSummary, TrafficReplacement } from '../core/run.js';
import { answerClass, checkParamKeys, DEFAULT_FLOOD_CONNECTIONS, isExpected, paramError, parseExpect, parseHeaders, parseMethod, parsePath, parseShare, trafficRoute } from './traffic/params.js';
import { startFlood, type Flood } from './traffic/flood.js';
import { mixRequest, parseMixParams } from './traffic/mix.js';
import { keyedPath, parseUniqueKeysParams, uniqueKeys } from './traffic/unique-keys.js';

export { answerClass, isExpected, trafficRoute } from './traffic/params.js';
export { keyedPath, parseUniqueKeysParams, uniqueKeys, type UniqueKeysParams } from './traffic/unique-keys.js';
export { mixRequest, parseMixParams, type MixParams } from './traffic/mix.js';
export { floodLimit } from './traffic/flood.js';

/** The kinds of layer `traffic`. */
export const TRAFFIC_KINDS = ['malformed', 'unique-keys', 'mix'] as const;
export type TrafficKind = (typeof TRAFFIC_KINDS)[number];

/** A torn JSON document: what a client that died mid-write, or a fuzzer, sends. */
export const DEFAULT_MALFORMED_BODY = '{"id": 1, "items": [{"sku": "a", "quantity": ';

export interface MalformedParams {
  method: string;
  /** path (and query) on the load's origin; starts with / */
  path: string;
  body: string;
  headers: Record<string, string>;
  /** 0 < share ≤ 1: the part of the load's requests replaced */
  share: number;
  /** '2xx' | '3xx' | '4xx', or one status ('400') */
  expect: string;
}

const PARAM_KEYS = ['method', 'path', 'body', 'headers', 'share', 'expect'];

/** Checks the params of a `malformed` traffic fault and applies the defaults; throws FL_ERR_INVALID_ARGUMENT naming the param. */
export function parseMalformedParams(raw: Record<string, unknown>): MalformedParams {
  checkParamKeys(raw, PARAM_KEYS, 'malformed');
  const method = parseMethod(raw.method, 'POST', 'POST');
  const path = parsePath(raw.path, 'the path the malformed requests go to, starting with / (e.g. /orders)');
  const body = raw.body === undefined ? DEFAULT_MALFORMED_BODY : raw.body;
  if (typeof body !== 'string') throw paramError('body', `expected a string (the malformed body as sent), got ${typeof body}`);
  const headers = parseHeaders(raw.headers, { 'content-type': 'application/json' });
  const share = parseShare(raw.share, 0.2);
  const expect = parseExpect(raw.expect, '4xx');
  return { method, path, body, headers, share, expect };
}

/**
 * Counts one answer in the fault's summary and returns the outcome the load counts: 'ok' when answered as the fault
 * expects, else the class with the kind's prefix ('unique_http_5xx', 'mix_timeout', 'mix_dropped' …).
 */
function count(h: Pick<Held, 'plan' | 'summary'>, status: number, outcome: string): string {
  const { plan, summary } = h;
  const cls = answerClass(status, outcome);
  summary.byClass[cls] = (summary.byClass[cls] ?? 0) + 1;
  if (outcome === 'aborted') return outcome;
  if (isExpected(plan.expect, status) && outcome !== 'timeout') {
    summary.asExpected++;
    return 'ok';
  }
  return `${plan.outcomePrefix}${cls.endsWith('xx') ? `http_${cls}` : cls}`;
}

/** What one traffic fault sends: its kind's params made into requests. */
interface TrafficPlan {
  method: string;
  /** `METHOD path` as given (the summary's `request`) */
  request: string;
  /** `METHOD path` without the query (safe zones, the agents' watch) */
  route: string;
  /** the part of the load's requests replaced; absent for a flood */
  share?: number;
  /** with `rate`: requests of its own on top of the load, over a pool of `connections` sockets */
  flood?: { rate: number; connections: number };
  expect: string;
  /** the prefix of the outcome of an answer outside `expect` ('malformed_', 'unique_', 'mix_') */
  outcomePrefix: string;
  /** the params with their defaults, as the fault records them */
  params: Record<string, unknown>;
  /** the next replacement request */
  next(): { path: string; body?: string; headers: Record<string, string> };
  /** its requests stay out of the load's samples (mix with measure: false) */
  unmeasured?: boolean;
}

function isTrafficKind(kind: string): kind is TrafficKind {
  return (TRAFFIC_KINDS as readonly string[]).includes(kind);
}

/** Checks the kind and its params; `rng` (the fault's own) draws what the kind draws besides the share (keys). */
function planOf(kind: string, raw: Record<string, unknown>, rng: Rng): TrafficPlan {
  if (!isTrafficKind(kind)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `kind: "${kind}" is not a traffic fault; use one of ${TRAFFIC_KINDS.join(', ')}`, { context: { param: 'kind' } });
  switch (kind) {
    case 'malformed': {
      const p = parseMalformedParams(raw);
      const request = { path: p.path, body: p.body, headers: p.headers };
      return { method: p.method, request: `${p.method} ${p.path}`, route: trafficRoute(p.method, p.path), share: p.share, expect: p.expect, outcomePrefix: 'malformed_', params: { ...p }, next: () => request };
    }
    case 'unique-keys': {
      const p = parseUniqueKeysParams(raw);
      const key = uniqueKeys(p.prefix, rng);
      return {
        method: p.method,
        request: `${p.method} ${p.path}`,
        route: trafficRoute(p.method, p.path),
        ...shareOrFlood(p),
        expect: p.expect,
        outcomePrefix: 'unique_',
        params: { ...p },
        next: () => ({ path: keyedPath(p.path, key()), ...(p.body !== undefined ? { body: p.body } : {}), headers: p.headers }),
      };
    }
    case 'mix': {
      const p = parseMixParams(raw);
      const request = mixRequest(p);
      return { method: p.method, request: `${p.method} ${p.path}`, route: trafficRoute(p.method, p.path), ...shareOrFlood(p), expect: p.expect, outcomePrefix: 'mix_', params: { ...p }, next: () => request, ...(p.measure ? {} : { unmeasured: true }) };
    }
  }
}

function shareOrFlood(p: { share?: number; rate?: number; connections?: number }): Pick<TrafficPlan, 'share' | 'flood'> {
  return p.rate !== undefined ? { flood: { rate: p.rate, connections: p.connections ?? DEFAULT_FLOOD_CONNECTIONS } } : { share: p.share ?? 1 };
}

interface Held {
  fault: ActiveFault;
  plan: TrafficPlan;
  rng: Rng;
  summary: TrafficFaultSummary;
  ended: boolean;
  /** performance.now() at the injection: slot 0 of a flood */
  startedPerf: number;
  /** the flood running against the attached load (rate-faults only) */
  flood?: Flood;
}

/** A load generator attached (startLoad): where a flood sends, and the timeout of its requests. */
interface LoadAttachment {
  origin: string;
  timeoutMs: number;
}

export interface TrafficFaultsOptions {
  /** the run's Rng: each fault draws from a generator forked from it (so a seeded run replaces the same requests) */
  rng?: Rng;
  ledger?: LedgerSink;
  now?: () => number;
}

/**
 * The traffic faults of a run: the InjectionEngine hands `traffic` requests to it (FaultApplier) and the load
 * generator asks it, request by request, what to send (TrafficFaultSource); the faults with `rate` flood the origin
 * of the load attached (`attach`). Summaries stay after a fault ends.
 */
export class TrafficFaults implements FaultApplier, TrafficFaultSource {
  private readonly held = new Map<string, Held>();
  /** the loads attached, oldest first: the floods go to the first one */
  private readonly loads: LoadAttachment[] = [];
  /** floods stopping (their pools closing) */
  private readonly stopping = new Set<Promise<void>>();
  private readonly rng: Rng;
  private readonly now: () => number;

  constructor(private readonly o: TrafficFaultsOptions = {}) {
    this.rng = o.rng ?? createRng();
    this.now = o.now ?? Date.now;
  }

  /**
   * The route a fault's requests go to (`METHOD path` without the query), for the engine's safe-zone check before
   * injecting; throws FL_ERR_INVALID_ARGUMENT on a bad kind or param. Draws nothing.
   */
  routeOf(req: Pick<FaultRequest, 'kind' | 'params'>): string {
    return planOf(req.kind, req.params, createRng(0)).route;
  }

  inject(req: FaultRequest): ActiveFault {
    if (req.layer !== 'traffic') throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `layer: expected traffic, got ${req.layer}`);
    planOf(req.kind, req.params, createRng(0)); // the kind and params first: a bad one draws nothing from the run's Rng
    if (!(Number.isFinite(req.ttlMs) && req.ttlMs > 0)) throw new FaultlineError('FL_ERR_TTL_REQUIRED', 'ttl: a traffic fault needs a TTL > 0 ms');
    const rng = this.rng.fork();
    // the share is drawn from `rng`; the keys of unique-keys from a generator of their own (malformed draws nothing else)
    const plan = planOf(req.kind, req.params, req.kind === 'unique-keys' ? rng.fork() : rng);
    const startedAt = this.now();
    const startedPerf = performance.now();
    const fault: ActiveFault = { ...req, params: plan.params, target: { ...req.target, route: plan.route }, id: newFaultId('traffic'), startedAt, expiresAt: startedAt + req.ttlMs };
    const summary: TrafficFaultSummary = { request: plan.request, expect: plan.expect, sent: 0, asExpected: 0, byClass: {} };
    const h: Held = { fault, plan, rng, summary, ended: false, startedPerf };
    this.held.set(fault.id, h);
    this.record('inject', fault);
    this.floodOn(h);
    return fault;
  }

  revert(id: string): boolean {
    const h = this.held.get(id);
    if (!h || h.ended) return false;
    if (this.expire(h)) return false;
    h.ended = true;
    this.record('revert', h.fault);
    this.floodOff(h);
    return true;
  }

  active(): ActiveFault[] {
    return [...this.held.values()].filter((h) => !h.ended && !this.expire(h)).map((h) => h.fault);
  }

  /** What the requests of a fault (active or ended) were answered. */
  summary(id: string): TrafficFaultSummary | undefined {
    const s = this.held.get(id)?.summary;
    return s ? { ...s, byClass: { ...s.byClass } } : undefined;
  }

  draw(): TrafficReplacement | undefined {
    for (const h of this.held.values()) {
      if (h.ended || this.expire(h)) continue;
      // a flood (rate) replaces none of the load's requests and draws nothing here
      if (h.plan.share === undefined || h.rng.next() >= h.plan.share) continue;
      const { plan, summary } = h;
      summary.sent++;
      return {
        faultId: h.fault.id,
        method: plan.method,
        ...plan.next(),
        ...(plan.unmeasured ? { unmeasured: true } : {}),
        settle: (status, outcome) => count(h, status, outcome),
      };
    }
    return undefined;
  }

  /**
   * A load generator starts (startLoad calls this): every active rate-fault floods `load.origin` while it stays
   * attached, and so does a rate-fault injected later. With several loads attached the floods go to the first one
   * (and move to the next when it detaches). The function returned detaches the load; it resolves once the floods
   * that went to it have closed their sockets.
   */
  attach(load: LoadAttachment): () => Promise<void> {
    const a: LoadAttachment = { origin: load.origin, timeoutMs: load.timeoutMs };
    this.loads.push(a);
    if (this.loads[0] === a) for (const h of this.held.values()) this.floodOn(h);
    let detached: Promise<void> | undefined;
    return () => {
      if (detached) return detached;
      const first = this.loads[0] === a;
      this.loads.splice(this.loads.indexOf(a), 1);
      if (!first) return (detached = Promise.resolve());
      const stops = [...this.held.values()].map((h) => this.floodOff(h));
      for (const h of this.held.values()) this.floodOn(h);
      return (detached = Promise.all(stops).then(() => undefined));
    };
  }

  /** Resolves once every flood stopped so far has closed its sockets (revert and expiry stop a flood without waiting). */
  async idle(): Promise<void> {
    while (this.stopping.size > 0) await Promise.all([...this.stopping]);
  }

  /** starts the flood of a rate-fault that is active, against the first load attached (if any, and not yet) */
  private floodOn(h: Held): void {
    const load = this.loads[0];
    const spec = h.plan.flood;
    if (!spec || !load || h.flood || h.ended || this.expire(h)) return;
    h.flood = startFlood({
      origin: load.origin,
      timeoutMs: load.timeoutMs,
      ratePerSec: spec.rate,
      connections: spec.connections,
      t0: h.startedPerf,
      next: () => {
        h.summary.sent++;
        return { method: h.plan.method, ...h.plan.next() };
      },
      settle: (status, outcome) => {
        if (outcome === 'dropped') h.summary.sent++;
        count(h, status, outcome);
      },
      over: () => this.expire(h),
      msLeft: () => h.fault.expiresAt - this.now(),
    });
  }

  /** stops the flood of a fault (if running); resolves once its sockets are closed */
  private floodOff(h: Held): Promise<void> {
    const f = h.flood;
    if (!f) return Promise.resolve();
    h.flood = undefined;
    const p = f.stop();
    this.stopping.add(p);
    void p.then(() => this.stopping.delete(p));
    return p;
  }

  /** ends a fault whose TTL has passed (recorded once as 'expire'); true when it is over */
  private expire(h: Held): boolean {
    if (h.ended) return true;
    if (this.now() < h.fault.expiresAt) return false;
    h.ended = true;
    this.record('expire', h.fault);
    this.floodOff(h);
    return true;
  }

  private record(action: 'inject' | 'revert' | 'expire', f: ActiveFault): void {
    this.o.ledger?.record({ action, faultId: f.id, kind: f.kind, layer: 'traffic', target: String(f.target.route ?? ''), params: f.params, actor: f.actor ?? 'faultline', outcome: 'ok', ...(action === 'inject' ? { ttlMs: f.ttlMs } : {}) });
  }

  /** not data: left out of JSON (a LoadSpec carrying it may be written into a report) */
  toJSON(): undefined {
    return undefined;
  }
}
