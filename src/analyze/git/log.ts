/**
 * Commits with their changed files, from ONE streamed `git log -M --numstat --summary` (merges kept and marked
 * by their parents; git prints no numstat for them). Works on work trees and bare repositories.
 */
import type { CommitFileChange, CommitInfo } from '../../core/analysis.js';
import { FaultlineError } from '../../core/errors.js';
import { gitLines, resolveRev, type RepoRef } from './git.js';

export interface LogOptions extends RepoRef {
  /** revision to walk from (default HEAD) */
  rev?: string;
  /** only commits after / before this time: epoch seconds, or any date git accepts ("2023-01-01", "6 months ago") */
  since?: number | string;
  until?: number | string;
  /** leave out the commits reachable from this revision (an earlier mined head: only the new commits are read) */
  exclude?: string;
  /** limit to these pathspecs */
  paths?: string[];
}

export interface MinedHistory {
  /** the commit id `rev` resolved to */
  head: string;
  /** oldest first */
  commits: CommitInfo[];
}

const FORMAT = '--format=%H%x00%P%x00%ae%x00%an%x00%at%x00%s';

function dateArg(v: number | string): string {
  return typeof v === 'number' ? `@${Math.floor(v)}` : v;
}

/** Undoes git's C-style quoting of a path (`"a\tb"`), which it still applies to paths with control characters or quotes. */
export function unquotePath(p: string): string {
  if (!(p.startsWith('"') && p.endsWith('"') && p.length >= 2)) return p;
  const body = p.slice(1, -1);
  const bytes: number[] = [];
  const esc: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== '\\') {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(esc[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Resolves a numstat path field into the new path and, for a rename, the old one. Handles `old => new` and the
 * compact `pre/{old => new}/post` form (either side of the braces may be empty).
 */
export function parseRenamePath(field: string): { path: string; oldPath?: string } {
  const brace = /^(.*)\{(.*) => (.*)\}(.*)$/.exec(field);
  if (brace !== null) {
    const [, pre, from, to, post] = brace as unknown as [string, string, string, string, string];
    const clean = (s: string): string => s.replace(/\/\/+/g, '/').replace(/^\//, '');
    return { path: clean(`${pre}${to}${post}`), oldPath: clean(`${pre}${from}${post}`) };
  }
  const arrow = field.indexOf(' => ');
  if (arrow > 0) return { path: unquotePath(field.slice(arrow + 4)), oldPath: unquotePath(field.slice(0, arrow)) };
  return { path: unquotePath(field) };
}

/** Parses one numstat line (`added<TAB>deleted<TAB>path`); binary files (`-`) count 0 lines. */
export function parseNumstatLine(line: string): CommitFileChange | undefined {
  const t1 = line.indexOf('\t');
  const t2 = t1 < 0 ? -1 : line.indexOf('\t', t1 + 1);
  if (t2 < 0) return undefined;
  const a = line.slice(0, t1);
  const d = line.slice(t1 + 1, t2);
  if (!/^(?:\d+|-)$/.test(a) || !/^(?:\d+|-)$/.test(d)) return undefined;
  const { path, oldPath } = parseRenamePath(line.slice(t2 + 1));
  const change: CommitFileChange = { path, added: a === '-' ? 0 : Number(a), deleted: d === '-' ? 0 : Number(d) };
  if (oldPath !== undefined && oldPath !== path) change.oldPath = oldPath;
  return change;
}

/** A streaming parser for the output of `git log --numstat --summary` with faultline's format. */
export class LogParser {
  readonly commits: CommitInfo[] = [];
  private current: CommitInfo | undefined;
  private byPath = new Map<string, CommitFileChange>();

  line(line: string): void {
    if (line.length === 0) return;
    if (line.includes('\0')) {
      const [sha, parents, email, name, time, ...subject] = line.split('\0');
      if (sha === undefined || !/^[0-9a-f]{40,64}$/.test(sha)) {
        throw new FaultlineError('FL_ERR_GIT_FAILED', `unexpected git log header line: ${JSON.stringify(line.slice(0, 200))}`);
      }
      this.current = {
        sha,
        parents: parents === undefined || parents === '' ? [] : parents.split(' '),
        authorEmail: (email ?? '').toLowerCase(),
        authorName: name ?? '',
        time: Number(time ?? 0),
        subject: subject.join(' '),
        files: [],
      };
      this.byPath.clear();
      this.commits.push(this.current);
      return;
    }
    const c = this.current;
    if (c === undefined) return;
    if (line.startsWith(' ')) {
      const m = /^ (create|delete) mode \d+ (.*)$/.exec(line);
      if (m !== null) {
        const change = this.byPath.get(unquotePath(m[2] as string));
        if (change !== undefined) change.status = m[1] === 'create' ? 'added' : 'deleted';
      }
      return;
    }
    const change = parseNumstatLine(line);
    if (change !== undefined) {
      c.files.push(change);
      this.byPath.set(change.path, change);
    }
  }
}

/** The git log arguments faultline uses (exported for the benchmark's floor comparison). */
export function logArgs(opts: LogOptions, head: string): string[] {
  const args = ['log', '-M', '--numstat', '--summary', '--no-color', '--no-ext-diff', '--no-textconv', FORMAT];
  if (opts.since !== undefined) args.push(`--since=${dateArg(opts.since)}`);
  if (opts.until !== undefined) args.push(`--until=${dateArg(opts.until)}`);
  args.push(head);
  if (opts.exclude !== undefined) args.push(`^${opts.exclude}`);
  args.push('--');
  if (opts.paths !== undefined) args.push(...opts.paths);
  return args;
}

/** Every commit reachable from `rev` (default HEAD), oldest first, with its changed files, renames resolved. */
export async function mineHistory(opts: LogOptions = {}): Promise<MinedHistory> {
  const head = await resolveRev(opts, opts.rev ?? 'HEAD');
  const parser = new LogParser();
  await gitLines(opts, logArgs(opts, head), (l) => parser.line(l));
  return { head, commits: parser.commits.reverse() };
}
