/** The agent's `profile` probe: aggregation of recorded profiles (pure), its params, and its asynchronous stop in the runtime. */
import { describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../../src/inject/agent/runtime.js';
import {
  cpuMessage,
  cpuSites,
  formatBytes,
  heapGrowthMessage,
  heapMessage,
  heapSites,
  profileKind,
  scriptPath,
  type CpuProfile,
  type HeapProfile,
  type HeapProfileNode,
  type ProfileCallFrame,
} from '../../../src/inject/agent/kinds/profile.js';

const isApp = (file: string): boolean => file.startsWith('/') && !file.includes('/node_modules/') && !file.startsWith('/opt/faultline/');

const cf = (functionName: string, url: string, lineNumber = 0, columnNumber = 0): ProfileCallFrame => ({ functionName, scriptId: '1', url, lineNumber, columnNumber });
const ROOT = cf('(root)', '', -1, -1);

describe('scriptPath', () => {
  it('maps file: URLs and absolute paths; node:, native and VM entries are not files', () => {
    expect(scriptPath('file:///srv/app/a%20b.js')).toBe('/srv/app/a b.js');
    expect(scriptPath('/srv/app/legacy.cjs')).toBe('/srv/app/legacy.cjs');
    expect(scriptPath('node:internal/timers')).toBeUndefined();
    expect(scriptPath('')).toBeUndefined();
    expect(scriptPath('evalmachine.<anonymous>')).toBeUndefined();
  });
});

describe('cpuSites', () => {
  // root → (program); root → listOnTimeout (node:) → burn (app) → sqrt-ish helper in node_modules; root → handler (app) → burn (app, a second call path)
  const profile: CpuProfile = {
    startTime: 1_000_000,
    endTime: 1_010_000, // 10 ms profiled
    nodes: [
      { id: 1, callFrame: ROOT, children: [2, 3, 6] },
      { id: 2, callFrame: cf('(program)', '') },
      { id: 3, callFrame: cf('listOnTimeout', 'node:internal/timers', 522, 24), children: [4] },
      { id: 4, callFrame: cf('burn', 'file:///srv/app/work.js', 9, 16), children: [5] },
      { id: 5, callFrame: cf('hash', 'file:///srv/app/node_modules/dep/index.js', 1, 0) },
      { id: 6, callFrame: cf('', 'file:///srv/app/server.js', 20, 30), children: [7, 8] },
      { id: 7, callFrame: cf('burn', 'file:///srv/app/work.js', 9, 16) },
      { id: 8, callFrame: cf('agentWrap', 'file:///opt/faultline/dist/runtime.js', 3, 3) },
    ],
    // sample i lasts until sample i+1 (the last one until endTime)
    samples: [4, 4, 5, 2, 7, 6, 8, 4],
    timeDeltas: [500, 1000, 1000, 1000, 1000, 1000, 1000, 1000], // at 0.5, 1.5 … 7.5 ms
  };

  it('sums self time per application function over its call paths, most first; line and column are 1-based', () => {
    const { profiledMs, sites } = cpuSites(profile, isApp);
    expect(profiledMs).toBe(10);
    // burn: node 4 (samples 0, 1 and 7: 1 + 1 + 2.5 ms, the last until endTime) and node 7 (sample 4: 1 ms); the anonymous handler: sample 5 (1 ms)
    expect(sites).toEqual([
      { fn: 'burn', file: '/srv/app/work.js', line: 10, column: 17, selfMs: 5.5, samples: 4 },
      { fn: '(anonymous)', file: '/srv/app/server.js', line: 21, column: 31, selfMs: 1, samples: 1 },
    ]);
  });

  it('leaves out node internals, node_modules, faultline itself and the VM entries', () => {
    const files = cpuSites(profile, isApp).sites.map((s) => s.file);
    expect(files.some((f) => f.includes('node_modules') || f.includes('faultline') || !f.startsWith('/'))).toBe(false);
  });

  it('falls back to hitCount × interval without timed samples', () => {
    const { samples: _s, timeDeltas: _t, ...untimed } = profile;
    const p: CpuProfile = { ...untimed, nodes: profile.nodes.map((n) => ({ ...n, hitCount: n.id === 4 ? 3 : n.id === 7 ? 2 : n.id === 6 ? 1 : 0 })) };
    expect(cpuSites(p, isApp, 250).sites).toEqual([
      { fn: 'burn', file: '/srv/app/work.js', line: 10, column: 17, selfMs: 1.25, samples: 5 },
      { fn: '(anonymous)', file: '/srv/app/server.js', line: 21, column: 31, selfMs: 0.25, samples: 1 },
    ]);
  });

  it('the message gives the self time, the time profiled and the share', () => {
    const [top] = cpuSites(profile, isApp).sites;
    expect(cpuMessage(top as never, 10)).toBe('burn: on the event loop 6 ms of 10 ms profiled (55.0 %), self time');
  });
});

describe('heapSites', () => {
  const node = (id: number, callFrame: ProfileCallFrame, selfSize: number, children: HeapProfileNode[] = []): HeapProfileNode => ({ id, callFrame, selfSize, children });
  // fetchPrice (app) allocates itself and through Map.prototype.set-like internals and a dependency; report (app) is called from it;
  // a timer of node's own allocates with no application frame on its stack
  const profile: HeapProfile = {
    head: node(1, ROOT, 0, [
      node(2, cf('processTimers', 'node:internal/timers', 503, 24), 0, [
        node(3, cf('fetchPrice', 'file:///srv/app/pricing.js', 15, 25), 40_000, [
          node(4, cf('set', 'node:internal/whatever', 1, 1), 100_000),
          node(5, cf('parse', 'file:///srv/app/node_modules/json/index.js', 3, 3), 60_000, [node(6, cf('report', 'file:///srv/app/report.js', 2, 17), 30_000)]),
        ]),
        node(7, cf('listOnTimeout', 'node:internal/timers', 522, 24), 500_000),
      ]),
      node(8, cf('report', 'file:///srv/app/report.js', 2, 17), 20_000),
    ]),
    samples: [
      { size: 40_000, nodeId: 3, ordinal: 1 },
      { size: 50_000, nodeId: 4, ordinal: 2 },
      { size: 50_000, nodeId: 4, ordinal: 3 },
      { size: 60_000, nodeId: 5, ordinal: 4 },
      { size: 30_000, nodeId: 6, ordinal: 5 },
      { size: 20_000, nodeId: 8, ordinal: 6 },
      { size: 500_000, nodeId: 7, ordinal: 7 },
    ],
  };

  it('counts an allocation for the innermost application frame of its stack, most live bytes first', () => {
    expect(heapSites(profile, isApp)).toEqual([
      // its own 40 000 + node internals 100 000 + the dependency 60 000 it called
      { fn: 'fetchPrice', file: '/srv/app/pricing.js', line: 16, column: 26, liveBytes: 200_000, samples: 4 },
      // called from the dependency (30 000) and on its own path (20 000): one function, one site
      { fn: 'report', file: '/srv/app/report.js', line: 3, column: 18, liveBytes: 50_000, samples: 2 },
    ]);
  });

  it('leaves out what no application frame allocated, and sites with nothing live', () => {
    const empty: HeapProfile = { head: node(1, ROOT, 0, [node(2, cf('f', 'file:///srv/app/a.js'), 0), node(3, cf('g', 'node:fs'), 9_000)]) };
    expect(heapSites(empty, isApp)).toEqual([]);
  });

  it('messages: live bytes and growth; growth alone when nothing of the application stayed live', () => {
    const [top] = heapSites(profile, isApp);
    expect(heapMessage(top as never, 2.3 * 1024 * 1024)).toBe('195.3 KiB live after GC, allocated in fetchPrice while profiled (heap grew 2.3 MiB)');
    expect(heapGrowthMessage(-2048)).toBe("heap shrank 2.0 KiB after GC; no live allocation of the application's code");
    expect(formatBytes(300)).toBe('300 B');
    expect(formatBytes(1.94 * 1024 * 1024)).toBe('1.9 MiB');
  });
});

describe('params', () => {
  const parse = (raw: Record<string, unknown>): unknown => profileKind.parse(raw, 'process', []);

  it('defaults: cpu and heap on, 1000 µs, 16 KiB, top 5', () => {
    expect(parse({})).toEqual({ cpu: true, heap: true, cpuIntervalUs: 1000, heapIntervalBytes: 16_384, top: 5 });
    expect(parse({ cpu: 'false', top: '10', cpuIntervalUs: 100, heapIntervalBytes: 1_048_576 })).toEqual({ cpu: false, heap: true, cpuIntervalUs: 100, heapIntervalBytes: 1_048_576, top: 10 });
  });

  it.each([
    [{ cpuIntervalUs: 50 }, /params\.cpuIntervalUs: must be at least 100/],
    [{ cpuIntervalUs: 100_001 }, /params\.cpuIntervalUs: must be at most 100000/],
    [{ heapIntervalBytes: 512 }, /params\.heapIntervalBytes: must be at least 1024/],
    [{ heapIntervalBytes: 2_000_000 }, /params\.heapIntervalBytes: must be at most 1048576/],
    [{ top: 0 }, /params\.top: must be at least 1/],
    [{ top: 51 }, /params\.top: must be at most 50/],
    [{ top: 2.5 }, /params\.top: expected an integer/],
    [{ cpu: 'yes' }, /params\.cpu: expected true or false/],
    [{ cpu: false, heap: false }, /params: cpu and heap are both false/],
    [{ interval: 1000 }, /params\.interval: is not an attribute of profile; it accepts cpu, heap, cpuIntervalUs, heapIntervalBytes, top/],
  ])('refuses %j', (raw, message) => {
    expect(() => parse(raw)).toThrow(message);
  });
});

describe('profile in the runtime (this process)', () => {
  const busy = (ms: number): number => {
    const end = performance.now() + ms;
    let x = 0;
    while (performance.now() < end) x += Math.sqrt(x + 1);
    return x;
  };

  it('the stop is asynchronous: settled() resolves once its records are in, attributed to the fault, though no fault is active any more', async () => {
    const rt = new AgentRuntime({ seed: 1, log: () => undefined });
    const f = rt.addFault({ kind: 'profile', target: {}, ttlMs: 30_000, params: { top: 3 } });
    expect(f).toMatchObject({ kind: 'profile', layer: 'agent', target: {} });
    // a second profile in the same process is refused (one heap sampler per process), and nothing is left behind
    expect(() => rt.addFault({ kind: 'profile', target: {}, ttlMs: 30_000 })).toThrow(/kind: a profile \(.+\) is already running in this process/);
    expect(rt.listFaults()).toHaveLength(1);
    const kept: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      busy(2);
      kept.push(new Array(1000).fill(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    rt.endFault(f.id, 'reverted');
    expect(rt.state.on).toBe(false);
    await rt.settled();
    const records = rt.errors.list({ faultId: f.id });
    const heap = records.filter((r) => r.source === 'heap-profile');
    expect(heap.length).toBeGreaterThanOrEqual(1);
    for (const r of heap) {
      expect(r.heapGrowthBytes).toBeTypeOf('number');
      expect(r.faultIds[0]).toBe(f.id);
      expect(r.class).toBe('HeapProfile');
    }
    expect(records.filter((r) => r.source === 'cpu-profile').length).toBeLessThanOrEqual(3);
    for (const r of records.filter((x) => x.source === 'cpu-profile')) {
      expect(r).toMatchObject({ class: 'CpuProfile', injected: false, frames: [expect.objectContaining({ app: true })] });
      expect(r.selfMs).toBeGreaterThan(0);
      expect(r.profiledMs).toBeGreaterThan(0);
    }
    // the session is freed: a new profile may start, and is stopped at once
    const g = rt.addFault({ kind: 'profile', target: {}, ttlMs: 30_000, params: { cpu: false } });
    rt.revertAll();
    await rt.settled();
    expect(rt.errors.list({ faultId: g.id }).every((r) => r.source === 'heap-profile')).toBe(true);
    expect(kept).toHaveLength(20);
  }, 30_000);

  it('settled() is immediate when nothing stops asynchronously', async () => {
    const rt = new AgentRuntime({ seed: 1, log: () => undefined });
    const t0 = performance.now();
    await rt.settled();
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
