// A real source map from `tsc --sourceMap`: an error thrown by the compiled module maps back to the .ts line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStack } from '../../../src/inject/agent/evidence.js';
import { evidenceSites } from '../../../src/report/recommend.js';
import { createSourceMapper } from '../../../src/report/source-map.js';

const ROOT = resolve(__dirname, '../../..');
const SRC = join(ROOT, 'test/fixtures/report/ts/thrower.ts');

describe('source maps produced by tsc', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'fl-tsc-'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--sourceMap', '--module', 'commonjs', '--target', 'es2022', '--outDir', out, SRC], { stdio: 'pipe' });
    writeFileSync(join(out, 'package.json'), '{"type":"commonjs"}\n');
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('maps the frames of a real error to thrower.ts:13 and groups them into one evidence site', () => {
    const js = join(out, 'thrower.js');
    expect(readFileSync(js, 'utf8')).toMatch(/\/\/# sourceMappingURL=thrower\.js\.map\s*$/);
    const mod = createRequire(__filename)(js) as { priceOf(s: string): number };
    expect(mod.priceOf('a')).toBe(3);
    const errors: Error[] = [];
    for (const sku of ['x1', 'x2', 'x3']) {
      try {
        mod.priceOf(sku);
      } catch (e) {
        errors.push(e as Error);
      }
    }
    const frames = parseStack(errors[0]!.stack, (f) => f === js);
    const top = frames.find((f) => f.app)!;
    expect(top.file).toBe(js);
    const mapper = createSourceMapper({ root: ROOT });
    expect(mapper(top.file, top.line, top.column)).toEqual({ file: 'test/fixtures/report/ts/thrower.ts', line: 13, col: 11 });
    const sites = evidenceSites(
      errors.map((e, i) => ({ at: i, name: e.name, message: e.message, faultId: 'f1', frames: parseStack(e.stack, (f) => f === js).map((f) => ({ file: f.file, line: f.line, col: f.column, app: f.app, ...(f.fn ? { fn: f.fn } : {}) })) })),
      mapper,
    );
    expect(sites).toEqual([{ location: 'test/fixtures/report/ts/thrower.ts:13', fn: 'Object.priceOf', message: 'Error: no price for x1 (and 2 other messages)', count: 3, faultIds: ['f1'] }]);
  });
});
