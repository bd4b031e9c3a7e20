/**
 * The report of a refactoring run: the object (`--json`, report.json), a Markdown pull-request description
 * (report.md: a table of fixes with failure point, recipe, evidence, checks and the experiment's before/after)
 * and the terminal summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FixOutcome } from '../../store/refactors.js';
import type { CompareMode, PinnedCharacterisation } from '../characterise/characteriser.js';
import type { CoverageDecision } from '../characterise/coverage.js';
import type { CheckKind, CheckResult } from './checks.js';
import { checkLine, failureLine, measured } from './message.js';
import { describeTarget, type RefactorTarget } from './targets.js';

/** Whether a fix's function was characterised (pinned before the change, re-checked after), and why (not). */
export interface FixCharacterisation {
  characterised: boolean;
  /** the coverage verdict when characterised; else what made it uncharacterisable or unpinnable */
  reason: string;
  fn?: { name: string; line: number; endLine: number; params: string };
  /** which rule judged the coverage (coverage-file or test-names) and what it found */
  coverage?: CoverageDecision;
  mode?: CompareMode;
  /** the inputs and outcomes recorded before the change (the ones the check compares) */
  pinned?: PinnedCharacterisation;
  decideMs: number;
  pinMs?: number;
  /** the characterisation check after the change */
  recheckMs?: number;
}

export interface FixReport {
  /** `<runId>-<nn>` */
  id: string;
  nn: number;
  target: RefactorTarget;
  /** the recipe used (or the only candidate, when it refused) */
  recipe?: string;
  recipeTitle?: string;
  outcome: FixOutcome;
  /** why it was skipped, reverted or left unverified */
  reason?: string;
  checks: CheckResult[];
  /** the exposing experiment or card: steady state before the fix (baseline) and after */
  experiment?: { name: string; before: boolean | null; after: boolean | null };
  /** every exposing run, when more than one exposed it (the first is `experiment`) */
  experiments?: { name: string; before: boolean | null; after: boolean | null }[];
  commit?: string;
  patch?: string;
  diff?: string;
  files: string[];
  /** time to read, locate, apply the recipe and diff, ms */
  recipeMs: number;
  /** present when characterisation was on */
  characterisation?: FixCharacterisation;
}

export interface RefactorReport {
  runId: string;
  repo: string;
  baseCommit: string;
  /** the refactor branch (absent in a dry run, and when no fix was committed it was deleted) */
  branch?: string;
  dryRun: boolean;
  noVerify: boolean;
  startedAt: string;
  endedAt: string;
  /** the verification commands, as planned */
  checks: { name: string; kind: CheckKind; command: string }[];
  /** each check on the untouched worktree (experiments: expected to fail) */
  baseline: CheckResult[];
  fixes: FixReport[];
  dropped: { target: RefactorTarget; reason: string }[];
  summary: { considered: number; attempted: number; kept: number; reverted: number; skipped: number; unverified: number };
  /** characteriseMs: deciding and pinning (the re-checks count in checksMs); present when characterisation was on */
  timing: { totalMs: number; recipeMs: number; checksMs: number; gitMs: number; baselineMs: number; characteriseMs?: number };
  notes: string[];
  /** `--apply`: how the kept fixes reached the current branch */
  applied?: { branch: string; method: 'fast-forward' | 'cherry-pick'; commits: { fix: string; commit: string }[] };
  /** where report.json, report.md and the patches are */
  outDir?: string;
}

export function summarize(fixes: readonly FixReport[], considered: number): RefactorReport['summary'] {
  const n = (o: FixOutcome): number => fixes.filter((f) => f.outcome === o).length;
  return { considered, attempted: fixes.length, kept: n('kept'), reverted: n('reverted'), skipped: n('skipped'), unverified: n('unverified') };
}

const OUTCOME_MARK: Record<FixOutcome, string> = { kept: '✅ kept', reverted: '↩️ reverted', skipped: '⏭️ skipped', unverified: '⚠️ UNVERIFIED' };

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');

function experimentCell(f: FixReport): string {
  if (!f.experiment) return '—';
  const v = (b: boolean | null): string => (b === null ? 'not run' : b ? 'held' : 'violated');
  return (f.experiments ?? [f.experiment]).map((x) => `${x.name}: ${v(x.before)} before → ${v(x.after)} after`).join('\n');
}

/** Markdown suitable as a pull-request description. */
export function renderMarkdown(r: RefactorReport): string {
  const s = r.summary;
  const out = [
    `## faultline refactor ${r.runId}`,
    '',
    `${s.kept} fix(es) kept, ${s.unverified} kept unverified, ${s.reverted} reverted, ${s.skipped} skipped, from ${s.considered} candidate location(s); base \`${r.baseCommit.slice(0, 12)}\`${r.branch ? `, branch \`${r.branch}\`` : ''}${r.dryRun ? ' (dry run: nothing was changed)' : ''}.`,
    '',
  ];
  if (r.noVerify) out.push('> **--no-verify**: fixes marked UNVERIFIED were kept without a passing test run. Review them by hand.', '');
  for (const n of r.notes) out.push(`> ${n}`);
  if (r.notes.length > 0) out.push('');
  if (r.checks.length > 0) {
    out.push('### Verification', '', '| check | command | baseline |', '|---|---|---|');
    for (const c of r.checks) {
      const b = r.baseline.find((x) => x.name === c.name);
      const base = b === undefined ? '—' : b.ok === null ? `not run: ${b.detail.split('\n')[0]}` : c.kind === 'experiment' ? (b.ok ? 'steady state held' : 'steady state violated (expected)') : b.ok ? 'passes' : 'FAILS';
      out.push(`| ${cell(c.name)} | \`${cell(c.command)}\` | ${cell(base)} |`);
    }
    out.push('');
  }
  out.push('### Fixes', '', '| # | outcome | failure point | recipe | evidence | checks | experiment |', '|---|---|---|---|---|---|---|');
  for (const f of r.fixes) {
    const checks = f.checks.length === 0 ? (f.reason ? cell(f.reason) : '—') : f.checks.map((c) => cell(checkLine(c, c.kind === 'experiment' ? r.baseline.find((b) => b.name === c.name) : undefined))).join('<br>');
    out.push(
      `| ${f.id} | ${OUTCOME_MARK[f.outcome]}${f.commit ? ` \`${f.commit.slice(0, 10)}\`` : ''} | ${cell(failureLine(f.target))} | ${f.recipe ?? '—'} | ${cell(f.target.evidence.slice(0, 4).join('; ') || '—')} | ${checks}${f.outcome === 'skipped' || !f.reason ? '' : `<br>${cell(f.reason)}`} | ${cell(experimentCell(f))} |`,
    );
  }
  const characterised = r.fixes.filter((f) => f.characterisation);
  if (characterised.length > 0) {
    out.push('', '### Characterisation', '', 'Before a fix touched a weakly covered function, its behaviour on generated inputs was pinned; after the change the same inputs had to give the same outcomes.', '', '| # | function | pinned | why |', '|---|---|---|---|');
    for (const f of characterised) {
      const c = f.characterisation as FixCharacterisation;
      const p = c.pinned;
      const pinned = p ? `${p.compared} input(s), seed ${p.seed}${p.mode === 'returns' ? ', normal returns only' : ''} (${Math.round(c.pinMs ?? 0)} ms + ${Math.round(c.recheckMs ?? 0)} ms re-check)` : 'no';
      out.push(`| ${f.id} | ${cell(c.fn ? `${c.fn.name} (${c.fn.params || 'no parameters'})` : '—')} | ${cell(pinned)} | ${cell(c.reason)} |`);
    }
    for (const f of characterised) {
      const p = f.characterisation?.pinned;
      if (!p) continue;
      const shown = p.cases.slice(0, 20);
      out.push('', `<details><summary>${f.id} ${cell(p.fn)}: ${p.compared} pinned case(s)${p.compared > shown.length ? ` (first ${shown.length})` : ''}</summary>`, '', ...shown.map((c) => `- \`${c.call.replace(/`/g, "'")}\` ${c.was.replace(/`/g, "'")}`), '', '</details>');
    }
  }
  const withDiff = r.fixes.filter((f) => f.diff && f.outcome !== 'skipped');
  if (withDiff.length > 0) {
    out.push('', '### Changes', '');
    for (const f of withDiff) out.push(`<details><summary>${f.id} ${f.recipe ?? ''} — ${describeTarget(f.target)} (${f.outcome})</summary>`, '', '```diff', (f.diff as string).trimEnd(), '```', '', '</details>', '');
  }
  if (r.applied) out.push('', `Applied to \`${r.applied.branch}\` by ${r.applied.method}: ${r.applied.commits.map((c) => `\`${c.commit.slice(0, 10)}\``).join(', ')}.`);
  out.push('', `Undo one fix with \`faultline refactor revert <id>\`.`);
  return out.join('\n') + '\n';
}

/** "characterisation: pinned 97 input(s) of f …" / "would characterise f: …" / "not characterised: …" */
export function characterisationLine(c: FixCharacterisation, dryRun: boolean): string {
  const fn = c.fn ? ` ${c.fn.name}` : '';
  if (dryRun) return c.characterised ? `would characterise${fn}(${c.fn?.params ?? ''}): ${c.reason}` : `would not characterise${fn}: ${c.reason}`;
  const p = c.pinned;
  if (!p) return `not characterised${fn}: ${c.reason}`;
  const dropped = p.dropped.unstable + p.dropped.timeout + p.dropped.crashed;
  return `characterised${fn}: ${p.compared} input(s) pinned (seed ${p.seed}${dropped > 0 ? `, ${dropped} dropped` : ''}${p.mode === 'returns' ? ', normal returns only' : ''}) in ${Math.round(c.pinMs ?? 0)} ms, re-checked in ${Math.round(c.recheckMs ?? 0)} ms; ${c.reason}`;
}

/** The terminal summary. */
export function renderText(r: RefactorReport): string {
  const s = r.summary;
  const counts = r.dryRun ? `${s.unverified} would apply, ${s.skipped} skipped` : `${s.kept} kept, ${s.unverified} unverified, ${s.reverted} reverted, ${s.skipped} skipped`;
  const lines = [
    `refactor ${r.runId}${r.dryRun ? ' (dry run: nothing applied, nothing run)' : ''}: ${counts} (of ${s.considered} candidates, ${r.dropped.length} not selected)`,
    ...r.notes.map((n) => `note: ${n}`),
  ];
  for (const b of r.baseline) lines.push(`baseline ${b.name}: ${b.ok === null ? `not run (${b.detail.split('\n')[0]})` : b.kind === 'experiment' ? `${b.ok ? 'steady state held' : 'steady state violated'}${measured(b)}` : b.ok ? 'passes' : 'FAILS'} (${Math.round(b.ms)} ms)`);
  for (const f of r.fixes) {
    lines.push(`${f.id}  ${(r.dryRun && f.outcome === 'unverified' ? 'WOULD-APPLY' : f.outcome.toUpperCase()).padEnd(11)} ${describeTarget(f.target)} ${f.recipe ?? ''}${f.commit ? ` ${f.commit.slice(0, 10)}` : ''}`);
    if (f.reason && !r.dryRun) lines.push(`      ${f.reason.split('\n')[0]}`);
    if (f.reason && r.dryRun && f.outcome === 'skipped') lines.push(`      ${f.reason.split('\n')[0]}`);
    if (f.characterisation) lines.push(`      ${characterisationLine(f.characterisation, r.dryRun)}`);
    for (const c of f.checks) lines.push(`      ${checkLine(c, c.kind === 'experiment' ? r.baseline.find((b) => b.name === c.name) : undefined)}`);
    if (f.patch) lines.push(`      patch: ${f.patch}`);
    if (r.dryRun && f.diff) lines.push(f.diff.trimEnd());
  }
  if (r.branch && (s.kept > 0 || s.unverified > 0)) lines.push(`branch: ${r.branch}`);
  if (r.applied) lines.push(`applied to ${r.applied.branch} (${r.applied.method}): ${r.applied.commits.map((c) => c.commit.slice(0, 10)).join(', ')}`);
  if (r.outDir) lines.push(`report: ${join(r.outDir, 'report.md')}`);
  return lines.join('\n');
}

/** Writes report.json and report.md into `dir`. */
export function writeReport(r: RefactorReport, dir: string): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const markdown = join(dir, 'report.md');
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(markdown, renderMarkdown(r));
  return { json, markdown };
}
