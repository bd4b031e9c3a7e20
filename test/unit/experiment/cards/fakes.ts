/** In-memory FaultDriver and Observer for drill tests: a "world" whose traffic turns bad while a fault is active. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActiveFault, FaultRequest } from '../../../../src/core/fault.js';
import type { FaultDriver, Observation, ObserveOptions, Observer, StartObserver, TimelineBucket, TimelineEvent, TrafficSummary } from '../../../../src/core/run.js';

export function traffic(errorRate: number, p99: number, requests = 10): TrafficSummary {
  const errors = Math.round(requests * errorRate);
  return { requests, ok: requests - errors, errors, errorRate: requests ? errors / requests : 0, errorsByKind: errors ? { http_5xx: errors } : {}, throughputPerSec: (requests - errors) * 4, latencyMs: { p50: p99 / 2, p90: p99, p99, p999: p99, max: p99, mean: p99 / 2 } };
}

export interface World {
  active: Set<string>;
  /** faults ever injected, and the most that were active at once */
  injected: FaultRequest[];
  maxActive: number;
  /** how long the world stays bad after the last revert (ms) */
  recoverDelayMs: number;
  badUntil: number;
  driver: FaultDriver;
  startObserver: StartObserver;
  observers: number;
}

export function world(o: { recoverDelayMs?: number; errorRate?: number; injectDelayMs?: number } = {}): World {
  let seq = 0;
  const w: World = {
    active: new Set(),
    injected: [],
    maxActive: 0,
    recoverDelayMs: o.recoverDelayMs ?? 0,
    badUntil: 0,
    observers: 0,
    driver: {
      async inject(req: FaultRequest): Promise<ActiveFault> {
        if (o.injectDelayMs) await new Promise((r) => setTimeout(r, o.injectDelayMs));
        const id = `fake-${++seq}`;
        w.active.add(id);
        w.injected.push(req);
        w.maxActive = Math.max(w.maxActive, w.active.size);
        return { ...req, id, startedAt: Date.now(), expiresAt: Date.now() + req.ttlMs };
      },
      async revert(id: string) {
        if (w.active.delete(id) && w.active.size === 0) w.badUntil = Date.now() + w.recoverDelayMs;
      },
      async revertAll() {
        const ids = [...w.active];
        w.active.clear();
        return ids;
      },
      async evidence() {
        return [{ at: Date.now(), message: 'boom', frames: [{ file: '/app/lib.js', line: 3, app: true, fn: 'f' }], faultId: 'fake-1' }];
      },
    },
    startObserver: (opts: ObserveOptions): Observer => {
      w.observers++;
      const t0 = Date.now();
      const bucketMs = opts.bucketMs ?? 50;
      const buckets: TimelineBucket[] = [];
      const events: TimelineEvent[] = [];
      const bad = (): boolean => w.active.size > 0 || Date.now() < w.badUntil;
      const rate = o.errorRate ?? 0.5;
      const timer = setInterval(() => {
        const t = traffic(bad() ? rate : 0, bad() ? 900 : 20, opts.load ? 10 : 0);
        buckets.push({ ...t, atMs: Math.max(0, Date.now() - t0 - bucketMs) });
      }, bucketMs);
      return {
        now: () => Date.now() - t0,
        mark: (e) => void events.push({ atMs: e.atMs ?? Date.now() - t0, kind: e.kind, label: e.label, ...(e.faultId ? { faultId: e.faultId } : {}) }),
        window: (ms) => {
          const recent = buckets.filter((b) => b.atMs >= Date.now() - t0 - ms);
          const anyBad = bad() || recent.some((b) => b.errorRate > 0);
          return traffic(anyBad ? rate : 0, anyBad ? 900 : 20, opts.load ? 10 : 0);
        },
        async stop(): Promise<Observation> {
          clearInterval(timer);
          return { startedAt: t0, durationMs: Date.now() - t0, bucketMs, buckets, events, process: [], summary: traffic(0, 20) };
        },
      };
    },
  };
  return w;
}

/** Temporary folders of card files: `tmp({name: yaml})` makes one, `cleanup()` (in afterEach) removes them all. */
export function cardFolders(): { tmp: (files: Record<string, string>) => string; cleanup: () => void } {
  const dirs: string[] = [];
  return {
    tmp: (files) => {
      const d = mkdtempSync(join(tmpdir(), 'fl-cards-'));
      dirs.push(d);
      for (const [n, t] of Object.entries(files)) writeFileSync(join(d, n), t);
      return d;
    },
    cleanup: () => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}
