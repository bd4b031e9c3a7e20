/**
 * The one wrapper over hdr-histogram-js (pure-JS build: synchronous, no WebAssembly instance to manage).
 * Values are recorded in whole microseconds and reported in milliseconds, so summaries have µs resolution
 * with 3 significant digits (a relative error of at most 0.1 %) whatever the range; `max` and `mean` are exact.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../core/run.js';

export const EMPTY_LATENCY: Readonly<LatencySummary> = Object.freeze({ p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });

export class LatencyHistogram {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, bitBucketSize: 32, autoResize: true, useWebAssembly: false });
  private n = 0;
  private sumMs = 0;
  private maxMs = 0;

  /** records one latency in ms (negative values count as 0) */
  record(latencyMs: number): void {
    const ms = latencyMs > 0 ? latencyMs : 0;
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
    this.n++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.n;
  }

  /** adds every value of another histogram to this one */
  add(other: LatencyHistogram): void {
    if (other.n === 0) return;
    this.h.add(other.h);
    this.n += other.n;
    this.sumMs += other.sumMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  reset(): void {
    this.h.reset();
    this.n = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }

  /** value at a percentile (0–100) in ms; 0 when empty */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    return Math.min(this.maxMs, this.h.getValueAtPercentile(p) / 1000);
  }

  summary(): LatencySummary {
    if (this.n === 0) return { ...EMPTY_LATENCY };
    return { p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), p999: this.percentile(99.9), max: this.maxMs, mean: this.sumMs / this.n };
  }
}
