/** iolatency in process: which calls are held, how often, and that node:fs comes back as it was. */
import fs from 'node:fs';
import { appendFileSync as namedAppendFileSync } from 'node:fs';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { IOLATENCY_METHODS, iolatencyKind } from '../../../src/inject/agent/kinds/iolatency.js';
import { AgentRuntime } from '../../../src/inject/agent/runtime.js';

const ORIGINAL = { appendFileSync: fs.appendFileSync, readFile: fs.readFile, stat: fs.promises.stat, realpathSync: fs.realpathSync, exists: fs.exists };

let dir: string;
let rt: AgentRuntime;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'fl-iolat-unit-')));
  rt = new AgentRuntime({ seed: 1, log: () => {} });
});
afterEach(() => {
  rt.revertAll();
  rmSync(dir, { recursive: true, force: true });
});

const took = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

describe('iolatency params', () => {
  const parse = (raw: Record<string, unknown>): unknown => iolatencyKind.parse(raw, 'process', []);
  it('resolves a relative glob against the cwd and defaults methods and percent', () => {
    expect(parse({ ms: '50ms', path: 'data/*.jsonl' })).toEqual({ ms: 50, path: join(process.cwd(), 'data/*.jsonl'), methods: IOLATENCY_METHODS, percent: 100 });
    expect(parse({ ms: 5, path: '/var/x/**', methods: 'appendFile, writeFile', percent: '25' })).toEqual({ ms: 5, path: '/var/x/**', methods: ['appendFile', 'writeFile'], percent: 25 });
  });
  it('names the attribute it refuses', () => {
    const field = (raw: Record<string, unknown>): unknown => {
      try {
        parse(raw);
      } catch (e) {
        return isFaultlineError(e) ? e.context?.field : e;
      }
      return undefined;
    };
    expect(field({ path: 'x' })).toBe('params.ms');
    expect(field({ ms: 10_001, path: 'x' })).toBe('params.ms');
    expect(field({ ms: 1 })).toBe('params.path');
    expect(field({ ms: 1, path: 'x', methods: ['statSync'] })).toBe('params.methods');
    expect(field({ ms: 1, path: 'x', percent: -1 })).toBe('params.percent');
    expect(field({ ms: 1, path: 'x', seed: 1 })).toBe('params.seed');
  });
});

describe('iolatency patch', () => {
  it('holds a sync call once (not the calls it makes inside), leaves file descriptors alone, and restores node:fs', () => {
    const file = join(dir, 'a.log');
    const f = rt.addFault({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 60, path: `${dir}/*.log` } });
    expect(fs.appendFileSync).not.toBe(ORIGINAL.appendFileSync);
    // the ESM named binding follows (syncBuiltinESMExports)
    expect(namedAppendFileSync).toBe(fs.appendFileSync);
    expect(took(() => namedAppendFileSync(file, 'x'))).toBeGreaterThanOrEqual(55);
    // appendFileSync → writeFileSync inside: held once
    expect(f.calls).toBe(1);
    const fd = fs.openSync(file, 'r');
    expect(f.calls).toBe(2);
    expect(took(() => fs.readFileSync(fd, 'utf8'))).toBeLessThan(50);
    fs.closeSync(fd);
    expect(f.calls).toBe(2);
    // a path the glob does not match
    expect(took(() => fs.writeFileSync(join(dir, 'b.txt'), 'y'))).toBeLessThan(50);
    expect(f).toMatchObject({ calls: 2, hits: 2 });
    // own properties of the originals are kept
    expect(typeof fs.realpathSync.native).toBe('function');
    expect(rt.errors.list().map((e) => [e.source, e.message.split('(')[0], e.frames[0]?.file])).toEqual([
      ['blocking-call', 'appendFileSync', expect.stringMatching(/iolatency\.test\.ts$/)],
      ['blocking-call', 'openSync', expect.stringMatching(/iolatency\.test\.ts$/)],
    ]);
    rt.endFault(f.id, 'reverted');
    expect(fs.appendFileSync).toBe(ORIGINAL.appendFileSync);
    expect(namedAppendFileSync).toBe(ORIGINAL.appendFileSync);
    expect(fs.readFile).toBe(ORIGINAL.readFile);
    expect(fs.promises.stat).toBe(ORIGINAL.stat);
    expect(fs.realpathSync).toBe(ORIGINAL.realpathSync);
  });

  it('delays callback and promise calls with a timer; fs.exists keeps its promisified form', async () => {
    const file = join(dir, 'c.log');
    fs.writeFileSync(file, 'z');
    const f = rt.addFault({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 80, path: `${dir}/**` } });
    let t0 = performance.now();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const text = await new Promise<string>((resolve, reject) => fs.readFile(file, 'utf8', (e, d) => (e ? reject(e) : resolve(d))));
    expect(text).toBe('z');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    t0 = performance.now();
    await fs.promises.stat(file);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    clearInterval(ticker);
    expect(ticks, 'the event loop kept running').toBeGreaterThan(5);
    expect(await promisify(fs.exists)(file)).toBe(true);
    // a refused argument reaches the callback, as the caller expects an answer there
    const err = await new Promise<unknown>((resolve) => fs.readFile(file, { encoding: 'nope' as BufferEncoding }, (e) => resolve(e)));
    expect((err as NodeJS.ErrnoException).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(f.hits).toBe(4);
    // async calls are no evidence
    expect(rt.errors.list()).toEqual([]);
  });

  it('several faults: the first created whose draw succeeds takes the call; methods filter; percent 0 never holds', () => {
    const file = join(dir, 'd.log');
    const a = rt.addFault({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 1, path: `${dir}/*.log`, percent: 0 } });
    const b = rt.addFault({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 1, path: `${dir}/*.log`, methods: ['writeFile'] } });
    const c = rt.addFault({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 1, path: `${dir}/**` } });
    fs.writeFileSync(file, 'x');
    fs.statSync(file);
    expect([a.calls, a.hits, b.calls, b.hits, c.calls, c.hits]).toEqual([2, 0, 1, 1, 1, 1]);
    rt.endFault(b.id, 'reverted');
    expect(fs.appendFileSync).not.toBe(ORIGINAL.appendFileSync);
    rt.revertAll();
    expect(fs.appendFileSync).toBe(ORIGINAL.appendFileSync);
  });

  it('a function someone else wrapped after us stays theirs after the revert, and ours passes through', () => {
    const file = join(dir, 'e.log');
    const f = rt.addFault({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 80, path: `${dir}/*.log` } });
    const ours = fs.appendFileSync;
    let seen = 0;
    const theirs = function (this: unknown, ...args: unknown[]): unknown {
      seen++;
      return Reflect.apply(ours, this, args);
    } as typeof fs.appendFileSync;
    fs.appendFileSync = theirs;
    try {
      rt.endFault(f.id, 'reverted');
      expect(fs.appendFileSync).toBe(theirs);
      expect(took(() => fs.appendFileSync(file, 'x'))).toBeLessThan(60);
      expect(seen).toBe(1);
    } finally {
      fs.appendFileSync = ORIGINAL.appendFileSync;
    }
  });

  it("the agent's own files are not held (internalDirs)", () => {
    const own = new AgentRuntime({ seed: 1, log: () => {}, internalDirs: [join(import.meta.dirname, '/')] });
    const f = own.addFault({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 80, path: `${dir}/*.log` } });
    try {
      expect(took(() => fs.appendFileSync(join(dir, 'f.log'), 'x'))).toBeLessThan(60);
      expect(f.calls).toBe(0);
    } finally {
      own.revertAll();
    }
  });
});
