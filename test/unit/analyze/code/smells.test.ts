import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectSmells, SMELL_DETECTORS } from '../../../../src/analyze/code/smells/index.js';
import { languageOf, parseSource } from '../../../../src/analyze/code/ts.js';
import { SMELL_KINDS, type SmellKind } from '../../../../src/core/analysis.js';

const DIR = resolve(__dirname, '../../../fixtures/analyze/smells');
const EXT: Record<SmellKind, string> = {
  'no-timeout': 'js',
  'unguarded-json-parse': 'ts',
  'floating-promise': 'js',
  'sync-io-on-request-path': 'js',
  'unbounded-collection': 'ts',
  'missing-error-listener': 'js',
  'swallowed-error': 'ts',
};
const RECIPES: Record<SmellKind, string> = {
  'no-timeout': 'add-timeout',
  'unguarded-json-parse': 'guard-json-parse',
  'floating-promise': 'await-or-catch',
  'sync-io-on-request-path': 'move-off-request-path',
  'unbounded-collection': 'bound-collection',
  'missing-error-listener': 'add-error-listener',
  'swallowed-error': 'handle-error',
};

function smellsOf(kind: SmellKind, which: 'positive' | 'negative') {
  const path = `${kind}.${which}.${EXT[kind]}`;
  const text = readFileSync(resolve(DIR, path), 'utf8');
  const parsed = parseSource(path, text, languageOf(path)!);
  expect(parsed.parseErrors).toBe(0);
  return { text, smells: detectSmells(path, parsed, [kind]) };
}

/** Expected locations: each `/*>fn*\/` marker stands right before the reported node (fn empty at the top level). */
function markers(text: string): { line: number; col: number; fn: string | undefined }[] {
  const out: { line: number; col: number; fn: string | undefined }[] = [];
  for (const m of text.matchAll(/\/\*>([^*]*)\*\//g)) {
    const end = (m.index as number) + m[0].length;
    const before = text.slice(0, end).split('\n');
    out.push({ line: before.length, col: (before[before.length - 1] as string).length + 1, fn: m[1] === '' ? undefined : m[1] });
  }
  return out;
}

describe('smells: positive and negative fixtures', () => {
  it('registers one detector per smell kind, each with its recipe', () => {
    expect(Object.keys(SMELL_DETECTORS).sort()).toEqual([...SMELL_KINDS].sort());
    for (const k of SMELL_KINDS) expect([SMELL_DETECTORS[k].kind, SMELL_DETECTORS[k].recipe]).toEqual([k, RECIPES[k]]);
  });

  describe.each(SMELL_KINDS.map((k) => [k]))('%s', (kind) => {
    it('finds every marked location, with its line, column and enclosing function, and nothing else', () => {
      const { text, smells } = smellsOf(kind, 'positive');
      const expected = markers(text);
      expect(expected.length).toBeGreaterThan(2);
      expect(smells.map((s) => ({ line: s.line, col: s.col, fn: s.fn }))).toEqual(expected);
      for (const s of smells) {
        expect(s.kind).toBe(kind);
        expect(s.recipe).toBe(RECIPES[kind]);
        expect(s.path).toBe(`${kind}.positive.${EXT[kind]}`);
        expect(s.message).toMatch(/;/); // what is wrong; what to change
      }
    });

    it('reports nothing on the negative fixture', () => {
      expect(smellsOf(kind, 'negative').smells).toEqual([]);
    });
  });

  it('runs every detector by default, sorted by position', () => {
    const path = 'mixed.js';
    const text = "function f(raw) {\n  try { g(); } catch {}\n  return JSON.parse(raw);\n}\n";
    const smells = detectSmells(path, parseSource(path, text, 'js'));
    expect(smells.map((s) => [s.kind, s.line, s.col, s.fn])).toEqual([
      ['swallowed-error', 2, 16, 'f'],
      ['unguarded-json-parse', 3, 10, 'f'],
    ]);
  });
});
