/**
 * Targets are located at the base commit; once a fix is kept in a file, later targets in that file have
 * moved. `FileLocator` keeps the edits of every kept fix per file and maps a base location through them.
 */
import { lineCol, mapOffset, offsetOf, type TextEdit } from '../edits.js';

export class FileLocator {
  /** per file: the base text and the edit batches kept since, in order */
  private readonly files = new Map<string, { base: string; batches: { edits: TextEdit[]; by?: string }[] }>();

  /** A copy, to go back to when fixes that were applied together are put back. */
  clone(): FileLocator {
    const c = new FileLocator();
    for (const [path, f] of this.files) c.files.set(path, { base: f.base, batches: [...f.batches] });
    return c;
  }

  /** Forgets every edit recorded since `other` was cloned from this locator. */
  restoreFrom(other: FileLocator): void {
    this.files.clear();
    for (const [path, f] of other.files) this.files.set(path, { base: f.base, batches: [...f.batches] });
  }

  /** Remembers the base text of a file (the first time it is read). */
  base(path: string, text: string): void {
    if (!this.files.has(path)) this.files.set(path, { base: text, batches: [] });
  }

  /** Records the edits of a kept fix (offsets into the text as it was before them). */
  kept(path: string, edits: readonly TextEdit[], by?: string): void {
    this.files.get(path)?.batches.push({ edits: [...edits], ...(by !== undefined ? { by } : {}) });
  }

  /**
   * Where a base location is now: its line (and column, when given) after every kept edit. Undefined when the
   * line is not in the base text. `rewrittenBy` names the fix whose edit replaced the text at the location
   * (moved or rewritten it), so the mapped place is only where that edit starts.
   */
  locate(path: string, line: number, col: number | undefined, current: string): { line: number; col?: number; rewrittenBy?: string } | undefined {
    const f = this.files.get(path);
    if (f === undefined || f.batches.length === 0) return col === undefined ? { line } : { line, col };
    const at = offsetOf(f.base, line, col ?? 1);
    if (at === undefined || at > f.base.length) return undefined;
    let offset = at;
    let rewrittenBy: string | undefined;
    for (const batch of f.batches) {
      if (batch.edits.some((e) => e.start < offset && offset < e.end) || batch.edits.some((e) => e.start === offset && e.end > offset && col !== undefined)) rewrittenBy = batch.by ?? 'an earlier fix';
      offset = mapOffset(batch.edits, offset);
    }
    const lc = lineCol(current, offset);
    const where = col === undefined ? { line: lc.line } : lc;
    return rewrittenBy !== undefined ? { ...where, rewrittenBy } : where;
  }
}
