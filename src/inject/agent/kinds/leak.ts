import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Clock } from '../../../core/clock.js';
import { bad, oneOf, onlyKeys, optBytes } from '../params.js';
import { defineKind } from '../types.js';

export type LeakRetain = 'heap' | 'buffers';

export interface LeakParams {
  /** bytes retained per second (in steps of LEAK_TICK_MS) */
  bytesPerSec: number;
  /** the leak stops growing here and holds what it has until the fault ends */
  maxBytes: number;
  /** heap: small JS objects (GC pressure, like leaked request records); buffers: Buffer memory outside the JS heap (RSS only) */
  retain: LeakRetain;
}

export const LEAK_TICK_MS = 100;
export const DEFAULT_LEAK_MAX_BYTES = 512 * 1024 * 1024;
/**
 * Heap bytes of one leaked record on x64 Node 20 (no pointer compression): a 48-byte object of three small-integer or
 * pointer fields and its 8-byte array slot (measured with --expose-gc: 200 MiB accounted, 200.0 MiB of heap).
 */
export const LEAK_RECORD_BYTES = 56;
/** records per array, so every array stays a fast (non-dictionary) array */
const RECORDS_PER_ARRAY = 16_384;
const TAG = 'faultline-leak';

export interface LeakHooks {
  /** after each step; `grew` when it retained memory */
  onStep?(grew: boolean): void;
  /** an allocation failed: the leak stops growing and keeps what it holds */
  onError?(e: unknown): void;
}

/**
 * Memory retained step by step, as a leak would: every LEAK_TICK_MS it retains what brings the total to
 * bytesPerSec × the time since start (so a late timer catches up), up to maxBytes. Every byte is written when it is
 * retained, so the resident set really grows. stop() drops every reference; the GC gives the memory back.
 */
export class Leak {
  /** bytes retained now (heap: records × LEAK_RECORD_BYTES); 0 after stop() */
  retainedBytes = 0;
  /** allocation steps so far */
  steps = 0;
  private kept: unknown[] = [];
  private timer: { cancel(): void } | undefined;
  private readonly startedAt: number;
  private seq = 0;
  private stopped = false;

  constructor(
    private readonly params: LeakParams,
    private readonly clock: Clock,
    private readonly hooks: LeakHooks = {},
  ) {
    this.startedAt = clock.now();
  }

  start(): void {
    this.arm();
  }

  /** true once maxBytes is reached (the leak holds, no more timers) */
  get full(): boolean {
    return this.maxReachable() - this.retainedBytes <= 0;
  }

  /** One step: retain what the rate asks for by now. */
  tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const elapsedMs = Math.max(0, this.clock.now() - this.startedAt);
    const due = Math.min(this.maxReachable(), Math.floor((this.params.bytesPerSec * elapsedMs) / 1000));
    const grows = due - this.retainedBytes >= (this.params.retain === 'heap' ? LEAK_RECORD_BYTES : 1);
    try {
      if (grows) this.retain(due - this.retainedBytes);
    } catch (e) {
      // out of memory for a Buffer, or an array too large: stop growing, keep what is held, never throw into the target
      this.hooks.onError?.(e);
      return;
    }
    this.hooks.onStep?.(grows);
    if (!this.full) this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.kept = [];
    this.retainedBytes = 0;
  }

  /** objects (record arrays or buffers) currently held */
  get held(): number {
    return this.kept.length;
  }

  /** heap leaks grow in whole records */
  private maxReachable(): number {
    const { maxBytes, retain } = this.params;
    return retain === 'heap' ? Math.floor(maxBytes / LEAK_RECORD_BYTES) * LEAK_RECORD_BYTES : maxBytes;
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => this.tick(), LEAK_TICK_MS);
  }

  private retain(bytes: number): void {
    this.steps++;
    if (this.params.retain === 'buffers') {
      const b = Buffer.allocUnsafe(bytes);
      // a non-zero pattern: every page is written, so it is resident (zeroed pages may stay unmapped)
      b.fill((this.steps % 255) + 1);
      this.kept.push(b);
      this.retainedBytes += bytes;
      return;
    }
    let n = Math.floor(bytes / LEAK_RECORD_BYTES);
    const at = Math.round(this.clock.now() - this.startedAt) | 0; // a small integer (Smi): no boxed number per record
    while (n > 0) {
      const size = Math.min(n, RECORDS_PER_ARRAY);
      const records = new Array<{ seq: number; at: number; tag: string }>(size);
      for (let i = 0; i < size; i++) records[i] = { seq: this.seq++ & 0x3fffffff, at, tag: TAG };
      this.kept.push(records);
      this.retainedBytes += size * LEAK_RECORD_BYTES;
      n -= size;
    }
  }
}

/**
 * leak: a process-wide fault (empty target) that retains bytesPerSec of memory every 100 ms, up to maxBytes, and
 * releases it when the fault ends (revert, or the TTL the agent enforces). A gradual fault: RSS and, with
 * retain=heap, the GC's work grow for as long as it runs.
 */
export const leakKind = defineKind<LeakParams>({
  name: 'leak',
  summary: 'retain bytesPerSec of memory (JS heap records, or buffers) every 100 ms up to maxBytes; released at the end',
  parse(raw) {
    onlyKeys(raw, ['bytesPerSec', 'maxBytes', 'retain'], 'leak');
    const bytesPerSec = optBytes(raw.bytesPerSec, 'params.bytesPerSec', { min: 1 });
    if (bytesPerSec === undefined) throw bad('params.bytesPerSec', 'is required (bytes retained per second, e.g. "16MiB")');
    const retain = oneOf(raw.retain, 'params.retain', ['heap', 'buffers'] as const) ?? 'heap';
    const maxBytes = optBytes(raw.maxBytes, 'params.maxBytes', { min: 1 }) ?? DEFAULT_LEAK_MAX_BYTES;
    // a leak that reached the heap limit would kill the target (a fatal OOM): the agent never does that by itself
    const limit = retain === 'heap' ? Math.floor(getHeapStatistics().heap_size_limit / 2) : Math.floor(totalmem() / 2);
    if (maxBytes > limit) {
      throw bad('params.maxBytes', `must be at most ${limit} bytes (half of ${retain === 'heap' ? "the target's V8 heap limit" : "the machine's memory"}), got ${maxBytes}`);
    }
    return { bytesPerSec, maxBytes, retain };
  },
  start(c) {
    const leak: Leak = new Leak(c.params, c.clock, {
      // calls = steps, hits = steps that retained memory: GET /v1/faults shows the leak's progress
      onStep(grew) {
        c.fault.calls++;
        if (grew) c.fault.hits++;
      },
      onError: (e) => c.logOnce(`leak:${c.fault.id}`, `leak ${c.fault.id} stopped growing at ${leak.retainedBytes} bytes: ${e instanceof Error ? e.message : String(e)}`),
    });
    leak.start();
    return () => leak.stop();
  },
});
