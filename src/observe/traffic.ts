/** Counting requests into a TrafficSummary: outcomes by kind plus a latency histogram. */
import type { TrafficSummary } from '../core/run.js';
import { LatencyHistogram } from './histogram.js';

/** 'ok' for 2xx/3xx, 'http_5xx', 'http_4xx', 'timeout', a socket error code, or 'aborted' (cancelled by a stop) */
export type Outcome = string;

export function outcomeOfStatus(status: number): Outcome {
  return status >= 500 ? 'http_5xx' : status >= 400 ? 'http_4xx' : 'ok';
}

export class TrafficAccumulator {
  readonly latency = new LatencyHistogram();
  requests = 0;
  ok = 0;
  errorsByKind: Record<string, number> = {};

  /** counts one finished request; 'aborted' requests are neither successes nor failures of the target */
  add(outcome: Outcome, latencyMs: number): void {
    if (outcome === 'aborted') return;
    this.requests++;
    if (outcome === 'ok') this.ok++;
    else this.errorsByKind[outcome] = (this.errorsByKind[outcome] ?? 0) + 1;
    this.latency.record(latencyMs);
  }

  merge(other: TrafficAccumulator): void {
    this.requests += other.requests;
    this.ok += other.ok;
    for (const [k, v] of Object.entries(other.errorsByKind)) this.errorsByKind[k] = (this.errorsByKind[k] ?? 0) + v;
    this.latency.add(other.latency);
  }

  reset(): void {
    this.requests = 0;
    this.ok = 0;
    this.errorsByKind = {};
    this.latency.reset();
  }

  /** the summary, with throughput = ok responses per second of `durationMs` */
  summary(durationMs: number): TrafficSummary {
    const errors = this.requests - this.ok;
    return {
      requests: this.requests,
      ok: this.ok,
      errors,
      errorRate: this.requests === 0 ? 0 : errors / this.requests,
      errorsByKind: { ...this.errorsByKind },
      throughputPerSec: durationMs > 0 ? (this.ok * 1000) / durationMs : 0,
      latencyMs: this.latency.summary(),
    };
  }
}

/** The summary of no traffic at all. */
export function emptyTraffic(): TrafficSummary {
  return new TrafficAccumulator().summary(0);
}
