/**
 * A flood: the requests of a traffic fault with `rate` (unique-keys, mix), sent on top of the load instead of
 * replacing some of its requests. Open loop like the load generator (src/observe/load.ts): slot i is due at
 * `t0 + i × 1000/rate` ms (t0: the fault's start), whatever the target does; a request whose slot comes while every
 * socket is busy queues in the pool. The flood has a pool of its own (`connections` keep-alive sockets), so the
 * load's requests never wait on the client side for a socket the flood holds, and the flood's requests are never
 * load samples: each outcome goes only to `settle` (the fault's summary).
 *
 * Bounds: a request not finished `timeoutMs` (the load's timeout) after its slot is cancelled and settled as
 * 'timeout'; a slot that comes while rate × timeout requests are still queued or in flight is not sent but settled
 * as 'dropped', so a hung target cannot grow the queue without bound. The flood enforces the fault's TTL itself:
 * it asks `over()` before every send and wakes up at the expiry (`msLeft()`) with no call needed. stop() cancels
 * what is in flight (settled as 'aborted') and destroys the pool's sockets.
 *
 * Reference: docs/reference/traffic-faults.md#flood-rate.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { dispatchHandler, errorKind, type InFlight, InFlightQueue, sweepEveryMs } from '../load.js';

export interface FloodRequest {
  method: string;
  /** path and query on the origin */
  path: string;
  body?: string;
  headers: Record<string, string>;
}

export interface FloodOptions {
  /** where the load sends (`http://127.0.0.1:7300`) */
  origin: string;
  /** requests per second, > 0 */
  ratePerSec: number;
  /** the pool's sockets */
  connections: number;
  /** the load's timeout: a request slower than this is cancelled and settled as 'timeout' */
  timeoutMs: number;
  /** performance.now() of slot 0 (the fault's start); a flood started later begins with the first slot still to come */
  t0: number;
  /** the next request (unique-keys draws its key here; called only for a request actually sent) */
  next(): FloodRequest;
  /**
   * once per slot: the status (0 when none) and the outcome — 'ok', 'http_4xx', 'http_5xx' as the load classes a
   * status, 'timeout', a socket error code ('ECONNRESET'), 'dropped' (not sent: too many outstanding) or 'aborted'
   * (cancelled by stop())
   */
  settle(status: number, outcome: string): void;
  /** true once the fault is over (reverted or past its TTL): nothing more is sent and the flood stops */
  over(): boolean;
  /** ms until the fault's TTL passes (the flood wakes up then to stop itself) */
  msLeft(): number;
}

export interface Flood {
  /** slots settled or not: sent (dropped included) */
  sent(): number;
  /** requests queued in the pool or in flight */
  outstanding(): number;
  /** stops sending, cancels what is outstanding ('aborted') and destroys the sockets; idempotent */
  stop(): Promise<void>;
}

/** The most requests a flood keeps queued or in flight: rate × timeout (at least 1). */
export function floodLimit(ratePerSec: number, timeoutMs: number): number {
  return Math.max(1, Math.ceil((ratePerSec * timeoutMs) / 1000));
}

/** Starts sending at once (slots already past are skipped, not sent in a burst). */
export function startFlood(o: FloodOptions): Flood {
  const intervalMs = 1000 / o.ratePerSec;
  const limit = floodLimit(o.ratePerSec, o.timeoutMs);
  const pool = new Pool(o.origin, { connections: o.connections, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  const queue = new InFlightQueue();
  let sent = 0;
  let outstanding = 0;
  let stopping: Promise<void> | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  // a flood started late (a load attached after the injection) skips the slots past by more than 1 ms
  let i = Math.max(0, Math.ceil((performance.now() - o.t0 - 1) / intervalMs));

  const fire = (intended: number): void => {
    sent++;
    if (outstanding >= limit) return void o.settle(0, 'dropped');
    const req = o.next();
    const r: InFlight = {
      intended,
      done: false,
      finish(status, outcome) {
        if (r.done) return;
        r.done = true;
        outstanding--;
        o.settle(status, outcome);
      },
    };
    const handler = dispatchHandler(r);
    outstanding++;
    queue.push(r);
    try {
      pool.dispatch({ origin: o.origin, path: req.path, method: req.method as Dispatcher.HttpMethod, headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}) }, handler);
    } catch (e) {
      r.finish(0, errorKind(e));
    }
  };

  const sweepTimer = setInterval(() => queue.sweep(performance.now(), o.timeoutMs), sweepEveryMs(o.timeoutMs));

  const tick = (): void => {
    tickTimer = undefined;
    if (stopping) return;
    for (;;) {
      if (o.over()) return void stop();
      const due = o.t0 + i * intervalMs;
      if (due > performance.now()) break;
      i++;
      fire(due);
      if (stopping) return;
    }
    // wake up for the next slot, or at the TTL to stop (re-checked at least every second)
    const untilSlot = o.t0 + i * intervalMs - performance.now();
    tickTimer = setTimeout(tick, Math.max(0, Math.min(untilSlot, Math.max(1, o.msLeft()), 1000)));
  };

  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    if (tickTimer) clearTimeout(tickTimer);
    tickTimer = undefined;
    clearInterval(sweepTimer);
    queue.cancelAll('aborted', 'the flood stopped');
    stopping = pool.destroy().catch(() => undefined);
    return stopping;
  };

  tick();
  return { sent: () => sent, outstanding: () => outstanding, stop };
}
