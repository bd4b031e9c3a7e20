/**
 * The code the resilience recipes write does what their docs say, measured by running it: the transformed
 * modules are written to a scratch folder and imported (or run as processes) against real HTTP servers on
 * 127.0.0.1. Each test also runs the untouched code where the difference is observable.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { applyEdits } from '../../../src/refactor/edits.js';
import type { RecipeOptions } from '../../../src/refactor/options.js';
import type { Recipe } from '../../../src/refactor/recipe.js';
import { findRecipeOrThrow } from '../../../src/refactor/recipes/index.js';
import { typescript } from '../../../src/refactor/ts.js';
import { locate } from '../../unit/refactor/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-recipes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** Applies a recipe at the /*@*\/ marker and returns the new text (it must apply). */
function refactor(id: string, input: string, path: string, options?: Partial<RecipeOptions>): string {
  const recipe: Recipe = findRecipeOrThrow(id);
  const { text, location } = locate(input, path);
  const a = recipe.applies({ path, text }, location, options);
  expect(a).toEqual({ ok: true });
  return applyEdits(text, recipe.transform({ path, text }, location, options));
}

/** Writes a module (TypeScript is transpiled to an ES module first) and imports it. */
async function load<T>(source: string, ts = false): Promise<T> {
  const code = ts ? typescript().transpileModule(source, { compilerOptions: { target: typescript().ScriptTarget.ES2022, module: typescript().ModuleKind.ESNext } }).outputText : source;
  const file = join(dir, `m${counter++}.mjs`);
  writeFileSync(file, code);
  return (await import(pathToFileURL(file).href)) as T;
}

function run(source: string, timeoutMs = 10_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const file = join(dir, `p${counter++}.mjs`);
  writeFileSync(file, source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not end in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

async function server(handler: Handler): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let n = 0;
  const srv = http.createServer((req, res) => handler(req, res, ++n));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    hits: () => n,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

/** Settles within `ms`, or says it is still pending. */
function within<T>(p: Promise<T>, ms: number): Promise<{ settled: true; value?: T; error?: unknown } | { settled: false }> {
  return Promise.race([p.then((value) => ({ settled: true as const, value }), (error: unknown) => ({ settled: true as const, error })), new Promise<{ settled: false }>((r) => setTimeout(() => r({ settled: false }), ms))]);
}

describe('add-timeout at run time', () => {
  const SOURCE = `export async function get(url) {\n  const res = await /*@*/fetch(url);\n  return res.text();\n}\n`;

  it('fetch: the signal bounds the wait for headers and for the body (total deadline)', async () => {
    const stall = await server((req, res) => {
      if (req.url === '/body') {
        res.writeHead(200);
        res.write('part'); // then nothing
      }
      // else: never answer
    });
    try {
      const before = await load<{ get(u: string): Promise<string> }>(SOURCE.replace('/*@*/', ''));
      expect((await within(before.get(stall.url), 1500)).settled).toBe(false); // the untouched code waits on
      const after = await load<{ get(u: string): Promise<string> }>(refactor('add-timeout', SOURCE, 'get.mjs', { timeoutMs: 300 }));
      for (const path of ['', 'body']) {
        const t0 = Date.now();
        const r = await within(after.get(stall.url + path), 5000);
        const ms = Date.now() - t0;
        expect(r.settled).toBe(true);
        expect((r as { error?: { name?: string } }).error?.name).toBe('TimeoutError');
        expect(ms).toBeGreaterThanOrEqual(250);
        expect(ms).toBeLessThan(3000);
      }
    } finally {
      await stall.close();
    }
  });

  it('http.get: the request is destroyed with an AbortError, also after the headers arrived', async () => {
    const stall = await server((_req, res) => {
      res.writeHead(200);
      res.write('part');
    });
    try {
      const src = `import http from 'node:http';\nexport function get(url) {\n  return new Promise((resolve, reject) => {\n    const req = /*@*/http.get(\`\${url}\`, (res) => { res.resume(); res.on('end', resolve); });\n    req.on('error', reject);\n  });\n}\n`;
      const after = await load<{ get(u: string): Promise<void> }>(refactor('add-timeout', src, 'h.mjs', { timeoutMs: 300 }));
      const t0 = Date.now();
      const r = await within(after.get(stall.url), 5000);
      expect(r.settled).toBe(true);
      expect((r as { error?: { name?: string } }).error?.name).toBe('AbortError');
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await stall.close();
    }
  });
});

describe('add-retry at run time', () => {
  const SOURCE = `export async function status(url) {\n  const res = await /*@*/fetch(url);\n  return res.status;\n}\n`;

  it('retries 503s and a dropped connection, then returns the success; gives up after retries', async () => {
    /** a dependency that drops the first connection, answers 503 next, then 200 */
    const script = (): ReturnType<typeof server> =>
      server((req, res, n) => {
        if (n === 1) return void req.socket.destroy();
        if (n === 2) return void res.writeHead(503).end('busy');
        res.writeHead(200).end('ok');
      });
    const down = await server((_req, res) => void res.writeHead(503).end());
    try {
      for (const ts of [false, true]) {
        const before = await load<{ status(u: string): Promise<number> }>(SOURCE.replace('/*@*/', ''), ts);
        const s1 = await script();
        await expect(before.status(s1.url)).rejects.toThrow(); // the untouched code fails on the first attempt
        await s1.close();
        const after = await load<{ status(u: string): Promise<number> }>(refactor('add-retry', SOURCE, ts ? 's.ts' : 's.mjs', { retries: 3, retryBaseMs: 10, retryMaxMs: 40 }), ts);
        const s2 = await script();
        expect(await after.status(s2.url)).toBe(200);
        expect(s2.hits()).toBe(3);
        await s2.close();
        const hits0 = down.hits();
        const t0 = Date.now();
        expect(await after.status(down.url)).toBe(503);
        expect(down.hits() - hits0).toBe(4); // 1 attempt + 3 retries
        expect(Date.now() - t0).toBeLessThan(2000); // backoff capped at 40 ms
      }
    } finally {
      await down.close();
    }
  });
});

describe('add-circuit-breaker at run time', () => {
  it('opens after the threshold, fails fast without calling, lets one trial through after resetMs', async () => {
    let healthy = false;
    const dep = await server((_req, res) => void res.writeHead(healthy ? 200 : 500).end());
    try {
      for (const ts of [false, true]) {
        healthy = false;
        const src = `export async function call(url) {\n  return (await /*@*/fetch(url)).status;\n}\n`;
        const m = await load<{ call(u: string): Promise<number> }>(refactor('add-circuit-breaker', src, ts ? 'c.ts' : 'c.mjs', { breakerFailureThreshold: 3, breakerResetMs: 300 }), ts);
        const base = dep.hits();
        for (let i = 0; i < 3; i++) expect(await m.call(dep.url)).toBe(500);
        expect(dep.hits() - base).toBe(3);
        await expect(m.call(dep.url)).rejects.toMatchObject({ code: 'EOPENCIRCUIT' });
        expect(dep.hits() - base).toBe(3); // failed fast: the dependency was not called
        await new Promise((r) => setTimeout(r, 400));
        healthy = true;
        expect(await m.call(dep.url)).toBe(200); // the trial call closes the circuit
        expect(await m.call(dep.url)).toBe(200);
        expect(dep.hits() - base).toBe(5);
      }
    } finally {
      await dep.close();
    }
  });
});

describe('bound-collection, guard-json-parse, handle-error, move-off-request-path at run time', () => {
  it('the LruMap keeps cacheMaxEntries entries and evicts the least recently used (JS and TS)', async () => {
    const src = `const cache = new Map();\nexport function put(k, v) {\n  /*@*/cache.set(k, v);\n}\nexport const get = (k) => cache.get(k);\nexport const keys = () => [...cache.keys()];\n`;
    for (const ts of [false, true]) {
      const m = await load<{ put(k: number, v: number): void; get(k: number): number | undefined; keys(): number[] }>(refactor('bound-collection', src, ts ? 'c.ts' : 'c.mjs', { cacheMaxEntries: 3 }), ts);
      for (let i = 1; i <= 3; i++) m.put(i, i * 10);
      expect(m.get(1)).toBe(10); // 1 is now the most recent
      m.put(4, 40);
      m.put(5, 50);
      expect(m.keys()).toEqual([1, 4, 5]);
      expect(m.get(2)).toBeUndefined();
    }
  });

  it('parseJson throws a JsonParseError (400) with the SyntaxError as cause; reviver errors pass through', async () => {
    const src = `export function parse(s, reviver) {\n  return /*@*/JSON.parse(s, reviver);\n}\n`;
    for (const ts of [false, true]) {
      const m = await load<{ parse(s: string, r?: (k: string, v: unknown) => unknown): unknown }>(refactor('guard-json-parse', src, ts ? 'j.ts' : 'j.mjs'), ts);
      expect(m.parse('{"a":1}')).toEqual({ a: 1 });
      let err: unknown;
      try {
        m.parse('{"a":');
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ name: 'JsonParseError', code: 'ERR_INVALID_JSON', status: 400, statusCode: 400, expose: true });
      expect((err as Error).cause).toBeInstanceOf(SyntaxError);
      const boom = new RangeError('boom');
      expect(() =>
        m.parse('{"a":1}', () => {
          throw boom;
        }),
      ).toThrow(boom);
    }
  });

  it('handle-error rethrows the very error the catch used to swallow', async () => {
    const src = `export function load(read) {\n  try {\n    return read();\n  } /*@*/catch (e) {\n    console.error('load failed');\n  }\n}\n`;
    const m = await load<{ load(r: () => unknown): unknown }>(refactor('handle-error', src, 'l.mjs'));
    const e = new Error('disk');
    expect(() =>
      m.load(() => {
        throw e;
      }),
    ).toThrow(e);
  });

  it('move-off-request-path returns the same content, now without blocking', async () => {
    const file = join(dir, 'data.txt');
    writeFileSync(file, 'hello');
    const src = `import fs from 'node:fs';\nexport async function read(p) {\n  return /*@*/fs.readFileSync(p, 'utf8').toUpperCase();\n}\n`;
    const before = await load<{ read(p: string): Promise<string> }>(src.replace('/*@*/', ''));
    const after = await load<{ read(p: string): Promise<string> }>(refactor('move-off-request-path', src, 'r.mjs'));
    expect(await after.read(file)).toBe(await before.read(file));
    expect(await after.read(file)).toBe('HELLO');
  });
});

describe('await-or-catch and add-error-listener in real processes', () => {
  it('a floating rejection ends the process before, and is reported after', async () => {
    const src = `async function flush() {\n  throw new Error('flush failed');\n}\nfunction push() {\n  /*@*/flush();\n}\npush();\nsetTimeout(() => console.log('still up'), 50);\n`;
    const before = await run(src.replace('/*@*/', ''));
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain('flush failed');
    const after = await run(refactor('await-or-catch', src, 'p.mjs'));
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('still up');
    expect(after.stderr).toContain('a background task failed:');
  });

  it("a file stream's error crashes the server before; after, the response is destroyed and the server stays up", async () => {
    const src = `import fs from 'node:fs';
import http from 'node:http';
const srv = http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  /*@*/fs.createReadStream('/nonexistent/file').pipe(res);
});
srv.listen(0, '127.0.0.1', async () => {
  const base = 'http://127.0.0.1:' + srv.address().port;
  const first = await fetch(base + '/file').then((r) => r.text(), (e) => 'failed: ' + e.message);
  const second = await fetch(base + '/health').then((r) => r.text());
  console.log(JSON.stringify({ first, second }));
  srv.close();
  srv.closeAllConnections();
});
`;
    const before = await run(src.replace('/*@*/', ''));
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain('ENOENT');
    const after = await run(refactor('add-error-listener', src, 's.mjs'));
    expect(after.code).toBe(0);
    const out = JSON.parse(after.stdout.trim()) as { first: string; second: string };
    expect(out.first).toMatch(/^failed: /);
    expect(out.second).toBe('ok');
  });
});
