/**
 * An open-loop HTTP load generator: requests are sent at a constant rate whatever the target does, and each
 * latency is measured from the request's intended send time, so a stalled target is not hidden by a client that
 * waits for it (no coordinated omission). The send schedule never waits for responses: when every connection is
 * busy, requests queue in the pool and the queueing shows as latency. A request that has not finished
 * `timeoutMs` after its intended send time is cancelled and counted as a 'timeout'.
 *
 * Transport: undici's Pool (one pool of `connections` keep-alive sockets, no pipelining) driven through its
 * low-level dispatch API; bench/load.ts measures it against autocannon and a raw undici loop.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { assertLocalTarget } from '../core/net.js';
import { FaultlineError } from '../core/errors.js';
import type { LoadSpec } from '../core/run.js';
import { LatencyHistogram } from './histogram.js';
import { outcomeOfStatus, TrafficAccumulator } from './traffic.js';

export interface LoadOptions {
  url: string;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  ratePerSec: number;
  durationMs: number;
  /** a request slower than this counts as a timeout error (default 5 s) */
  timeoutMs?: number;
  /** maximum sockets (default 64) */
  connections?: number;
  /** stops at once: no new requests, and those in flight are cancelled and recorded as 'aborted' */
  signal?: AbortSignal;
  /** called with each sample as it completes */
  onSample?: (s: RequestSample) => void;
}

export interface RequestSample {
  /** ms since the run's start, intended send time */
  at: number;
  latencyMs: number;
  status: number;
  /**
   * 'ok' for 2xx/3xx, 'http_5xx', 'http_4xx', 'timeout', the socket error code, or 'aborted'; for a request a
   * traffic fault replaced: 'ok' when answered as the fault expects, else the class prefixed by the fault's kind:
   * 'malformed_http_5xx', 'malformed_timeout', 'unique_http_5xx' … (src/observe/malformed.ts)
   */
  outcome: string;
  /** the traffic fault that replaced this request (LoadSpec.traffic) */
  faultId?: string;
  /**
   * true: the request a traffic fault replaced is only in that fault's summary (mix with measure: false); it
   * completes its slot of the timeline but is left out of every figure
   */
  unmeasured?: boolean;
}

export interface LoadSummary {
  requests: number;
  ok: number;
  errors: number;
  errorRate: number;
  errorsByKind: Record<string, number>;
  throughputPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

/** What the generator itself did: how many requests it sent and how late its schedule ran. */
export interface LoadStats {
  sent: number;
  /** requests whose outcome is known */
  completed: number;
  /** how late requests left compared with their intended send time, in ms */
  sendLagMs: { p50: number; p99: number; max: number };
}

export interface LoadHandle {
  /** ms since the load's time zero */
  now(): number;
  stats(): LoadStats;
  /**
   * Stops sending. 'drain' (default) lets the requests in flight finish or time out; 'cancel' cancels them
   * (recorded as 'aborted'). Resolves once every request has an outcome and the sockets are closed.
   */
  stop(mode?: 'drain' | 'cancel'): Promise<void>;
  /** resolves when the load ends by itself (after `count` requests) or by stop() */
  readonly done: Promise<void>;
}

export interface StartLoadOptions {
  /** time zero (a performance.now() value); sample times are relative to it (default: now) */
  t0?: number;
  /** send this many requests, then end (default: until stop()) */
  count?: number;
  /** called as each request leaves, with its intended send time */
  onSend?: (at: number) => void;
  onSample: (s: RequestSample) => void;
}

/** Sorted-array percentile (nearest rank), kept for callers that hold raw values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Summarises samples with an HDR histogram (O(n), µs resolution); 'aborted' samples are left out. */
export function summarize(all: readonly RequestSample[], durationMs: number): LoadSummary {
  const acc = new TrafficAccumulator();
  for (const s of all) acc.add(s.outcome, s.latencyMs);
  return acc.summary(durationMs);
}

/** Checks a load spec; throws FL_ERR_LOAD_SPEC naming the bad attribute. */
export function validateLoadSpec(spec: Pick<LoadSpec, 'url' | 'ratePerSec' | 'timeoutMs' | 'connections'>): URL {
  let u: URL;
  try {
    u = new URL(spec.url);
  } catch (cause) {
    throw new FaultlineError('FL_ERR_LOAD_SPEC', `load.url: "${spec.url}" is not a URL; use e.g. http://127.0.0.1:3000/health`, { cause, context: { field: 'url' } });
  }
  if (u.protocol !== 'http:') throw new FaultlineError('FL_ERR_LOAD_SPEC', `load.url: only http:// URLs are supported, got ${u.protocol}`, { context: { field: 'url' } });
  assertLocalTarget(`${u.hostname}:${u.port || 80}`, 'load.url');
  const positive = (v: number | undefined, field: string): void => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new FaultlineError('FL_ERR_LOAD_SPEC', `load.${field}: ${v} must be a positive number`, { context: { field } });
  };
  positive(spec.ratePerSec, 'ratePerSec');
  positive(spec.timeoutMs, 'timeoutMs');
  positive(spec.connections, 'connections');
  return u;
}

/** The outcome of a request that failed without an answer: 'timeout', the socket error code ('ECONNRESET') … */
export function errorKind(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string } } | null;
  const code = err?.code;
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return err?.cause?.code ?? 'ECONNRESET';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  return code ?? 'error';
}

/** A request on its way: finished once (an answer, an error, a timeout or a cancel, whichever comes first). */
export interface InFlight {
  intended: number;
  done: boolean;
  controller?: Dispatcher.DispatchController;
  finish(status: number, outcome: string): void;
}

/**
 * Requests in intended-time order (they leave in that order), so the oldest unfinished one is at the head: the
 * timeouts are found from there, and the finished ones are dropped from the front now and then.
 */
export class InFlightQueue {
  private items: InFlight[] = [];
  private head = 0;

  push(r: InFlight): void {
    this.items.push(r);
  }

  /** Finishes as 'timeout', and cancels, every unfinished request intended `timeoutMs` or more before `t`. */
  sweep(t: number, timeoutMs: number): void {
    while (this.head < this.items.length) {
      const r = this.items[this.head] as InFlight;
      if (!r.done) {
        if (t - r.intended < timeoutMs) break;
        r.finish(0, 'timeout');
        r.controller?.abort(new Error('timeout'));
      }
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Finishes every unfinished request with `outcome`, cancels it (`why` is the abort's reason), and empties the queue. */
  cancelAll(outcome: string, why: string): void {
    for (let k = this.head; k < this.items.length; k++) {
      const r = this.items[k] as InFlight;
      if (!r.done) {
        r.finish(0, outcome);
        r.controller?.abort(new Error(why));
      }
    }
    this.items = [];
    this.head = 0;
  }
}

/** How often the timeouts are swept: a 20th of the timeout, between 2 and 50 ms. */
export const sweepEveryMs = (timeoutMs: number): number => Math.max(2, Math.min(50, timeoutMs / 20));

/** The undici handler of one request: keeps its controller (to cancel it), finishes it with the answer's class. */
export function dispatchHandler(r: InFlight): Dispatcher.DispatchHandler {
  let status = 0;
  return {
    onRequestStart(controller) {
      if (r.done) controller.abort(new Error('timed out in the queue'));
      else r.controller = controller;
    },
    onResponseStart(_c, statusCode) {
      status = statusCode;
    },
    onResponseData() {},
    onResponseEnd() {
      r.finish(status, outcomeOfStatus(status));
    },
    onResponseError(_c, err) {
      r.finish(status, errorKind(err));
    },
  };
}

/** Starts an open-ended (or `count`-limited) constant-rate load. */
export function startLoad(spec: LoadSpec, o: StartLoadOptions): LoadHandle {
  const u = validateLoadSpec(spec);
  const t0 = o.t0 ?? performance.now();
  const timeoutMs = spec.timeoutMs;
  const intervalMs = 1000 / spec.ratePerSec;
  const pool = new Pool(u.origin, { connections: spec.connections ?? 64, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  const headers: Record<string, string> = { ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}), ...spec.headers };
  const path = `${u.pathname}${u.search}`;
  const method = spec.method.toUpperCase() as Dispatcher.HttpMethod;
  const lag = new LatencyHistogram();
  const queue = new InFlightQueue();
  let sent = 0;
  let completed = 0;
  let stopped = false;
  let ended = false;
  let tickTimer: NodeJS.Timeout | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const now = (): number => performance.now() - t0;

  // a traffic fault with `rate` floods this load's origin over a pool of its own while the load runs (src/observe/traffic/flood.ts)
  const detach = spec.traffic?.attach?.({ origin: u.origin, timeoutMs });
  let detached: Promise<void> | undefined;
  const halt = (): void => {
    stopped = true;
    detached ??= Promise.resolve()
      .then(() => detach?.())
      .catch(() => undefined);
  };

  const settle = (): void => {
    if (ended || !stopped || completed < sent) return;
    ended = true;
    clearInterval(sweepTimer);
    void Promise.all([pool.close(), detached]).then(resolveDone, resolveDone);
  };

  const fire = (intended: number): void => {
    // a traffic fault (malformed requests, unique keys) may replace this request; the generator enforces its TTL by asking here
    const replaced = spec.traffic?.draw();
    const r: InFlight = {
      intended,
      done: false,
      finish(status, outcome) {
        if (r.done) return;
        r.done = true;
        completed++;
        // an unmeasured replacement (mix with measure: false) is only in its fault's summary; its sample says so
        if (replaced) o.onSample({ at: intended, latencyMs: now() - intended, status, outcome: replaced.settle(status, outcome), faultId: replaced.faultId, ...(replaced.unmeasured ? { unmeasured: true } : {}) });
        else o.onSample({ at: intended, latencyMs: now() - intended, status, outcome });
        settle();
      },
    };
    const handler = dispatchHandler(r);
    queue.push(r);
    sent++;
    o.onSend?.(intended);
    lag.record(now() - intended);
    try {
      if (replaced) pool.dispatch({ origin: u.origin, path: replaced.path, method: replaced.method as Dispatcher.HttpMethod, headers: replaced.headers, ...(replaced.body !== undefined ? { body: replaced.body } : {}) }, handler);
      else pool.dispatch({ origin: u.origin, path, method, headers, ...(spec.body !== undefined ? { body: spec.body } : {}) }, handler);
    } catch (e) {
      r.finish(0, errorKind(e));
    }
  };

  const sweepTimer = setInterval(() => queue.sweep(now(), timeoutMs), sweepEveryMs(timeoutMs));

  let i = 0;
  const tick = (): void => {
    tickTimer = undefined;
    if (stopped) return;
    const t = now();
    while (i * intervalMs <= t && (o.count === undefined || i < o.count)) fire(i++ * intervalMs);
    if (o.count !== undefined && i >= o.count) {
      halt();
      settle();
      return;
    }
    tickTimer = setTimeout(tick, Math.max(0, i * intervalMs - now()));
  };
  tick();

  return {
    now,
    done,
    stats: () => ({ sent, completed, sendLagMs: { p50: lag.percentile(50), p99: lag.percentile(99), max: lag.summary().max } }),
    stop(mode = 'drain') {
      halt();
      if (tickTimer) clearTimeout(tickTimer);
      tickTimer = undefined;
      if (mode === 'cancel') queue.cancelAll('aborted', 'cancelled');
      settle();
      return done;
    },
  };
}

/** Runs the load for `durationMs` and resolves with every sample (sorted by intended send time). */
export async function runLoad(o: LoadOptions): Promise<RequestSample[]> {
  const samples: RequestSample[] = [];
  const count = Math.max(1, Math.floor((o.durationMs / 1000) * o.ratePerSec));
  const h = startLoad(
    { url: o.url, method: o.method ?? 'GET', ...(o.body !== undefined ? { body: o.body } : {}), ...(o.headers ? { headers: o.headers } : {}), ratePerSec: o.ratePerSec, timeoutMs: o.timeoutMs ?? 5000, ...(o.connections !== undefined ? { connections: o.connections } : {}) },
    {
      count,
      onSample: (s) => {
        samples.push(s);
        o.onSample?.(s);
      },
    },
  );
  const onAbort = (): void => void h.stop('cancel');
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  await h.done;
  o.signal?.removeEventListener('abort', onAbort);
  return samples.sort((a, b) => a.at - b.at);
}
