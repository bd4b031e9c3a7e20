/**
 * Just-in-time (commit-level) features after Kamei et al. (2013), pure over CommitInfo[] and SZZ, for every
 * non-merge commit that changes code (JS/TS files outside vendored/built folders, tests included), oldest first;
 * and the same features for a unified diff not yet committed (`faultline predict change --diff FILE`).
 * Every history and experience feature uses only the commits before the one described.
 */
import type { CommitFeatures, CommitFileChange, CommitInfo, SzzSummary } from '../../core/analysis.js';
import { FaultlineError } from '../../core/errors.js';
import { chronological, inducingCommits } from './history.js';
import { dirOf, subsystemOf } from './paths.js';

const DAY = 86_400;
const YEAR = 365.25 * DAY;
const CODE_RE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const VENDOR_RE = /(?:^|\/)(?:node_modules|dist|build|vendor|coverage)\/|\.min\.js$/;

/** The files JIT features count: JS/TS code, tests included, vendored/built output excluded. */
export function isCodePath(path: string): boolean {
  return CODE_RE.test(path) && !VENDOR_RE.test(path);
}

interface FileState {
  size: number;
  authors: Set<string>;
  last: number;
  changes: number[];
}

interface AuthorState {
  times: number[];
  subsystems: Map<string, number>;
}

/** The state JIT features are computed from; `apply` moves it past a commit. */
class JitHistory {
  private files = new Map<string, FileState>();
  private authors = new Map<string, AuthorState>();
  private n = 0;

  features(changes: CommitFileChange[], author: string, time: number): Omit<CommitFeatures, 'sha' | 'time' | 'fix' | 'buggy'> {
    const code = changes.filter((f) => isCodePath(f.path));
    const subsystems = new Set(code.map((f) => subsystemOf(f.path)));
    const dirs = new Set(code.map((f) => dirOf(f.path)));
    let la = 0;
    let ld = 0;
    let lt = 0;
    let ageSum = 0;
    const devs = new Set<string>();
    const earlier = new Set<number>();
    for (const f of code) {
      la += f.added;
      ld += f.deleted;
      const st = this.files.get(f.oldPath ?? f.path);
      if (st === undefined) continue;
      lt += Math.max(0, st.size);
      ageSum += Math.max(0, time - st.last) / DAY;
      for (const a of st.authors) devs.add(a);
      for (const c of st.changes) earlier.add(c);
    }
    const total = la + ld;
    let entropy = 0;
    if (total > 0) {
      for (const f of code) {
        const p = (f.added + f.deleted) / total;
        if (p > 0) entropy -= p * Math.log2(p);
      }
    }
    const me = this.authors.get(author);
    let rexp = 0;
    let sexp = 0;
    if (me !== undefined) {
      for (const t of me.times) rexp += 1 / (1 + Math.max(0, Math.floor((time - t) / YEAR)));
      for (const s of subsystems) sexp += me.subsystems.get(s) ?? 0;
    }
    return {
      la,
      ld,
      lt,
      ns: subsystems.size,
      nd: dirs.size,
      nf: code.length,
      entropy,
      ndev: devs.size,
      age: code.length === 0 ? 0 : ageSum / code.length,
      nuc: earlier.size,
      exp: me?.times.length ?? 0,
      rexp,
      sexp,
    };
  }

  apply(c: CommitInfo): void {
    const id = this.n++;
    const code = c.files.filter((f) => isCodePath(f.path) || (f.oldPath !== undefined && isCodePath(f.oldPath)));
    for (const f of code) {
      let st: FileState | undefined;
      if (f.oldPath !== undefined) {
        st = this.files.get(f.oldPath);
        this.files.delete(f.oldPath);
      }
      if (f.status !== 'added') st ??= this.files.get(f.path);
      if (f.status === 'deleted') {
        this.files.delete(f.path);
        continue;
      }
      st ??= { size: 0, authors: new Set(), last: c.time, changes: [] };
      st.size += f.added - f.deleted;
      st.authors.add(c.authorEmail);
      st.last = c.time;
      st.changes.push(id);
      this.files.set(f.path, st);
    }
    let me = this.authors.get(c.authorEmail);
    if (me === undefined) this.authors.set(c.authorEmail, (me = { times: [], subsystems: new Map() }));
    me.times.push(c.time);
    for (const s of new Set(code.map((f) => subsystemOf(f.path)))) me.subsystems.set(s, (me.subsystems.get(s) ?? 0) + 1);
  }
}

/** Features of every non-merge commit that changes code, oldest first; `buggy` from SZZ. */
export function commitFeatures(commits: CommitInfo[], szz: SzzSummary): CommitFeatures[] {
  const inducing = inducingCommits(szz, commits);
  const h = new JitHistory();
  const out: CommitFeatures[] = [];
  for (const c of chronological(commits)) {
    if (c.parents.length <= 1 && c.files.some((f) => isCodePath(f.path))) {
      out.push({ sha: c.sha, time: c.time, ...h.features(c.files, c.authorEmail, c.time), fix: c.fix !== undefined, buggy: inducing.has(c.sha) });
    }
    if (c.parents.length <= 1) h.apply(c);
  }
  return out;
}

/**
 * The files of a unified diff (`git diff`, `git show`, `diff -u`) with their added and deleted line counts.
 * Throws FL_ERR_DIFF_PARSE when the text has no file header or a hunk does not match its header.
 */
export function parseUnifiedDiff(text: string): CommitFileChange[] {
  const out: CommitFileChange[] = [];
  const lines = text.split('\n');
  let cur: CommitFileChange | undefined;
  let oldName: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('--- ')) {
      oldName = line.slice(4).replace(/\t.*$/, '');
      continue;
    }
    if (line.startsWith('+++ ') && oldName !== undefined) {
      const newName = line.slice(4).replace(/\t.*$/, '');
      const strip = (p: string): string => p.replace(/^[ab]\//, '');
      const deletedFile = newName === '/dev/null';
      const addedFile = oldName === '/dev/null';
      cur = { path: strip(deletedFile ? oldName : newName), added: 0, deleted: 0 };
      if (!deletedFile && !addedFile && strip(oldName) !== cur.path) cur.oldPath = strip(oldName);
      if (addedFile) cur.status = 'added';
      if (deletedFile) cur.status = 'deleted';
      out.push(cur);
      oldName = undefined;
      continue;
    }
    const h = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
    if (h === null) continue;
    if (cur === undefined) throw new FaultlineError('FL_ERR_DIFF_PARSE', `line ${i + 1}: a hunk before any ---/+++ file header: ${line.slice(0, 120)}`);
    let left = h[1] === undefined ? 1 : Number(h[1]);
    let right = h[2] === undefined ? 1 : Number(h[2]);
    while (left > 0 || right > 0) {
      i++;
      const l = lines[i];
      if (l === undefined) throw new FaultlineError('FL_ERR_DIFF_PARSE', `line ${i + 1}: the diff ends inside a hunk of ${cur.path} (${left} old and ${right} new lines missing)`);
      if (l.startsWith('\\')) continue;
      if (l.startsWith('-')) {
        cur.deleted++;
        left--;
      } else if (l.startsWith('+')) {
        cur.added++;
        right--;
      } else if (l.startsWith(' ') || l === '') {
        left--;
        right--;
      } else {
        throw new FaultlineError('FL_ERR_DIFF_PARSE', `line ${i + 1}: expected a diff line (' ', '+', '-') in a hunk of ${cur.path}, got: ${l.slice(0, 120)}`);
      }
    }
  }
  if (out.length === 0) throw new FaultlineError('FL_ERR_DIFF_PARSE', 'no file header (--- a/FILE, +++ b/FILE) found; pass the output of `git diff`');
  return out;
}

export interface DiffFeatureOptions {
  /** the author's email (their experience counts); default: no experience */
  author?: string;
  /** when the change is made, epoch seconds (default now) */
  time?: number;
  /** a fix by its intended message */
  fix?: boolean;
}

/** JIT features of an uncommitted diff against the history `commits` (its base). `buggy` is left undefined. */
export function diffFeatures(diff: string, commits: CommitInfo[], opts: DiffFeatureOptions = {}): CommitFeatures {
  const files = parseUnifiedDiff(diff);
  const time = opts.time ?? Math.floor(Date.now() / 1000);
  const h = new JitHistory();
  for (const c of chronological(commits)) if (c.parents.length <= 1) h.apply(c);
  return { sha: 'diff', time, ...h.features(files, (opts.author ?? '').toLowerCase(), time), fix: opts.fix ?? false };
}
