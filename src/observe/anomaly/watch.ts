/**
 * Live watching: a source is polled every interval (a running target under faultline's own open-loop probe load
 * and process samplers, or a Prometheus query over its HTTP API), each sample feeds the detectors and the
 * early-warning forecaster, and warnings are emitted with a root-cause hint:
 *  - `violation`: the steady state is violated now (a bound is crossed);
 *  - `forecast`:  P(violation within the horizon) reached the model's threshold;
 *  - `anomaly`:   a series' detector score reached the threshold.
 * A warning is raised when its condition starts (a rising edge), and again only after `rearmMs` without it.
 * The Watcher itself is pure (samples in, warnings out); the sources do the I/O.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { FaultlineError } from '../../core/errors.js';
import type { ObserveTarget, SteadyStateBounds, TimelineBucket, TimelineEvent } from '../../core/run.js';
import { combine, deriveBounds } from '../figures.js';
import { observe } from '../observer.js';
import { ProcessSampler } from '../samplers.js';
import { checkModel, Forecaster, type ForecastModel } from './forecast.js';
import { Ring } from './detectors/rolling.js';
import { rootCause, type NamedSeries, type RootCauseHint } from './root-cause.js';
import { boundRatio, isSignal, type Signal, type SignalSample } from './signals.js';
import type { DetectorSpec, StreamingDetector } from './types.js';

export type WarningKind = 'violation' | 'forecast' | 'anomaly';

export interface Warning {
  /** epoch ms of the sample that raised it */
  at: number;
  kind: WarningKind;
  /** the source's channel (a Prometheus series, or `target`) */
  channel: string;
  /** anomaly: the series whose score crossed the threshold */
  series?: string;
  score?: number;
  /** forecast: the probability, and the horizon it is about */
  p?: number;
  horizonMs?: number;
  message: string;
  hint?: RootCauseHint;
}

/** One time step of one channel: named values (anything), and the same mapped to the forecaster's signals. */
export interface WatchSample {
  /** epoch ms */
  t: number;
  channel: string;
  values: Record<string, number>;
}

export interface WatcherOptions {
  detector: DetectorSpec;
  /** detector score that raises an anomaly warning (default 0.5: p = 1e-8) */
  scoreThreshold?: number;
  /** the early-warning model; without one, no forecast warnings */
  model?: ForecastModel;
  /** steady-state bounds (per channel, or for all); without them, no violation warnings */
  bounds?: SteadyStateBounds | ((channel: string) => SteadyStateBounds | undefined);
  /** maps a sample's values to the forecaster's signals (default: the values whose names are signals) */
  signals?: (s: WatchSample) => SignalSample;
  /** nominal time between samples (default 250 ms) */
  stepMs?: number;
  /** samples the detectors only learn from (default 40) */
  probationary?: number;
  /** samples of history kept per channel for the root-cause hints (default 480) */
  historySamples?: number;
  /** a warning of a kind is raised again only after this long without it (default 30 s) */
  rearmMs?: number;
  seed?: number;
  /** timeline events (faults, deploys) for the hints' nearest event; called when a hint is made */
  events?: () => readonly TimelineEvent[];
}

interface Channel {
  detectors: Map<string, StreamingDetector>;
  forecaster?: Forecaster;
  bounds?: SteadyStateBounds;
  times: Ring;
  history: Map<string, Ring>;
  active: Map<string, boolean>;
  lastRaised: Map<string, number>;
  samples: number;
}

const defaultSignals = (s: WatchSample): SignalSample => {
  const out: SignalSample = {};
  for (const [k, v] of Object.entries(s.values)) if (isSignal(k)) out[k as Signal] = v;
  return out;
};

export class Watcher {
  private readonly channels = new Map<string, Channel>();
  private readonly stepMs: number;
  private readonly probationary: number;
  private readonly historySamples: number;
  private readonly rearmMs: number;
  private readonly scoreThreshold: number;
  private readonly signals: (s: WatchSample) => SignalSample;

  constructor(private readonly o: WatcherOptions) {
    this.stepMs = o.stepMs ?? 250;
    this.probationary = o.probationary ?? 40;
    this.historySamples = o.historySamples ?? 480;
    this.rearmMs = o.rearmMs ?? 30_000;
    this.scoreThreshold = o.scoreThreshold ?? 0.5;
    this.signals = o.signals ?? defaultSignals;
  }

  private channel(name: string): Channel {
    let c = this.channels.get(name);
    if (!c) {
      const bounds = typeof this.o.bounds === 'function' ? this.o.bounds(name) : this.o.bounds;
      c = {
        detectors: new Map(),
        ...(this.o.model ? { forecaster: new Forecaster(this.o.model, bounds, { stepMs: this.stepMs, detector: this.o.detector.name === this.o.model.detector ? this.o.detector : undefined }) } : {}),
        ...(bounds ? { bounds } : {}),
        times: new Ring(this.historySamples),
        history: new Map(),
        active: new Map(),
        lastRaised: new Map(),
        samples: 0,
      };
      this.channels.set(name, c);
    }
    return c;
  }

  /** the channel's recent history as series (for root-cause hints) */
  history(channel: string): NamedSeries[] {
    const c = this.channels.get(channel);
    if (!c) return [];
    const atMs = Array.from({ length: c.times.size }, (_, i) => c.times.at(i));
    return [...c.history.entries()].map(([name, r]) => ({ name, atMs, values: Array.from({ length: r.size }, (_, i) => { const v = r.at(i); return Number.isNaN(v) ? null : v; }) }));
  }

  private hint(channel: string, at: number): RootCauseHint {
    return rootCause(this.history(channel), this.o.events?.() ?? [], at, { detector: this.o.detector, probationary: this.probationary, scoreLevel: Math.min(this.scoreThreshold, 0.25) });
  }

  /** a rising edge of `key` that is also re-armed */
  private edge(c: Channel, key: string, on: boolean, t: number): boolean {
    const was = c.active.get(key) ?? false;
    c.active.set(key, on);
    if (!on || was) return false;
    const last = c.lastRaised.get(key);
    if (last !== undefined && t - last < this.rearmMs) return false;
    c.lastRaised.set(key, t);
    return true;
  }

  /** feeds one sample; returns the warnings it raises */
  feed(s: WatchSample): Warning[] {
    const c = this.channel(s.channel);
    c.samples++;
    const out: Warning[] = [];
    // history first, so hints see this sample
    const n = c.times.size;
    c.times.push(s.t);
    for (const [k, v] of Object.entries(s.values)) {
      let r = c.history.get(k);
      if (!r) {
        r = new Ring(this.historySamples);
        for (let i = 0; i < n; i++) r.push(NaN);
        c.history.set(k, r);
      }
      r.push(v);
    }
    for (const [k, r] of c.history) if (!(k in s.values)) r.push(NaN);

    // detectors per series
    let worst: { series: string; score: number } | undefined;
    for (const [k, v] of Object.entries(s.values)) {
      if (!Number.isFinite(v)) continue;
      let d = c.detectors.get(k);
      if (!d) {
        d = this.o.detector.create({ probationary: this.probationary, seed: ((this.o.seed ?? 1) + c.detectors.size * 0x9e3779b1) >>> 0 });
        c.detectors.set(k, d);
      }
      const score = d.update(s.t, v);
      if (score >= this.scoreThreshold && (!worst || score > worst.score)) worst = { series: k, score };
    }
    const sig = this.signals(s);
    const violated = c.bounds !== undefined && boundRatio(sig, c.bounds) > 1;
    if (this.edge(c, 'violation', violated, s.t)) {
      out.push({ at: s.t, kind: 'violation', channel: s.channel, message: `steady state violated on ${s.channel} (${describeBounds(sig, c.bounds as SteadyStateBounds)})`, hint: this.hint(s.channel, s.t) });
    }
    if (c.forecaster) {
      const f = c.forecaster.update(s.t, sig);
      if (this.edge(c, 'forecast', f.alarm, s.t)) {
        const hz = this.o.model?.horizonMs ?? 0;
        out.push({ at: s.t, kind: 'forecast', channel: s.channel, p: f.p, horizonMs: hz, message: `steady-state violation likely within ${(hz / 1000).toFixed(0)} s on ${s.channel} (p = ${f.p.toFixed(2)})`, hint: this.hint(s.channel, s.t) });
      }
    }
    if (this.edge(c, 'anomaly', worst !== undefined, s.t) && worst) {
      out.push({ at: s.t, kind: 'anomaly', channel: s.channel, series: worst.series, score: worst.score, message: `${worst.series} on ${s.channel} is anomalous (${this.o.detector.name} score ${worst.score.toFixed(2)} ≥ ${this.scoreThreshold.toFixed(2)})`, hint: this.hint(s.channel, s.t) });
    }
    return out;
  }
}

function describeBounds(s: SignalSample, b: SteadyStateBounds): string {
  const parts: string[] = [];
  if (s.errorRate !== undefined && s.errorRate > b.maxErrorRate) parts.push(`error rate ${(s.errorRate * 100).toFixed(1)} % > ${(b.maxErrorRate * 100).toFixed(1)} %`);
  if (s.p99LatencyMs !== undefined && b.maxP99LatencyMs !== undefined && s.p99LatencyMs > b.maxP99LatencyMs) parts.push(`p99 ${s.p99LatencyMs.toFixed(0)} ms > ${b.maxP99LatencyMs.toFixed(0)} ms`);
  if (s.throughputPerSec !== undefined && b.minThroughputPerSec !== undefined && s.throughputPerSec < b.minThroughputPerSec) parts.push(`throughput ${s.throughputPerSec.toFixed(1)}/s < ${b.minThroughputPerSec}/s`);
  return parts.join(', ') || 'a bound crossed';
}

// ---------------------------------------------------------------------------------------------------------
// sources

export interface WatchSource {
  /** samples from before the watch started (Prometheus: query_range), to warm the detectors up */
  backfill?(): Promise<WatchSample[]>;
  /** the samples completed since the previous poll */
  poll(): Promise<WatchSample[]>;
  close(): Promise<void>;
}

export interface PrometheusSourceOptions {
  /** the server's base URL: http://127.0.0.1:9090 */
  url: string;
  query: string;
  /** step of the backfill range query and nominal interval */
  stepMs: number;
  /** how much history to backfill (0: none) */
  backfillMs?: number;
  /** bearer token */
  token?: string;
  timeoutMs?: number;
  /** the clock (epoch ms), for tests */
  now?: () => number;
}

interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

/** a series' channel name: its labels, Prometheus style */
export function seriesName(metric: Record<string, string>): string {
  const { __name__: name, ...labels } = metric;
  const l = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name ?? ''}${l ? `{${l}}` : name ? '' : '{}'}`;
}

async function promGet(o: PrometheusSourceOptions, path: string, params: Record<string, string>): Promise<{ resultType: string; result: unknown }> {
  const u = new URL(path, o.url.endsWith('/') ? o.url : `${o.url}/`);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  let body: unknown;
  let status = 0;
  try {
    const res = await request(u, { method: 'GET', headers: { accept: 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) }, headersTimeout: o.timeoutMs ?? 10_000, bodyTimeout: o.timeoutMs ?? 10_000 });
    status = res.statusCode;
    const text = await res.body.text();
    try {
      body = JSON.parse(text);
    } catch {
      throw new FaultlineError('FL_ERR_PROMETHEUS_QUERY', `${u.origin}${u.pathname}: HTTP ${status}, not JSON: ${text.slice(0, 200)}`, { context: { url: u.origin + u.pathname, status } });
    }
  } catch (e) {
    if (e instanceof FaultlineError) throw e;
    throw new FaultlineError('FL_ERR_PROMETHEUS_QUERY', `${u.origin}${u.pathname}: ${(e as Error).message}; is --prometheus the server's base URL?`, { cause: e, context: { url: u.origin + u.pathname } });
  }
  const b = body as { status?: string; data?: { resultType?: string; result?: unknown }; error?: string; errorType?: string };
  if (b.status !== 'success' || !b.data || typeof b.data.resultType !== 'string') {
    throw new FaultlineError('FL_ERR_PROMETHEUS_QUERY', `${u.origin}${u.pathname}: HTTP ${status}: ${b.errorType ?? 'error'}: ${b.error ?? JSON.stringify(body).slice(0, 200)}`, { context: { url: u.origin + u.pathname, status, query: params.query } });
  }
  return { resultType: b.data.resultType, result: b.data.result };
}

function samplesOf(resultType: string, result: unknown): WatchSample[] {
  const byT = new Map<number, WatchSample>();
  const add = (channel: string, tSec: number, v: string): void => {
    const x = Number(v);
    if (!Number.isFinite(x)) return;
    const t = Math.round(tSec * 1000);
    const key = t;
    let s = byT.get(key);
    if (!s) {
      s = { t, channel: 'prometheus', values: {} };
      byT.set(key, s);
    }
    s.values[channel] = x;
  };
  if (resultType === 'scalar') {
    const [t, v] = result as [number, string];
    add('value', t, v);
  } else if (resultType === 'vector') {
    for (const s of result as PromSeries[]) if (s.value) add(seriesName(s.metric), s.value[0], s.value[1]);
  } else if (resultType === 'matrix') {
    for (const s of result as PromSeries[]) for (const [t, v] of s.values ?? []) add(seriesName(s.metric), t, v);
  } else {
    throw new FaultlineError('FL_ERR_PROMETHEUS_QUERY', `the query returned a ${resultType}; use a query that returns numbers (an instant vector or a scalar)`, { context: { resultType } });
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

/**
 * A Prometheus query, polled with /api/v1/query; the backfill reads /api/v1/query_range. All series of the result
 * are one channel (`prometheus`), each series a named value of it.
 */
export function prometheusSource(o: PrometheusSourceOptions): WatchSource {
  const now = o.now ?? Date.now;
  let lastT = -Infinity;
  return {
    async backfill() {
      if (!o.backfillMs) return [];
      const end = now() / 1000;
      const r = await promGet(o, 'api/v1/query_range', { query: o.query, start: String(end - o.backfillMs / 1000), end: String(end), step: `${o.stepMs / 1000}s` });
      const s = samplesOf(r.resultType, r.result);
      if (s.length) lastT = (s[s.length - 1] as WatchSample).t;
      return s;
    },
    async poll() {
      const r = await promGet(o, 'api/v1/query', { query: o.query, time: String(now() / 1000) });
      const s = samplesOf(r.resultType, r.result).filter((x) => x.t > lastT);
      if (s.length) lastT = (s[s.length - 1] as WatchSample).t;
      return s;
    },
    async close() {},
  };
}

export interface TargetSourceOptions {
  /** the URL the probe load requests (a local target) */
  url: string;
  ratePerSec: number;
  timeoutMs: number;
  method?: string;
  /** processes to sample (cpu, rss, fds; event-loop lag through their agent) */
  targets?: () => ObserveTarget[];
  /** sample step (the observer's bucket) */
  stepMs: number;
}

/** A running target under faultline's open-loop probe load, with process samples: one channel, `target`. */
export function targetSource(o: TargetSourceOptions): WatchSource & { buckets(): readonly TimelineBucket[] } {
  const pending: TimelineBucket[] = [];
  const all: TimelineBucket[] = [];
  const startedAt = Date.now();
  const obs = observe({ load: { url: o.url, method: o.method ?? 'GET', ratePerSec: o.ratePerSec, timeoutMs: o.timeoutMs }, bucketMs: o.stepMs, onBucket: (b) => (pending.push(b), all.push(b)) });
  const sampler = o.targets ? new ProcessSampler() : undefined;
  return {
    buckets: () => all,
    async poll() {
      const proc: SignalSample = {};
      if (sampler && o.targets) {
        for (const p of await sampler.sample(o.targets(), obs.now())) {
          proc.cpuPercent = Math.max(proc.cpuPercent ?? 0, p.cpuPercent);
          proc.rssBytes = (proc.rssBytes ?? 0) + p.rssBytes;
          proc.openFds = (proc.openFds ?? 0) + p.openFds;
          if (p.eventLoopLagMs !== undefined) proc.eventLoopLagMs = Math.max(proc.eventLoopLagMs ?? 0, p.eventLoopLagMs);
        }
      }
      const out = pending.splice(0).map((b) => ({
        t: startedAt + b.atMs + o.stepMs,
        channel: 'target',
        values: {
          errorRate: b.errorRate,
          throughputPerSec: b.throughputPerSec,
          ...(b.requests > 0 ? { p99LatencyMs: b.latencyMs.p99, p50LatencyMs: b.latencyMs.p50 } : {}),
          ...(proc as Record<string, number>),
        },
      }));
      return out;
    },
    async close() {
      await obs.stop();
    },
  };
}

/** steady-state bounds from the first buckets of a watch (the documented rule of deriveBounds) */
export function boundsFromBaseline(buckets: readonly TimelineBucket[], bucketMs: number): SteadyStateBounds {
  return deriveBounds(combine(buckets, buckets.length * bucketMs));
}

// ---------------------------------------------------------------------------------------------------------
// the loop

export interface RunWatchOptions {
  source: WatchSource;
  watcher: Watcher;
  intervalMs: number;
  onWarning: (w: Warning) => void;
  onSample?: (s: WatchSample) => void;
  signal?: AbortSignal;
  /** stop after this long (default: until the signal aborts) */
  durationMs?: number;
}

/** Polls the source every interval until aborted (or the duration ends); resolves with the count of samples fed. */
export async function runWatch(o: RunWatchOptions): Promise<{ samples: number; warnings: number }> {
  let samples = 0;
  let warnings = 0;
  const feed = (list: readonly WatchSample[]): void => {
    for (const s of list) {
      samples++;
      o.onSample?.(s);
      for (const w of o.watcher.feed(s)) {
        warnings++;
        o.onWarning(w);
      }
    }
  };
  try {
    if (o.source.backfill) feed(await o.source.backfill());
    const until = o.durationMs !== undefined ? Date.now() + o.durationMs : Infinity;
    while (!o.signal?.aborted && Date.now() < until) {
      await new Promise<void>((resolve) => {
        const onAbort = (): void => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          o.signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.min(o.intervalMs, Math.max(0, until - Date.now())));
        o.signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (o.signal?.aborted) break;
      feed(await o.source.poll());
    }
  } finally {
    await o.source.close();
  }
  return { samples, warnings };
}

// ---------------------------------------------------------------------------------------------------------
// models

/** where `faultline observe warn-eval --save-model` output can be installed as the default model */
export const DEFAULT_MODEL_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'early-warning.json');

/** Reads a model file; undefined when `file` is omitted and the default model is not installed. */
export function loadModel(file?: string): ForecastModel | undefined {
  const path = file ?? DEFAULT_MODEL_PATH;
  if (file === undefined && !existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FaultlineError('FL_ERR_WARN_MODEL', `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e, context: { file: path } });
  }
  return checkModel(parsed, path);
}
