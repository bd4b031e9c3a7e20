/**
 * A streaming parser for `git log -p -c -U0 --full-index` (plain and combined diffs) that keeps, per blob, the
 * commit that introduced each of its lines: a line-provenance map. Because it is keyed by blob id, not by path,
 * renames (whose old blob is named in the `index` line) and branches (each diff starts from its parent's blob)
 * are followed without tracking the commit graph. It also reports, for the commits it is asked about, the lines
 * their diffs deleted or changed with the commit that introduced each one — SZZ's blame at the fix's parent.
 *
 * Rules (the same as `git blame -w` plus comment awareness):
 *  - an added line whose text equals a deleted line of the same hunk once whitespace and trailing comments are
 *    removed keeps the deleted line's origin (reformatting does not take ownership of a line);
 *  - a fix's deleted lines that are blank, comments, or such whitespace/comment-only changes are ignored;
 *  - in a merge's combined diff a result line comes from the first parent that has it, else from the merge.
 */
import { isSourcePath } from './paths.js';

/** A deleted or changed line of a watched commit: its number in the parent's version and where it came from. */
export interface DeletedLine {
  line: number;
  /** index of the introducing commit in `PatchParser.commits`, -1 when unknown */
  origin: number;
}

export interface WatchedFile {
  path: string;
  oldPath: string;
  /** false when the old version's provenance was unknown (binary, or history outside the walk) */
  known: boolean;
  lines: DeletedLine[];
}

const PENDING = -2;
const ZERO_BLOB = /^0+$/;
const HUNK_RE = /^(@@+) (.*?) @@+/;

/** The text a line is compared by: without whitespace and without a trailing `//` or inline `/* *\/` comment. */
export function normalizeLine(text: string): string {
  return text
    .replace(/\/\*.*?\*\//g, '')
    .replace(/(^|\s)\/\/.*$/, '$1')
    .replace(/\s+/g, '');
}

/** Blank lines and lines that are only a comment (`//`, `/*`, ` * `, `*\/`). */
export function isBlankOrComment(text: string): boolean {
  const t = text.trim();
  return t === '' || t.startsWith('//') || t.startsWith('/*') || t.startsWith('*');
}

interface FileState {
  parents: (Int32Array | undefined)[];
  cursors: number[];
  newBlob: string;
  canBuild: boolean;
  binary: boolean;
  out: number[];
  path: string;
  oldPath: string;
  source: boolean;
  watched: WatchedFile | undefined;
}

interface HunkState {
  /** lines still expected: per parent, and of the result */
  leftParents: number[];
  leftResult: number;
  dels: { idx: number; text: string; paired: boolean }[];
  adds: { text: string; origin: number }[];
}

export class PatchParser {
  /** commit ids in the order they were read, and their author times */
  readonly commits: string[] = [];
  readonly times: number[] = [];
  /** per watched commit index, the files with their deleted lines */
  readonly watchedResults = new Map<number, WatchedFile[]>();
  private readonly blobs = new Map<string, Int32Array>();
  private commit = -1;
  private nParents = 1;
  private watching = false;
  private file: FileState | undefined;
  private hunk: HunkState | undefined;
  private pendingPath = '';
  private pendingOldPath = '';
  private pendingIndex: string | undefined;

  /**
   * @param watch whether a commit's deleted lines are wanted (the fixes), by id and subject
   * @param track keep the provenance map (false: only collect the watched commits' deleted line numbers)
   */
  constructor(
    private readonly watch: (sha: string, subject: string) => boolean,
    private readonly track = true,
  ) {}

  line(line: string): void {
    if (this.hunk !== undefined) {
      const c = line.charCodeAt(0);
      // a hunk line starts with ' ', '+', '-' or '\\'; anything else means the hunk's counts were wrong (git prints
      // 18446744073709551615, an underflowed -1, in some combined diffs): close the hunk and read the line afresh
      if (c === 32 || c === 43 || c === 45 || c === 92) {
        this.hunkLine(line);
        return;
      }
      this.endHunk();
    }
    if (line.charCodeAt(0) === 0) {
      this.endFile();
      const [, sha = '', parents = '', time = '0', subject = ''] = line.split('\0');
      this.commit = this.commits.length;
      this.commits.push(sha);
      this.times.push(Number(time));
      this.nParents = Math.max(1, parents === '' ? 1 : parents.split(' ').length);
      this.watching = this.nParents === 1 && this.watch(sha, subject);
      return;
    }
    if (line.startsWith('diff --')) {
      this.endFile();
      const combined = line.startsWith('diff --combined ') || line.startsWith('diff --cc ');
      this.pendingIndex = undefined;
      if (combined) {
        this.pendingPath = line.slice(line.indexOf(' ', 7) + 1);
        this.pendingOldPath = this.pendingPath;
      } else {
        const m = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
        this.pendingOldPath = m?.[1] ?? '';
        this.pendingPath = m?.[2] ?? '';
      }
      this.beginFile();
      return;
    }
    const f = this.file;
    if (f === undefined) return;
    if (line.startsWith('@@')) {
      this.beginHunk(line);
      return;
    }
    if (line.startsWith('index ')) {
      this.pendingIndex = line;
      this.applyIndex(f, line);
    } else if (line.startsWith('--- ')) {
      if (line.startsWith('--- a/')) f.oldPath = line.slice(6);
    } else if (line.startsWith('+++ ')) {
      if (line.startsWith('+++ b/')) f.path = line.slice(6);
      this.settleWatch(f);
    } else if (line.startsWith('rename from ')) {
      f.oldPath = line.slice(12);
    } else if (line.startsWith('rename to ')) {
      f.path = line.slice(10);
    } else if (line.startsWith('Binary files ')) {
      f.binary = true;
      f.canBuild = false;
    }
  }

  /** Ends the stream (flushes the last file). */
  end(): void {
    this.endFile();
  }

  /** Number of blob versions whose provenance is held (a memory figure). */
  get blobCount(): number {
    return this.blobs.size;
  }

  private beginFile(): void {
    this.file = {
      parents: [],
      cursors: [],
      newBlob: '',
      canBuild: false,
      binary: false,
      out: [],
      path: this.pendingPath,
      oldPath: this.pendingOldPath,
      source: false,
      watched: undefined,
    };
  }

  private applyIndex(f: FileState, line: string): void {
    const m = /^index ([0-9a-f,]+)\.\.([0-9a-f]+)/.exec(line);
    if (m === null) return;
    const olds = (m[1] as string).split(',');
    f.newBlob = m[2] as string;
    f.parents = olds.map((b) => (ZERO_BLOB.test(b) ? new Int32Array(0) : this.blobs.get(b)));
    f.cursors = olds.map(() => 0);
    f.canBuild = this.track && f.parents[0] !== undefined && !ZERO_BLOB.test(f.newBlob);
  }

  private settleWatch(f: FileState): void {
    f.source = isSourcePath(f.path) || isSourcePath(f.oldPath);
    if (!f.source) f.canBuild = false;
    if (this.watching && isSourcePath(f.oldPath) && this.pendingIndex !== undefined && !/^index 0+\.\./.test(this.pendingIndex)) {
      f.watched = { path: f.path, oldPath: f.oldPath, known: !this.track || f.parents[0] !== undefined, lines: [] };
      let list = this.watchedResults.get(this.commit);
      if (list === undefined) this.watchedResults.set(this.commit, (list = []));
      list.push(f.watched);
    }
  }

  private copyUntil(f: FileState, starts: number[]): void {
    const base = f.parents[0];
    const count = (starts[0] ?? 0) - (f.cursors[0] ?? 0);
    if (f.canBuild && base !== undefined) {
      const from = f.cursors[0] ?? 0;
      for (let k = 0; k < count; k++) f.out.push(base[from + k] ?? -1);
    }
    for (let i = 0; i < starts.length; i++) f.cursors[i] = starts[i] as number;
  }

  private beginHunk(line: string): void {
    const f = this.file as FileState;
    const m = HUNK_RE.exec(line);
    if (m === null) return;
    const ranges = (m[2] as string).split(' ');
    const parse = (r: string): [number, number] => {
      const [s, n] = r.slice(1).split(',');
      const count = n === undefined ? 1 : Number(n);
      // an underflowed count (2^64 − 1, see line()) stands for an empty range
      return [Number(s), count > 0xffffffff ? 0 : count];
    };
    const parentRanges = ranges.slice(0, -1).map(parse);
    const [, resultCount] = parse(ranges[ranges.length - 1] as string);
    if (f.parents.length !== parentRanges.length) {
      f.parents = parentRanges.map((_, i) => f.parents[i]);
      f.cursors = parentRanges.map((_, i) => f.cursors[i] ?? 0);
    }
    this.copyUntil(
      f,
      parentRanges.map(([s, n]) => (n === 0 ? s : s - 1)),
    );
    this.hunk = { leftParents: parentRanges.map(([, n]) => n), leftResult: resultCount, dels: [], adds: [] };
    if (resultCount === 0 && parentRanges.every(([, n]) => n === 0)) this.endHunk();
  }

  private hunkLine(line: string): void {
    const f = this.file as FileState;
    const h = this.hunk as HunkState;
    const np = h.leftParents.length;
    if (line.startsWith('\\')) return;
    const prefix = line.slice(0, np);
    const text = line.slice(np);
    if (np === 1) {
      if (prefix === '-') {
        h.dels.push({ idx: f.cursors[0] ?? 0, text, paired: false });
        f.cursors[0] = (f.cursors[0] ?? 0) + 1;
        h.leftParents[0] = (h.leftParents[0] ?? 0) - 1;
      } else if (prefix === '+') {
        h.adds.push({ text, origin: PENDING });
        h.leftResult--;
      } else {
        const base = f.parents[0];
        h.adds.push({ text, origin: base?.[f.cursors[0] ?? 0] ?? -1 });
        f.cursors[0] = (f.cursors[0] ?? 0) + 1;
        h.leftParents[0] = (h.leftParents[0] ?? 0) - 1;
        h.leftResult--;
      }
    } else if (prefix.includes('-')) {
      for (let i = 0; i < np; i++) {
        if (prefix[i] === '-') {
          f.cursors[i] = (f.cursors[i] ?? 0) + 1;
          h.leftParents[i] = (h.leftParents[i] ?? 0) - 1;
        }
      }
    } else {
      let origin = PENDING;
      for (let i = 0; i < np; i++) {
        if (prefix[i] !== ' ') continue;
        if (origin === PENDING) origin = f.parents[i]?.[f.cursors[i] ?? 0] ?? -1;
        f.cursors[i] = (f.cursors[i] ?? 0) + 1;
        h.leftParents[i] = (h.leftParents[i] ?? 0) - 1;
      }
      h.adds.push({ text, origin });
      h.leftResult--;
    }
    if (h.leftResult <= 0 && h.leftParents.every((n) => n <= 0)) this.endHunk();
  }

  private endHunk(): void {
    const f = this.file as FileState;
    const h = this.hunk as HunkState;
    this.hunk = undefined;
    const base = f.parents[0];
    if (h.dels.length > 0 && h.adds.some((a) => a.origin === PENDING)) {
      const byText = new Map<string, { idx: number; text: string; paired: boolean }[]>();
      for (const d of h.dels) {
        const key = normalizeLine(d.text);
        if (key === '') continue;
        const q = byText.get(key);
        if (q === undefined) byText.set(key, [d]);
        else q.push(d);
      }
      for (const a of h.adds) {
        if (a.origin !== PENDING) continue;
        const d = byText.get(normalizeLine(a.text))?.find((x) => !x.paired);
        if (d !== undefined) {
          d.paired = true;
          a.origin = base?.[d.idx] ?? -1;
        }
      }
    }
    if (f.canBuild) for (const a of h.adds) f.out.push(a.origin === PENDING ? this.commit : a.origin);
    if (f.watched !== undefined) {
      for (const d of h.dels) {
        if (d.paired || isBlankOrComment(d.text)) continue;
        f.watched.lines.push({ line: d.idx + 1, origin: base?.[d.idx] ?? -1 });
      }
    }
  }

  private endFile(): void {
    const f = this.file;
    if (f === undefined) return;
    if (this.hunk !== undefined) this.endHunk();
    this.file = undefined;
    const base = f.parents[0];
    if (!f.canBuild || base === undefined || f.binary || f.newBlob === '') return;
    const from = f.cursors[0] ?? 0;
    for (let k = from; k < base.length; k++) f.out.push(base[k] as number);
    if (!this.blobs.has(f.newBlob)) this.blobs.set(f.newBlob, Int32Array.from(f.out));
  }
}
