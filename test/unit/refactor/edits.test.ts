import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { applyEdits, lineCol, mapOffset, offsetOf, unifiedDiff } from '../../../src/refactor/edits.js';

describe('text edits', () => {
  it('applies non-overlapping edits given in any order; insertions at one offset keep their order', () => {
    const text = 'const a = 1;\nconst b = 2;\n';
    expect(applyEdits(text, [{ start: 23, end: 24, newText: '3' }, { start: 10, end: 11, newText: '10' }, { start: 0, end: 0, newText: '// x\n' }, { start: 0, end: 0, newText: '// y\n' }])).toBe('// x\n// y\nconst a = 10;\nconst b = 3;\n');
  });

  it('throws FL_ERR_EDIT_CONFLICT on overlapping or out-of-range edits', () => {
    expect(() => applyEdits('abcdef', [{ start: 1, end: 4, newText: '' }, { start: 3, end: 5, newText: 'x' }])).toThrow(expect.objectContaining({ code: 'FL_ERR_EDIT_CONFLICT' }));
    expect(() => applyEdits('abc', [{ start: 2, end: 9, newText: '' }])).toThrow(expect.objectContaining({ code: 'FL_ERR_EDIT_CONFLICT' }));
    expect(() => applyEdits('abc', [{ start: 2, end: 1, newText: '' }])).toThrow(expect.objectContaining({ code: 'FL_ERR_EDIT_CONFLICT' }));
  });

  it('maps offsets through edits: insertions at the offset push it right, replaced spans map to their start', () => {
    const edits = [{ start: 4, end: 4, newText: 'XX' }, { start: 6, end: 9, newText: 'y' }];
    expect(mapOffset(edits, 2)).toBe(2);
    expect(mapOffset(edits, 4)).toBe(6);
    expect(mapOffset(edits, 7)).toBe(8);
    expect(mapOffset(edits, 10)).toBe(10);
  });

  it('converts between offsets and 1-based line:col', () => {
    const text = 'ab\ncd\n\nef';
    expect(lineCol(text, 4)).toEqual({ line: 2, col: 2 });
    expect(offsetOf(text, 4, 2)).toBe(8);
    expect(offsetOf(text, 9)).toBeUndefined();
  });
});

describe('unified diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fl-diff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Applies the diff with `git apply` to `before` in a scratch folder and returns the result. */
  function gitApply(before: string, diff: string): string {
    writeFileSync(join(dir, 'f.txt'), before);
    writeFileSync(join(dir, 'p.diff'), diff);
    execFileSync('git', ['apply', '--unsafe-paths', '--directory=.', '-p1', 'p.diff'], { cwd: dir, stdio: 'pipe' });
    return readFileSync(join(dir, 'f.txt'), 'utf8');
  }

  it('prints hunks with context like diff -u, and nothing for equal texts', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', ''].join('\n');
    const after = ['a', 'B', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', ''].join('\n');
    expect(unifiedDiff('f.txt', before, before)).toBe('');
    expect(unifiedDiff('f.txt', before, after)).toBe(['--- a/f.txt', '+++ b/f.txt', '@@ -1,5 +1,5 @@', ' a', '-b', '+B', ' c', ' d', ' e', '@@ -8,3 +8,4 @@', ' h', ' i', ' j', '+k', ''].join('\n'));
    // the same hunks as GNU diff -u
    writeFileSync(join(dir, 'before.txt'), before);
    writeFileSync(join(dir, 'after.txt'), after);
    const gnu = spawnSync('diff', ['-u', '--label', 'a/f.txt', '--label', 'b/f.txt', 'before.txt', 'after.txt'], { cwd: dir, encoding: 'utf8' });
    expect(gnu.status).toBe(1);
    expect(unifiedDiff('f.txt', before, after)).toBe(gnu.stdout);
  });

  it('marks a missing final newline, and git apply turns before into after (property, 200 random pairs)', () => {
    expect(unifiedDiff('f.txt', 'a\nb', 'a\nc')).toBe('--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n');
    const line = fc.constantFrom('x', 'y', 'z', 'const a = 1;', '', '  }');
    const text = fc.array(line, { maxLength: 25 }).chain((ls) => fc.boolean().map((nl) => ls.join('\n') + (nl && ls.length > 0 ? '\n' : '')));
    fc.assert(
      fc.property(text, text, (before, after) => {
        const diff = unifiedDiff('f.txt', before, after);
        if (before === after) return diff === '';
        return gitApply(before, diff) === after;
      }),
      { numRuns: 200, interruptAfterTimeLimit: 60_000 },
    );
  });
});
