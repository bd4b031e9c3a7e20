import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { crashRecordFromOutput, isAppFile } from '../../../src/inject/process/crash.js';
import { corruptFile, corruptfile, DEFAULT_CORRUPT_TEXT, resolveCorruptPath } from '../../../src/inject/process/faults/corruptfile.js';
import { findProcessFault } from '../../../src/inject/process/faults/index.js';
import { executePlan } from '../../../src/inject/process/plan.js';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fl-corrupt-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const refusal = (fn: () => unknown): { code?: string; message: string; param?: unknown } => {
  try {
    fn();
  } catch (e) {
    return { ...(isFaultlineError(e) ? { code: e.code, param: (e.context as { param?: unknown } | undefined)?.param } : {}), message: (e as Error).message };
  }
  throw new Error('expected a refusal');
};

describe('corruptfile params', () => {
  it('is registered and applies its defaults', () => {
    expect(findProcessFault('corruptfile')).toBe(corruptfile);
    expect(corruptfile.target).toBe('service');
    expect(corruptfile.validate({ path: 'data/orders.jsonl' })).toEqual({ path: 'data/orders.jsonl', mode: 'append', text: DEFAULT_CORRUPT_TEXT, bytes: 8, restart: true });
    expect(corruptfile.validate({ path: '/x/y', mode: 'garbage', bytes: '32', restart: 'false' })).toMatchObject({ mode: 'garbage', bytes: 32, restart: false });
  });

  it('refuses bad params with FL_ERR_INVALID_ARGUMENT naming the param', () => {
    expect(refusal(() => corruptfile.validate({}))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'path' });
    expect(refusal(() => corruptfile.validate({ path: 'a', mode: 'shred' }))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'mode' });
    expect(refusal(() => corruptfile.validate({ path: 'a', text: 'two\nlines' }))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'text' });
    expect(refusal(() => corruptfile.validate({ path: 'a', bytes: 0 }))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'bytes' });
    expect(refusal(() => corruptfile.validate({ path: 'a', restart: 'maybe' }))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'restart' });
    expect(refusal(() => corruptfile.validate({ path: 'a', size: 3 }))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'size' });
  });
});

describe('corruptfile path', () => {
  it('resolves relative paths against the service cwd and accepts the state folder', () => {
    const cwd = temp();
    const state = temp();
    expect(resolveCorruptPath('data/orders.jsonl', cwd, state)).toBe(join(cwd, 'data/orders.jsonl'));
    expect(resolveCorruptPath(join(state, 'shop-data/orders.jsonl'), cwd, state)).toBe(join(state, 'shop-data/orders.jsonl'));
  });

  it('refuses paths outside the service cwd and the state folder, also through .. and symlinks', () => {
    const cwd = temp();
    const state = temp();
    const elsewhere = temp();
    writeFileSync(join(elsewhere, 'secret'), 'x');
    symlinkSync(elsewhere, join(cwd, 'link'));
    for (const p of ['/etc/passwd', '../outside.jsonl', join(elsewhere, 'secret'), 'link/secret', '.']) {
      const r = refusal(() => resolveCorruptPath(p, cwd, state));
      expect(r, p).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'path' });
      expect(r.message).toMatch(/outside the service's working directory/);
    }
  });
});

describe('corruptFile modes', () => {
  it('append adds the torn line on a line of its own (and creates a missing file)', () => {
    const d = temp();
    const f = join(d, 'a.jsonl');
    writeFileSync(f, '{"id":"1"}');
    corruptFile(f, { mode: 'append', text: DEFAULT_CORRUPT_TEXT, bytes: 8 });
    expect(readFileSync(f, 'utf8')).toBe(`{"id":"1"}\n${DEFAULT_CORRUPT_TEXT}\n`);
    const g = join(d, 'new.jsonl');
    corruptFile(g, { mode: 'append', text: 'garbage', bytes: 8 });
    expect(readFileSync(g, 'utf8')).toBe('garbage\n');
  });

  it('truncate cuts the last line in half; garbage overwrites bytes in the middle', () => {
    const d = temp();
    const f = join(d, 'a.jsonl');
    writeFileSync(f, '{"id":"1"}\n{"id":"22"}\n');
    corruptFile(f, { mode: 'truncate', text: '', bytes: 8 });
    expect(readFileSync(f, 'utf8')).toBe('{"id":"1"}\n{"id"');
    const g = join(d, 'b.jsonl');
    writeFileSync(g, 'abcdefghijklmnopqrst');
    corruptFile(g, { mode: 'garbage', text: '', bytes: 4 });
    expect(readFileSync(g, 'utf8')).toBe('abcdefgh#~famnopqrst');
  });

  it('truncate and garbage refuse an empty file', () => {
    const f = join(temp(), 'empty');
    writeFileSync(f, '');
    expect(refusal(() => corruptFile(f, { mode: 'truncate', text: '', bytes: 8 }))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'path' });
    expect(refusal(() => corruptFile(f, { mode: 'garbage', text: '', bytes: 8 }))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', param: 'path' });
  });

  it('the restore-file step writes the original bytes back, or removes a file that did not exist', async () => {
    const d = temp();
    const f = join(d, 'bin');
    const original = Buffer.from([0, 1, 2, 0xff, 0x0a, 0x0d, 0x0a]);
    writeFileSync(f, original);
    corruptFile(f, { mode: 'garbage', text: '', bytes: 3 });
    expect(readFileSync(f).equals(original)).toBe(false);
    const r = await executePlan([{ op: 'restore-file', path: f, contentBase64: original.toString('base64') }]);
    expect(r.errors).toEqual([]);
    expect(readFileSync(f).equals(original)).toBe(true);
    mkdirSync(join(d, 'sub'));
    const g = join(d, 'sub', 'new');
    writeFileSync(g, 'x');
    await executePlan([{ op: 'restore-file', path: g, absent: true }]);
    expect(() => readFileSync(g)).toThrow();
  });
});

describe('start-up crash evidence', () => {
  it('parses the last uncaught error a Node process printed, with application frames marked', () => {
    const out = [
      '--- faultline: starting api at 2026-01-01T00:00:00.000Z: node dist/api.js',
      'file:///srv/shop/dist/store.js:24',
      '                const order = JSON.parse(line);',
      '                                   ^',
      '',
      'SyntaxError: Unexpected end of JSON input',
      '    at JSON.parse (<anonymous>)',
      '    at new OrderStore (file:///srv/shop/dist/store.js:24:36)',
      '    at file:///srv/shop/dist/api.js:10:15',
      '    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)',
      '    at async file:///srv/shop/node_modules/x/index.js:1:1',
      '',
      'Node.js v20.11.0',
    ].join('\n');
    const rec = crashRecordFromOutput(out, { at: 0, faultId: 'p-1' });
    expect(rec).toMatchObject({ class: 'SyntaxError', message: 'Unexpected end of JSON input', source: 'uncaughtException', faultIds: ['p-1'] });
    expect(rec?.frames[0]).toEqual({ fn: 'new OrderStore', file: '/srv/shop/dist/store.js', line: 24, column: 36, app: true });
    expect(rec?.frames.map((f) => f.app)).toEqual([true, true, false, false]);
  });

  it('reads an error code and answers undefined without a stack', () => {
    expect(crashRecordFromOutput("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'\n    at /srv/a.js:1:2\n")).toMatchObject({ class: 'Error', code: 'ERR_MODULE_NOT_FOUND', message: "Cannot find package 'x'" });
    expect(crashRecordFromOutput('listening on 3000\n')).toBeUndefined();
    expect(isAppFile('node:internal/x')).toBe(false);
    expect(isAppFile('/srv/app/node_modules/y/z.js')).toBe(false);
  });
});
