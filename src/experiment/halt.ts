/**
 * Halt conditions: a pure evaluation over recent traffic, and a watcher that evaluates every 250 ms over the
 * observer's last second and calls `onTrip` once (the runner then reverts every fault at once).
 */
import type { HaltCondition } from '../core/config-types.js';
import type { Observer, TrafficSummary } from '../core/run.js';

/** Fewer requests than this in the window: metric conditions are not judged (one slow request is not a trend). */
export const MIN_REQUESTS = 5;

/** The first metric condition `s` trips, described; undefined when none does. 'health' conditions are not metrics. */
export function evaluateHalt(conditions: readonly HaltCondition[], s: TrafficSummary, minRequests = MIN_REQUESTS): string | undefined {
  if (s.requests < minRequests) return undefined;
  for (const h of conditions) {
    const v = h.metric === 'errorRate' ? s.errorRate : h.metric === 'p99LatencyMs' ? s.latencyMs.p99 : undefined;
    if (v === undefined) continue;
    const show = h.metric === 'errorRate' ? v.toFixed(3) : `${v.toFixed(0)} ms`;
    if (h.above !== undefined && v > h.above) return `${h.metric} ${show} > ${h.above} (over the last second)`;
    if (h.below !== undefined && v < h.below) return `${h.metric} ${show} < ${h.below} (over the last second)`;
  }
  return undefined;
}

export interface HaltWatchOptions {
  conditions: readonly HaltCondition[];
  /** traffic source; without one only health conditions are watched */
  observer?: Pick<Observer, 'window'>;
  /** answers whether the service (all services when undefined) is healthy; needed for 'health' conditions */
  checkHealth?: (service?: string) => Promise<boolean>;
  onTrip: (reason: string) => void;
  everyMs?: number;
  windowMs?: number;
}

export interface HaltWatcher {
  stop(): void;
  readonly tripped: string | undefined;
}

export function watchHalt(o: HaltWatchOptions): HaltWatcher {
  const everyMs = o.everyMs ?? 250;
  const windowMs = o.windowMs ?? 1000;
  const health = o.conditions.filter((c) => c.metric === 'health');
  const metrics = o.conditions.filter((c) => c.metric !== 'health');
  let tripped: string | undefined;
  let checking = false;
  const trip = (reason: string): void => {
    if (tripped !== undefined) return;
    tripped = reason;
    clearInterval(timer);
    o.onTrip(reason);
  };
  const timer = setInterval(() => {
    if (tripped !== undefined) return;
    if (o.observer && metrics.length > 0) {
      const why = evaluateHalt(metrics, o.observer.window(windowMs));
      if (why) return trip(why);
    }
    if (o.checkHealth && health.length > 0 && !checking) {
      checking = true;
      const check = o.checkHealth;
      void Promise.all(health.map(async (h) => ((await check(h.service).catch(() => false)) ? undefined : `health check of ${h.service ?? 'the services'} failed`)))
        .then((reasons) => {
          const why = reasons.find((r) => r !== undefined);
          if (why) trip(why);
        })
        .finally(() => (checking = false));
    }
  }, everyMs);
  return {
    stop: () => clearInterval(timer),
    get tripped() {
      return tripped;
    },
  };
}
