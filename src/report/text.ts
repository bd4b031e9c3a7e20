/** The terminal summary of a run: verdict, failed checks, figures, faults, evidence, recommendations, artifacts. */
import type { RunReport } from '../core/run.js';
import { describeCheck, figureRows, fmtMs, fmtPct, fmtRate } from './format.js';

export interface TextOptions {
  /** ANSI colours (off unless asked: the CLI turns them on for a TTY without NO_COLOR) */
  color?: boolean;
  /** evidence sites shown at most (default 5) */
  maxEvidence?: number;
}

type Paint = (s: string) => string;

function painter(on: boolean): { red: Paint; green: Paint; yellow: Paint; bold: Paint; dim: Paint } {
  const wrap =
    (code: number): Paint =>
    (s) =>
      on ? `\u001b[${code}m${s}\u001b[0m` : s;
  return { red: wrap(31), green: wrap(32), yellow: wrap(33), bold: wrap(1), dim: wrap(2) };
}

/** left-aligned columns, two spaces apart */
function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] as number) - [...c].length))).join('  ').trimEnd());
}

/** The run summary as plain text (no colour unless `color`). */
export function renderText(report: RunReport, opts: TextOptions = {}): string {
  const p = painter(opts.color === true);
  const out: string[] = [];
  const verdict =
    report.status === 'completed' && !report.deviated ? p.green('completed') : report.status === 'completed' ? p.red('completed, deviated') : report.status === 'failed' ? p.red(`failed${report.deviated ? ', deviated' : ''}`) : p.yellow(report.status);
  out.push(`${p.bold(report.title)} — ${verdict}`);
  out.push(p.dim(`run ${report.id} · ${report.kind}${report.cardId ? ` · card ${report.cardId}` : ''} · ${fmtMs(report.durationMs)} · seed ${report.seed ?? '—'} · started ${report.startedAt}`));
  if (report.halted) out.push(p.red(`halted: ${report.halted}`));

  const failed = report.checks.filter((c) => !c.met || c.error !== undefined);
  const met = report.checks.length - failed.length;
  out.push('', p.bold(`Hypothesis checks: ${met}/${report.checks.length} met`));
  for (const c of failed) out.push(`  ${p.red('✗')} [${c.phase}] ${c.probe}: ${describeCheck(c)}`);

  const f = report.figures;
  if (f) {
    out.push('', p.bold('Resilience figures'));
    out.push(...columns(figureRows(f).map((r) => [`  ${r.name}`, r.value])));
  }
  if (report.faults.length > 0) {
    out.push('', p.bold('Faults'));
    const rows = report.faults.map((x) => {
      const ff = f?.faults.find((y) => y.faultId === x.id);
      const cells = [`  ${x.layer}/${x.kind}`, x.target, `${fmtMs(x.startMs)} → ${fmtMs(x.endMs)}`, x.endedBy ?? ''];
      if (ff) {
        cells.push(`TTD ${fmtMs(ff.timeToDetectMs)}`, `TTR ${fmtMs(ff.timeToRecoverMs)}`, ff.recovered ? p.green('recovered') : p.red('not recovered'), `availability ${fmtPct(ff.availabilityPct)}`, `errors ${fmtRate(ff.during.errorRate)}`, `p99 ${fmtMs(ff.during.latencyMs.p99)}`);
      }
      return cells;
    });
    out.push(...columns(rows));
  }
  if (report.evidence.length > 0) {
    const max = opts.maxEvidence ?? 5;
    out.push('', p.bold(`Evidence (top ${Math.min(max, report.evidence.length)} of ${report.evidence.length} sites)`));
    for (const e of report.evidence.slice(0, max)) out.push(`  ${String(e.count).padStart(5)}×  ${e.location}${e.fn ? ` (${e.fn})` : ''}  ${e.message}`);
  }
  if (report.recommendations.length > 0) {
    out.push('', p.bold('Recommendations'));
    for (const r of report.recommendations) {
      const sev = r.severity === 'high' ? p.red(r.severity) : r.severity === 'medium' ? p.yellow(r.severity) : r.severity;
      out.push(`  [${sev}] ${r.title}${r.recipe ? p.dim(` (recipe ${r.recipe})`) : ''}`);
      if (r.location) out.push(`         at ${r.location}`);
      out.push(`         why: ${r.why}`, `         change: ${r.change}`);
    }
  }
  const artifacts = Object.entries(report.artifacts);
  if (artifacts.length > 0) {
    out.push('', p.bold('Artifacts'));
    out.push(...columns(artifacts.map(([k, v]) => [`  ${k}`, v])));
  }
  return out.join('\n') + '\n';
}
