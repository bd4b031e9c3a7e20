// offload-to-worker, run: a real two-module package written to a temp folder, transformed by the recipe, run with
// node — as an ES module compiled from TypeScript, as CommonJS compiled from TypeScript, and as plain .mjs with
// JSDoc types. The awaited result is the original's, an error thrown in the worker rejects with its name and
// message, a process whose only work is one offloaded call prints and exits, and the event loop keeps ticking
// while a 300 ms computation runs in the worker (the original, run the same way, ticks zero times).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyEdits } from '../../../src/refactor/edits.js';
import type { RecipeProject } from '../../../src/refactor/recipe.js';
import { offloadToWorker } from '../../../src/refactor/recipes/offload-to-worker.js';
import { typescript } from '../../../src/refactor/ts.js';

const LIB_TS = `export interface Sum {
  n: number;
  checksum: number;
}

// a deterministic CPU-bound statistic
export function checksum(xs: number[], rounds: number): Sum {
  let c = 0;
  for (let i = 0; i < rounds; i++) c = (c * 33 + (xs[i % Math.max(1, xs.length)] ?? i)) % 1_000_000_007;
  return { n: xs.length, checksum: c };
}

export function spin(ms: number): number {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
}

export function fail(message: string): number {
  if (message.length > 0) throw new RangeError(message);
  return 0;
}
`;

const MAIN_TS = `import { checksum, fail, spin } from './lib.js';

export async function main(mode: string): Promise<void> {
  if (mode === 'value') console.log(JSON.stringify(checksum([3, 1, 4, 1, 5], 200000)));
  if (mode === 'error') {
    try {
      fail('boom: no orders');
      console.log('no error');
    } catch (e) {
      const err = e as Error;
      console.log(JSON.stringify({ isError: err instanceof Error, name: err.name, message: err.message, stack: (err.stack ?? '').includes('fail') }));
    }
  }
  if (mode === 'ticks') {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const n = spin(300);
    clearInterval(timer);
    console.log(JSON.stringify({ ticks, spun: n > 0 }));
  }
}

void main(process.argv[2] ?? 'value');
`;

const LIB_MJS = `/**
 * @param {number[]} xs
 * @param {number} rounds
 * @returns {{ n: number, checksum: number }}
 */
export function checksum(xs, rounds) {
  let c = 0;
  for (let i = 0; i < rounds; i++) c = (c * 33 + (xs[i % Math.max(1, xs.length)] ?? i)) % 1_000_000_007;
  return { n: xs.length, checksum: c };
}

/** @param {number} ms */
export function spin(ms) {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
}

/** @param {string} message */
export function fail(message) {
  if (message.length > 0) throw new RangeError(message);
  return 0;
}
`;

const MAIN_MJS = MAIN_TS.replace("'./lib.js'", "'./lib.mjs'").replace('(mode: string): Promise<void>', '(mode)').replace('const err = e as Error;', 'const err = e;');

const tmp = mkdtempSync(join(tmpdir(), 'fl-offload-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Applies the recipe at each function header in turn, given the project's files and its package.json. */
function offload(files: Record<string, string>, lib: string, fns: readonly string[], pkg: string): Record<string, string> {
  let cur = { ...files };
  for (const fn of fns) {
    const text = cur[lib] as string;
    const line = text.split('\n').findIndex((l) => l.startsWith(`export function ${fn}(`)) + 1;
    const project: RecipeProject = { files: () => Object.entries(cur).map(([path, t]) => ({ path, text: t })), read: (p) => (p === 'package.json' ? pkg : undefined) };
    const c = offloadToWorker.changes!({ path: lib, text }, { path: lib, line }, {}, project);
    if (!c.ok) throw new Error(c.reason);
    const next = { ...cur, [lib]: applyEdits(text, c.edits) };
    for (const o of c.others) next[o.path] = applyEdits(cur[o.path] as string, o.edits);
    cur = next;
  }
  return cur;
}

function write(dir: string, files: Record<string, string>, pkg: string, compile?: 'esm' | 'cjs'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), pkg);
  const t = typescript();
  for (const [path, text] of Object.entries(files)) {
    if (compile === undefined) writeFileSync(join(dir, path), text);
    else {
      const out = t.transpileModule(text, { compilerOptions: { target: t.ScriptTarget.ES2022, module: compile === 'esm' ? t.ModuleKind.ESNext : t.ModuleKind.CommonJS, esModuleInterop: true }, fileName: path });
      writeFileSync(join(dir, path.replace(/\.ts$/, '.js')), out.outputText);
    }
  }
}

function run(dir: string, main: string, mode: string): { out: unknown; status: number | null; signal: NodeJS.Signals | null } {
  const r = spawnSync(process.execPath, [main, mode], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${main} ${mode} exited ${r.status} ${r.signal}: ${r.stderr}`);
  return { out: JSON.parse(r.stdout.trim()), status: r.status, signal: r.signal };
}

const variants = [
  { name: 'TypeScript compiled to an ES module', files: { 'lib.ts': LIB_TS, 'main.ts': MAIN_TS }, lib: 'lib.ts', main: 'main.js', pkg: '{ "type": "module" }', compile: 'esm' as const, marker: 'new URL(import.meta.url)' },
  { name: 'TypeScript compiled to CommonJS', files: { 'lib.ts': LIB_TS, 'main.ts': MAIN_TS }, lib: 'lib.ts', main: 'main.js', pkg: '{ "type": "commonjs" }', compile: 'cjs' as const, marker: '__filename' },
  { name: 'an .mjs module with JSDoc types', files: { 'lib.mjs': LIB_MJS, 'main.mjs': MAIN_MJS }, lib: 'lib.mjs', main: 'main.mjs', pkg: '{}', compile: undefined, marker: 'new URL(import.meta.url)' },
];

describe.each(variants)('offload-to-worker at run time: $name', (v) => {
  const before = join(tmp, `${v.lib}-${v.compile ?? 'js'}-before`);
  const after = join(tmp, `${v.lib}-${v.compile ?? 'js'}-after`);
  const transformed = offload(v.files, v.lib, ['checksum', 'spin', 'fail'], v.pkg);
  write(before, v.files, v.pkg, v.compile);
  write(after, transformed, v.pkg, v.compile);

  it('the transform awaits every call and starts the worker the way the module system needs', () => {
    const lib = transformed[v.lib] as string;
    expect(lib).toContain(v.marker);
    expect(lib.match(/function offThreadFunctions\(\)/g)).toHaveLength(1);
    expect(lib).toMatch(/return \{ checksumOnThread, spinOnThread, failOnThread \};/);
    const main = transformed[v.main.replace(/\.js$/, '.ts')] as string;
    expect(main).toContain('console.log(JSON.stringify(await checksum([3, 1, 4, 1, 5], 200000)));');
    expect(main).toContain("await fail('boom: no orders');");
    expect(main).toContain('const n = await spin(300);');
  });

  it('gives the same value, and a process whose only work is one offloaded call prints it and exits', () => {
    const original = run(before, v.main, 'value');
    const offloaded = run(after, v.main, 'value');
    expect(offloaded.out).toEqual(original.out);
    expect(offloaded.out).toMatchObject({ n: 5 });
    expect([offloaded.status, offloaded.signal]).toEqual([0, null]);
  });

  it('rejects with the name and message (and the stack) of the error thrown in the worker', () => {
    expect(run(before, v.main, 'error').out).toEqual({ isError: true, name: 'RangeError', message: 'boom: no orders', stack: true });
    expect(run(after, v.main, 'error').out).toEqual({ isError: true, name: 'RangeError', message: 'boom: no orders', stack: true });
  });

  it('keeps the event loop ticking while a 300 ms computation runs in the worker', () => {
    expect(run(before, v.main, 'ticks').out).toEqual({ ticks: 0, spun: true });
    const { out } = run(after, v.main, 'ticks') as { out: { ticks: number; spun: boolean } };
    expect(out.spun).toBe(true);
    expect(out.ticks).toBeGreaterThanOrEqual(5); // ~30 expected (10 ms interval); generous
  });
});
