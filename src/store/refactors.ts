/**
 * The record of refactoring fixes: <stateDir>/refactors.jsonl, one RefactorRecord per fix the engine attempted
 * (kept, reverted, skipped or kept unverified), appended with O_APPEND so several processes can write. A record
 * appended again with the same id replaces the earlier one (a fix later applied to the user's branch, or undone
 * with `faultline refactor revert`, keeps one entry). A torn last line (a writer killed mid-write) is skipped.
 *
 * The outcomes are feedback for the predictor: a kept fix of a failure point confirms the weakness (label 1);
 * a reverted or skipped one says nothing about it (the recipe may just not fit) — see `fixLabels`.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonlLog } from './jsonl.js';
import { FaultlineError } from '../core/errors.js';

export const REFACTORS_FILE = 'refactors.jsonl';

export const FIX_OUTCOMES = ['kept', 'reverted', 'skipped', 'unverified'] as const;
export type FixOutcome = (typeof FIX_OUTCOMES)[number];

/** One verification step as it ran. `ok: null` when it was not run (skipped with --no-verify, or no baseline). */
export interface RecordedCheck {
  name: string;
  ok: boolean | null;
  ms: number;
  detail: string;
}

/** Where the fix was, as the engine got it (repository-relative path, 1-based line). */
export interface RecordedTarget {
  path: string;
  line: number;
  col?: number;
  fn?: string;
  failureType?: string;
  confidence: number;
  severity: 'high' | 'medium' | 'low';
  source: 'smell' | 'prediction' | 'experiment';
  evidence: string[];
  /** the recorded run whose experiment or card exposed the failure */
  exposedBy?: { runId: string; kind: string; title?: string; cardId?: string; file?: string };
  /** the other runs that exposed it (each re-run to verify the fix) */
  alsoExposedBy?: { runId: string; kind: string; title?: string; cardId?: string; file?: string }[];
}

export interface RefactorRecord {
  /** `<runId>-<nn>` */
  id: string;
  runId: string;
  /** ISO time the fix was attempted */
  at: string;
  /** absolute path of the repository */
  repo: string;
  baseCommit: string;
  /** the refactor branch (`faultline/refactor/<runId>`) */
  branch: string;
  /** the commit on the refactor branch (kept and unverified fixes) */
  commit?: string;
  /** the commit on the user's branch after `--apply` */
  appliedCommit?: string;
  /** set by `faultline refactor revert`: the commit that undid it, and where */
  revertedBy?: { commit: string; on: 'refactor-branch' | 'current-branch'; at: string };
  target: RecordedTarget;
  recipe: string;
  outcome: FixOutcome;
  /** why it was skipped or reverted */
  reason?: string;
  checks: RecordedCheck[];
  /** the fix's patch file (also written for reverted fixes) */
  patch?: string;
  files: string[];
}

function checkRecord(r: RefactorRecord): void {
  const bad = (field: string, what: string): never => {
    throw new FaultlineError('FL_ERR_REFACTOR_RECORD_INVALID', `refactor record ${JSON.stringify(r.id ?? '')}: ${field} ${what}`, { context: { field } });
  };
  if (typeof r.id !== 'string' || r.id.length === 0) bad('id', 'must be a non-empty string');
  if (typeof r.runId !== 'string' || r.runId.length === 0) bad('runId', 'must be a non-empty string');
  if (Number.isNaN(Date.parse(r.at))) bad('at', 'must be an ISO-8601 time');
  if (!FIX_OUTCOMES.includes(r.outcome)) bad('outcome', `must be one of ${FIX_OUTCOMES.join(', ')}`);
  if (typeof r.recipe !== 'string' || r.recipe.length === 0) bad('recipe', 'must be a recipe id');
  if (!r.target || typeof r.target.path !== 'string' || !Number.isInteger(r.target.line)) bad('target', 'must have a path and a line');
  if ((r.outcome === 'kept' || r.outcome === 'unverified') && typeof r.commit !== 'string') bad('commit', `is required for a ${r.outcome} fix`);
  if (!Array.isArray(r.checks)) bad('checks', 'must be a list');
}

/** Appends one record to <stateDir>/refactors.jsonl (creating the folder). */
export function appendRefactor(stateDir: string, r: RefactorRecord): void {
  checkRecord(r);
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, REFACTORS_FILE);
  let lead = '';
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) lead = '\n';
  }
  appendFileSync(path, lead + JSON.stringify(r) + '\n');
}

export interface RefactorQuery {
  runId?: string;
  outcome?: FixOutcome;
  /** only fixes of this path */
  path?: string;
}

export interface RefactorLog {
  /** the latest version of each record, in the order the ids first appeared */
  records: RefactorRecord[];
  /** lines that were not valid records (torn writes), skipped */
  skipped: number;
}

/** Reads the whole log; a record appended again with the same id replaces the earlier one. */
export function readRefactorLog(stateDir: string): RefactorLog {
  return readJsonlLog<RefactorRecord>(join(stateDir, REFACTORS_FILE), (j) => typeof j.id === 'string' && typeof j.runId === 'string' && FIX_OUTCOMES.includes(j.outcome));
}

/** The fixes in the log, filtered. */
export function listRefactors(stateDir: string, q: RefactorQuery = {}): RefactorRecord[] {
  return readRefactorLog(stateDir).records.filter((r) => (q.runId === undefined || r.runId === q.runId) && (q.outcome === undefined || r.outcome === q.outcome) && (q.path === undefined || r.target.path === q.path));
}

/** One fix by id, or undefined. */
export function findRefactor(stateDir: string, id: string): RefactorRecord | undefined {
  return readRefactorLog(stateDir).records.find((r) => r.id === id);
}

/** One fix by id, or FL_ERR_REFACTOR_NOT_FOUND. */
export function findRefactorOrThrow(stateDir: string, id: string): RefactorRecord {
  const r = findRefactor(stateDir, id);
  if (r === undefined) throw new FaultlineError('FL_ERR_REFACTOR_NOT_FOUND', `no refactoring fix with id ${id} in ${join(stateDir, REFACTORS_FILE)}; the ids are listed in the report of \`faultline refactor\``, { context: { id } });
  return r;
}

/** A training label from the fixes: where a kept (verified) fix changed a predicted failure point. */
export interface FixLabel {
  path: string;
  line: number;
  failureType?: string;
  /** 1: a verified fix was kept there, so the weakness was real; a reverted fix gives no label */
  label: 1;
  at: string;
  recipe: string;
}

/**
 * Labels for `faultline predict train`: a kept fix of a failure point (predicted, exposed by chaos, or a
 * resilience smell), not undone since, is a confirmed weakness (label 1). A reverted or skipped fix is unknown — the recipe may not fit, or the project's tests
 * pin the old behaviour — and an unverified one proves nothing, so neither gives a label.
 */
export function fixLabels(records: readonly RefactorRecord[]): FixLabel[] {
  return records
    .filter((r) => r.outcome === 'kept' && r.revertedBy === undefined)
    .map((r) => ({ path: r.target.path, line: r.target.line, ...(r.target.failureType ? { failureType: r.target.failureType } : {}), label: 1 as const, at: r.at, recipe: r.recipe }));
}
