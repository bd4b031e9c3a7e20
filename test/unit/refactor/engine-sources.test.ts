import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeCard, judgeExperiment } from '../../../src/cli/commands/refactor.js';
import type { RunReport } from '../../../src/core/run.js';
import { attachExposures, fromFindings, fromSmell, locationIn, readRunFindings } from '../../../src/refactor/engine/sources.js';
import { mergeTargets } from '../../../src/refactor/engine/targets.js';
import { appendRun } from '../../../src/store/runs.js';

let state: string;
beforeEach(() => (state = mkdtempSync(join(tmpdir(), 'fl-sources-'))));
afterEach(() => rmSync(state, { recursive: true, force: true }));

function report(id: string, o: Partial<RunReport>): string {
  const dir = join(state, 'runs', id);
  mkdirSync(dir, { recursive: true });
  const r: RunReport = { id, kind: 'experiment', title: 't', status: 'failed', deviated: true, startedAt: '2024-05-01T10:00:00.000Z', endedAt: '2024-05-01T10:01:00.000Z', durationMs: 60000, checks: [], faults: [], evidence: [], recommendations: [], artifacts: {}, ...o };
  writeFileSync(join(dir, 'report.json'), JSON.stringify(r));
  return join(dir, 'report.json');
}

const record = (id: string, o: object) => ({ id, kind: 'experiment' as const, title: 't', status: 'failed' as const, deviated: true, startedAt: '2024-05-01T10:00:00.000Z', endedAt: '2024-05-01T10:01:00.000Z', durationMs: 60000, mttdMs: null, mttrMs: null, ...o });

describe('refactor engine: targets from recorded runs', () => {
  it('locationIn keeps repository paths and drops the outside and node_modules', () => {
    expect(locationIn('/repo/src/a.ts:12:5', '/repo')).toEqual({ path: 'src/a.ts', line: 12 });
    expect(locationIn('file:///repo/src/a.ts:3', '/repo')).toEqual({ path: 'src/a.ts', line: 3 });
    expect(locationIn('src/b.js:7', '/repo')).toEqual({ path: 'src/b.js', line: 7 });
    expect(locationIn('/elsewhere/x.ts:1', '/repo')).toBeUndefined();
    expect(locationIn('/repo/node_modules/x/i.js:1', '/repo')).toBeUndefined();
    expect(locationIn('no line here', '/repo')).toBeUndefined();
  });

  it('reads evidence sites and recommendations; a loop report maps each fault to its card through the timeline', () => {
    const exp = report('exp-1', { title: 'orders survive bad input', evidence: [{ location: '/repo/src/orders.ts:20:3', message: 'SyntaxError: Unexpected token', count: 4, faultIds: ['f1'] }], recommendations: [{ title: 'guard the parse', why: '4 × SyntaxError', change: 'wrap', location: '/repo/src/orders.ts:20', severity: 'high', recipe: 'guard-json-parse' }] });
    appendRun(state, record('exp-1', { title: 'orders survive bad input', reportPath: exp }));
    const loop = report('loop-1', {
      kind: 'loop',
      startedAt: '2024-05-02T10:00:00.000Z',
      faults: [
        { id: 'fa', kind: 'latency', layer: 'proxy', target: 'x', params: {}, startMs: 0 },
        { id: 'fb', kind: 'throw', layer: 'agent', target: 'y', params: {}, startMs: 0 },
      ],
      observation: { startedAt: 0, durationMs: 1, bucketMs: 1, buckets: [], process: [], summary: {} as never, events: [{ atMs: 1, kind: 'inject', label: 'slow pricing', faultId: 'fa' }, { atMs: 2, kind: 'inject', label: 'pricing throws', faultId: 'fb' }] },
      evidence: [{ location: '/repo/src/pricing.ts:9', message: 'Error: boom', count: 2, faultIds: ['fb'] }],
    });
    appendRun(state, record('loop-1', { kind: 'loop', startedAt: '2024-05-02T10:00:00.000Z', reportPath: loop }));
    appendRun(state, record('loop-1-latency', { kind: 'card', cardId: 'dep-latency', title: 'slow pricing', startedAt: '2024-05-02T10:00:00.000Z', reportPath: loop }));
    appendRun(state, record('loop-1-throw', { kind: 'card', cardId: 'code-error', title: 'pricing throws', startedAt: '2024-05-02T10:00:00.000Z', reportPath: loop }));

    const read = readRunFindings(state, '/repo');
    expect(read.runs).toBe(2);
    const rows = read.findings.map((f) => [f.path, f.line, f.exposure.runId, f.exposure.kind, f.exposure.cardId ?? null, f.recipe ?? null]);
    expect(rows).toEqual([
      ['src/orders.ts', 20, 'exp-1', 'experiment', null, null],
      ['src/orders.ts', 20, 'exp-1', 'experiment', null, 'guard-json-parse'],
      ['src/pricing.ts', 9, 'loop-1', 'card', 'code-error', null],
    ]);
    const targets = fromFindings(read.findings);
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ path: 'src/orders.ts', line: 20, recipes: ['guard-json-parse'], source: 'experiment', confidence: 0.9, exposedBy: { runId: 'exp-1', title: 'orders survive bad input' } });

    // a smell in the same function as the loop's evidence is marked exposed by the card
    const smell = fromSmell({ kind: 'no-timeout', path: 'src/pricing.ts', line: 5, col: 3, message: 'fetch without timeout', recipe: 'add-timeout' });
    const other = fromSmell({ kind: 'no-timeout', path: 'src/pricing.ts', line: 30, col: 3, message: 'fetch without timeout', recipe: 'add-timeout' });
    const [a, b] = attachExposures([smell, other], read.findings, () => [{ name: 'price', line: 2, endLine: 12 }, { name: 'other', line: 25, endLine: 40 }]);
    expect(a?.exposedBy).toMatchObject({ runId: 'loop-1', kind: 'card', cardId: 'code-error' });
    expect(a?.evidence.at(-1)).toMatch(/run loop-1 \(card code-error\) failed here: Error: boom/);
    expect(b?.exposedBy).toBeUndefined();
  });

  it('a dependency call site or a profile site exposes nothing by itself; the recommendation for that fault exposes its own line, through the card of its fault', () => {
    const loop = report('loop-2', {
      kind: 'loop',
      faults: [
        { id: 'fl', kind: 'latency', layer: 'proxy', target: 'proxy=pricing', params: {}, startMs: 0 },
        { id: 'fe', kind: 'http_status', layer: 'proxy', target: 'proxy=pricing', params: {}, startMs: 0 },
      ],
      observation: { startedAt: 0, durationMs: 1, bucketMs: 1, buckets: [], process: [], summary: {} as never, events: [{ atMs: 1, kind: 'inject', label: 'slow link', faultId: 'fl' }, { atMs: 2, kind: 'inject', label: 'link answers 503', faultId: 'fe' }] },
      evidence: [
        { location: '/repo/src/pricing-client.ts:25', fn: 'fetchPrice', message: '163 calls to pricing …', count: 1, faultIds: ['fe'], source: 'dependency-call' },
        { location: '/repo/src/pricing-client.ts:25', fn: 'fetchPrice', message: '151 calls to pricing …', count: 1, faultIds: ['fl'], source: 'dependency-call' },
        // a profile probe's sites are measurements as well: where time or live memory went, not a failure
        { location: '/repo/src/pricing-client.ts:18', fn: 'fetchPrice', message: '1.1 MiB live after GC …', count: 50, faultIds: ['fl'], source: 'heap-profile', liveBytes: 1_100_000 },
        { location: '/repo/src/pricing-client.ts:18', fn: 'fetchPrice', message: 'on the event loop …', count: 50, faultIds: ['fl'], source: 'cpu-profile', selfMs: 50, profiledMs: 1000 },
      ],
      recommendations: [{ title: 'Add a timeout', why: 'p99 686 ms', change: 'c', location: '/repo/src/pricing-client.ts:25', severity: 'medium', recipe: 'add-timeout', faultIds: ['fl'] }],
    });
    appendRun(state, record('loop-2', { kind: 'loop', reportPath: loop }));
    appendRun(state, record('loop-2-nl', { kind: 'card', cardId: 'network-latency', title: 'slow link', reportPath: loop }));
    appendRun(state, record('loop-2-de', { kind: 'card', cardId: 'dependency-errors', title: 'link answers 503', reportPath: loop }));
    const read = readRunFindings(state, '/repo');
    expect(read.findings.map((f) => [f.line, f.recipe ?? null, f.exposure.cardId ?? null])).toEqual([[25, 'add-timeout', 'network-latency']]);
    const [timeout] = fromFindings(read.findings);
    const parse = fromSmell({ kind: 'unguarded-json-parse', path: 'src/pricing-client.ts', line: 35, col: 17, message: 'JSON.parse', recipe: 'guard-json-parse' });
    const [t, p] = attachExposures([timeout!, parse], read.findings, () => [{ name: 'fetchPrice', line: 20, endLine: 40 }]);
    expect(t?.exposedBy).toMatchObject({ runId: 'loop-2', kind: 'card', cardId: 'network-latency' });
    // same function, but the recommendation is about line 25 only: the JSON.parse is not re-verified by that card
    expect(p?.exposedBy).toBeUndefined();
    // the no-timeout smell on that line takes the card's exposure, and merged with the recommendation's target it
    // carries the run's evidence once
    const smell = fromSmell({ kind: 'no-timeout', path: 'src/pricing-client.ts', line: 25, col: 17, message: 'fetch() without a signal', recipe: 'add-timeout' });
    const merged = mergeTargets(attachExposures([timeout!, smell], read.findings, () => [{ name: 'fetchPrice', line: 20, endLine: 40 }]));
    expect(merged).toHaveLength(1);
    expect(merged[0]!.exposedBy).toMatchObject({ cardId: 'network-latency' });
    expect(merged[0]!.evidence).toEqual(['run loop-2 (card network-latency): Add a timeout: p99 686 ms', 'smell no-timeout: fetch() without a signal']);
  });

  it('a recommendation two cards led to exposes its line through both; a different recipe at the same line stays a fix of its own, exposed by its own card', () => {
    const loop = report('loop-3', {
      kind: 'loop',
      faults: [
        { id: 'fl', kind: 'latency', layer: 'proxy', target: 'proxy=pricing', params: {}, startMs: 0 },
        { id: 'fe', kind: 'http_status', layer: 'proxy', target: 'proxy=pricing', params: { status: 503 }, startMs: 0 },
        { id: 'fb', kind: 'http_body', layer: 'proxy', target: 'proxy=pricing', params: {}, startMs: 0 },
      ],
      observation: { startedAt: 0, durationMs: 1, bucketMs: 1, buckets: [], process: [], summary: {} as never, events: [{ atMs: 1, kind: 'inject', label: 'slow link', faultId: 'fl' }, { atMs: 2, kind: 'inject', label: 'link answers 503', faultId: 'fe' }, { atMs: 3, kind: 'inject', label: 'corrupt body', faultId: 'fb' }] },
      recommendations: [
        { title: 'Add a timeout', why: 'p99 686 ms', change: 'c', location: '/repo/src/pricing-client.ts:25', severity: 'medium', recipe: 'add-timeout', faultIds: ['fl'] },
        { title: 'Serve the fallback', why: '503s failed requests', change: 'c', location: '/repo/src/pricing-client.ts:25', severity: 'high', recipe: 'route-to-fallback', faultIds: ['fe', 'fb'] },
      ],
    });
    appendRun(state, record('loop-3', { kind: 'loop', reportPath: loop }));
    appendRun(state, record('loop-3-nl', { kind: 'card', cardId: 'network-latency', title: 'slow link', reportPath: loop }));
    appendRun(state, record('loop-3-de', { kind: 'card', cardId: 'dependency-errors', title: 'link answers 503', reportPath: loop }));
    appendRun(state, record('loop-3-cr', { kind: 'card', cardId: 'corrupt-response', title: 'corrupt body', reportPath: loop }));
    const read = readRunFindings(state, '/repo');
    expect(read.findings.map((f) => [f.line, f.recipe, f.exposure.cardId])).toEqual([
      [25, 'add-timeout', 'network-latency'],
      [25, 'route-to-fallback', 'dependency-errors'],
      [25, 'route-to-fallback', 'corrupt-response'],
    ]);
    // the no-timeout smell at that line takes only the card whose recommendation names its recipe
    const smell = fromSmell({ kind: 'no-timeout', path: 'src/pricing-client.ts', line: 25, col: 17, message: 'fetch() without a signal', recipe: 'add-timeout' });
    const [exposedSmell] = attachExposures([smell], [...read.findings].reverse(), () => [{ name: 'fetchPrice', line: 20, endLine: 40 }]);
    expect(exposedSmell?.exposedBy?.cardId).toBe('network-latency');
    const merged = mergeTargets([...fromFindings(read.findings), exposedSmell!]);
    expect(merged.map((t) => [t.line, t.recipes, t.exposedBy?.cardId, (t.alsoExposedBy ?? []).map((e) => e.cardId)])).toEqual([
      [25, ['add-timeout'], 'network-latency', []],
      [25, ['route-to-fallback'], 'dependency-errors', ['corrupt-response']],
    ]);
  });

  it('judges a card from `faultline loop --json`: the steady state held DURING the fault, and came back', () => {
    const out = (p: object) => JSON.stringify({ phases: [p], aborted: false });
    const during = { requests: 160, errorRate: 0, latencyMs: { p99: 145.2 } };
    expect(judgeCard('c1', out({ cardId: 'c1', fault: {}, during, held: true, recovered: true }))).toEqual({ ok: true, detail: 'card c1: steady state held: p99 145 ms, error rate 0.0 % while the fault was active' });
    expect(judgeCard('c1', out({ cardId: 'c1', fault: {}, during: { ...during, latencyMs: { p99: 319 } }, held: false, recovered: true }))).toEqual({ ok: false, detail: 'card c1: steady state violated: p99 319 ms, error rate 0.0 % while the fault was active' });
    // a card whose profile probe measured the heap: the verdict says how much it grew
    expect(judgeCard('c1', out({ cardId: 'c1', fault: {}, during, held: false, recovered: true, profile: { heapGrowthBytes: 2.4 * 1024 * 1024 } }))).toEqual({ ok: false, detail: 'card c1: steady state violated: p99 145 ms, error rate 0.0 % while the fault was active, heap +2.4 MiB after GC' });
    // recovered after the revert is not "held": every reverted fault recovers
    expect(judgeCard('c1', out({ cardId: 'c1', fault: {}, during, recovered: true })).ok).toBe(false);
    expect(judgeCard('c1', out({ cardId: 'c1', fault: {}, during, held: true, recovered: false })).detail).toMatch(/did not come back/);
    expect(judgeCard('c1', out({ cardId: 'c1', fault: {}, held: true, recovered: true, halted: 'errorRate > 0.5' })).detail).toBe('halted: errorRate > 0.5');
    expect(judgeCard('c1', out({ cardId: 'c2', fault: {}, held: true, recovered: true }))).toMatchObject({ ok: null, detail: expect.stringMatching(/was not drilled/) });
    expect(judgeCard('c1', 'not json').ok).toBeNull();
  });

  it('judges an experiment from `faultline --json run`: the exit code is the verdict, the detail what was measured', () => {
    const stdout = (o: object) => JSON.stringify({ status: 'completed', figures: { faults: [{ during: { requests: 163, errorRate: 0, latencyMs: { p99: 686.4 } } }] }, ...o });
    expect(judgeExperiment({ exitCode: 1, stdout: stdout({ deviated: true, violated: { phase: 'after', probe: 'p99-under-500ms', value: 809.471 } }) })).toEqual({
      ok: false,
      detail: 'steady state violated: p99 686 ms, error rate 0.0 % while the fault was active; probe "p99-under-500ms" (after) = 809.5',
    });
    expect(judgeExperiment({ exitCode: 0, stdout: stdout({ deviated: false }) })).toEqual({ ok: true, detail: 'steady state held: p99 686 ms, error rate 0.0 % while the fault was active' });
    expect(judgeExperiment({ exitCode: 2, stdout: 'oops' })).toEqual({ ok: false, detail: 'exit 2 (faultline run printed no JSON result)' });
  });
});
