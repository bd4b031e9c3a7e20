/**
 * Fix commits by message heuristics (pure over CommitInfo). A commit is a fix when its subject
 *  - starts with a conventional `fix`, `bugfix` or `hotfix` type (`fix:`, `Fix:`, `fix(scope):`, `fix!:`), or
 *  - has a word-bounded fix/fixes/fixed/fixing/bug/bugs/bugfix/hotfix together with an issue or PR reference
 *    (`#123`, `GH-123`, a github.com issues/pull URL);
 * and it is not a merge, not a revert (recorded apart), not another conventional type (`docs: fix link (#1)`),
 * not cosmetic (typo, spelling, lint, formatting, whitespace), touches at least one source file (so
 * docs-only, test-only and config-only commits are not fixes) and at most `maxFiles` files.
 */
import type { CommitInfo } from '../../core/analysis.js';
import { isSourcePath } from './paths.js';

export interface FixOptions {
  /** commits touching more files than this are not fixes (too large to blame meaningfully); default 50 */
  maxFiles?: number;
}

export type FixVerdict =
  | { kind: 'fix'; reason: 'conventional' | 'keyword+ref'; refs: string[] }
  | { kind: 'revert'; reverted?: string }
  | { kind: 'none'; why: 'merge' | 'no-keyword' | 'no-ref' | 'other-type' | 'cosmetic' | 'no-source' | 'large' };

export interface RevertInfo {
  sha: string;
  /** the subject of the reverted commit, as quoted in `Revert "…"` */
  reverted?: string;
  /** the reverted commit, when a commit with that subject came before */
  revertedSha?: string;
}

export interface FixDetection {
  /** the same commits, in the same order, with `fix` set on the fix commits (copies; the input is not changed) */
  commits: CommitInfo[];
  fixes: number;
  reverts: RevertInfo[];
  /** why keyword-matching commits were not counted as fixes */
  skipped: { merge: number; otherType: number; cosmetic: number; noSource: number; large: number; noRef: number };
}

export const DEFAULT_MAX_FIX_FILES = 50;

const CONVENTIONAL_FIX = /^(?:fix|bugfix|hotfix)(?:\([^)]*\))?!?:/i;
const CONVENTIONAL_OTHER = /^(?:feat|feature|docs?|test|tests|chore|ci|build|style|refactor|perf|revert|release|deps|types)(?:\([^)]*\))?!?:/i;
const KEYWORD = /\b(?:fix|fixes|fixed|fixing|bug|bugs|bugfix|hotfix)\b/i;
const COSMETIC = /\b(?:typos?|spelling|misspell\w*|lint(?:ing|er)?|eslint|prettier|formatting|whitespace|indentation|grammar|wording)\b/i;
const REF_RES: RegExp[] = [
  /(?:^|[\s(,[])(#\d+)\b/g,
  /\b(GH-\d+)\b/gi,
  /(https?:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(?:issues|pull)\/\d+)/g,
];
const REVERT = /^revert\b/i;

/** Issue and PR references in a message: `#123`, `GH-123`, github issue/pull URLs. */
export function issueRefs(message: string): string[] {
  const refs: string[] = [];
  for (const re of REF_RES) {
    for (const m of message.matchAll(re)) {
      const ref = m[1] as string;
      if (!refs.includes(ref)) refs.push(ref);
    }
  }
  return refs;
}

/** Whether a subject could belong to a fix (the message rules only; a superset of the fixes). */
export function mayBeFixSubject(subject: string): boolean {
  const s = subject.trim();
  return CONVENTIONAL_FIX.test(s) || KEYWORD.test(s);
}

/** The verdict for one commit. */
export function classifyCommit(c: CommitInfo, opts: FixOptions = {}): FixVerdict {
  const subject = c.subject.trim();
  if (c.parents.length > 1) return { kind: 'none', why: 'merge' };
  if (REVERT.test(subject)) {
    const quoted = /^revert\S*\s+"(.*)"\s*(?:\(#\d+\))?$/i.exec(subject);
    return quoted === null ? { kind: 'revert' } : { kind: 'revert', reverted: quoted[1] as string };
  }
  const conventional = CONVENTIONAL_FIX.test(subject);
  if (!conventional && !KEYWORD.test(subject)) return { kind: 'none', why: 'no-keyword' };
  if (!conventional && CONVENTIONAL_OTHER.test(subject)) return { kind: 'none', why: 'other-type' };
  const refs = issueRefs(subject);
  if (!conventional && refs.length === 0) return { kind: 'none', why: 'no-ref' };
  if (COSMETIC.test(subject)) return { kind: 'none', why: 'cosmetic' };
  if (!c.files.some((f) => isSourcePath(f.path))) return { kind: 'none', why: 'no-source' };
  if (c.files.length > (opts.maxFiles ?? DEFAULT_MAX_FIX_FILES)) return { kind: 'none', why: 'large' };
  return { kind: 'fix', reason: conventional ? 'conventional' : 'keyword+ref', refs };
}

/** Marks the fix commits and lists the reverts (see the module comment for the rules). */
export function detectFixes(commits: CommitInfo[], opts: FixOptions = {}): FixDetection {
  const skipped = { merge: 0, otherType: 0, cosmetic: 0, noSource: 0, large: 0, noRef: 0 };
  const reverts: RevertInfo[] = [];
  const bySubject = new Map<string, string>();
  let fixes = 0;
  const out = commits.map((c) => {
    const v = classifyCommit(c, opts);
    const copy: CommitInfo = { ...c };
    delete copy.fix;
    switch (v.kind) {
      case 'fix':
        fixes++;
        copy.fix = { reason: v.reason, refs: v.refs };
        break;
      case 'revert': {
        const r: RevertInfo = { sha: c.sha };
        if (v.reverted !== undefined) {
          r.reverted = v.reverted;
          const target = bySubject.get(v.reverted);
          if (target !== undefined) r.revertedSha = target;
        }
        reverts.push(r);
        break;
      }
      case 'none':
        if (v.why === 'merge' && KEYWORD.test(c.subject)) skipped.merge++;
        else if (v.why === 'other-type') skipped.otherType++;
        else if (v.why === 'cosmetic') skipped.cosmetic++;
        else if (v.why === 'no-source') skipped.noSource++;
        else if (v.why === 'large') skipped.large++;
        else if (v.why === 'no-ref') skipped.noRef++;
        break;
    }
    bySubject.set(c.subject.trim(), c.sha);
    return copy;
  });
  return { commits: out, fixes, reverts, skipped };
}
