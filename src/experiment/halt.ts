/**
 * Halt conditions: a pure evaluation over recent traffic, and a watcher that evaluates every 250 ms over the
 * observer's last second and calls `onTrip` once (the runner then reverts every fault at once).
 */
import type { HaltCondition } from '../core/config-types.js';
import type { AnomalyScorer, AnomalyScorerFactory, Observer, TrafficSummary } from '../core/run.js';

/** Fewer requests than this in the window: metric conditions are not judged (one slow request is not a trend). */
export const MIN_REQUESTS = 5;

/** The first metric condition `s` trips, described; undefined when none does. 'health' conditions are not metrics. */
export function evaluateHalt(conditions: readonly HaltCondition[], s: TrafficSummary, minRequests = MIN_REQUESTS): string | undefined {
  if (s.requests < minRequests) return undefined;
  for (const h of conditions) {
    if (h.detector !== undefined) continue; // scored by an AnomalyHalt, not by the value
    const v = h.metric === 'errorRate' ? s.errorRate : h.metric === 'p99LatencyMs' ? s.latencyMs.p99 : undefined;
    if (v === undefined) continue;
    const show = h.metric === 'errorRate' ? v.toFixed(3) : `${v.toFixed(0)} ms`;
    if (h.above !== undefined && v > h.above) return `${h.metric} ${show} > ${h.above} (over the last second)`;
    if (h.below !== undefined && v < h.below) return `${h.metric} ${show} < ${h.below} (over the last second)`;
  }
  return undefined;
}

/**
 * Detector halt conditions (`{metric, detector, above}`): each metric's value over the last second is fed every
 * `everyMs` to its own detector instance from the moment the run's observer starts, so the detector learns the
 * baseline before any fault; `check()` names the condition whose latest score went above its threshold.
 */
export interface AnomalyHalt {
  check(): string | undefined;
  stop(): void;
}

export function startAnomalyHalt(conditions: readonly HaltCondition[], observer: Pick<Observer, 'window'>, factory: AnomalyScorerFactory, opts: { everyMs?: number; windowMs?: number; now?: () => number; minRequests?: number } = {}): AnomalyHalt | undefined {
  const watched: { h: HaltCondition; score: AnomalyScorer }[] = conditions.filter((h) => h.detector !== undefined && h.metric !== 'health').map((h) => ({ h, score: factory(h.detector as string) }));
  if (watched.length === 0) return undefined;
  const now = opts.now ?? Date.now;
  let latest: string | undefined;
  const tick = (): void => {
    const s = observer.window(opts.windowMs ?? 1000);
    if (s.requests < (opts.minRequests ?? MIN_REQUESTS)) return;
    latest = undefined;
    for (const { h, score } of watched) {
      const v = h.metric === 'errorRate' ? s.errorRate : s.latencyMs.p99;
      const p = score(now(), v);
      if (latest === undefined && h.above !== undefined && p > h.above) {
        latest = `${h.metric} ${h.metric === 'errorRate' ? v.toFixed(3) : `${v.toFixed(0)} ms`} is anomalous for ${h.detector} (score ${p.toFixed(4)} > ${h.above})`;
      }
    }
  };
  const timer = setInterval(tick, opts.everyMs ?? 250);
  return {
    check: () => latest,
    stop: () => clearInterval(timer),
  };
}

export interface HaltWatchOptions {
  conditions: readonly HaltCondition[];
  /** traffic source; without one only health conditions are watched */
  observer?: Pick<Observer, 'window'>;
  /** answers whether the service (all services when undefined) is healthy; needed for 'health' conditions */
  checkHealth?: (service?: string) => Promise<boolean>;
  onTrip: (reason: string) => void;
  /** detector conditions, fed since the observer started (startAnomalyHalt) */
  anomaly?: Pick<AnomalyHalt, 'check'>;
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
  const metrics = o.conditions.filter((c) => c.metric !== 'health' && c.detector === undefined);
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
    const anomalous = o.anomaly?.check();
    if (anomalous) return trip(anomalous);
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
