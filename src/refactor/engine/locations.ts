/**
 * Targets are located at the base commit; once a fix is kept in a file, later targets in that file have
 * moved. `FileLocator` keeps the edits of every kept fix per file and maps a base location through them.
 */
import { lineCol, mapOffset, offsetOf, type TextEdit } from '../edits.js';

export class FileLocator {
  /** per file: the base text and the edit batches kept since, in order */
  private readonly files = new Map<string, { base: string; batches: TextEdit[][] }>();

  /** Remembers the base text of a file (the first time it is read). */
  base(path: string, text: string): void {
    if (!this.files.has(path)) this.files.set(path, { base: text, batches: [] });
  }

  /** Records the edits of a kept fix (offsets into the text as it was before them). */
  kept(path: string, edits: readonly TextEdit[]): void {
    this.files.get(path)?.batches.push([...edits]);
  }

  /**
   * Where a base location is now: its line (and column, when given) after every kept edit. Undefined when the
   * line is not in the base text.
   */
  locate(path: string, line: number, col: number | undefined, current: string): { line: number; col?: number } | undefined {
    const f = this.files.get(path);
    if (f === undefined || f.batches.length === 0) return col === undefined ? { line } : { line, col };
    const at = offsetOf(f.base, line, col ?? 1);
    if (at === undefined || at > f.base.length) return undefined;
    let offset = at;
    for (const batch of f.batches) offset = mapOffset(batch, offset);
    const lc = lineCol(current, offset);
    return col === undefined ? { line: lc.line } : lc;
  }
}
