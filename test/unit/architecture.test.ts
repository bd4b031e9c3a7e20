// The dependency direction of the design doc, kept true by a test: cli/server → stages → store → core, with
// lang (the shared TypeScript loader, AST helpers and code patterns) between the stages and core.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');
const STAGES = ['inject', 'experiment', 'observe', 'analyze', 'predict', 'refactor', 'promote', 'heal', 'report'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function topOf(file: string): string {
  return relative(SRC, file).split('/')[0] as string;
}

function allowed(from: string, to: string): boolean {
  if (from === to) return true;
  if (from === 'core') return false;
  if (from === 'lang') return to === 'core';
  if (from === 'store') return to === 'core';
  if (STAGES.includes(from)) return to === 'core' || to === 'store' || to === 'lang';
  if (from === 'loop') return to !== 'cli' && to !== 'server';
  return true; // cli, server, index.ts
}

describe('architecture', () => {
  it('imports follow cli/server → stages → store/lang → core, and stages do not import each other', () => {
    const bad: string[] = [];
    for (const f of files(SRC)) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
        const spec = (m[1] ?? m[2]) as string;
        const target = resolve(dirname(f), spec);
        if (!target.startsWith(SRC)) continue;
        const from = topOf(f);
        const to = topOf(target);
        if (!allowed(from, to)) bad.push(`${relative(SRC, f)} imports ${spec} (${from} → ${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps lang a layer of its own: it imports only core, and no stage, store, loop, cli or server', () => {
    expect(allowed('lang', 'core')).toBe(true);
    for (const to of [...STAGES, 'store', 'loop', 'cli', 'server']) expect(allowed('lang', to)).toBe(false);
    for (const from of [...STAGES, 'loop', 'cli', 'server']) expect(allowed(from, 'lang')).toBe(true);
    expect(allowed('core', 'lang')).toBe(false);
    expect(allowed('store', 'lang')).toBe(false);
  });
});
