/**
 * Traffic faults: requests of the load replaced, while the fault is active, by requests the service should refuse
 * (fuzzing under load). Kind `malformed`: a share of the load's requests (a seeded draw per request) becomes
 * `method path` with a malformed body on the load's own origin. An answer in the `expect` class (default 4xx)
 * counts as ok; a 5xx, a reset or a timeout counts as an error, so the steady state's error rate shows a service
 * that answers garbage with 500. The load generator applies the fault, so it also enforces the TTL: once
 * `expiresAt` passes, no request is replaced any more, reverted or not.
 *
 * Reference: docs/reference/traffic-faults.md.
 */
import { FaultlineError } from '../core/errors.js';
import { newFaultId, type ActiveFault, type FaultApplier, type FaultRequest, type LedgerSink } from '../core/fault.js';
import { createRng, type Rng } from '../core/rng.js';
import type { TrafficFaultSource, TrafficFaultSummary, TrafficReplacement } from '../core/run.js';

/** The kinds of layer `traffic`. */
export const TRAFFIC_KINDS = ['malformed'] as const;

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

const bad = (param: string, message: string): FaultlineError =>
  new FaultlineError('FL_ERR_INVALID_ARGUMENT', `params.${param}: ${message}`, { context: { param } });

/** Checks the params of a `malformed` traffic fault and applies the defaults; throws FL_ERR_INVALID_ARGUMENT naming the param. */
export function parseMalformedParams(raw: Record<string, unknown>): MalformedParams {
  for (const k of Object.keys(raw)) if (!PARAM_KEYS.includes(k)) throw bad(k, `unknown; a malformed traffic fault takes ${PARAM_KEYS.join(', ')}`);
  const method = raw.method === undefined ? 'POST' : raw.method;
  if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) throw bad('method', `expected an HTTP method such as POST, got ${JSON.stringify(method)}`);
  const path = raw.path;
  if (typeof path !== 'string' || !path.startsWith('/')) throw bad('path', `is required: the path the malformed requests go to, starting with / (e.g. /orders), got ${JSON.stringify(path)}`);
  if (/[\s\u0000-\u001f]/.test(path)) throw bad('path', `must not contain spaces or control characters: ${JSON.stringify(path)}`);
  const body = raw.body === undefined ? DEFAULT_MALFORMED_BODY : raw.body;
  if (typeof body !== 'string') throw bad('body', `expected a string (the malformed body as sent), got ${typeof body}`);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (raw.headers !== undefined) {
    if (raw.headers === null || typeof raw.headers !== 'object' || Array.isArray(raw.headers)) throw bad('headers', 'expected a mapping of header names to strings');
    for (const [k, v] of Object.entries(raw.headers as Record<string, unknown>)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw bad('headers', `"${k}" is not a header name`);
      if (typeof v !== 'string' && typeof v !== 'number') throw bad('headers', `the value of "${k}" must be a string`);
      headers[k.toLowerCase()] = String(v);
    }
  }
  const share = raw.share === undefined ? 0.2 : raw.share;
  if (typeof share !== 'number' || !Number.isFinite(share) || share <= 0 || share > 1) throw bad('share', `expected a number in (0, 1], the part of the load's requests replaced, got ${JSON.stringify(share)}`);
  const expect = raw.expect === undefined ? '4xx' : String(raw.expect).toLowerCase();
  if (!/^[234]xx$/.test(expect) && !(/^\d{3}$/.test(expect) && Number(expect) >= 200 && Number(expect) < 500)) {
    throw bad('expect', `expected the answer class that is correct for such a request: 2xx, 3xx, 4xx or one status below 500 (e.g. 400), got ${JSON.stringify(raw.expect)}`);
  }
  return { method: method.toUpperCase(), path, body, headers, share, expect };
}

/** The class of an answer: '4xx' for a status, else the load's outcome ('timeout', 'ECONNRESET', 'aborted' …). */
export function answerClass(status: number, outcome: string): string {
  if (status > 0 && (outcome === 'ok' || outcome.startsWith('http_'))) return `${Math.floor(status / 100)}xx`;
  return outcome;
}

/** True when `status` is the answer `expect` asks for. */
export function isExpected(expect: string, status: number): boolean {
  if (status <= 0) return false;
  return /^\dxx$/.test(expect) ? Math.floor(status / 100) === Number(expect[0]) : status === Number(expect);
}

interface Held {
  fault: ActiveFault;
  params: MalformedParams;
  rng: Rng;
  summary: TrafficFaultSummary;
  ended: boolean;
}

export interface TrafficFaultsOptions {
  /** the run's Rng: each fault draws from a generator forked from it (so a seeded run replaces the same requests) */
  rng?: Rng;
  ledger?: LedgerSink;
  now?: () => number;
}

/**
 * The traffic faults of a run: the InjectionEngine hands `traffic` requests to it (FaultApplier) and the load
 * generator asks it, request by request, what to send (TrafficFaultSource). Summaries stay after a fault ends.
 */
export class TrafficFaults implements FaultApplier, TrafficFaultSource {
  private readonly held = new Map<string, Held>();
  private readonly rng: Rng;
  private readonly now: () => number;

  constructor(private readonly o: TrafficFaultsOptions = {}) {
    this.rng = o.rng ?? createRng();
    this.now = o.now ?? Date.now;
  }

  inject(req: FaultRequest): ActiveFault {
    if (req.layer !== 'traffic') throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `layer: expected traffic, got ${req.layer}`);
    if (!(TRAFFIC_KINDS as readonly string[]).includes(req.kind)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `kind: "${req.kind}" is not a traffic fault; use one of ${TRAFFIC_KINDS.join(', ')}`, { context: { param: 'kind' } });
    if (!(Number.isFinite(req.ttlMs) && req.ttlMs > 0)) throw new FaultlineError('FL_ERR_TTL_REQUIRED', 'ttl: a traffic fault needs a TTL > 0 ms');
    const params = parseMalformedParams(req.params);
    const startedAt = this.now();
    const fault: ActiveFault = { ...req, params: { ...params }, target: { ...req.target, route: `${params.method} ${params.path}` }, id: newFaultId('traffic'), startedAt, expiresAt: startedAt + req.ttlMs };
    const summary: TrafficFaultSummary = { request: `${params.method} ${params.path}`, expect: params.expect, sent: 0, asExpected: 0, byClass: {} };
    this.held.set(fault.id, { fault, params, rng: this.rng.fork(), summary, ended: false });
    this.record('inject', fault);
    return fault;
  }

  revert(id: string): boolean {
    const h = this.held.get(id);
    if (!h || h.ended) return false;
    if (this.expire(h)) return false;
    h.ended = true;
    this.record('revert', h.fault);
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
      if (h.rng.next() >= h.params.share) continue;
      const { params, summary } = h;
      summary.sent++;
      return {
        faultId: h.fault.id,
        method: params.method,
        path: params.path,
        body: params.body,
        headers: params.headers,
        settle: (status, outcome) => {
          const cls = answerClass(status, outcome);
          summary.byClass[cls] = (summary.byClass[cls] ?? 0) + 1;
          if (outcome === 'aborted') return outcome;
          if (isExpected(params.expect, status) && outcome !== 'timeout') {
            summary.asExpected++;
            return 'ok';
          }
          return `malformed_${cls.endsWith('xx') ? `http_${cls}` : cls}`;
        },
      };
    }
    return undefined;
  }

  /** ends a fault whose TTL has passed (recorded once as 'expire'); true when it is over */
  private expire(h: Held): boolean {
    if (h.ended) return true;
    if (this.now() < h.fault.expiresAt) return false;
    h.ended = true;
    this.record('expire', h.fault);
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
