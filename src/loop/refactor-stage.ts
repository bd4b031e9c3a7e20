/**
 * The refactor stage of `faultline loop --refactor`, as the loop shows it: per fix, where and with which recipe,
 * kept or not, and — for a failure a card or an experiment exposed — the steady state of that run before the fix
 * (the untouched code) and after it (the fixed code), with what was measured.
 */
import type { CheckResult, Exposure, RefactorReport } from '../refactor/engine/index.js';
import { describeTarget } from '../refactor/engine/index.js';
import { join } from 'node:path';

export interface LoopRefactorFix {
  id: string;
  outcome: string;
  recipe?: string;
  /** "path:line:col (fn)" */
  at: string;
  commit?: string;
  reason?: string;
  /** the run that exposed it: "card network-latency", "experiment experiments/x.yaml" */
  exposedBy?: string;
  /** the exposing run's steady state on the untouched code and after the fix: "violated: p99 812 ms, …" */
  before?: string;
  after?: string;
  /** every exposing run, when more than one exposed it (the first is exposedBy/before/after) */
  exposures?: { by: string; before?: string; after?: string }[];
  /** every file the fix changes, when it is more than the target's (a function made async and its callers) */
  files?: string[];
}

export interface LoopRefactor {
  runId?: string;
  branch?: string;
  /** report.md of the run */
  report?: string;
  summary?: RefactorReport['summary'];
  fixes: LoopRefactorFix[];
  notes: string[];
  /** why the stage could not run */
  error?: { code: string; message: string };
}

const firstLine = (s: string): string => s.split('\n')[0] ?? '';

function verdict(c: CheckResult | undefined): string | undefined {
  if (!c) return undefined;
  if (c.ok === null) return `not run (${firstLine(c.detail)})`;
  const d = firstLine(c.detail);
  const m = /steady state (held|violated): (.+)$/.exec(d);
  if (m) return `${m[1] as string}: ${m[2] as string}`;
  return `${c.ok ? 'held' : 'violated'} (${d})`;
}

/** What the loop prints and returns of a refactoring run. */
export function summarizeRefactor(r: RefactorReport): LoopRefactor {
  return {
    runId: r.runId,
    ...(r.branch ? { branch: r.branch } : {}),
    ...(r.outDir ? { report: join(r.outDir, 'report.md') } : {}),
    summary: r.summary,
    notes: r.notes,
    fixes: r.fixes.map((f) => {
      const name = (e: Exposure): string => (e.cardId ? `card ${e.cardId}` : e.file ? `experiment ${e.file}` : `${e.kind} run ${e.runId}`);
      const all = [...(f.target.exposedBy ? [f.target.exposedBy] : []), ...(f.target.alsoExposedBy ?? [])].map((e) => {
        const by = name(e);
        const exp = f.checks.find((c) => c.kind === 'experiment' && c.name === by) ?? (e === f.target.exposedBy ? f.checks.find((c) => c.kind === 'experiment') : undefined);
        const base = exp ? r.baseline.find((b) => b.name === exp.name) : undefined;
        const before = verdict(base);
        const after = verdict(exp);
        return { by, ...(before ? { before } : {}), ...(after ? { after } : {}) };
      });
      const first = all[0];
      const exposedBy = first?.by;
      const before = first?.before;
      const after = first?.after;
      return {
        id: f.id,
        outcome: f.outcome,
        ...(f.recipe ? { recipe: f.recipe } : {}),
        at: describeTarget(f.target),
        ...(f.commit ? { commit: f.commit } : {}),
        ...(f.reason ? { reason: firstLine(f.reason) } : {}),
        ...(exposedBy ? { exposedBy } : {}),
        ...(before ? { before } : {}),
        ...(after ? { after } : {}),
        ...(all.length > 1 ? { exposures: all } : {}),
        ...(f.files.length > 1 ? { files: f.files } : {}),
      };
    }),
  };
}

/** The refactor section of the loop's terminal output. */
export function renderRefactor(r: LoopRefactor, project: string): string {
  if (r.error) return `refactor of ${project}: not run — ${r.error.code}: ${firstLine(r.error.message)}`;
  const s = r.summary;
  const lines = [`refactor of ${project}${r.runId ? ` (run ${r.runId})` : ''}: ${s ? `${s.kept} kept, ${s.unverified} unverified, ${s.reverted} reverted, ${s.skipped} skipped of ${s.considered} candidates` : 'nothing to do'}`];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  for (const f of r.fixes) {
    lines.push(`  ${f.outcome.toUpperCase().padEnd(10)} ${f.at}  ${f.recipe ?? '—'}${f.commit ? `  ${f.commit.slice(0, 10)}` : ''}`);
    if (f.files) lines.push(`             changes ${f.files.join(', ')}`);
    for (const x of f.exposures ?? (f.exposedBy ? [{ by: f.exposedBy, before: f.before, after: f.after }] : [])) {
      lines.push(`             exposed by ${x.by}`);
      // a skipped fix changed nothing, so there is no before and after to show
      if (f.outcome !== 'skipped') lines.push(`               before the fix: ${x.before ?? 'not measured'}`, `               after the fix:  ${x.after ?? 'not measured'}`);
    }
    if (f.reason && (f.outcome !== 'kept' || f.reason.startsWith('verified together'))) lines.push(`             ${f.reason}`);
  }
  if (r.branch) lines.push(`  branch: ${r.branch} (one commit per kept fix: review it, then \`git merge ${r.branch}\`; undo one with \`faultline refactor revert <id>\`)`);
  if (r.report) lines.push(`  report: ${r.report}`);
  return lines.join('\n');
}
