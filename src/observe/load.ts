/**
 * An open-loop HTTP load generator: requests are sent at a constant rate whatever the target does, and each
 * latency is measured from the request's intended send time, so a stalled target is not hidden by a client that
 * waits for it (no coordinated omission). Requests still running at the end are counted as timeouts.
 */
import { Agent, request } from 'node:http';
import { assertLocalTarget } from '../core/net.js';

export interface LoadOptions {
  url: string;
  method?: string;
  body?: string;
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
  /** 'ok' for 2xx/3xx, 'http_5xx', 'http_4xx', 'timeout', or the socket error code */
  outcome: string;
}

export interface LoadSummary {
  requests: number;
  ok: number;
  errors: number;
  errorRate: number;
  errorsByKind: Record<string, number>;
  throughputPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summarize(all: readonly RequestSample[], durationMs: number): LoadSummary {
  // requests cancelled by a stop are neither successes nor failures of the target
  const samples = all.filter((s) => s.outcome !== 'aborted');
  const lat = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const errorsByKind: Record<string, number> = {};
  let ok = 0;
  for (const s of samples) {
    if (s.outcome === 'ok') ok++;
    else errorsByKind[s.outcome] = (errorsByKind[s.outcome] ?? 0) + 1;
  }
  const n = samples.length;
  return {
    requests: n,
    ok,
    errors: n - ok,
    errorRate: n === 0 ? 0 : (n - ok) / n,
    errorsByKind,
    throughputPerSec: durationMs > 0 ? (ok * 1000) / durationMs : 0,
    latencyMs: { p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? 0 },
  };
}

/** Runs the load and resolves with every sample once all requests have finished or timed out. */
export async function runLoad(o: LoadOptions): Promise<RequestSample[]> {
  const u = new URL(o.url);
  assertLocalTarget(`${u.hostname}:${u.port || 80}`, 'url');
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections ?? 64 });
  const timeoutMs = o.timeoutMs ?? 5000;
  const intervalMs = 1000 / o.ratePerSec;
  const total = Math.max(1, Math.floor((o.durationMs / 1000) * o.ratePerSec));
  const start = performance.now();
  const samples: RequestSample[] = [];
  const pending: Promise<void>[] = [];
  const inFlight = new Set<() => void>();
  const onAbort = (): void => {
    for (const cancel of [...inFlight]) cancel();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  const fire = (intended: number): Promise<void> =>
    new Promise((resolve) => {
      let done = false;
      const finish = (status: number, outcome: string): void => {
        if (done) return;
        done = true;
        inFlight.delete(cancel);
        clearTimeout(timer);
        const sample = { at: intended, latencyMs: performance.now() - start - intended, status, outcome };
        samples.push(sample);
        o.onSample?.(sample);
        resolve();
      };
      const req = request(u, { method: o.method ?? 'GET', agent, headers: o.body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(o.body) } : {} }, (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode ?? 0, (res.statusCode ?? 0) >= 500 ? 'http_5xx' : (res.statusCode ?? 0) >= 400 ? 'http_4xx' : 'ok'));
        res.on('error', (e: NodeJS.ErrnoException) => finish(res.statusCode ?? 0, e.code ?? 'error'));
      });
      const timer = setTimeout(() => {
        finish(0, 'timeout');
        req.destroy();
      }, Math.max(1, timeoutMs - Math.max(0, performance.now() - start - intended)));
      req.on('error', (e: NodeJS.ErrnoException) => finish(0, e.code ?? 'error'));
      const cancel = (): void => {
        finish(0, 'aborted');
        req.destroy();
      };
      inFlight.add(cancel);
      req.end(o.body);
    });

  for (let i = 0; i < total && !o.signal?.aborted; i++) {
    const intended = i * intervalMs;
    const wait = intended - (performance.now() - start);
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (o.signal?.aborted) break;
    pending.push(fire(intended));
  }
  await Promise.all(pending);
  o.signal?.removeEventListener('abort', onAbort);
  agent.destroy();
  return samples.sort((a, b) => a.at - b.at);
}
