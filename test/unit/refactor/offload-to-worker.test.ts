// offload-to-worker, text in and text out: the shop's report (a function in one file, called as an argument in
// an async handler of another), a const arrow, JavaScript with JSDoc types, CommonJS, idempotence and a second
// function in the same file, the file's style, and every refusal. The run-time behaviour of the inserted helper
// is in offload-to-worker-runtime.test.ts.
import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../../src/refactor/edits.js';
import type { RecipeFile, RecipeProject } from '../../../src/refactor/recipe.js';
import { moveOffRequestPath } from '../../../src/refactor/recipes/move-off-request-path.js';
import { offloadToWorker } from '../../../src/refactor/recipes/offload-to-worker.js';
import { parse, syntaxErrors } from '../../../src/refactor/ts.js';
import { doRefuse, doTest, locate, newTypeErrors } from './harness.js';

const R = offloadToWorker;

const HEAD = `// Inserted by faultline (offload-to-worker): runs a function of this module in a worker thread (one per module,
// started on first use, loading this module again), so CPU-heavy work leaves the event loop free. Arguments and
// result are copied (structured clone); an error thrown there rejects the call with its name, message and stack;
// a worker that fails rejects its pending calls, and the next call starts a new one.`;

const tsHelper = (self: string): string => `${HEAD}
const runOffThread = (() => {
  type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string; stack?: string } };
  const port = workerThreads.parentPort;
  if (!workerThreads.isMainThread && port !== null && (workerThreads.workerData as { faultlineOffThread?: unknown } | null)?.faultlineOffThread === true) {
    // in the worker: run the named function of this module, answer with its value or its error
    port.on('message', (call: { id: number; name: string; args: unknown[] }) => {
      try {
        const fn = offThreadFunctions()[call.name];
        if (fn === undefined) throw new Error(\`\${call.name} is not a function this module runs off the thread\`);
        const reply: Reply = { id: call.id, ok: true, value: Reflect.apply(fn, undefined, call.args) };
        port.postMessage(reply);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        const reply: Reply = { id: call.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } };
        port.postMessage(reply);
      }
    });
  }
  type Pending = { resolve: (value: never) => void; reject: (err: unknown) => void };
  let current: { worker: workerThreads.Worker; pending: Map<number, Pending> } | undefined;
  let nextId = 0;
  const start = (): { worker: workerThreads.Worker; pending: Map<number, Pending> } => {
    const worker = new workerThreads.Worker(${self}, { workerData: { faultlineOffThread: true } });
    const state = { worker, pending: new Map<number, Pending>() };
    const fail = (err: unknown): void => {
      if (current === state) current = undefined;
      for (const p of state.pending.values()) p.reject(err);
      state.pending.clear();
    };
    worker.on('message', (reply: Reply) => {
      const p = state.pending.get(reply.id);
      if (p === undefined) return;
      state.pending.delete(reply.id);
      if (state.pending.size === 0) worker.unref();
      if (reply.ok) {
        p.resolve(reply.value as never);
        return;
      }
      const err = new Error(reply.error.message);
      err.name = reply.error.name;
      if (reply.error.stack !== undefined) err.stack = reply.error.stack;
      p.reject(err);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(\`the worker thread of this module exited (code \${code}) with calls pending\`)));
    return state;
  };
  return function runOffThread<T>(name: string, args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const state = (current ??= start());
      const id = nextId++;
      state.pending.set(id, { resolve: resolve as (value: never) => void, reject });
      state.worker.ref();
      try {
        state.worker.postMessage({ id, name, args });
      } catch (err) {
        state.pending.delete(id);
        if (state.pending.size === 0) state.worker.unref();
        throw err;
      }
    });
  };
})();`;

const jsHelper = (self: string): string => `${HEAD}
const runOffThread = (() => {
  const port = workerThreads.parentPort;
  if (!workerThreads.isMainThread && port !== null && workerThreads.workerData?.faultlineOffThread === true) {
    // in the worker: run the named function of this module, answer with its value or its error
    port.on('message', (call) => {
      try {
        const fn = offThreadFunctions()[call.name];
        if (fn === undefined) throw new Error(\`\${call.name} is not a function this module runs off the thread\`);
        port.postMessage({ id: call.id, ok: true, value: Reflect.apply(fn, undefined, call.args) });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ id: call.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } });
      }
    });
  }
  let current;
  let nextId = 0;
  const start = () => {
    const worker = new workerThreads.Worker(${self}, { workerData: { faultlineOffThread: true } });
    const state = { worker, pending: new Map() };
    const fail = (err) => {
      if (current === state) current = undefined;
      for (const p of state.pending.values()) p.reject(err);
      state.pending.clear();
    };
    worker.on('message', (reply) => {
      const p = state.pending.get(reply.id);
      if (p === undefined) return;
      state.pending.delete(reply.id);
      if (state.pending.size === 0) worker.unref();
      if (reply.ok) {
        p.resolve(reply.value);
        return;
      }
      const err = new Error(reply.error.message);
      err.name = reply.error.name;
      if (reply.error.stack !== undefined) err.stack = reply.error.stack;
      p.reject(err);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(\`the worker thread of this module exited (code \${code}) with calls pending\`)));
    return state;
  };
  return function runOffThread(name, args) {
    return new Promise((resolve, reject) => {
      const state = (current ??= start());
      const id = nextId++;
      state.pending.set(id, { resolve, reject });
      state.worker.ref();
      try {
        state.worker.postMessage({ id, name, args });
      } catch (err) {
        state.pending.delete(id);
        if (state.pending.size === 0) state.worker.unref();
        throw err;
      }
    });
  };
})();`;

const registry = (typed: boolean, fns: string): string => `// Inserted by faultline (offload-to-worker): the functions of this module that runOffThread runs in its worker thread.
function offThreadFunctions()${typed ? ': Record<string, (...args: never[]) => unknown>' : ''} {
  return { ${fns} };
}`;

const ESM = 'new URL(import.meta.url)';
const IMPORT = "import * as workerThreads from 'node:worker_threads';";
const wrapperComment = (fn: string): string => `// Inserted by faultline (offload-to-worker): runs ${fn}OnThread in a worker thread; callers await the result.`;

/**
 * Applies the recipe at the marker with the given project files (and package.json/tsconfig.json texts for
 * `read`); returns every changed file's text, after checking syntax and that a second application changes nothing.
 */
function run(files: Record<string, string>, config: Record<string, string> = {}, lineOnly = true): { ok: true; texts: Record<string, string> } | { ok: false; reason: string } {
  const marked = Object.entries(files).find(([, t]) => t.includes('/*@*/'));
  if (!marked) throw new Error('no marker');
  const [path, input] = marked;
  const { text, location } = locate(input, path, lineOnly);
  const clean = { ...files, [path]: text };
  const project = (fs: Record<string, string>): RecipeProject => ({ files: (): RecipeFile[] => Object.entries(fs).map(([p, t]) => ({ path: p, text: t })), read: (p) => config[p] });
  const c = R.changes!({ path, text }, location, {}, project(clean));
  if (!c.ok) return c;
  const texts: Record<string, string> = { [path]: applyEdits(text, c.edits) };
  for (const o of c.others) texts[o.path] = applyEdits(clean[o.path] as string, o.edits);
  for (const [p, t] of Object.entries(texts)) expect(syntaxErrors(parse(p, t)), p).toBe(0);
  const again = R.changes!({ path, text: texts[path] as string }, location, {}, project({ ...clean, ...texts }));
  expect(again.ok).toBe(false);
  return { ok: true, texts };
}

const REPORT = `import type { Order } from './store.js';

// weakness: CPU-heavy work on the request thread (a naive statistic over every order, recomputed per call)
export function buildReport(orders: Order[], rounds = 200_000): { orders: number; revenueCents: number; checksum: number } {
  let checksum = 0;
  for (let i = 0; i < rounds; i++) {
    checksum = (checksum * 33 + (orders[i % Math.max(1, orders.length)]?.totalCents ?? i)) % 1_000_000_007;
  }
  const revenueCents = orders.reduce((s, o) => s + o.totalCents, 0);
  return { orders: orders.length, revenueCents, checksum };
}
`;
const STORE = `export interface Order {
  id: string;
  sku: string;
  quantity: number;
  totalCents: number;
  createdAt: string;
}

export class OrderStore {
  all(): Order[] {
    return [];
  }
}
`;
const API = `import { createServer, type ServerResponse } from 'node:http';
import { OrderStore } from './store.js';
import { buildReport } from './report.js';

const store = new OrderStore();

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export const server = createServer(async (req, res) => {
  if (req.method === 'GET' && req.url === '/report') return send(res, 200, buildReport(store.all()));
  return send(res, 404, { error: 'not found' });
});
`;

const REPORT_AFTER = `import type { Order } from './store.js';
${IMPORT}

${tsHelper(ESM)}

${registry(true, 'buildReportOnThread')}

// weakness: CPU-heavy work on the request thread (a naive statistic over every order, recomputed per call)
function buildReportOnThread(orders: Order[], rounds = 200_000): { orders: number; revenueCents: number; checksum: number } {
  let checksum = 0;
  for (let i = 0; i < rounds; i++) {
    checksum = (checksum * 33 + (orders[i % Math.max(1, orders.length)]?.totalCents ?? i)) % 1_000_000_007;
  }
  const revenueCents = orders.reduce((s, o) => s + o.totalCents, 0);
  return { orders: orders.length, revenueCents, checksum };
}

${wrapperComment('buildReport')}
export function buildReport(...args: Parameters<typeof buildReportOnThread>): Promise<ReturnType<typeof buildReportOnThread>> {
  return runOffThread('buildReportOnThread', args);
}
`;

describe('offload-to-worker', () => {
  it("the shop's report: the function runs in a worker, the handler in another file awaits it in place (an argument)", () => {
    const pkg = { 'package.json': '{ "name": "shop", "type": "module" }' };
    const r = run({ 'src/report.ts': REPORT.replace('export function buildReport', '/*@*/export function buildReport'), 'src/store.ts': STORE, 'src/api.ts': API }, pkg);
    if (!r.ok) throw new Error(r.reason);
    expect(r.texts['src/report.ts']).toBe(REPORT_AFTER);
    expect(r.texts['src/api.ts']).toBe(API.replace('send(res, 200, buildReport(store.all()))', 'send(res, 200, await buildReport(store.all()))'));
    expect(Object.keys(r.texts).sort()).toEqual(['src/api.ts', 'src/report.ts']);
    // the new module type-checks (strict, @types/node)
    expect(newTypeErrors('src/report.mts', REPORT, REPORT_AFTER)).toEqual([]); // .mts: an ES module for the checker too
    // the package.json under examples/shop is the nearest one for a file there
    const nested = run({ 'examples/shop/src/report.ts': REPORT.replace('export function buildReport', '/*@*/export function buildReport'), 'examples/shop/src/store.ts': STORE }, { 'examples/shop/package.json': '{ "type": "module" }', 'package.json': '{ "type": "commonjs" }' });
    if (!nested.ok) throw new Error(nested.reason);
    expect(nested.texts['examples/shop/src/report.ts']).toContain('new URL(import.meta.url)');
  });

  it('is applied at a call of the function too (in another file), and at any line of a multi-line header', () => {
    const atCall = run({ 'src/report.ts': REPORT, 'src/store.ts': STORE, 'src/api.ts': API.replace('send(res, 200, buildReport(', 'send(res, 200, /*@*/buildReport(') }, { 'package.json': '{ "type": "module" }' }, false);
    if (!atCall.ok) throw new Error(atCall.reason);
    expect(atCall.texts['src/report.ts']).toBe(REPORT_AFTER);
    expect(atCall.texts['src/api.ts']).toContain('send(res, 200, await buildReport(store.all()))');
    const multi = REPORT.replace('export function buildReport(orders: Order[], rounds = 200_000)', 'export function buildReport(\n  orders: Order[],\n  /*@*/rounds = 200_000,\n)');
    const r = run({ 'src/report.ts': multi, 'src/store.ts': STORE }, { 'package.json': '{ "type": "module" }' });
    if (!r.ok) throw new Error(r.reason);
    expect(r.texts['src/report.ts']).toContain('function buildReportOnThread(\n  orders: Order[],\n  rounds = 200_000,\n)');
  });

  it('a const arrow in an .mts module, called in a template span (type-checks)', () => {
    const input = `// scores
/*@*/const score = (xs: readonly number[], w = 2): number => xs.reduce((s, x) => s + x * w, 0);

export async function handler(xs: number[]): Promise<string> {
  return \`score: \${score(xs)}\`;
}
`;
    doTest(
      R,
      input,
      `${IMPORT}

${tsHelper(ESM)}

${registry(true, 'scoreOnThread')}

// scores
const scoreOnThread = (xs: readonly number[], w = 2): number => xs.reduce((s, x) => s + x * w, 0);

${wrapperComment('score')}
const score = (...args: Parameters<typeof scoreOnThread>): Promise<ReturnType<typeof scoreOnThread>> => runOffThread('scoreOnThread', args);

export async function handler(xs: number[]): Promise<string> {
  return \`score: \${await score(xs)}\`;
}
`,
      { path: 'src/score.mts', lineOnly: true, typecheck: true },
    );
  });

  it('JavaScript: an .mjs function with JSDoc types, called as a property value; without types it refuses', () => {
    doTest(
      R,
      `import { createHash } from 'node:crypto';

/**
 * The mean.
 * @param {number[]} xs
 * @returns {number}
 */
/*@*/function mean(xs) {
  return xs.reduce((s, x) => s + x, 0) / xs.length; // not empty
}
export const handle = async (xs) => ({ mean: mean(xs), id: createHash('sha1').digest('hex') });
`,
      `import { createHash } from 'node:crypto';
${IMPORT}

${jsHelper(ESM)}

${registry(false, 'meanOnThread')}

/**
 * The mean.
 * @param {number[]} xs
 * @returns {number}
 */
function meanOnThread(xs) {
  return xs.reduce((s, x) => s + x, 0) / xs.length; // not empty
}

${wrapperComment('mean')}
function mean(...args) {
  return runOffThread('meanOnThread', args);
}

export const handle = async (xs) => ({ mean: await mean(xs), id: createHash('sha1').digest('hex') });
`,
      { path: 'lib/stats.mjs', lineOnly: true },
    );
    doRefuse(R, `/*@*/function mean(xs) {\n  return xs.length;\n}\nexport const handle = async (xs) => [mean(xs)];\n`, /cannot prove the arguments of mean can be copied to a worker: the parameter xs has no type \(give it a JSDoc @param type\)/, { path: 'lib/u.mjs', lineOnly: true });
  });

  it('CommonJS: a .cts file, a .cjs file, and a .ts file of a package without "type": module start the worker from __filename', () => {
    const cts = doTest(
      R,
      `/*@*/function total(xs: number[]): number {\n  return xs.reduce((s, x) => s + x, 0);\n}\nexport async function h(xs: number[]): Promise<number[]> {\n  return [total(xs), 1];\n}\n`,
      `${IMPORT}\n\n${tsHelper('__filename')}\n\n${registry(true, 'totalOnThread')}\n\nfunction totalOnThread(xs: number[]): number {\n  return xs.reduce((s, x) => s + x, 0);\n}\n\n${wrapperComment('total')}\nfunction total(...args: Parameters<typeof totalOnThread>): Promise<ReturnType<typeof totalOnThread>> {\n  return runOffThread('totalOnThread', args);\n}\n\nexport async function h(xs: number[]): Promise<number[]> {\n  return [await total(xs), 1];\n}\n`,
      { path: 'src/total.cts', lineOnly: true },
    );
    expect(cts).toContain('new workerThreads.Worker(__filename,');
    const cjs = doTest(
      R,
      `'use strict';\nconst { join } = require('node:path');\n\n/** @param {string[]} parts */\n/*@*/function key(parts) {\n  return parts.join('/');\n}\nasync function h(parts) {\n  return new Map([[await key(parts), 1]]);\n}\nmodule.exports = { h };\n`.replace('await key', 'key'),
      `'use strict';\nconst { join } = require('node:path');\nconst workerThreads = require('node:worker_threads');\n\n${jsHelper('__filename')}\n\n${registry(false, 'keyOnThread')}\n\n/** @param {string[]} parts */\nfunction keyOnThread(parts) {\n  return parts.join('/');\n}\n\n${wrapperComment('key')}\nfunction key(...args) {\n  return runOffThread('keyOnThread', args);\n}\n\nasync function h(parts) {\n  return new Map([[await key(parts), 1]]);\n}\nmodule.exports = { h };\n`,
      { path: 'lib/key.cjs', lineOnly: true },
    );
    expect(cjs).toContain("require('node:worker_threads')");
    const ts = run({ 'src/report.ts': REPORT.replace('export function buildReport', '/*@*/export function buildReport'), 'src/store.ts': STORE }, { 'package.json': '{ "name": "x" }' });
    if (!ts.ok) throw new Error(ts.reason);
    expect(ts.texts['src/report.ts']).toBe(REPORT_AFTER.replace(ESM, '__filename'));
    // tsconfig's module decides for TypeScript: commonjs output even in a "type": "module" package is not assumed, esnext is ESM
    const esnext = run({ 'src/report.ts': REPORT.replace('export function buildReport', '/*@*/export function buildReport'), 'src/store.ts': STORE }, { 'tsconfig.json': '{ "compilerOptions": { "module": "ESNext" } } // bundled' });
    if (!esnext.ok) throw new Error(esnext.reason);
    expect(esnext.texts['src/report.ts']).toContain(ESM);
  });

  it('a second function in the same file reuses the helper and registers itself; recursion calls the original', () => {
    const once = doTest(
      R,
      `/*@*/function fib(n: number): number {\n  return n < 2 ? n : fib(n - 1) + fib(n - 2);\n}\nfunction sq(n: number): number {\n  return n * n;\n}\nexport async function h(n: number): Promise<number[]> {\n  return [fib(n), sq(n)];\n}\n`,
      `${IMPORT}\n\n${tsHelper(ESM)}\n\n${registry(true, 'fibOnThread')}\n\nfunction fibOnThread(n: number): number {\n  return n < 2 ? n : fibOnThread(n - 1) + fibOnThread(n - 2);\n}\n\n${wrapperComment('fib')}\nfunction fib(...args: Parameters<typeof fibOnThread>): Promise<ReturnType<typeof fibOnThread>> {\n  return runOffThread('fibOnThread', args);\n}\n\nfunction sq(n: number): number {\n  return n * n;\n}\nexport async function h(n: number): Promise<number[]> {\n  return [await fib(n), sq(n)];\n}\n`,
      { path: 'src/m.mts', lineOnly: true, typecheck: true },
    );
    const twice = doTest(
      R,
      once.replace('function sq(', '/*@*/function sq('),
      once
        .replace('return { fibOnThread };', 'return { fibOnThread, sqOnThread };')
        .replace('function sq(n: number): number {\n  return n * n;\n}\n', `function sqOnThread(n: number): number {\n  return n * n;\n}\n\n${wrapperComment('sq')}\nfunction sq(...args: Parameters<typeof sqOnThread>): Promise<ReturnType<typeof sqOnThread>> {\n  return runOffThread('sqOnThread', args);\n}\n\n`)
        .replace('[await fib(n), sq(n)]', '[await fib(n), await sq(n)]'),
      { path: 'src/m.mts', lineOnly: true, typecheck: true },
    );
    expect(twice.match(/Inserted by faultline \(offload-to-worker\): runs a function/g)).toHaveLength(1);
    expect(twice.match(/node:worker_threads/g)).toHaveLength(1);
    // applied at the wrapper or at the original again: already offloaded
    doRefuse(R, twice.replace('function fib(...args', '/*@*/function fib(...args'), /already offloaded/, { path: 'src/m.mts' });
    doRefuse(R, twice.replace('function fibOnThread(', '/*@*/function fibOnThread('), /fibOnThread is already offloaded/, { path: 'src/m.mts' });
  });

  it("keeps the file's style (double quotes, no semicolons, tabs, CRLF) and its comments", () => {
    const input = '// header comment\r\n\r\nimport type { X } from "./x.js"\r\n\r\n/** doc */\r\n/*@*/export const f = (a: number): number => {\r\n\t// inside\r\n\treturn a * 2 // twice\r\n}\r\nexport async function g(): Promise<number[]> {\r\n\treturn [f(1)]\r\n}\r\n';
    const r = run({ 'src/f.mts': input });
    if (!r.ok) throw new Error(r.reason);
    const out = r.texts['src/f.mts'] as string;
    expect(out.split('\n').every((l) => l === '' || l.endsWith('\r'))).toBe(true);
    expect(out).toContain('import type { X } from "./x.js"\r\nimport * as workerThreads from "node:worker_threads"\r\n\r\n// Inserted by faultline');
    expect(out).toContain('\t\t\t\tconst fn = offThreadFunctions()[call.name]\r\n');
    expect(out).toContain('/** doc */\r\nconst fOnThread = (a: number): number => {\r\n\t// inside\r\n\treturn a * 2 // twice\r\n}\r\n\r\n');
    expect(out).toContain('export const f = (...args: Parameters<typeof fOnThread>): Promise<ReturnType<typeof fOnThread>> => runOffThread("fOnThread", args)\r\n');
    expect(out).toContain('\treturn [await f(1)]\r\n');
    expect(out.startsWith('// header comment\r\n')).toBe(true);
    expect(out).not.toMatch(/'/);
  });

  describe('refuses, naming the place', () => {
    const ok = `/*@*/function f(xs: number[]): number {\n  return xs.length;\n}\nexport async function h(xs: number[]): Promise<number> {\n  return f(xs);\n}\n`;
    const path = 'src/a.mts';
    const no = (input: string, reason: RegExp, p = path): void => doRefuse(R, input, reason, { path: p, lineOnly: true });

    it('module code that would run again in the worker, and value imports', () => {
      no(`import { createServer } from 'node:http';\ncreateServer().listen(0);\n${ok}`, /src\/a\.mts:2: the module code `createServer\(\)\.listen\(0\);` would run again in the worker/);
      no(`import { db } from './db.js';\n${ok}`, /src\/a\.mts:1 imports '\.\/db\.js': importing a module runs its top-level code/);
      no(`import './polyfill.js';\n${ok}`, /imports '\.\/polyfill\.js'/);
      no(`export * from './other.js';\n${ok}`, /re-exports from '\.\/other\.js'/);
      no(`const started = Date.now();\n${ok}`, /src\/a\.mts:1: the module code `started = Date\.now\(\)` would run again/);
      no(`let n = 0;\nif (n === 0) n++;\n${ok}`, /src\/a\.mts:2: the module code `if \(n === 0\) n\+\+;`/);
      no(`class Job {\n  static registry = register();\n}\n${ok}`, /the class Job runs code when it is declared \(static registry = register\(\);\)/);
      no(`const lib = require('./lib.js');\n${ok}`.replace(/: number\[\]/g, '').replace(/: Promise<number>|: number/g, ''), /requires '\.\/lib\.js'/, 'src/a.cjs');
      // type-only imports and pure declarations are fine
      const fine = run({ [path]: `import type { T } from './t.js';\nimport { type U } from './u.js';\nimport { V } from './v.js';\nimport * as fs from 'node:fs';\nconst LIMIT = 10;\nconst cache = new Map<string, number>();\nconst table = { a: [1, 2], f: (x: number) => x };\nexport enum E { A = 1 }\ninterface I { v: V }\n${ok}` });
      expect(fine.ok, JSON.stringify(fine)).toBe(true);
    });

    it('async, generators, this, arguments, import.meta, let/var, a function that is not at module level', () => {
      no(ok.replace('function f(', 'async function f('), /f is async: it does not hold the event loop/);
      no(ok.replace('function f(xs: number[]): number {\n  return xs.length;', 'function* f(xs: number[]) {\n  yield xs.length;'), /f is a generator/);
      no(ok.replace('return xs.length;', 'return xs.length + (this as any).n;').replace('function f(xs', 'function f(this: unknown, xs'), /f uses `this` at src\/a\.mts:2/);
      no(ok.replace('return xs.length;', 'return arguments.length;'), /f uses `arguments` at src\/a\.mts:2/);
      no(ok.replace('return xs.length;', 'return import.meta.url.length;'), /f uses import\.meta at src\/a\.mts:2: it has another value in the worker/);
      no(`/*@*/let f = (xs: number[]): number => xs.length;\nexport async function h(xs: number[]): Promise<number> {\n  return f(xs);\n}\n`, /f is a let\/var/);
      no(`export async function h(xs: number[]): Promise<number> {\n  /*@*/const f = (ys: number[]): number => ys.length;\n  return f(xs);\n}\n`, /not a module-level function or const/);
    });

    it('free names: module state, imports, unsafe globals; safe globals, constants and pure module functions pass', () => {
      no(`let calls = 0;\n${ok.replace('return xs.length;', 'calls++;\n  return xs.length;')}`, /f reads calls at src\/a\.mts:3: module-level state \(let calls\) — the worker has its own copy/);
      no(`const cache = new Map<number, number>();\n${ok.replace('return xs.length;', 'return cache.get(xs.length) ?? 0;')}`, /f reads cache at src\/a\.mts:3: module-level state \(const cache = new Map<number, number>\(\)\)/);
      no(`import { readFileSync } from 'node:fs';\n${ok.replace('return xs.length;', "return readFileSync('x').length;")}`, /f reads readFileSync at src\/a\.mts:3, imported from 'node:fs': the worker would use its own copy/);
      no(ok.replace('return xs.length;', 'console.log(xs);\n  return xs.length;'), /f reads console at src\/a\.mts:2, which is not declared in the module/);
      no(ok.replace('return xs.length;', 'return Number(process.env.N);'), /f reads process at src\/a\.mts:2/);
      no(ok.replace('return xs.length;', 'return Promise.resolve(1) ? 1 : 0;'), /f reads Promise at src\/a\.mts:2, a global that is not among the safe ones/);
      no(`let state = 1;\nfunction helper(x: number): number {\n  return x + state;\n}\n${ok.replace('return xs.length;', 'return helper(xs.length);')}`, /f calls helper, which cannot run in the worker either: helper reads state at src\/a\.mts:3: module-level state/);
      no(`class P {\n  v = 1;\n}\n${ok.replace('return xs.length;', 'return new P().v + xs.length;')}`, /f reads P at src\/a\.mts:5: the class P of this module/);
      const fine = run({
        [path]: `const SCALE = 2;\nconst NAME = 'n';\nenum Mode { Fast }\nfunction helper(x: number): number {\n  return Math.round(x * SCALE) + Mode.Fast;\n}\nconst twice = (x: number): number => helper(helper(x));\n${ok.replace('return xs.length;', 'const m = new Map<string, number>([[NAME, 1]]);\n  const s = new Set(xs);\n  return twice(s.size) + (m.get(NAME) ?? 0) + JSON.stringify(xs).length + Number.parseInt(String(NaN)) + new Date(0).getTime() + new Uint8Array(2).length;')}`,
      });
      expect(fine.ok, JSON.stringify(fine)).toBe(true);
    });

    it('arguments or results that a structured clone would not copy faithfully', () => {
      const sig = (params: string, ret = 'number', body = 'return 1;'): string => `${path === 'x' ? '' : ''}/*@*/function f(${params}): ${ret} {\n  ${body}\n}\nexport async function h(): Promise<void> {\n  await f(undefined as never);\n}\n`;
      no(sig('cb: () => number'), /the parameter cb of f \(\(\) => number\) cannot be copied to a worker faithfully: .*is a function/);
      no(`class Money {\n  constructor(public cents: number) {}\n}\n${sig('m: Money')}`, /the parameter m of f \(Money\) cannot be copied.*Money is a class: its instances would arrive as plain objects/);
      no(`class Point {\n  x = 0;\n}\n${sig('p: { at: Point[] }')}`, /its property at: Point is a class/);
      no(sig('x: unknown'), /the parameter x of f \(unknown\) cannot be copied.*not known/);
      no(sig('x: any'), /the parameter x of f \(any\)/);
      no(sig('s: symbol'), /a symbol cannot be copied/);
      no(sig('o: { id: string; run(): void }'), /has a method \(run\)/);
      no(sig('u: URL'), /the parameter u of f \(URL\) cannot be copied/);
      no(sig('e: Error'), /Error is a built-in object/);
      no(sig('w: WeakMap<object, number>'), /WeakMap is a built-in object/);
      no(sig('xs: number[]', 'Promise<number>', 'return (async () => xs.length)();'), /the result of f \(Promise<number>\) cannot be copied back from a worker faithfully: a Promise cannot be copied/);
      no(sig('xs: number[]', '() => number', 'return () => xs.length;'), /the result of f .* is a function/);
      no(`/*@*/function f<T>(x: T): T {\n  return x;\n}\nexport async function h(): Promise<void> {\n  await f(1);\n}\n`, /T is a type parameter/);
      type Ok = string;
      const fine: Ok = `type Tree = { v: number; kids: Tree[] };\ninterface Row { readonly id: string; tags?: Set<string>; at: Date; m: Map<string, number[]>; raw: Uint8Array; kind: 'a' | 'b'; t: [number, string]; r: Record<string, boolean> }\n/*@*/function f(rows: readonly Row[], tree: Tree, n: bigint | null): { rows: Row[]; n?: bigint } {\n  return { rows: rows.map((r) => ({ ...r })), n: n ?? undefined };\n}\nexport async function h(rows: Row[], tree: Tree): Promise<void> {\n  await f(rows, tree, null);\n}\n`;
      const r = run({ [path]: fine });
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });

    it('a function that mutates an argument (directly, through an alias, an element or a callback)', () => {
      const m = (body: string, params = 'xs: number[]'): string => `/*@*/function f(${params}): number {\n  ${body}\n  return 1;\n}\nexport async function h(): Promise<void> {\n  await f(undefined as never);\n}\n`;
      no(m('xs.push(1);'), /f changes an argument with \.push\(\) at src\/a\.mts:2 \(`xs\.push\(1\)`\): the caller would not see that change/);
      no(m('xs.sort();'), /with \.sort\(\)/);
      no(m('xs[0] = 1;'), /f changes an argument at src\/a\.mts:2 \(`xs\[0\] = 1`\)/);
      no(m('o.n += 1;', 'o: { n: number }'), /f changes an argument at src\/a\.mts:2 \(`o\.n \+= 1`\)/);
      no(m('o.n++;', 'o: { n: number }'), /f changes an argument/);
      no(m('delete o.n;', 'o: { n?: number }'), /f deletes from an argument/);
      no(m('const first = rows[0];\n  if (first) first.n = 2;', 'rows: { n: number }[]'), /f changes an argument at src\/a\.mts:3 \(`first\.n = 2`\)/);
      no(m('for (const r of rows) r.n = 0;', 'rows: { n: number }[]'), /`r\.n = 0`/);
      no(m('rows.forEach((r) => { r.n = 0; });', 'rows: { n: number }[]'), /`r\.n = 0`/);
      no(m('s.add(1);', 's: Set<number>'), /with \.add\(\)/);
      no(m('const c = [...rows];\n  c.sort((a, b) => a.n - b.n);\n  c[0]!.n = 1;', 'rows: { n: number }[]'), /f changes an argument at src\/a\.mts:4 \(`c\[0\]!\.n = 1`\)/);
      no(m('Object.assign(o, { n: 1 });', 'o: { n: number }'), /with Object\.assign/);
      no(m('d.setFullYear(2000);', 'd: Date'), /with \.setFullYear\(\)/);
      no(`function touch(o: { n: number }): void {\n  o.n = 1;\n}\n${m('touch(o);', 'o: { n: number }')}`, /touch changes an argument at src\/a\.mts:2/);
      // copies are not the caller's objects; rebinding a parameter changes nothing the caller sees
      const fine = run({ [path]: m('const sorted = xs.slice().sort();\n  const c = [...xs];\n  c.push(1);\n  xs = xs.filter((x) => x > 0);\n  const local = { n: sorted.length };\n  local.n++;') });
      expect(fine.ok, JSON.stringify(fine)).toBe(true);
    });

    it('callers that cannot await it (make-async), exported without the project, and a module system it cannot tell', () => {
      no(`/*@*/function f(xs: number[]): number {\n  return xs.length;\n}\nexport function h(xs: number[]): number {\n  return f(xs);\n}\n`, /not every caller can await it: f is called at src\/a\.mts:5 in h, which is not async/);
      no(ok.replace('return f(xs);', 'return f(xs) + 1;'), /the result of f\(…\) at src\/a\.mts:5 is used in an expression/);
      no(ok.replace('return f(xs);', 'return [1].map(f)[0] ?? 0;'), /f is used as a value at src\/a\.mts:5/);
      no(ok.replace('function f(', 'export function f('), /f is exported: its callers in other files must await it, and the project's files were not given here/);
      const r = run({ 'src/a.ts': ok });
      expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/cannot tell whether src\/a\.ts is an ES module or CommonJS/) });
      const js = run({ 'src/a.js': `/** @param {number[]} xs */\n/*@*/function f(xs) {\n  return xs.length;\n}\nexport async function h(xs) {\n  return f(xs);\n}\n` });
      expect(js.ok, JSON.stringify(js)).toBe(true); // its own export syntax says ES module
    });
  });
});

describe('make-async: await in place where the value is used exactly where the sync value was', () => {
  const store = `import { appendFileSync } from 'node:fs';\nexport function add(line: string): number {\n  /*@*/appendFileSync('f', line);\n  return line.length;\n}\n`;
  const caller = (expr: string): string => `import { add } from './store.js';\nclass Box {\n  constructor(public v: unknown) {}\n}\nexport async function go(x: string): Promise<unknown> {\n  return ${expr};\n}\n`;
  const apply = (expr: string): { ok: true; text: string } | { ok: false; reason: string } => {
    const { text, location } = locate(store, 'src/store.ts');
    const files = [{ path: 'src/store.ts', text }, { path: 'src/go.ts', text: caller(expr) }];
    const c = moveOffRequestPath.changes!({ path: 'src/store.ts', text }, location, {}, { files: () => files });
    if (!c.ok) return c;
    const o = c.others.find((e) => e.path === 'src/go.ts');
    return { ok: true, text: applyEdits(caller(expr), o?.edits ?? []) };
  };
  it.each([
    ['an argument of a call', 'String(add(x))', 'String(await add(x))'],
    ['an argument of new', 'new Box(add(x))', 'new Box(await add(x))'],
    ['an array element', '[1, add(x), 3]', '[1, await add(x), 3]'],
    ['a property value', '{ n: add(x), m: 2 }', '{ n: await add(x), m: 2 }'],
    ['a template span', '`n=${add(x)}`', '`n=${await add(x)}`'],
    ['an argument inside an argument', 'JSON.stringify([add(x)])', 'JSON.stringify([await add(x)])'],
  ])('%s', (_, expr, expected) => {
    const r = apply(expr);
    if (!r.ok) throw new Error(r.reason);
    expect(r.text).toBe(caller(expected));
  });
  it.each([
    ['an operand of a binary operator', 'add(x) + 1'],
    ['a logical operand', 'add(x) || 0'],
    ['a conditional branch', 'x ? add(x) : 0'],
    ['a property access on the result', 'add(x).toFixed()'],
    ['a spread', '[...(add(x) as unknown as number[])]'],
    ['the callee of a call', '(add as unknown as (s: string) => () => 1)(x)()'],
  ])('still refuses %s', (_, expr) => {
    const r = apply(expr);
    expect(r.ok).toBe(false);
  });
});
