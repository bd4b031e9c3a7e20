/** What the charts and rules read from a report's timeline: fault windows, event markers, compacted buckets. */
import type { FaultWindow, RunFault, RunReport, TimelineBucket, TimelineEvent } from '../core/run.js';

export function faultLabel(f: RunFault): string {
  return `${f.layer}/${f.kind} ${f.target}`.trim();
}

/**
 * Each fault's active interval on the observation's timeline (ms since the observation started). The
 * observation's own inject/revert/expire events are used when they carry the fault id; otherwise the run's
 * fault times are shifted by the gap between the run's start and the observation's start.
 */
export function faultWindows(report: RunReport): FaultWindow[] {
  const obs = report.observation;
  const runStart = Date.parse(report.startedAt);
  const shift = obs && Number.isFinite(runStart) ? obs.startedAt - runStart : 0;
  const labels = new Map((report.figures?.faults ?? []).map((f) => [f.faultId, f.label]));
  return report.faults.map((f) => {
    const events = (obs?.events ?? []).filter((e) => e.faultId === f.id);
    const start = events.find((e) => e.kind === 'inject')?.atMs ?? f.startMs - shift;
    const end = events.find((e) => e.kind === 'revert' || e.kind === 'expire')?.atMs ?? (f.endMs === undefined ? undefined : f.endMs - shift);
    const w: FaultWindow = { faultId: f.id, label: labels.get(f.id) ?? faultLabel(f), startMs: start };
    if (end !== undefined) w.endMs = end;
    return w;
  });
}

const MARKED = new Set<TimelineEvent['kind']>(['inject', 'revert', 'expire', 'halt', 'detect', 'recover']);

/**
 * The events worth a marker on the chart: inject, revert, expire, halt, detect, recover. Detect and recover
 * markers come from the figures (window start + TTD, window end + TTR) when the observation has none for a fault.
 */
export function markers(report: RunReport, windows: FaultWindow[] = faultWindows(report)): TimelineEvent[] {
  const events = (report.observation?.events ?? []).filter((e) => MARKED.has(e.kind));
  const has = (kind: TimelineEvent['kind'], id: string): boolean => events.some((e) => e.kind === kind && e.faultId === id);
  const derived: TimelineEvent[] = [];
  for (const ff of report.figures?.faults ?? []) {
    const w = windows.find((x) => x.faultId === ff.faultId);
    if (!w) continue;
    if (ff.timeToDetectMs !== null && !has('detect', ff.faultId)) {
      derived.push({ atMs: w.startMs + ff.timeToDetectMs, kind: 'detect', label: `detected ${ff.label}`, faultId: ff.faultId });
    }
    if (ff.timeToRecoverMs !== null && w.endMs !== undefined && !has('recover', ff.faultId)) {
      derived.push({ atMs: w.endMs + ff.timeToRecoverMs, kind: 'recover', label: `recovered ${ff.label}`, faultId: ff.faultId });
    }
  }
  return [...events, ...derived].sort((a, b) => a.atMs - b.atMs);
}

/**
 * At most `maxPoints` buckets: consecutive buckets are merged (requests, ok and errors summed; the merged
 * p50/mean are request-weighted, p90/p99/p999/max are the maximum), so a long run keeps a bounded chart.
 */
export function compactBuckets(buckets: readonly TimelineBucket[], maxPoints: number): TimelineBucket[] {
  if (buckets.length <= maxPoints) return [...buckets];
  const per = Math.ceil(buckets.length / maxPoints);
  const out: TimelineBucket[] = [];
  for (let i = 0; i < buckets.length; i += per) {
    const group = buckets.slice(i, i + per);
    const requests = group.reduce((s, b) => s + b.requests, 0);
    const ok = group.reduce((s, b) => s + b.ok, 0);
    const errors = group.reduce((s, b) => s + b.errors, 0);
    const weight = (b: TimelineBucket): number => (requests > 0 ? b.requests / requests : 1 / group.length);
    const errorsByKind: Record<string, number> = {};
    for (const b of group) for (const [k, v] of Object.entries(b.errorsByKind)) errorsByKind[k] = (errorsByKind[k] ?? 0) + v;
    const maxOf = (pick: (b: TimelineBucket) => number): number => Math.max(...group.map(pick));
    out.push({
      atMs: (group[0] as TimelineBucket).atMs,
      requests,
      ok,
      errors,
      errorRate: requests > 0 ? errors / requests : 0,
      errorsByKind,
      throughputPerSec: group.reduce((s, b) => s + b.throughputPerSec, 0) / group.length,
      latencyMs: {
        p50: group.reduce((s, b) => s + b.latencyMs.p50 * weight(b), 0),
        p90: maxOf((b) => b.latencyMs.p90),
        p99: maxOf((b) => b.latencyMs.p99),
        p999: maxOf((b) => b.latencyMs.p999),
        max: maxOf((b) => b.latencyMs.max),
        mean: group.reduce((s, b) => s + b.latencyMs.mean * weight(b), 0),
      },
    });
  }
  return out;
}
