/**
 * Text edits: what a recipe returns (offsets into the text it was given), applying them, following a position
 * through them, and the unified diff of before/after that `--dry-run` prints. Edits never reformat anything
 * outside their span, so comments and layout elsewhere survive byte for byte.
 */
import { FaultlineError } from '../core/errors.js';

/** Replace `text.slice(start, end)` with `newText` (start === end inserts). Offsets are UTF-16 code units. */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

/** The edits sorted by position (insertions at one offset keep their given order); throws when two overlap. */
export function sortEdits(edits: readonly TextEdit[], textLength?: number): TextEdit[] {
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i).map((x) => x.e);
  let prevEnd = -1;
  let prev: TextEdit | undefined;
  for (const e of sorted) {
    if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || e.start < 0 || e.end < e.start || (textLength !== undefined && e.end > textLength)) {
      throw new FaultlineError('FL_ERR_EDIT_CONFLICT', `edit [${e.start}, ${e.end}) is not a range of the text (length ${textLength ?? '?'})`, { context: { edit: e } });
    }
    if (prev !== undefined && e.start < prevEnd) {
      throw new FaultlineError('FL_ERR_EDIT_CONFLICT', `edits [${prev.start}, ${prev.end}) and [${e.start}, ${e.end}) overlap; apply them in two passes`, { context: { edits: [prev, e] } });
    }
    prevEnd = Math.max(prevEnd, e.end);
    prev = e;
  }
  return sorted;
}

/** The text with the edits applied (all offsets refer to the original text). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = sortEdits(edits, text.length);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    out += text.slice(at, e.start) + e.newText;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * Where an offset of the original text ends up after the edits: text inserted at exactly that offset goes
 * before it (the code that was there moves right); an offset inside a replaced span maps to the span's start.
 */
export function mapOffset(edits: readonly TextEdit[], offset: number): number {
  let delta = 0;
  for (const e of sortEdits(edits)) {
    if (e.start > offset) break;
    if (e.start === e.end || e.end <= offset) delta += e.newText.length - (e.end - e.start);
    else return e.start + delta; // inside a replaced span
  }
  return offset + delta;
}

/** 1-based line and column of an offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/** Offset of a 1-based line and column, or undefined when the line does not exist. */
export function offsetOf(text: string, line: number, col = 1): number | undefined {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  return start + col - 1;
}

// ---------------------------------------------------------------------------------------------------------
// Unified diff

/** Lines with their terminators ("a\n", "b" for a last line without one). */
function splitLines(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl + 1;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

type Op = { kind: 'eq' | 'del' | 'ins'; a: number; b: number };

/** Myers' O((N+M)·D) shortest edit script over lines. */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number)) ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  trace.push(v.slice());
  // backtrack
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d] as Int32Array;
    const k = x - y;
    const prevK = k === -d || (k !== d && (vd[offset + k - 1] as number) < (vd[offset + k + 1] as number)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (vd[offset + prevK] as number);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: 'eq', a: --x, b: --y });
    }
    if (d === 0) break;
    if (x === prevX) ops.push({ kind: 'ins', a: x, b: --y });
    else ops.push({ kind: 'del', a: --x, b: y });
  }
  while (x > 0 && y > 0) ops.push({ kind: 'eq', a: --x, b: --y });
  return ops.reverse();
}

function range(start: number, count: number): string {
  // start is 0-based; an empty range names the line before it
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

function body(line: string): string[] {
  if (line.endsWith('\n')) return [line.slice(0, -1)];
  return [line, '\\ No newline at end of file'];
}

/**
 * The unified diff (`diff -u` / `git diff` format, `context` lines around each change) that turns `before`
 * into `after`; an empty string when they are equal.
 */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = editScript(a, b);
  const changed = ops.map((o, i) => (o.kind === 'eq' ? -1 : i)).filter((i) => i >= 0);
  const out = [`--- a/${path}`, `+++ b/${path}`];
  let i = 0;
  while (i < changed.length) {
    const from = Math.max(0, (changed[i] as number) - context);
    let j = i;
    while (j + 1 < changed.length && (changed[j + 1] as number) - (changed[j] as number) <= 2 * context + 1) j++;
    const to = Math.min(ops.length, (changed[j] as number) + context + 1);
    const slice = ops.slice(from, to);
    const first = slice[0] as Op;
    const aStart = first.a;
    const bStart = first.b;
    const aCount = slice.filter((o) => o.kind !== 'ins').length;
    const bCount = slice.filter((o) => o.kind !== 'del').length;
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`);
    for (const o of slice) {
      if (o.kind === 'eq') out.push(...body(a[o.a] as string).map((l, k) => (k === 0 ? ' ' + l : l)));
      else if (o.kind === 'del') out.push(...body(a[o.a] as string).map((l, k) => (k === 0 ? '-' + l : l)));
      else out.push(...body(b[o.b] as string).map((l, k) => (k === 0 ? '+' + l : l)));
    }
    i = j + 1;
  }
  return out.join('\n') + '\n';
}
