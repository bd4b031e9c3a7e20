import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogParser, parseNumstatLine, parseRenamePath, unquotePath } from '../../../../src/analyze/git/log.js';
import { isBlankOrComment, normalizeLine, PatchParser } from '../../../../src/analyze/git/patch.js';
import { lineRanges, parseBlamePorcelain } from '../../../../src/analyze/git/szz.js';
import { isSourcePath } from '../../../../src/analyze/git/paths.js';

describe('numstat parsing', () => {
  it('resolves plain and braced renames, empty brace sides, binary counts and quoted paths', () => {
    expect(parseRenamePath('src/a.ts')).toEqual({ path: 'src/a.ts' });
    expect(parseRenamePath('old.ts => new.ts')).toEqual({ path: 'new.ts', oldPath: 'old.ts' });
    expect(parseRenamePath('src/{a => b}/x.ts')).toEqual({ path: 'src/b/x.ts', oldPath: 'src/a/x.ts' });
    expect(parseRenamePath('src/{ => sub}/x.ts')).toEqual({ path: 'src/sub/x.ts', oldPath: 'src/x.ts' });
    expect(parseRenamePath('{lib => src}/x.ts')).toEqual({ path: 'src/x.ts', oldPath: 'lib/x.ts' });
    expect(parseRenamePath('src/{old.ts => new.ts}')).toEqual({ path: 'src/new.ts', oldPath: 'src/old.ts' });
    expect(parseNumstatLine('-\t-\tlogo.png')).toEqual({ path: 'logo.png', added: 0, deleted: 0 });
    expect(parseNumstatLine('3\t1\tsrc/{a => b}/x.ts')).toEqual({ path: 'src/b/x.ts', oldPath: 'src/a/x.ts', added: 3, deleted: 1 });
    expect(parseNumstatLine('not numstat')).toBeUndefined();
    expect(unquotePath('"a\\tb\\"c\\303\\251"')).toBe('a\tb"cé');
  });
  it('property: a braced rename resolves to the same paths as the plain form', () => {
    const seg = fc.stringMatching(/^[a-z]{1,6}$/);
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 3 }), seg, seg, fc.array(seg, { maxLength: 2 }), seg, (pre, a, b, mid, file) => {
        const p = pre.length ? `${pre.join('/')}/` : '';
        const m = mid.length ? `/${mid.join('/')}` : '';
        const braced = parseRenamePath(`${p}{${a} => ${b}}${m}/${file}.ts`);
        expect(braced).toEqual({ path: `${p}${b}${m}/${file}.ts`, oldPath: `${p}${a}${m}/${file}.ts` });
      }),
      { numRuns: 200 },
    );
  });
  it('LogParser marks created and deleted files from --summary lines', () => {
    const p = new LogParser();
    for (const l of [['a'.repeat(40), '', 'x@y', 'X', '100', 'subject'].join('\0'), '', '2\t0\tsrc/n.ts', '0\t5\tsrc/o.ts', ' create mode 100644 src/n.ts', ' delete mode 100644 src/o.ts']) p.line(l);
    expect(p.commits[0]?.files).toEqual([{ path: 'src/n.ts', added: 2, deleted: 0, status: 'added' }, { path: 'src/o.ts', added: 0, deleted: 5, status: 'deleted' }]);
  });
});

describe('line rules', () => {
  it('normalizes whitespace and trailing comments, keeps strings with //', () => {
    expect(normalizeLine('  if (x)   return 1; // why')).toBe(normalizeLine('if (x) return 1;'));
    expect(normalizeLine('a /* c */ + b')).toBe('a+b');
    expect(normalizeLine('const u = "http://x";')).toBe('constu="http://x";');
    expect(isBlankOrComment('   ')).toBe(true);
    expect(isBlankOrComment(' // x')).toBe(true);
    expect(isBlankOrComment(' * @param a')).toBe(true);
    expect(isBlankOrComment('x = 1; // y')).toBe(false);
  });
  it('source paths exclude tests, docs, examples, built output and declarations', () => {
    expect(['src/a.ts', 'lib/b.mjs', 'index.js', 'src/c.tsx'].every(isSourcePath)).toBe(true);
    expect(['test/a.ts', 'src/a.test.ts', 'src/__tests__/x.js', 'docs/x.js', 'dist/x.js', 'src/a.d.ts', 'README.md', 'a.min.js', 'examples/x.ts'].some(isSourcePath)).toBe(false);
  });
  it('blame ranges merge contiguous lines; porcelain maps final lines to commits and author times', () => {
    expect(lineRanges([9, 2, 3, 4, 7, 3])).toEqual(['-L2,4', '-L7,7', '-L9,9']);
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const porcelain = [`${a} 1 2 1`, 'author X', 'author-time 100', '\tline', `${b} 5 4 2`, 'author-time 200', '\tx', `${b} 6 5`, '\ty'].join('\n');
    expect([...parseBlamePorcelain(porcelain)]).toEqual([[2, { sha: a, time: 100 }], [4, { sha: b, time: 200 }], [5, { sha: b, time: 200 }]]);
  });
});

describe('PatchParser (provenance)', () => {
  const z = '0'.repeat(40);
  const b1 = '1'.repeat(40);
  const b2 = '2'.repeat(40);
  const b3 = '3'.repeat(40);
  const c1 = 'c'.repeat(39) + '1';
  const c2 = 'c'.repeat(39) + '2';
  const c3 = 'c'.repeat(39) + '3';
  it('tracks origins through a plain diff, inherits them across whitespace-only edits and reports a fix’s lines', () => {
    const p = new PatchParser((sha) => sha === c3);
    const feed = (ls: string[]): void => ls.forEach((l) => p.line(l));
    feed([['', c1, '', '100', 'feat'].join('\0'), '', 'diff --git a/src/x.ts b/src/x.ts', 'new file mode 100644', `index ${z}..${b1}`, '--- /dev/null', '+++ b/src/x.ts', '@@ -0,0 +1,3 @@', '+a();', '+b();', '+c();']);
    feed([['', c2, c1, '200', 'style'].join('\0'), '', 'diff --git a/src/x.ts b/src/x.ts', `index ${b1}..${b2} 100644`, '--- a/src/x.ts', '+++ b/src/x.ts', '@@ -2 +2 @@', '-b();', '+  b( );', '@@ -3,0 +4 @@', '+d();']);
    feed([['', c3, c2, '300', 'fix'].join('\0'), '', 'diff --git a/src/x.ts b/src/x.ts', `index ${b2}..${b3} 100644`, '--- a/src/x.ts', '+++ b/src/x.ts', '@@ -2,3 +2 @@', '-  b( );', '-c();', '-d();', '+e();']);
    p.end();
    expect(p.commits).toEqual([c1, c2, c3]);
    expect(p.watchedResults.get(2)).toEqual([{ path: 'src/x.ts', oldPath: 'src/x.ts', known: true, lines: [{ line: 2, origin: 0 }, { line: 3, origin: 0 }, { line: 4, origin: 1 }] }]);
  });
  it('survives a combined diff whose counts git printed as 2^64 − 1: the next commits are still read and traced', () => {
    const m = 'd'.repeat(40);
    const p = new PatchParser((sha) => sha === c3);
    const feed = (ls: string[]): void => ls.forEach((l) => p.line(l));
    feed([['', c1, '', '100', 'feat'].join('\0'), '', 'diff --git a/src/x.ts b/src/x.ts', 'new file mode 100644', `index ${z}..${b1}`, '--- /dev/null', '+++ b/src/x.ts', '@@ -0,0 +1,3 @@', '+a();', '+b();', '+c();']);
    // a merge whose hunk claims 18446744073709551615 lines (seen in mongoose's history, git 2.39)
    feed([['', m, `${c1} ${c2}`, '150', 'Merge'].join('\0'), '', 'diff --combined src/y.ts', `index ${b2},${b3}..${'4'.repeat(40)}`, '--- a/src/y.ts', '+++ b/src/y.ts', '@@@ -9,18446744073709551615 -9,1 +9,18446744073709551615 @@@', ' -gone();', ' -']);
    feed([['', c3, c1, '300', 'fix'].join('\0'), '', 'diff --git a/src/x.ts b/src/x.ts', `index ${b1}..${b3} 100644`, '--- a/src/x.ts', '+++ b/src/x.ts', '@@ -2 +2 @@', '-b();', '+e();']);
    p.end();
    expect(p.commits).toEqual([c1, m, c3]);
    expect(p.watchedResults.get(2)).toEqual([{ path: 'src/x.ts', oldPath: 'src/x.ts', known: true, lines: [{ line: 2, origin: 0 }] }]);
  });
});
