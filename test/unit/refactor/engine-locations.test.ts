import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../../src/refactor/edits.js';
import { FileLocator } from '../../../src/refactor/engine/locations.js';

describe('refactor engine: locations after kept fixes', () => {
  const base = 'import x from "x";\nfoo();\nbar(1);\nbaz(2);\n';

  it('returns the base location while nothing was kept in the file', () => {
    const l = new FileLocator();
    l.base('a.ts', base);
    expect(l.locate('a.ts', 3, 1, base)).toEqual({ line: 3, col: 1 });
    expect(l.locate('other.ts', 7, undefined, '')).toEqual({ line: 7 });
  });

  it('follows a line through a helper inserted above it and an edit on an earlier line', () => {
    const l = new FileLocator();
    l.base('a.ts', base);
    const first = [{ start: base.indexOf('foo();'), end: base.indexOf('foo();'), newText: 'function helper() {}\n\n' }];
    const afterFirst = applyEdits(base, first);
    l.kept('a.ts', first);
    const second = [{ start: afterFirst.indexOf('foo()'), end: afterFirst.indexOf('foo()') + 5, newText: 'await foo()' }];
    const afterSecond = applyEdits(afterFirst, second);
    l.kept('a.ts', second);
    const at = l.locate('a.ts', 4, 5, afterSecond);
    expect(at).toEqual({ line: 6, col: 5 });
    const lines = afterSecond.split('\n');
    expect(lines[(at?.line as number) - 1]?.slice(4)).toBe('2);');
    expect(l.locate('a.ts', 3, undefined, afterSecond)).toEqual({ line: 5 });
    expect(lines[4]).toBe('bar(1);');
  });

  it('a line past the end of the base text is stale', () => {
    const l = new FileLocator();
    l.base('a.ts', base);
    l.kept('a.ts', [{ start: 0, end: 0, newText: '// x\n' }]);
    expect(l.locate('a.ts', 40, undefined, '// x\n' + base)).toBeUndefined();
  });
  it('says which kept fix rewrote the code at a location (moved or replaced), and forgets fixes put back together', () => {
    const l = new FileLocator();
    l.base('a.ts', base);
    const snap = l.clone();
    // a fix moves "bar(1);" up, into the line of foo: the old place is inside the deleted span
    const barAt = base.indexOf('bar(1);');
    const move = [
      { start: base.indexOf('foo();') + 6, end: base.indexOf('foo();') + 6, newText: ' bar(1);' },
      { start: barAt - 1, end: barAt + 7, newText: '' },
    ];
    const after = applyEdits(base, move);
    l.kept('a.ts', move, 'route-to-fallback');
    expect(l.locate('a.ts', 3, 2, after)).toMatchObject({ rewrittenBy: 'route-to-fallback' });
    expect(l.locate('a.ts', 4, 1, after)).toEqual({ line: 3, col: 1 });
    l.restoreFrom(snap);
    expect(l.locate('a.ts', 3, 2, base)).toEqual({ line: 3, col: 2 });
  });
});
