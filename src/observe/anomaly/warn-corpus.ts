/**
 * The early-warning corpus: faultline's own recorded runs (scripts/record-corpus.mjs), one JSON file per run with
 * the bucketed series, the timeline events and the steady-state violation intervals as labels. A run's labels are
 * computed here, from its buckets and its steady-state bounds, with the same `bucketVerdict` the resilience
 * figures use, so "violation" means exactly what MTTD means in a report.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import type { Observation, ProcessSample, RunReport, SteadyStateBounds, TimelineEvent } from '../../core/run.js';
import { bucketVerdict, deriveBounds } from '../figures.js';

export const WARN_CORPUS_FORMAT = 'faultline-warn-corpus/1';

/** Traffic columns every run has, one value per bucket. */
export const TRAFFIC_COLUMNS = ['requests', 'errorRate', 'p50LatencyMs', 'p99LatencyMs', 'throughputPerSec'] as const;
/** Process columns, per service (`api.cpuPercent`), one value per bucket (the latest sample before the bucket's end). */
export const PROCESS_FIELDS = ['cpuPercent', 'rssBytes', 'openFds', 'eventLoopLagMs'] as const;

/** A process sample older than this (relative to a bucket's end) is not carried into the bucket: the process is gone. */
const STALE_SAMPLE_MS = 1500;

export interface ViolationInterval {
  /** ms since the run started: the first violated bucket's start */
  startMs: number;
  /** the last violated bucket's end */
  endMs: number;
}

export interface WarnRun {
  format: typeof WARN_CORPUS_FORMAT;
  id: string;
  title: string;
  /** the seed of the recorded run (faultline.yaml defaults.seed), when known */
  seed?: number;
  /** failure cards drilled in the run, in order */
  cards: string[];
  /** epoch ms of the run's time zero */
  startedAt: number;
  bucketMs: number;
  bounds: SteadyStateBounds;
  /** start of each bucket, ms since the run started */
  atMs: number[];
  /** per bucket: `v` violated, `s` steady, `n` no traffic */
  verdicts: string;
  /** column name → one value per bucket (null: not measured in that bucket) */
  columns: Record<string, Array<number | null>>;
  events: TimelineEvent[];
  /** violated buckets merged into intervals (gaps shorter than `mergeGapMs` joined) */
  violations: ViolationInterval[];
  mergeGapMs: number;
}

export interface LabelOptions {
  /** violated stretches closer than this are one violation (default 2,000 ms) */
  mergeGapMs?: number;
}

export const DEFAULT_MERGE_GAP_MS = 2000;

/** Merges violated buckets into intervals: consecutive ones, and those separated by less than `mergeGapMs`. */
export function violationIntervals(atMs: readonly number[], verdicts: string, bucketMs: number, mergeGapMs = DEFAULT_MERGE_GAP_MS): ViolationInterval[] {
  const out: ViolationInterval[] = [];
  for (let i = 0; i < atMs.length; i++) {
    if (verdicts[i] !== 'v') continue;
    const start = atMs[i] as number;
    const end = start + bucketMs;
    const last = out[out.length - 1];
    if (last && start - last.endMs < mergeGapMs) last.endMs = end;
    else out.push({ startMs: start, endMs: end });
  }
  return out;
}

/** The latest sample of each service at or before `t`, when not older than STALE_SAMPLE_MS. */
function processColumns(buckets: readonly { atMs: number }[], bucketMs: number, samples: readonly ProcessSample[]): Record<string, Array<number | null>> {
  const byService = new Map<string, ProcessSample[]>();
  for (const s of samples) {
    const key = s.service ?? `pid${s.pid}`;
    const list = byService.get(key) ?? [];
    list.push(s);
    byService.set(key, list);
  }
  const cols: Record<string, Array<number | null>> = {};
  for (const [service, list] of [...byService.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => a.atMs - b.atMs);
    const hasLag = list.some((s) => s.eventLoopLagMs !== undefined);
    const fields = PROCESS_FIELDS.filter((f) => f !== 'eventLoopLagMs' || hasLag);
    for (const f of fields) cols[`${service}.${f}`] = [];
    let j = -1;
    for (const b of buckets) {
      const end = b.atMs + bucketMs;
      while (j + 1 < list.length && (list[j + 1] as ProcessSample).atMs <= end) j++;
      const s = j >= 0 ? (list[j] as ProcessSample) : undefined;
      const fresh = s !== undefined && end - s.atMs <= STALE_SAMPLE_MS;
      for (const f of fields) {
        const v = fresh ? s[f] : undefined;
        (cols[`${service}.${f}`] as Array<number | null>).push(v === undefined || !Number.isFinite(v) ? null : v);
      }
    }
  }
  return cols;
}

/** An observation's series, one value per bucket: the traffic columns, and the process fields per service. */
export function observationColumns(obs: Pick<Observation, 'buckets' | 'bucketMs' | 'process'>): Record<string, Array<number | null>> {
  return {
    requests: obs.buckets.map((b) => b.requests),
    errorRate: obs.buckets.map((b) => b.errorRate),
    p50LatencyMs: obs.buckets.map((b) => (b.requests > 0 ? b.latencyMs.p50 : null)),
    p99LatencyMs: obs.buckets.map((b) => (b.requests > 0 ? b.latencyMs.p99 : null)),
    throughputPerSec: obs.buckets.map((b) => b.throughputPerSec),
    ...processColumns(obs.buckets, obs.bucketMs, obs.process),
  };
}

/** A corpus run from an observation and the bounds it is judged by. Pure. */
export function warnRunFromObservation(
  obs: Observation,
  bounds: SteadyStateBounds,
  meta: { id: string; title: string; seed?: number; cards?: string[] },
  o: LabelOptions = {},
): WarnRun {
  const mergeGapMs = o.mergeGapMs ?? DEFAULT_MERGE_GAP_MS;
  const atMs = obs.buckets.map((b) => b.atMs);
  const verdicts = obs.buckets.map((b) => ({ steady: 's', violated: 'v', 'no-traffic': 'n' })[bucketVerdict(b, bounds)]).join('');
  const columns = observationColumns(obs);
  return {
    format: WARN_CORPUS_FORMAT,
    id: meta.id,
    title: meta.title,
    ...(meta.seed !== undefined ? { seed: meta.seed } : {}),
    cards: meta.cards ?? [],
    startedAt: obs.startedAt,
    bucketMs: obs.bucketMs,
    bounds,
    atMs,
    verdicts,
    columns,
    events: obs.events,
    violations: violationIntervals(atMs, verdicts, obs.bucketMs, mergeGapMs),
    mergeGapMs,
  };
}

/** A corpus run from a run's report.json (the loop's, an experiment's): its observation judged by its own bounds. */
export function warnRunFromReport(report: RunReport, o: LabelOptions & { cards?: string[] } = {}): WarnRun {
  const obs = report.observation;
  if (!obs || obs.buckets.length === 0) throw new FaultlineError('FL_ERR_WARN_CORPUS', `run ${report.id}: the report has no observed buckets (was there a load.url?)`, { context: { run: report.id } });
  const bounds = report.figures?.bounds ?? deriveBounds(undefined);
  const cards = o.cards ?? [...new Set(obs.events.filter((e) => e.kind === 'phase' && e.label !== 'baseline').map((e) => e.label.split(':')[0] as string))];
  return warnRunFromObservation(obs, bounds, { id: report.id, title: report.title, ...(report.seed !== undefined ? { seed: report.seed } : {}), cards }, o);
}

function bad(file: string, why: string): never {
  throw new FaultlineError('FL_ERR_WARN_CORPUS', `${file}: ${why}`, { context: { file } });
}

/** Checks the shape of a parsed corpus run; throws FL_ERR_WARN_CORPUS naming the file and field. */
export function checkWarnRun(x: unknown, file: string): WarnRun {
  if (typeof x !== 'object' || x === null) bad(file, 'not a JSON object');
  const r = x as Partial<WarnRun>;
  if (r.format !== WARN_CORPUS_FORMAT) bad(file, `format: expected "${WARN_CORPUS_FORMAT}", got ${JSON.stringify(r.format)}`);
  if (typeof r.id !== 'string') bad(file, 'id: missing');
  if (!(typeof r.bucketMs === 'number' && r.bucketMs > 0)) bad(file, 'bucketMs: must be a number > 0');
  if (!Array.isArray(r.atMs)) bad(file, 'atMs: missing');
  const n = r.atMs.length;
  if (typeof r.verdicts !== 'string' || r.verdicts.length !== n || /[^vsn]/.test(r.verdicts)) bad(file, `verdicts: must be a string of v/s/n with one letter per bucket (${n})`);
  if (typeof r.columns !== 'object' || r.columns === null) bad(file, 'columns: missing');
  for (const [k, v] of Object.entries(r.columns)) {
    if (!Array.isArray(v) || v.length !== n) bad(file, `columns.${k}: must have one value per bucket (${n})`);
  }
  for (const c of TRAFFIC_COLUMNS) if (!(c in r.columns)) bad(file, `columns.${c}: missing`);
  if (typeof r.bounds !== 'object' || r.bounds === null || typeof r.bounds.maxErrorRate !== 'number') bad(file, 'bounds.maxErrorRate: missing');
  if (!Array.isArray(r.violations)) bad(file, 'violations: missing');
  if (!Array.isArray(r.events)) bad(file, 'events: missing');
  return { ...(r as WarnRun), cards: r.cards ?? [], mergeGapMs: r.mergeGapMs ?? DEFAULT_MERGE_GAP_MS, title: r.title ?? r.id, startedAt: r.startedAt ?? 0 };
}

/** Reads every `*.json` run of a corpus folder (or of its `runs/` sub-folder), sorted by id. */
export function readWarnCorpus(dir: string): WarnRun[] {
  let root = dir;
  try {
    if (statSync(join(dir, 'runs')).isDirectory()) root = join(dir, 'runs');
  } catch {
    // no runs/ sub-folder: the runs are in dir itself
  }
  let names: string[];
  try {
    names = readdirSync(root).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    throw new FaultlineError('FL_ERR_WARN_CORPUS', `${dir}: cannot read the corpus folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); record one with scripts/record-corpus.mjs`, { cause: e, context: { file: dir } });
  }
  const runs: WarnRun[] = [];
  for (const name of names) {
    const file = join(root, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      bad(file, `not valid JSON (${(e as Error).message})`);
    }
    if ((parsed as { format?: unknown } | null)?.format !== WARN_CORPUS_FORMAT) continue; // manifest.json and other files
    runs.push(checkWarnRun(parsed, file));
  }
  if (runs.length === 0) bad(dir, `no recorded runs (*.json with format "${WARN_CORPUS_FORMAT}")`);
  return runs.sort((a, b) => a.id.localeCompare(b.id));
}

export function writeWarnRun(dir: string, run: WarnRun): string {
  const file = join(dir, `${run.id}.json`);
  writeFileSync(file, JSON.stringify(run));
  return file;
}

/** the minimum length of a violation the early warning is judged on (default): the resilience figures' sustain time */
export const DEFAULT_MIN_VIOLATION_MS = 1000;

/**
 * The run with only the violations that last at least `minMs`: shorter ones (a single slow bucket) stay violated
 * buckets — no alarm is judged inside them — but are not violations to warn of.
 */
export function withMinViolation(run: WarnRun, minMs: number): WarnRun {
  return { ...run, violations: run.violations.filter((v) => v.endMs - v.startMs >= minMs) };
}
