/** The commit message of a fix: what failed where, the recipe, the evidence, and how it was verified. */
import type { CheckResult } from './checks.js';
import { describeTarget, exposuresOf, type RefactorTarget } from './targets.js';

export interface MessageInput {
  fixId: string;
  runId: string;
  target: RefactorTarget;
  recipe: { id: string; title: string };
  checks: readonly CheckResult[];
  /** the verdicts of the exposing experiments before the fix (the baseline), when the failure came from runs */
  experimentsBefore?: readonly CheckResult[];
  unverified?: string;
  /** how it was verified with other fixes of its set ("verified together with …") */
  together?: string;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** What a judged experiment or card check measured ("…steady state held: p99 152 ms, …" → " (p99 152 ms, …)"), else "". */
export function measured(c: Pick<CheckResult, 'detail'>): string {
  const m = /steady state (?:held|violated): (.+)$/.exec(c.detail.split('\n')[0] ?? '');
  return m ? ` (${m[1] as string})` : '';
}

/** One line per check: "test: passed (3.4 s)"; an experiment with its verdict (and figures) before and after the fix. */
export function checkLine(c: CheckResult, before?: CheckResult): string {
  if (c.ok === null) return `${c.name}: not run — ${c.detail.split('\n')[0]}`;
  const verdict = c.ok ? 'passed' : 'FAILED';
  // the pinned behaviour says what it compared: "characterisation: passed, 97 pinned input(s): the same behaviour (0.3 s)"
  if (c.kind === 'characterisation') return `${c.name}: ${verdict}, ${c.detail.split('\n')[0]} (${secs(c.ms)})`;
  if (c.kind === 'experiment' && before) {
    const was = before.ok === null ? 'not run before the fix' : before.ok ? `held before the fix${measured(before)}` : `violated before the fix${measured(before)}`;
    return `${c.name}: steady state ${was}, ${c.ok ? 'held' : 'violated'} after${measured(c)} (${secs(c.ms)})`;
  }
  return `${c.name}: ${verdict} (${secs(c.ms)})${c.ok ? '' : ` — ${c.detail.split('\n')[0]}`}`;
}

export function failureLine(t: RefactorTarget): string {
  const what = t.source === 'smell' ? `resilience smell` : t.source === 'prediction' ? `predicted failure point` : `failure exposed by run ${t.exposedBy?.runId ?? '?'}`;
  return `${what}${t.failureType ? ` (${t.failureType})` : ''} at ${describeTarget(t)}, confidence ${t.confidence.toFixed(2)}, severity ${t.severity}`;
}

export function commitMessage(m: MessageInput): string {
  const t = m.target;
  const lines = [
    `faultline: ${m.recipe.id} at ${t.path}:${t.line}${t.fn ? ` (${t.fn})` : ''}${m.unverified ? ' [unverified]' : ''}`,
    '',
    `Failure point: ${failureLine(t)}`,
    `Recipe: ${m.recipe.id} — ${m.recipe.title}`,
  ];
  if (t.evidence.length > 0) lines.push('Evidence:', ...t.evidence.slice(0, 8).map((e) => `- ${e}`));
  for (const e of exposuresOf(t)) lines.push(`Exposed by: ${e.kind} run ${e.runId}${e.title ? ` "${e.title}"` : ''}${e.cardId ? ` (card ${e.cardId})` : ''}`);
  lines.push('Verification:', ...m.checks.map((c) => `- ${checkLine(c, c.kind === 'experiment' ? m.experimentsBefore?.find((b) => b.name === c.name) : undefined)}`));
  if (m.together) lines.push(`Verified together: ${m.together}`);
  if (m.unverified) lines.push('', `UNVERIFIED: ${m.unverified}`);
  lines.push('', `Faultline-Fix: ${m.fixId}`, `Faultline-Run: ${m.runId}`);
  return lines.join('\n') + '\n';
}
