/** Reads a saved report.json back into a RunReport, naming the file and every field that does not fit. */
import { readFileSync } from 'node:fs';
import { FaultlineError } from '../core/errors.js';
import type { RunReport } from '../core/run.js';

const KINDS = ['experiment', 'card', 'chaos', 'gameday', 'loop', 'test'];
const STATUSES = ['completed', 'failed', 'aborted', 'interrupted'];
const PHASES = ['before', 'during', 'after'];
const SEVERITIES = ['high', 'medium', 'low'];

type Check = (v: unknown) => string | undefined;

const str: Check = (v) => (typeof v === 'string' ? undefined : 'expected a string');
const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'expected a number');
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'expected true or false');
const obj: Check = (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'expected an object');
const arr: Check = (v) => (Array.isArray(v) ? undefined : 'expected an array');
const oneOf =
  (values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `expected one of ${values.join(', ')}`;
const numOrNull: Check = (v) => (v === null ? undefined : num(v));

function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

class Problems {
  readonly list: string[] = [];
  field(o: Record<string, unknown>, path: string, key: string, check: Check, optional = false): void {
    const v = o[key];
    if (v === undefined) {
      if (!optional) this.list.push(`${path}${key}: is required`);
      return;
    }
    const msg = check(v);
    if (msg) this.list.push(`${path}${key}: ${msg}, got ${shown(v)}`);
  }
  /** each element of an array field that is an object, with its path */
  items(o: Record<string, unknown>, path: string, key: string, optional = false): Array<[Record<string, unknown>, string]> {
    this.field(o, path, key, arr, optional);
    const v = o[key];
    if (!Array.isArray(v)) return [];
    const out: Array<[Record<string, unknown>, string]> = [];
    v.forEach((item: unknown, i) => {
      if (obj(item)) this.list.push(`${path}${key}[${i}]: expected an object, got ${shown(item)}`);
      else out.push([item as Record<string, unknown>, `${path}${key}[${i}].`]);
    });
    return out;
  }
}

function checkTraffic(p: Problems, t: Record<string, unknown>, path: string): void {
  for (const k of ['requests', 'ok', 'errors', 'errorRate', 'throughputPerSec']) p.field(t, path, k, num);
  p.field(t, path, 'errorsByKind', obj);
  p.field(t, path, 'latencyMs', obj);
  const lat = t.latencyMs;
  if (obj(lat) === undefined) for (const k of ['p50', 'p90', 'p99', 'p999', 'max', 'mean']) p.field(lat as Record<string, unknown>, `${path}latencyMs.`, k, num, k === 'p999' || k === 'mean');
}

/** Every problem of a parsed value that should be a RunReport; [] when it is one. */
export function runReportProblems(data: unknown): string[] {
  const p = new Problems();
  if (obj(data)) return [`(root): expected a JSON object, got ${shown(data)}`];
  const r = data as Record<string, unknown>;
  p.field(r, '', 'id', str);
  p.field(r, '', 'kind', oneOf(KINDS));
  p.field(r, '', 'title', str);
  p.field(r, '', 'status', oneOf(STATUSES));
  p.field(r, '', 'deviated', bool);
  p.field(r, '', 'halted', str, true);
  p.field(r, '', 'startedAt', str);
  p.field(r, '', 'endedAt', str);
  p.field(r, '', 'durationMs', num);
  p.field(r, '', 'seed', num, true);
  p.field(r, '', 'cardId', str, true);
  p.field(r, '', 'artifacts', obj);
  p.field(r, '', 'slo', obj, true);
  for (const [c, path] of p.items(r, '', 'checks')) {
    p.field(c, path, 'phase', oneOf(PHASES));
    p.field(c, path, 'probe', str);
    p.field(c, path, 'met', bool);
    p.field(c, path, 'error', str, true);
    p.field(c, path, 'atMs', num);
    p.field(c, path, 'durationMs', num);
  }
  for (const [f, path] of p.items(r, '', 'faults')) {
    for (const k of ['id', 'kind', 'layer', 'target']) p.field(f, path, k, str);
    p.field(f, path, 'params', obj);
    p.field(f, path, 'startMs', num);
    p.field(f, path, 'endMs', num, true);
  }
  for (const [s, path] of p.items(r, '', 'evidence')) {
    p.field(s, path, 'location', str);
    p.field(s, path, 'message', str);
    p.field(s, path, 'count', num);
    p.field(s, path, 'faultIds', arr);
  }
  for (const [rec, path] of p.items(r, '', 'recommendations')) {
    for (const k of ['title', 'why', 'change']) p.field(rec, path, k, str);
    p.field(rec, path, 'severity', oneOf(SEVERITIES));
  }
  p.field(r, '', 'observation', obj, true);
  if (obj(r.observation) === undefined) {
    const o = r.observation as Record<string, unknown>;
    for (const k of ['startedAt', 'durationMs', 'bucketMs']) p.field(o, 'observation.', k, num);
    for (const [b, path] of p.items(o, 'observation.', 'buckets')) {
      p.field(b, path, 'atMs', num);
      checkTraffic(p, b, path);
    }
    for (const [e, path] of p.items(o, 'observation.', 'events')) {
      p.field(e, path, 'atMs', num);
      p.field(e, path, 'kind', str);
      p.field(e, path, 'label', str);
    }
    for (const [s, path] of p.items(o, 'observation.', 'process')) {
      for (const k of ['atMs', 'pid', 'cpuPercent', 'rssBytes']) p.field(s, path, k, num);
    }
    p.field(o, 'observation.', 'summary', obj);
    if (obj(o.summary) === undefined) checkTraffic(p, o.summary as Record<string, unknown>, 'observation.summary.');
  }
  p.field(r, '', 'figures', obj, true);
  if (obj(r.figures) === undefined) {
    const f = r.figures as Record<string, unknown>;
    for (const k of ['availabilityPct', 'errorRate', 'faultToleranceScore', 'gracefulDegradationScore', 'recoverySuccessRate']) p.field(f, 'figures.', k, num);
    for (const k of ['mttdMs', 'mttrMs']) p.field(f, 'figures.', k, numOrNull);
    p.field(f, 'figures.', 'bounds', obj);
    for (const [ff, path] of p.items(f, 'figures.', 'faults')) {
      p.field(ff, path, 'faultId', str);
      p.field(ff, path, 'label', str);
      for (const k of ['timeToDetectMs', 'timeToRecoverMs']) p.field(ff, path, k, numOrNull);
      p.field(ff, path, 'recovered', bool);
      p.field(ff, path, 'availabilityPct', num);
      p.field(ff, path, 'during', obj);
      if (obj(ff.during) === undefined) checkTraffic(p, ff.during as Record<string, unknown>, `${path}during.`);
    }
  }
  return p.list;
}

/** Parses report JSON text; throws FL_ERR_REPORT_INVALID listing `file: field: problem` for each problem. */
export function parseRunReport(text: string, file: string): RunReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new FaultlineError('FL_ERR_REPORT_INVALID', `${file}: not valid JSON (${(e as Error).message}); pass the report.json a run wrote`, { context: { file } });
  }
  const problems = runReportProblems(data);
  if (problems.length > 0) {
    throw new FaultlineError('FL_ERR_REPORT_INVALID', `${file} is not a faultline run report:\n${problems.map((m) => `  ${file}: ${m}`).join('\n')}`, { context: { file, problems } });
  }
  return data as RunReport;
}

/** Reads and parses a report.json (FL_ERR_REPORT_READ when it cannot be read). */
export function readRunReport(file: string): RunReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FaultlineError('FL_ERR_REPORT_READ', `${file}: cannot read the report (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass the path of a report.json`, { cause: e, context: { file } });
  }
  return parseRunReport(text, file);
}
