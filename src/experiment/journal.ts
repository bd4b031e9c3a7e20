/**
 * The run journal, in Chaos Toolkit's shape (chaoslib-version, platform, node, experiment, start, end, duration,
 * status, deviated, steady_states {before, after, during}, run, rollbacks), so tools that read CTK journals read
 * faultline's. faultline's own additions are under the `faultline` key.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname, platform, release } from 'node:os';
import { dirname } from 'node:path';
import type { RunFault, RunReport, RunStatus } from '../core/run.js';
import { VERSION } from '../core/version.js';
import type { Activity, Experiment } from './format/types.js';

export interface JournalRun {
  activity: Activity;
  output: unknown;
  status: 'succeeded' | 'failed';
  /** ISO-8601 */
  start: string;
  end: string;
  /** seconds */
  duration: number;
  /** the error, one line per cause */
  exception?: string[];
  /** steady-state probes: whether the output met the tolerance */
  tolerance_met?: boolean;
  /** steady-state probes: the value compared with the tolerance */
  checked?: unknown;
}

export interface SteadyStateResult {
  steady_state_met: boolean | null;
  probes: JournalRun[];
}

export interface JournalFaultline {
  version: string;
  runId: string;
  seed: number;
  dry: boolean;
  rollbackStrategy: string;
  hypothesisStrategy: string;
  /** whether the rollbacks were played, and why */
  rollbacksPlayed: boolean;
  rollbacksReason: string;
  /** every fault the run injected, with how it ended */
  faults: RunFault[];
  /** ids reverted by the final revert-all (whatever the rollback strategy) */
  reverted: string[];
  /** the halt condition that stopped the run */
  halted?: string;
  /** the steady-state probe that was not met (first one) */
  violated?: { phase: 'before' | 'during' | 'after'; probe: string; value?: unknown; error?: string };
  warnings: string[];
}

export interface Journal {
  'chaoslib-version': string;
  platform: string;
  node: string;
  experiment: Experiment;
  start: string;
  end: string;
  /** seconds */
  duration: number;
  status: RunStatus;
  deviated: boolean;
  steady_states: { before: SteadyStateResult | null; after: SteadyStateResult | null; during: SteadyStateResult[] };
  run: JournalRun[];
  rollbacks: JournalRun[];
  faultline: JournalFaultline;
}

export function newJournal(experiment: Experiment, start: Date, fl: JournalFaultline): Journal {
  return {
    'chaoslib-version': `faultline ${VERSION}`,
    platform: `${platform()}-${release()}`,
    node: hostname(),
    experiment,
    start: start.toISOString(),
    end: start.toISOString(),
    duration: 0,
    status: 'completed',
    deviated: false,
    steady_states: { before: null, after: null, during: [] },
    run: [],
    rollbacks: [],
    faultline: fl,
  };
}

/** Writes a journal (or a report) as indented JSON, creating the folder. */
export function writeJson(path: string, data: Journal | RunReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}

/** The short form `--json` prints. */
export function journalSummary(j: Journal, journalPath?: string): Record<string, unknown> {
  return {
    title: j.experiment.title,
    status: j.status,
    deviated: j.deviated,
    duration: j.duration,
    ...(j.faultline.halted ? { halted: j.faultline.halted } : {}),
    ...(j.faultline.violated ? { violated: j.faultline.violated } : {}),
    steadyStateBefore: j.steady_states.before?.steady_state_met ?? null,
    steadyStateAfter: j.steady_states.after?.steady_state_met ?? null,
    activities: j.run.map((r) => ({ name: r.activity.name, status: r.status, duration: r.duration })),
    rollbacks: { played: j.faultline.rollbacksPlayed, reason: j.faultline.rollbacksReason, activities: j.rollbacks.map((r) => ({ name: r.activity.name, status: r.status })) },
    faults: j.faultline.faults.map((f) => ({ id: f.id, layer: f.layer, kind: f.kind, target: f.target, endedBy: f.endedBy ?? null })),
    reverted: j.faultline.reverted,
    seed: j.faultline.seed,
    ...(journalPath ? { journal: journalPath } : {}),
  };
}

/** The human summary the CLI prints. */
export function renderJournal(j: Journal, journalPath?: string): string {
  const lines: string[] = [];
  const verdict = j.status === 'completed' && !j.deviated ? 'PASSED' : j.deviated ? 'DEVIATED' : j.status.toUpperCase();
  lines.push(`${verdict}: ${j.experiment.title} (${j.duration.toFixed(1)} s)`);
  const ss = (label: string, s: SteadyStateResult | null): void => {
    if (!s) return;
    lines.push(`  steady state ${label}: ${s.steady_state_met ? 'met' : 'NOT met'}`);
    for (const p of s.probes) lines.push(`    ${p.tolerance_met ? '✓' : '✗'} ${p.activity.name}${p.tolerance_met ? '' : `: ${p.status === 'failed' ? (p.exception?.[0] ?? 'failed') : `value ${JSON.stringify(p.checked)} not within tolerance ${JSON.stringify(p.activity.tolerance)}`}`}`);
  };
  ss('before', j.steady_states.before);
  const duringMisses = j.steady_states.during.filter((d) => d.steady_state_met === false).length;
  if (j.steady_states.during.length > 0) lines.push(`  steady state during: ${j.steady_states.during.length} checks, ${duringMisses} not met`);
  for (const r of j.run) lines.push(`  ${r.status === 'succeeded' ? '✓' : '✗'} ${r.activity.type} ${r.activity.name} (${r.duration.toFixed(2)} s)${r.exception ? `: ${r.exception[0]}` : ''}`);
  ss('after', j.steady_states.after);
  if (j.faultline.violated) lines.push(`  violated probe: "${j.faultline.violated.probe}" (${j.faultline.violated.phase})${j.faultline.violated.error ? `: ${j.faultline.violated.error}` : j.faultline.violated.value !== undefined ? `: value ${JSON.stringify(j.faultline.violated.value)}` : ''}`);
  if (j.faultline.halted) lines.push(`  HALTED: ${j.faultline.halted}`);
  lines.push(`  rollbacks: ${j.faultline.rollbacksPlayed ? `played (${j.faultline.rollbacksReason})` : `not played (${j.faultline.rollbacksReason})`}`);
  for (const r of j.rollbacks) lines.push(`    ${r.status === 'succeeded' ? '✓' : '✗'} ${r.activity.name}${r.exception ? `: ${r.exception[0]}` : ''}`);
  if (j.faultline.faults.length > 0) lines.push(`  faults: ${j.faultline.faults.map((f) => `${f.layer}/${f.kind} ${f.target} (ended by ${f.endedBy ?? '?'})`).join('; ')}; every one reverted`);
  if (journalPath) lines.push(`  journal: ${journalPath}`);
  return lines.join('\n');
}
