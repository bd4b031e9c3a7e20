import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeSources } from '../../../../src/analyze/code/index.js';
import { CACHE_VERSION, openAnalyzeCache } from '../../../../src/analyze/code/cache.js';
import { gitBlobId, looksMinified } from '../../../../src/analyze/code/sources.js';
import { isFaultlineError } from '../../../../src/core/errors.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'fl-analyze-cache-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SOURCES = [
  { path: 'src/a.ts', text: "import { b } from './b.js';\nexport async function a(raw: string) { if (raw) b(); return JSON.parse(raw); }\n" },
  { path: 'src/b.ts', text: "export function b() { try { return 1; } catch {} }\n" },
  { path: 'test/a.test.ts', text: "import { a } from '../src/a.js';\na('{}');\n" },
  { path: 'src/copy.ts', text: "import { b } from './b.js';\nexport function a(raw: string) { if (raw) b(); return JSON.parse(raw); }\n" },
];

describe('analysis cache', () => {
  it('hashes content the way git does', () => {
    expect(gitBlobId('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a'); // git hash-object of "hello\n"
  });

  it('serves a second run entirely from the pack, with the same result', async () => {
    const dir = tmp();
    const cold = await analyzeSources(SOURCES, { cache: openAnalyzeCache(dir) });
    expect([cold.stats.parsed, cold.stats.fromCache]).toEqual([4, 0]);
    const warm = await analyzeSources(SOURCES, { cache: openAnalyzeCache(dir) });
    expect([warm.stats.parsed, warm.stats.fromCache]).toEqual([0, 4]);
    expect({ ...warm, stats: undefined }).toEqual({ ...cold, stats: undefined });
    expect(readdirSync(dir)).toEqual([`pack-${CACHE_VERSION}.jsonl`]);
  });

  it('keys by blob and language: a moved file is a hit, a changed file or another extension a miss', async () => {
    const dir = tmp();
    await analyzeSources(SOURCES.slice(0, 1), { cache: openAnalyzeCache(dir) });
    const moved = await analyzeSources([{ ...SOURCES[0]!, path: 'lib/moved.ts' }], { cache: openAnalyzeCache(dir) });
    expect(moved.stats.fromCache).toBe(1);
    expect(moved.files[0]?.path).toBe('lib/moved.ts');
    expect(moved.smells.every((s) => s.path === 'lib/moved.ts')).toBe(true);
    const js = await analyzeSources([{ ...SOURCES[0]!, path: 'src/a.js' }], { cache: openAnalyzeCache(dir) });
    expect(js.stats.parsed).toBe(1);
    const edited = await analyzeSources([{ ...SOURCES[0]!, text: SOURCES[0]!.text + '\n' }], { cache: openAnalyzeCache(dir) });
    expect(edited.stats.parsed).toBe(1);
  });

  it('drops a line cut short by a crash, and removes packs of other cache versions', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'pack-old.jsonl'), '{}\n');
    const c = openAnalyzeCache(dir);
    c.put('b1', 'ts', { skipped: 'minified' });
    c.flush();
    appendFileSync(join(dir, `pack-${CACHE_VERSION}.jsonl`), '{"k":"b2:ts","v":{"skip');
    const again = openAnalyzeCache(dir);
    expect(again.get('b1', 'ts')).toEqual({ skipped: 'minified' });
    expect(again.get('b2', 'ts')).toBeUndefined();
    expect(again.size).toBe(1);
    expect(existsSync(join(dir, 'pack-old.jsonl'))).toBe(false);
  });

  it('throws FL_ERR_ANALYZE_CACHE when the folder cannot be made', () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, 'x');
    try {
      openAnalyzeCache(join(file, 'sub'));
      expect.unreachable();
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_ANALYZE_CACHE')).toBe(true);
    }
  });
});

describe('analyzeSources', () => {
  it('resolves imports among the sources, keeps tests in the graph only, and leaves minified files out', async () => {
    const minified = { path: 'src/vendor.js', text: `var a=${'1+'.repeat(4000)}1;` };
    expect(looksMinified(minified.text)).toBe(true);
    const a = await analyzeSources([...SOURCES, minified]);
    expect(a.files.map((f) => f.path)).toEqual(['src/a.ts', 'src/b.ts', 'src/copy.ts']);
    expect(a.files[0]?.imports).toEqual(['src/b.ts']);
    expect(a.graph.map((g) => g.path)).toContain('test/a.test.ts');
    expect(a.graph.find((g) => g.path === 'src/a.ts')?.fanIn).toBe(1);
    expect(a.smells.map((s) => `${s.kind}@${s.path}:${s.line}`)).toEqual(['unguarded-json-parse@src/a.ts:2', 'swallowed-error@src/b.ts:1', 'unguarded-json-parse@src/copy.ts:2']);
    expect(a.stats.files).toBe(5);
    const withTests = await analyzeSources(SOURCES, { includeTests: true });
    expect(withTests.files.map((f) => f.path)).toContain('test/a.test.ts');
    expect(withTests.smells.some((s) => s.kind === 'floating-promise' && s.path === 'test/a.test.ts')).toBe(false); // a() is async in another file: not visible
  });

  it('accepts an async iterable of sources', async () => {
    async function* gen() {
      yield* SOURCES;
    }
    const a = await analyzeSources(gen());
    expect(a.files).toHaveLength(3);
  });
});
