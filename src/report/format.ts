/** Number and value formatting shared by the terminal, HTML and JUnit renderers (units always shown). */
import type { HypothesisCheck, ResilienceFigures } from '../core/run.js';

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (Math.abs(ms) >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtPct(pct: number | null | undefined, digits = 2): string {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return '—';
  return `${pct.toFixed(digits)} %`;
}

/** a ratio 0..1 shown as a percentage */
export function fmtRate(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : fmtPct(rate * 100);
}

export function fmtBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i] as string}`;
}

/** a probe value or tolerance in one line, at most `max` characters */
export function fmtValue(v: unknown, max = 200): string {
  let s: string;
  if (v === undefined) s = '(none)';
  else if (typeof v === 'string') s = JSON.stringify(v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** a Chaos Toolkit tolerance in words: ranges, regexes and JSONPath tolerances read naturally, others as JSON */
export function fmtTolerance(t: unknown): string {
  if (typeof t === 'object' && t !== null && !Array.isArray(t)) {
    const o = t as Record<string, unknown>;
    const target = typeof o.target === 'string' ? ` (${o.target})` : '';
    if (o.type === 'range' && Array.isArray(o.range) && o.range.length === 2) return `within [${fmtValue(o.range[0])}, ${fmtValue(o.range[1])}]${target}`;
    if (o.type === 'regex' && typeof o.pattern === 'string') return `matching /${o.pattern}/${target}`;
    if (o.type === 'jsonpath' && typeof o.path === 'string') {
      const expect = o.expect !== undefined ? ` = ${fmtValue(o.expect)}` : o.count !== undefined ? ` (${fmtValue(o.count)} match(es))` : '';
      return `${o.path}${expect}${target}`;
    }
  }
  if (Array.isArray(t)) return `one of ${fmtValue(t)}`;
  return fmtValue(t);
}

/** "expected <tolerance>, observed <value>" (or the probe error) */
export function describeCheck(c: HypothesisCheck): string {
  if (c.error !== undefined) return `probe error: ${c.error}`;
  return `expected ${fmtTolerance(c.tolerance)}, observed ${fmtValue(c.value)}`;
}

export interface FigureRow {
  name: string;
  value: string;
}

/** The run-wide resilience figures as label/value rows, with units. */
export function figureRows(f: ResilienceFigures): FigureRow[] {
  const rows: FigureRow[] = [
    { name: 'availability', value: fmtPct(f.availabilityPct) },
    { name: 'error rate', value: fmtRate(f.errorRate) },
    { name: 'MTTD (mean time to detect)', value: fmtMs(f.mttdMs) },
    { name: 'MTTR (mean time to recover)', value: fmtMs(f.mttrMs) },
    { name: 'fault tolerance score', value: f.faultToleranceScore.toFixed(2) },
    { name: 'graceful degradation score', value: f.gracefulDegradationScore.toFixed(2) },
    { name: 'recovery success rate', value: fmtRate(f.recoverySuccessRate) },
  ];
  if (f.baseline) {
    rows.push(
      { name: 'baseline p99 latency', value: fmtMs(f.baseline.latencyMs.p99) },
      { name: 'baseline throughput', value: `${f.baseline.throughputPerSec.toFixed(1)} req/s` },
    );
  }
  const b = f.bounds;
  const bounds = [`error rate ≤ ${fmtRate(b.maxErrorRate)}`];
  if (b.maxP99LatencyMs !== undefined) bounds.push(`p99 ≤ ${fmtMs(b.maxP99LatencyMs)}`);
  if (b.minThroughputPerSec !== undefined) bounds.push(`throughput ≥ ${b.minThroughputPerSec} req/s`);
  rows.push({ name: 'steady-state bounds', value: bounds.join(', ') });
  return rows;
}
