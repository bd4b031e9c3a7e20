/**
 * The last stage of `faultline loop`: the gate decisions for the project's modules (`faultline gate
 * --run-tests`), on the committed code (HEAD) and — after `--refactor` kept fixes — on the refactor branch's tip, so
 * the loop shows what the fixes did to each module's FIS, coverage and decision. Each side is measured in a
 * detached worktree of its own (removed afterwards): the user's tree is not touched.
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { isFaultlineError } from '../../core/errors.js';
import { DECISION_LABELS, type GateDecision } from '../../core/promote.js';
import { gitOps } from '../../refactor/engine/index.js';
import type { CliContext } from '../context.js';
import { gateProject, type ProjectGate } from './promote.js';

export interface LoopGateModule {
  module: string;
  fis: number;
  severity: string;
  probability: number;
  coverage: number | null;
  requiredCoverage: number | null;
  decision: GateDecision;
}

export interface LoopGateSide {
  rev: string;
  modules: LoopGateModule[];
  probabilities: string;
  notes: string[];
}

export interface LoopGate {
  before?: LoopGateSide;
  /** the refactor branch's tip, when --refactor kept fixes */
  after?: LoopGateSide & { branch: string };
  error?: { code: string; message: string };
}

function side(g: ProjectGate): LoopGateSide {
  return {
    rev: g.rev,
    probabilities: g.probabilities.source,
    notes: g.notes,
    modules: g.modules.map((m) => ({
      module: m.result.module,
      fis: m.result.fis,
      severity: m.result.severity,
      probability: m.fis.probability,
      coverage: m.coverage.pct,
      requiredCoverage: m.result.requiredCoverage,
      decision: m.result.decision,
    })),
  };
}

/** The gate of the project at `rev`, measured in a detached worktree of its own (removed afterwards). */
async function gateAt(c: CliContext, root: string, project: string, rev: string, say: (line: string) => void): Promise<ProjectGate> {
  const wt = mkdtempSync(join(tmpdir(), 'faultline-gate-'));
  rmSync(wt, { recursive: true, force: true });
  try {
    await gitOps.git(root, ['worktree', 'add', '--quiet', '--detach', wt, rev]);
    if (existsSync(join(root, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(wt, 'node_modules'), 'dir');
    // the bundled default model on both sides, so before and after are scored alike
    return await gateProject(c, { repo: join(wt, project), runTests: true, predictions: false }, say);
  } finally {
    await gitOps.gitRun(root, ['worktree', 'remove', '--force', wt]);
    await gitOps.gitRun(root, ['worktree', 'prune']);
    rmSync(wt, { recursive: true, force: true });
  }
}

/**
 * Gate before (HEAD: the commit the refactor stage started from) and after (the refactor branch), for the
 * project of faultline.yaml. Each side is measured in a worktree, so the tests' builds and outputs never land in
 * the user's tree.
 */
export async function loopGate(c: CliContext, say: (line: string) => void, branch?: string): Promise<LoopGate> {
  const file = c.config().file;
  if (!file) return { error: { code: 'FL_ERR_INVALID_ARGUMENT', message: 'no faultline.yaml: the gate measures the project folder of the config file' } };
  const projectDir = dirname(file);
  const out: LoopGate = {};
  try {
    const root = await gitOps.repoRoot(projectDir);
    const project = relative(root, projectDir);
    const head = await gitOps.headCommit(root);
    say(`gate: ${project || '.'} at HEAD ${head.slice(0, 10)} (a worktree of its own; tests under coverage)`);
    out.before = side(await gateAt(c, root, project, head, say));
    if (branch) {
      say(`gate: ${branch} (a worktree of its own; tests under coverage)`);
      out.after = { ...side(await gateAt(c, root, project, branch, say)), branch };
    }
  } catch (e) {
    if (!isFaultlineError(e)) throw e;
    out.error = { code: e.code, message: e.message };
  }
  return out;
}

const pctOf = (v: number | null): string => (v === null ? '—' : `${v.toFixed(1)}%`);

/** The gate section of the loop's terminal output. */
export function renderLoopGate(g: LoopGate): string {
  const lines: string[] = [];
  if (g.before) {
    const after = new Map((g.after?.modules ?? []).map((m) => [m.module, m]));
    lines.push(`gate (\`faultline gate\`) at ${g.before.rev.slice(0, 10)}${g.after ? ` → the refactor branch ${g.after.branch}` : ''}`);
    const rows: string[][] = [['module', 'FIS', 'severity', 'coverage', 'required', 'decision']];
    const arrow = (a: string, b: string | undefined): string => (b === undefined || a === b ? a : `${a} → ${b}`);
    for (const m of g.before.modules) {
      const a = after.get(m.module);
      rows.push([
        m.module,
        arrow(m.fis.toFixed(3), a?.fis.toFixed(3)),
        arrow(m.severity, a?.severity),
        arrow(pctOf(m.coverage), a ? pctOf(a.coverage) : undefined),
        arrow(m.requiredCoverage === null ? 'blocked' : `${m.requiredCoverage}%`, a ? (a.requiredCoverage === null ? 'blocked' : `${a.requiredCoverage}%`) : undefined),
        arrow(DECISION_LABELS[m.decision], a ? DECISION_LABELS[a.decision] : undefined),
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
    lines.push(...rows.map((row) => '  ' + row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()));
    for (const n of new Set([...g.before.notes, ...(g.after?.notes ?? [])].map((x) => x.split('\n')[0]))) lines.push(`  note: ${n}`);
  }
  if (g.error) lines.push(`gate: not run — ${g.error.code}: ${g.error.message.split('\n')[0]}`);
  return lines.join('\n');
}
