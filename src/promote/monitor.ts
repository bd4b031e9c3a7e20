/**
 * The monitoring window after a promotion: sample the service every `intervalMs` for `windowMs` and fail at the
 * first `failAfter` consecutive bad samples. What measures the service (health check, load generator,
 * Prometheus) is injected as `probe` — this stage imports no other stage; the CLI wires the real ones.
 *
 * A sample is bad when the probe threw, or when any configured criterion is violated or could not be judged
 * because the probe did not measure it (a watch that cannot see does not pass).
 */
import { sleep as realSleep } from '../core/clock.js';
import { FaultlineError } from '../core/errors.js';

export interface WatchSample {
  /** epoch ms when the sample was taken */
  at: number;
  healthy?: boolean;
  /** 0–1 */
  errorRate?: number;
  p99LatencyMs?: number;
  /** the value of the PromQL query */
  value?: number;
  /** the probe threw: its message */
  error?: string;
  /** filled in by the watch: what was wrong with the sample (empty or absent when it was good) */
  violations?: string[];
}

export interface WatchCriteria {
  /** the health check must pass */
  health?: boolean;
  /** 0–1 */
  maxErrorRate?: number;
  maxP99LatencyMs?: number;
  /** a PromQL query: bad when its value is above `above` or below `below` */
  query?: { above?: number; below?: number; name: string };
}

export interface WatchClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemWatchClock: WatchClock = { now: () => Date.now(), sleep: realSleep };

export interface WatchProgress {
  /** no failure yet */
  ok: boolean;
  consecutiveBad: number;
  samples: number;
  elapsedMs: number;
}

export type ProbeResult = Omit<WatchSample, 'at' | 'violations'> & { at?: number };

export interface WatchOptions {
  windowMs: number;
  intervalMs: number;
  probe: () => Promise<ProbeResult>;
  criteria: WatchCriteria;
  /** consecutive bad samples that fail the window; default 2 */
  failAfter?: number;
  clock?: WatchClock;
  signal?: AbortSignal;
  onSample?(s: WatchSample, verdictSoFar: WatchProgress): void;
}

export interface WatchVerdict {
  ok: boolean;
  /** why it failed, e.g. "error rate 0.42 > 0.01 for 2 samples" */
  reason?: string;
  /** ms after the window started when it failed */
  failedAtMs?: number;
  /** the watch was interrupted through `signal` before the window ended (then ok is false, and nothing failed) */
  aborted?: boolean;
  startedAt: number;
  elapsedMs: number;
  badSamples: number;
  samples: WatchSample[];
}

const fmt = (n: number): string => String(Math.round(n * 10_000) / 10_000);
const measured = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n);

interface Violation {
  /** the criterion, to count a run of the same violation */
  key: string;
  text: string;
}

/** What is wrong with one sample under the criteria (empty: a good sample). */
export function judgeSample(s: Omit<WatchSample, 'violations'>, c: WatchCriteria): Violation[] {
  if (s.error !== undefined) return [{ key: 'error', text: `probe failed: ${s.error}` }];
  const out: Violation[] = [];
  if (c.health) {
    if (s.healthy === undefined) out.push({ key: 'health', text: 'health not measured' });
    else if (!s.healthy) out.push({ key: 'health', text: 'health check failed' });
  }
  if (c.maxErrorRate !== undefined) {
    if (!measured(s.errorRate)) out.push({ key: 'errorRate', text: 'error rate not measured' });
    else if (s.errorRate > c.maxErrorRate) out.push({ key: 'errorRate', text: `error rate ${fmt(s.errorRate)} > ${fmt(c.maxErrorRate)}` });
  }
  if (c.maxP99LatencyMs !== undefined) {
    if (!measured(s.p99LatencyMs)) out.push({ key: 'p99', text: 'p99 latency not measured' });
    else if (s.p99LatencyMs > c.maxP99LatencyMs) out.push({ key: 'p99', text: `p99 latency ${fmt(s.p99LatencyMs)} ms > ${fmt(c.maxP99LatencyMs)} ms` });
  }
  const q = c.query;
  if (q && (q.above !== undefined || q.below !== undefined)) {
    if (!measured(s.value)) out.push({ key: 'query', text: `${q.name}: no value` });
    else if (q.above !== undefined && s.value > q.above) out.push({ key: 'query', text: `${q.name} ${fmt(s.value)} > ${fmt(q.above)}` });
    else if (q.below !== undefined && s.value < q.below) out.push({ key: 'query', text: `${q.name} ${fmt(s.value)} < ${fmt(q.below)}` });
  }
  return out;
}

/** "error rate 0.42 > 0.01 for 2 samples; p99 latency … for 1 sample": the latest text of each criterion in the run, with how many samples of the run broke it. */
function describeRun(run: Violation[][]): string {
  const byKey = new Map<string, { text: string; count: number }>();
  for (const vs of run) {
    for (const v of vs) {
      const e = byKey.get(v.key);
      if (e) {
        e.text = v.text;
        e.count++;
      } else byKey.set(v.key, { text: v.text, count: 1 });
    }
  }
  return [...byKey.values()].map((e) => `${e.text} for ${e.count} sample${e.count === 1 ? '' : 's'}`).join('; ');
}

/** FL_ERR_INVALID_ARGUMENT unless the window, the interval and failAfter make sense. */
export function checkWatchOptions(o: Pick<WatchOptions, 'windowMs' | 'intervalMs' | 'failAfter'>): void {
  const failAfter = o.failAfter ?? 2;
  const bad = (what: string): never => {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `watch: ${what}`);
  };
  if (!Number.isFinite(o.windowMs) || o.windowMs < 0) bad(`windowMs must be a number of ms ≥ 0, got ${o.windowMs}`);
  if (!Number.isFinite(o.intervalMs) || o.intervalMs <= 0) bad(`intervalMs must be a number of ms > 0, got ${o.intervalMs}`);
  if (!Number.isInteger(failAfter) || failAfter < 1) bad(`failAfter must be an integer ≥ 1, got ${failAfter}`);
}

/**
 * Samples at the start of the window and every `intervalMs` after it (at fixed times, so a slow probe does not
 * stretch the window) until the window ends; fails at the first `failAfter` consecutive bad samples.
 */
export async function watchRelease(o: WatchOptions): Promise<WatchVerdict> {
  checkWatchOptions(o);
  const failAfter = o.failAfter ?? 2;
  const clock = o.clock ?? systemWatchClock;
  const startedAt = clock.now();
  const samples: WatchSample[] = [];
  let run: Violation[][] = [];
  let badSamples = 0;
  const verdict = (extra: Partial<WatchVerdict> & { ok: boolean }): WatchVerdict => ({ startedAt, elapsedMs: clock.now() - startedAt, badSamples, samples, ...extra });
  let k = 0;
  for (;;) {
    if (o.signal?.aborted) return verdict({ ok: false, aborted: true, reason: `watch interrupted after ${clock.now() - startedAt} ms` });
    let raw: ProbeResult;
    try {
      raw = await o.probe();
    } catch (e) {
      raw = { error: e instanceof Error ? e.message : String(e) };
    }
    const { at, ...rest } = raw;
    const base = { ...rest, at: at ?? clock.now() };
    const violations = judgeSample(base, o.criteria);
    const sample: WatchSample = { ...base, violations: violations.map((v) => v.text) };
    samples.push(sample);
    if (violations.length > 0) {
      badSamples++;
      run.push(violations);
    } else run = [];
    const failed = run.length >= failAfter;
    o.onSample?.(sample, { ok: !failed, consecutiveBad: run.length, samples: samples.length, elapsedMs: clock.now() - startedAt });
    if (failed) return verdict({ ok: false, reason: describeRun(run), failedAtMs: clock.now() - startedAt });
    // the next sampling time that is still ahead (a probe slower than the interval skips ticks, it does not burst)
    k = Math.max(k + 1, Math.floor((clock.now() - startedAt) / o.intervalMs) + 1);
    const nextAt = startedAt + k * o.intervalMs;
    if (nextAt >= startedAt + o.windowMs) break;
    const wait = nextAt - clock.now();
    if (wait > 0) await clock.sleep(wait, o.signal);
  }
  return verdict({ ok: true });
}
