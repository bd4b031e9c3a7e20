/**
 * The Observer of a run: open-loop load, process samplers and events on one time base (ms since start, from
 * performance.now()). Each request goes into the bucket of its intended send time; a bucket is complete (and
 * handed to onBucket) once its time has passed and every request sent in it has an outcome.
 */
import type { Observation, ObserveOptions, Observer, ProcessSample, StartObserver, TimelineBucket, TimelineEvent, TrafficSummary } from '../core/run.js';
import { startLoad, type LoadHandle, type LoadStats } from './load.js';
import { ProcessSampler } from './samplers.js';
import { TrafficAccumulator } from './traffic.js';

export const DEFAULT_BUCKET_MS = 250;
export const DEFAULT_SAMPLE_EVERY_MS = 500;
/** window(ms) keeps completed requests for at least this long (longer when asked for a longer window) */
const MIN_RETENTION_MS = 10_000;

interface OpenBucket {
  acc: TrafficAccumulator;
  sent: number;
  done: number;
}

/** Completed requests by completion time, for window(): parallel arrays with a moving head. */
class RecentRequests {
  private doneAt: number[] = [];
  private latency: number[] = [];
  private outcome: string[] = [];
  private head = 0;
  private readonly acc = new TrafficAccumulator();
  retentionMs = MIN_RETENTION_MS;

  push(at: number, latencyMs: number, outcome: string): void {
    this.doneAt.push(at);
    this.latency.push(latencyMs);
    this.outcome.push(outcome);
    const horizon = at - this.retentionMs;
    while (this.head < this.doneAt.length && (this.doneAt[this.head] as number) < horizon) this.head++;
    if (this.head > 4096 && this.head * 2 > this.doneAt.length) {
      this.doneAt = this.doneAt.slice(this.head);
      this.latency = this.latency.slice(this.head);
      this.outcome = this.outcome.slice(this.head);
      this.head = 0;
    }
  }

  summary(now: number, ms: number): TrafficSummary {
    if (ms > this.retentionMs) this.retentionMs = ms;
    this.acc.reset();
    for (let i = this.doneAt.length - 1; i >= this.head && (this.doneAt[i] as number) > now - ms; i--) this.acc.add(this.outcome[i] as string, this.latency[i] as number);
    return this.acc.summary(ms);
  }
}

export interface ObserverWithStats extends Observer {
  /** the load generator's own figures (sent, schedule lag); undefined without load */
  loadStats(): LoadStats | undefined;
}

export const startObserver: StartObserver = (o: ObserveOptions): ObserverWithStats => observe(o);

export function observe(o: ObserveOptions): ObserverWithStats {
  const t0 = performance.now();
  const startedAt = Date.now();
  const bucketMs = o.bucketMs ?? DEFAULT_BUCKET_MS;
  const sampleEveryMs = o.sampleEveryMs ?? DEFAULT_SAMPLE_EVERY_MS;
  const now = (): number => performance.now() - t0;
  const open = new Map<number, OpenBucket>();
  const buckets: TimelineBucket[] = [];
  const events: TimelineEvent[] = [];
  const samples: ProcessSample[] = [];
  const total = new TrafficAccumulator();
  const recent = new RecentRequests();
  let nextBucket = 0;
  let stoppedAtMs: number | undefined;

  const bucketOf = (idx: number): OpenBucket => {
    let b = open.get(idx);
    if (!b) {
      b = { acc: new TrafficAccumulator(), sent: 0, done: 0 };
      open.set(idx, b);
    }
    return b;
  };
  /** closes, in order, every bucket whose slice has passed and whose requests all have an outcome */
  const flush = (upToMs: number): void => {
    while ((nextBucket + 1) * bucketMs <= upToMs) {
      const b = open.get(nextBucket);
      if (b && b.done < b.sent) return;
      open.delete(nextBucket);
      const bucket: TimelineBucket = { atMs: nextBucket * bucketMs, ...(b ?? { acc: new TrafficAccumulator() }).acc.summary(bucketMs) };
      buckets.push(bucket);
      nextBucket++;
      o.onBucket?.(bucket);
    }
  };

  let load: LoadHandle | undefined;
  if (o.load) {
    load = startLoad(o.load, {
      t0,
      onSend: (at) => bucketOf(Math.floor(at / bucketMs)).sent++,
      onSample: (s) => {
        const b = bucketOf(Math.floor(s.at / bucketMs));
        b.done++;
        // a request only its traffic fault's summary counts (mix with measure: false) completes its slot, no more
        if (s.unmeasured) return;
        b.acc.add(s.outcome, s.latencyMs);
        total.add(s.outcome, s.latencyMs);
        recent.push(s.at + s.latencyMs, s.latencyMs, s.outcome);
      },
    });
  }
  const flushTimer = setInterval(() => flush(now()), bucketMs);

  const sampler = new ProcessSampler();
  let sampling: Promise<void> = Promise.resolve();
  const sampleNow = (): void => {
    if (!o.targets) return;
    const targets = o.targets;
    sampling = sampling.then(async () => {
      samples.push(...(await sampler.sample(targets(), now())));
    });
  };
  sampleNow();
  const sampleTimer = o.targets ? setInterval(sampleNow, sampleEveryMs) : undefined;

  return {
    now,
    loadStats: () => load?.stats(),
    mark(e) {
      events.push({ ...e, atMs: e.atMs ?? now() });
    },
    window(ms) {
      return recent.summary(now(), ms);
    },
    async stop(): Promise<Observation> {
      if (stoppedAtMs === undefined) {
        stoppedAtMs = now();
        if (sampleTimer) clearInterval(sampleTimer);
        sampleNow();
        await Promise.all([load?.stop('drain'), sampling]);
        clearInterval(flushTimer);
        flush(Math.ceil(stoppedAtMs / bucketMs) * bucketMs);
      }
      const durationMs = stoppedAtMs;
      return {
        startedAt,
        durationMs,
        bucketMs,
        buckets: [...buckets],
        events: [...events].sort((a, b) => a.atMs - b.atMs),
        process: [...samples],
        summary: total.summary(durationMs),
      };
    },
  };
}
