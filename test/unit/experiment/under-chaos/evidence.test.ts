import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { evidenceSites, failureSite, readRunEvidence } from '../../../../src/experiment/under-chaos/evidence.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const frame = (file: string, line: number, fn: string, app = true) => ({ file, line, column: 3, fn, app });

describe('agent evidence of a run', () => {
  it('sums hits over processes, collects refusals and errors, skips torn files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uc-ev-'));
    dirs.push(dir);
    const err = (seq: number, line: number) => ({ seq, ts: new Date(1000 + seq).toISOString(), source: 'function', class: 'Error', message: 'injected', fn: 'fetchPrice', module: '/app/lib/pricing.mjs', faultIds: ['agent-1'], frames: [frame('/app/dist/inject/agent/runtime.js', 1, 'call', false), frame('/app/lib/cart.mjs', line, 'totalWithTax')] });
    writeFileSync(join(dir, '100.json'), JSON.stringify({ startup: [{ index: 0, state: 'armed', id: 'a' }, { index: 1, state: 'dropped', reason: 'delay needs a promise' }], faults: [{ id: 'a', hits: 2 }], errors: [err(1, 15), err(2, 15)] }));
    writeFileSync(join(dir, '101.json'), JSON.stringify({ startup: [{ index: 0, state: 'armed', id: 'b' }, { index: 1, state: 'dropped', reason: 'delay needs a promise' }], faults: [{ id: 'b', hits: 1 }], errors: [err(1, 6)] }));
    writeFileSync(join(dir, '102.json'), '{"startup": [');
    const ev = readRunEvidence(dir, 2);
    expect(ev.processes).toBe(2);
    expect(ev.hits).toEqual([3, 0]);
    expect(ev.refused).toEqual([{ index: 1, reason: 'delay needs a promise' }]);
    expect(ev.errors).toHaveLength(3);
    expect(ev.errors[0]).toMatchObject({ name: 'Error', fn: 'fetchPrice', source: 'function', faultId: 'agent-1' });
    const sites = evidenceSites(ev.errors, 'test-1', '/app');
    expect(sites).toEqual([
      { location: 'lib/cart.mjs:15', fn: 'totalWithTax', message: 'injected', count: 2, faultIds: ['test-1'] },
      { location: 'lib/cart.mjs:6', fn: 'totalWithTax', message: 'injected', count: 1, faultIds: ['test-1'] },
    ]);
  });

  it('a missing folder is no evidence', () => {
    expect(readRunEvidence('/nonexistent/uc', 1)).toEqual({ processes: 0, hits: [0], refused: [], errors: [] });
  });
});

describe('failureSite', () => {
  it('is the first frame of the project outside node_modules, faultline and the test file', () => {
    const stack = ['fetchPrice (file:///app/node_modules/x/index.js:1:1)', 'invoke (file:///opt/faultline/dist/inject/agent/runtime.js:219:38)', 'TestContext.<anonymous> (file:///app/test/cart.test.mjs:12:22)', 'totalWithTax (file:///app/lib/cart.mjs:15:40)'].join('\n');
    expect(failureSite(stack, '/app', ['/opt/faultline/dist/'], '/app/test/cart.test.mjs')).toEqual({ location: 'lib/cart.mjs:15', fn: 'totalWithTax' });
    expect(failureSite('    at /app/lib/a.js:3:4', '/app', [])).toEqual({ location: 'lib/a.js:3' });
    expect(failureSite(undefined, '/app', [])).toBeUndefined();
  });
});
