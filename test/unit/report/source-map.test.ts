import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createSourceMapper, decodeMappings, decodeVlq, loadSourceMapFor, originalPosition, parseSourceMap } from '../../../src/report/source-map.js';

/** the reference encoder (ECMA-426): sign in the lowest bit, 5-bit groups, continuation bit 32 */
function encodeVlq(values: number[]): string {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return values
    .map((v) => {
      let n = v < 0 ? (-v * 2) + 1 : v * 2;
      let s = '';
      do {
        let digit = n % 32;
        n = Math.floor(n / 32);
        if (n > 0) digit += 32;
        s += B64[digit];
      } while (n > 0);
      return s;
    })
    .join('');
}

describe('source maps', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('decodes base64 VLQ values', () => {
    expect(decodeVlq('AAAA')).toEqual([0, 0, 0, 0]);
    expect(decodeVlq('AAgBC')).toEqual([0, 0, 16, 1]);
    expect(decodeVlq('D')).toEqual([-1]);
    expect(decodeVlq('2H')).toEqual([123]);
    expect(decodeVlq(encodeVlq([-536870911]))).toEqual([-536870911]);
    expect(() => decodeVlq('A!')).toThrow(/invalid/);
    expect(() => decodeVlq('g')).toThrow(/truncated/);
  });

  it('round-trips any integers through the reference encoder (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -(2 ** 30), max: 2 ** 30 })), (xs) => {
      expect(decodeVlq(encodeVlq(xs))).toEqual(xs);
    }), { numRuns: 300 });
  });

  it('decodes mappings with relative fields across segments and lines, and finds the segment for a column', () => {
    // line 1: col 0 → src 0 (0,0); col 4 → (0, 2); line 2 (empty); line 3: col 2 → src 1 (5, 1)
    const mappings = `${encodeVlq([0, 0, 0, 0])},${encodeVlq([4, 0, 2, 0])};;${encodeVlq([2, 1, 3, 1])}`;
    const lines = decodeMappings(mappings);
    expect(lines).toEqual([[[0, 0, 0, 0], [4, 0, 2, 0]], [], [[2, 1, 5, 1]]]);
    const map = parseSourceMap(JSON.stringify({ version: 3, sources: ['a.ts', 'b.ts'], sourceRoot: '../src', mappings }), '/x/dist');
    expect(originalPosition(map, 1, 1)).toEqual({ file: '/x/src/a.ts', line: 1, col: 1 });
    expect(originalPosition(map, 1, 9)).toEqual({ file: '/x/src/a.ts', line: 3, col: 1 });
    expect(originalPosition(map, 1)).toEqual({ file: '/x/src/a.ts', line: 1, col: 1 });
    expect(originalPosition(map, 2, 1)).toBeUndefined();
    expect(originalPosition(map, 3, 3)).toEqual({ file: '/x/src/b.ts', line: 6, col: 2 });
    expect(() => parseSourceMap('{"version":2}', '/')).toThrow();
  });

  it('reads inline (data: URL) maps, leaves files without a map as they are, and shows paths relative to a root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-sm-'));
    dirs.push(dir);
    const map = { version: 3, sources: ['src/m.ts'], mappings: `;${encodeVlq([0, 0, 9, 0])}` };
    writeFileSync(join(dir, 'm.js'), `"use strict";\nthrow 1;\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`);
    writeFileSync(join(dir, 'plain.js'), 'throw 1;\n');
    writeFileSync(join(dir, 'broken.js'), 'throw 1;\n//# sourceMappingURL=missing.js.map\n');
    expect(loadSourceMapFor(join(dir, 'm.js'))?.sources).toEqual([join(dir, 'src/m.ts')]);
    expect(loadSourceMapFor(join(dir, 'plain.js'))).toBeUndefined();
    expect(loadSourceMapFor(join(dir, 'broken.js'))).toBeUndefined();
    const mapper = createSourceMapper({ root: dir });
    expect(mapper(join(dir, 'm.js'), 2, 1)).toEqual({ file: 'src/m.ts', line: 10, col: 1 });
    expect(mapper(`file://${join(dir, 'plain.js')}`, 1, 1)).toEqual({ file: 'plain.js', line: 1, col: 1 });
    expect(mapper('/elsewhere/x.js', 4)).toEqual({ file: '/elsewhere/x.js', line: 4 });
  });
});
