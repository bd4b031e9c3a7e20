import { describe, expect, it } from 'vitest';
import type { ErrorEvidence } from '../../../src/core/run.js';
import { evidenceSites, faultImpacts, recommend, severityOf } from '../../../src/report/recommend.js';
import { oneFaultRun, shopRun, traffic } from './helpers.js';

const ev = (p: Partial<ErrorEvidence>): ErrorEvidence => ({ at: 1, message: 'boom', frames: [], ...p });
const appFrame = (file: string, line: number, fn?: string) => ({ file, line, col: 7, app: true, ...(fn ? { fn } : {}) });
const libFrame = { file: '/app/node_modules/undici/lib/core.js', line: 10, app: false };

describe('evidenceSites', () => {
  it('groups errors by their top application frame, counts them, keeps the most frequent message and the fault ids', () => {
    const sites = evidenceSites([
      ev({ message: 'pricing unavailable', name: 'Error', faultId: 'f2', frames: [libFrame, appFrame('/app/dist/api.js', 40, 'priceOf'), appFrame('/app/dist/server.js', 9)] }),
      ev({ message: 'pricing unavailable', name: 'Error', faultId: 'f1', frames: [appFrame('/app/dist/api.js', 40, 'priceOf')] }),
      ev({ message: 'socket hang up', faultId: 'f1', frames: [appFrame('/app/dist/api.js', 40, 'priceOf')] }),
      ev({ message: 'x is null', frames: [appFrame('/app/dist/cart.js', 3, 'total')] }),
      ev({ message: 'no frames', module: '/app/dist/db.js', fn: 'query', frames: [libFrame] }),
    ]);
    expect(sites).toEqual([
      { location: '/app/dist/api.js:40', fn: 'priceOf', message: 'Error: pricing unavailable (and 1 other message)', count: 3, faultIds: ['f1', 'f2'] },
      { location: '/app/dist/cart.js:3', fn: 'total', message: 'x is null', count: 1, faultIds: [] },
      { location: '/app/dist/db.js', fn: 'query', message: 'no frames', count: 1, faultIds: [] },
    ]);
  });

  it('maps locations through mapLocation (source maps) and groups by the mapped location', () => {
    const map = (file: string, line: number) => (file.endsWith('.js') ? { file: file.replace('/dist/', '/src/').replace(/\.js$/, '.ts'), line: line - 5 } : undefined);
    const sites = evidenceSites([ev({ frames: [appFrame('/app/dist/api.js', 40)] }), ev({ frames: [appFrame('/app/dist/api.js', 40)] }), ev({ frames: [appFrame('/app/src/raw.ts', 2)] })], map);
    expect(sites.map((s) => [s.location, s.count])).toEqual([
      ['/app/src/api.ts:35', 2],
      ['/app/src/raw.ts:2', 1],
    ]);
    expect(evidenceSites([ev({ frames: [libFrame] })])[0]!.location).toBe('(no application frame)');
  });
});

describe('recommend', () => {
  it('the shop fixture: guard-call at the evidence location (5xx under a throw fault) first, add-timeout for the latency fault', () => {
    const recs = recommend(shopRun());
    expect(recs.map((r) => [r.recipe, r.severity, r.location])).toEqual([
      ['guard-call', 'high', 'examples/shop/src/api.ts:37'],
      ['add-timeout', 'medium', undefined],
    ]);
    expect(recs[0]!.why).toContain('72 HTTP 5xx');
    expect(recs[1]!.why).toBe('proxy/latency proxy=pricing raised p99 latency to 851 ms (tolerance 70 ms)');
  });

  it('dependency latency that broke the p99 bound (or caused timeouts) → add-timeout; within bounds → nothing', () => {
    expect(recommend(oneFaultRun({ kind: 'latency' }, { during: traffic({ p99: 400 }) })).map((r) => r.recipe)).toEqual(['add-timeout']);
    expect(recommend(oneFaultRun({ kind: 'http_delay' }, { during: traffic({ p99: 30, errors: 2, errorsByKind: { timeout: 2 } }) }))[0]!.why).toContain('2 request(s) timed out');
    expect(recommend(oneFaultRun({ layer: 'agent', kind: 'delay', target: 'fn=fetchPrice' }, { during: traffic({ p99: 300 }) })).map((r) => r.recipe)).toEqual(['add-timeout']);
    expect(recommend(oneFaultRun({ kind: 'latency' }, { during: traffic({ p99: 60 }) }))).toEqual([]);
  });

  it('connection refused/reset under a proxy fault → add-retry when intermittent, add-circuit-breaker when mostly down', () => {
    const intermittent = recommend(oneFaultRun({ kind: 'reset_peer' }, { during: traffic({ errors: 10, errorsByKind: { ECONNRESET: 10 } }) }));
    expect(intermittent.map((r) => r.recipe)).toEqual(['add-retry']);
    expect(intermittent[0]!.why).toContain('10 connection refused/reset error(s)');
    const down = recommend(oneFaultRun({ kind: 'blackhole' }, { during: traffic({ errors: 80, errorsByKind: { http_5xx: 80 } }) }, { evidence: [{ location: 'src/api.ts:12', fn: 'fetchPrice', message: 'connect ECONNREFUSED 127.0.0.1:4001', count: 80, faultIds: ['f1'] }] }));
    expect(down.map((r) => [r.recipe, r.location])).toContainEqual(['add-circuit-breaker', 'src/api.ts:12']);
    expect(down.find((r) => r.recipe === 'add-circuit-breaker')!.change).toContain('src/api.ts:12 (fetchPrice)');
  });

  it('an error status (≥ 500) or a replaced body from the dependency that surfaced as 5xx → route-to-fallback at the call site; absorbed or 4xx → nothing', () => {
    const evidence = [{ location: 'src/client.ts:25', fn: 'fetchPrice', message: '120 calls to pricing while the fault was active', count: 1, faultIds: ['f1'], source: 'dependency-call' }];
    const status = recommend(oneFaultRun({ kind: 'http_status', params: { status: 503 } }, { during: traffic({ errors: 90, errorsByKind: { http_5xx: 90 } }) }, { evidence }));
    expect(status.map((r) => [r.recipe, r.location])).toContainEqual(['route-to-fallback', 'src/client.ts:25']);
    const r = status.find((x) => x.recipe === 'route-to-fallback')!;
    expect(r.title).toBe('Serve the fallback when proxy=pricing answers with an error');
    expect(r.why).toContain('answered 503');
    expect(r.why).toContain('90 HTTP 5xx');
    const body = recommend(oneFaultRun({ kind: 'http_body', params: { body: '{"sku":' } }, { during: traffic({ errors: 40, errorsByKind: { http_5xx: 40 } }) }, { evidence }));
    expect(body.find((x) => x.recipe === 'route-to-fallback')!.title).toContain('unreadable body');
    expect(recommend(oneFaultRun({ kind: 'http_status', params: { status: 503 } }, { during: traffic({}) }, { evidence })).map((x) => x.recipe)).not.toContain('route-to-fallback');
    expect(recommend(oneFaultRun({ kind: 'http_status', params: { status: 404 } }, { during: traffic({ errors: 90, errorsByKind: { http_5xx: 90 } }) }, { evidence })).map((x) => x.recipe)).not.toContain('route-to-fallback');
  });

  it('a retryable error status on a share of the requests (probability or toxicity < 1) that surfaced as 5xx → add-retry at the call site, not route-to-fallback', () => {
    const evidence = [{ location: 'src/client.ts:25', fn: 'fetchPrice', message: '120 calls to pricing while the fault was active', count: 1, faultIds: ['f1'], source: 'dependency-call' }];
    const flaky = recommend(oneFaultRun({ kind: 'http_status', params: { status: 503, probability: 0.3 } }, { during: traffic({ errors: 15, errorsByKind: { http_5xx: 15 } }) }, { evidence }));
    expect(flaky.map((r) => [r.recipe, r.location])).toEqual([['add-retry', 'src/client.ts:25']]);
    expect(flaky[0]!.why).toContain('answered 503 to about 30 % of the requests');
    expect(flaky[0]!.why).toContain('15 HTTP 5xx');
    const perConnection = recommend(oneFaultRun({ kind: 'http_status', params: { status: 502, toxicity: 0.5 } }, { during: traffic({ errors: 15, errorsByKind: { http_5xx: 15 } }) }, { evidence }));
    expect(perConnection.map((r) => r.recipe)).toEqual(['add-retry']);
    // every request failed: the fallback, not a retry; a status a retry cannot cure (501) is not retried
    expect(recommend(oneFaultRun({ kind: 'http_status', params: { status: 503, probability: 1 } }, { during: traffic({ errors: 90, errorsByKind: { http_5xx: 90 } }) }, { evidence })).map((r) => r.recipe)).toEqual(['route-to-fallback']);
    expect(recommend(oneFaultRun({ kind: 'http_status', params: { status: 501, probability: 0.3 } }, { during: traffic({ errors: 15, errorsByKind: { http_5xx: 15 } }) }, { evidence })).map((r) => r.recipe)).toEqual(['route-to-fallback']);
    // absorbed (no 5xx, error rate within bounds) → nothing
    expect(recommend(oneFaultRun({ kind: 'http_status', params: { status: 503, probability: 0.3 } }, { during: traffic({}) }, { evidence }))).toEqual([]);
  });

  it('a slow disk (agent iolatency) that broke p99 through a synchronous call → move-off-request-path at that call; awaited calls only → nothing', () => {
    const sync = { location: 'src/store.ts:32', fn: 'OrderStore.add', message: 'appendFileSync(/data/orders.jsonl) held 150 ms by iolatency: a synchronous call, the event loop was blocked', count: 12, faultIds: ['f1'] };
    const slow = recommend(oneFaultRun({ layer: 'agent', kind: 'iolatency', target: 'service=api', params: { path: 'data/**', ms: 150 } }, { during: traffic({ p99: 900 }) }, { evidence: [sync] }));
    expect(slow.map((r) => [r.recipe, r.location])).toEqual([['move-off-request-path', 'src/store.ts:32']]);
    expect(slow[0]!.why).toContain('the synchronous call at src/store.ts:32 (OrderStore.add) (12×) held the event loop');
    expect(slow[0]!.why).toContain('p99 latency 900 ms');
    const awaited = { ...sync, message: 'a call of appendFile held 150 ms' };
    expect(recommend(oneFaultRun({ layer: 'agent', kind: 'iolatency', target: 'service=api', params: { ms: 150 } }, { during: traffic({ p99: 900 }) }, { evidence: [awaited] }))).toEqual([]);
    expect(recommend(oneFaultRun({ layer: 'agent', kind: 'iolatency', target: 'service=api', params: { ms: 150 } }, { during: traffic({ p99: 40 }) }, { evidence: [sync] }))).toEqual([]);
  });

  it('the retained heap grew past maxHeapGrowth under a flood (profile probe) → bound-collection at the function whose allocations stayed live', () => {
    const heap = { location: 'src/pricing-client.ts:16', fn: 'fetchPrice', message: '2.1 MiB live after GC, allocated in fetchPrice', count: 130, faultIds: ['f1'], source: 'heap-profile' as const, liveBytes: 2.1 * 1024 * 1024, heapGrowthBytes: 2.4 * 1024 * 1024 };
    const small = { ...heap, location: 'src/api.ts:40', fn: 'readBody', liveBytes: 20_000 };
    const flood = (growth: number, bound: number | undefined) => {
      const r = oneFaultRun({ layer: 'traffic', kind: 'unique-keys', target: '', params: { path: '/products/*', rate: 500 }, heapGrowthBytes: growth }, {}, { evidence: [small, heap] });
      if (bound !== undefined) r.figures!.bounds.maxHeapGrowthBytes = bound;
      return recommend(r);
    };
    const grew = flood(2.4 * 1024 * 1024, 1024 * 1024);
    expect(grew.map((r) => [r.recipe, r.location, r.severity])).toEqual([['bound-collection', 'src/pricing-client.ts:16', 'medium']]);
    expect(grew[0]!.why).toContain('the retained heap grew 2.4 MiB across the fault, after a full GC (bound 1.0 MiB)');
    expect(grew[0]!.why).toContain('2.1 MiB of what was still live was allocated in fetchPrice (src/pricing-client.ts:16)');
    // within the bound, or no bound set: nothing (memory is judged only against a bound the user set)
    expect(flood(300_000, 1024 * 1024)).toEqual([]);
    expect(flood(2.4 * 1024 * 1024, undefined)).toEqual([]);
    // the profile's sites are not error sites: they never feed the other rules' locations
    const impact = faultImpacts(oneFaultRun({ layer: 'traffic', kind: 'unique-keys', heapGrowthBytes: 1 }, {}, { evidence: [heap] }))[0]!;
    expect([impact.sites.length, impact.profile.length]).toEqual([0, 1]);
  });

  it('p99 broken while one function held the event loop ≥ 20 % of the profiled time → offload-to-worker at that function; below 20 % or p99 within bounds → nothing', () => {
    const hot = { location: 'src/report.ts:4', fn: 'buildReport', message: 'on the event loop 5200 ms of 8000 ms profiled (65.0 %), self time', count: 5200, faultIds: ['f1'], source: 'cpu-profile' as const, selfMs: 5200, profiledMs: 8000 };
    const burst = (p99: number, selfMs: number) => recommend(oneFaultRun({ layer: 'traffic', kind: 'mix', target: '', params: { path: '/report', rate: 400 } }, { during: traffic({ p99 }) }, { evidence: [{ ...hot, selfMs }] }));
    const slow = burst(900, 5200);
    expect(slow.map((r) => [r.recipe, r.location])).toEqual([['offload-to-worker', 'src/report.ts:4']]);
    expect(slow[0]!.why).toContain('buildReport (src/report.ts:4) ran on the event loop for 65 % of the profiled time');
    expect(slow[0]!.why).toContain('p99 latency 900 ms (tolerance 70 ms)');
    expect(burst(900, 800)).toEqual([]);
    expect(burst(40, 5200)).toEqual([]);
  });

  it('evidenceSites keeps a profile record apart from errors at the same place and adds up its figures', () => {
    const frame = appFrame('/app/dist/report.js', 4, 'buildReport');
    const sites = evidenceSites([
      ev({ source: 'cpu-profile', message: 'on the event loop', fn: 'buildReport', frames: [frame], count: 10, selfMs: 100, profiledMs: 1000, faultId: 'f1' }),
      ev({ source: 'cpu-profile', message: 'on the event loop', fn: 'buildReport', frames: [frame], count: 30, selfMs: 300, profiledMs: 1000, faultId: 'f2' }),
      ev({ message: 'boom', frames: [frame] }),
    ]);
    expect(sites.map((s) => [s.location, s.source, s.count, s.selfMs, s.profiledMs])).toEqual([
      ['/app/dist/report.js:4', 'cpu-profile', 40, 400, 2000],
      ['/app/dist/report.js:4', undefined, 1, undefined, undefined],
    ]);
  });

  it('agent throw that surfaced as 5xx → guard-call; a throw the service absorbed → nothing', () => {
    const evidence = [{ location: 'src/cart.ts:20', fn: 'total', message: 'Error: injected', count: 5, faultIds: ['f1'] }];
    const hit = recommend(oneFaultRun({ layer: 'agent', kind: 'throw', target: 'fn=price' }, { during: traffic({ errors: 5, errorsByKind: { http_5xx: 5 } }) }, { evidence }));
    expect(hit.map((r) => [r.recipe, r.location])).toContainEqual(['guard-call', 'src/cart.ts:20']);
    expect(recommend(oneFaultRun({ layer: 'agent', kind: 'throw', target: 'fn=price' }, {}, { evidence }))).toEqual([]);
  });

  it('null/undefined faults that crashed or answered 5xx → null-guard', () => {
    const evidence = [{ location: 'src/cart.ts:31', fn: 'total', message: "TypeError: Cannot read properties of null (reading 'amount')", count: 9, faultIds: ['f1'] }];
    const r = recommend(oneFaultRun({ layer: 'agent', kind: 'null', target: 'fn=price' }, { during: traffic({ errors: 9, errorsByKind: { http_5xx: 9 } }) }, { evidence }));
    expect(r.map((x) => [x.recipe, x.location])).toContainEqual(['null-guard', 'src/cart.ts:31']);
    const crashed = recommend(oneFaultRun({ layer: 'agent', kind: 'undefined', target: 'fn=price' }, { during: traffic({ errors: 40, errorsByKind: { ECONNREFUSED: 40 } }) }));
    expect(crashed[0]!.why).toContain('a crash');
    expect(recommend(oneFaultRun({ layer: 'agent', kind: 'null', target: 'fn=price' }))).toEqual([]);
  });

  it('a killed or paused service that did not recover (or recovered after the SLO) → restart policy / health check', () => {
    const dead = recommend(oneFaultRun({ layer: 'process', kind: 'kill', target: 'service=api' }, { recovered: false, timeToRecoverMs: null, during: traffic({ errors: 100, errorsByKind: { ECONNREFUSED: 100 } }) }));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ title: 'Restart service=api automatically when it dies', severity: 'high' });
    expect(dead[0]!.recipe).toBeUndefined();
    const slow = recommend(oneFaultRun({ layer: 'process', kind: 'pause', target: 'service=api' }, { timeToRecoverMs: 9000 }, { slo: { recoverMs: 5000 } }));
    expect(slow[0]!.title).toBe('Detect a hung service=api with a health check and restart it');
    expect(slow[0]!.why).toContain('above the 5.00 s SLO');
    expect(recommend(oneFaultRun({ layer: 'process', kind: 'pause', target: 'service=api' }, { timeToRecoverMs: 900 }, { slo: { recoverMs: 5000 } }))).toEqual([]);
  });

  it('time skew that changed behaviour → monotonic-clock; a skew with no effect → nothing', () => {
    const r = recommend(oneFaultRun({ layer: 'process', kind: 'timeskew', target: 'service=api' }, { during: traffic({ errors: 20, errorsByKind: { http_4xx: 20 } }) }));
    expect(r.map((x) => x.recipe)).toEqual(['monotonic-clock']);
    expect(recommend(oneFaultRun({ layer: 'process', kind: 'clockdrift', target: 'service=api' }))).toEqual([]);
  });

  it('unrecovered faults and slow or missing detection → an alert / steady-state probe on the signal that broke', () => {
    const stuck = recommend(oneFaultRun({ kind: 'loss' }, { recovered: false, timeToRecoverMs: null, during: traffic({ errors: 30, errorsByKind: { timeout: 30 } }) }));
    const alert = stuck.find((x) => x.title.startsWith('Alert when'))!;
    expect(alert).toMatchObject({ severity: 'high' });
    expect(alert.change).toContain('error rate (above 1.00 %)');
    const slow = recommend(oneFaultRun({ kind: 'latency' }, { timeToDetectMs: 8000, during: traffic({ p99: 65 }) }, { slo: { detectMs: 2000 } }));
    expect(slow.map((x) => x.title)).toEqual(['Detect proxy/latency proxy=pricing faster']);
    expect(slow[0]!.why).toBe('time to detect 8.00 s is above the 2.00 s SLO');
    const never = recommend(oneFaultRun({ kind: 'latency' }, { timeToDetectMs: null, during: traffic({ p99: 65 }) }, { slo: { detectMs: 2000 } }));
    expect(never[0]!.title).toBe('Add a steady-state probe that detects proxy/latency proxy=pricing');
    expect(never[0]!.change).toContain('p99 latency (above 70 ms)');
  });

  it('severity follows impact: not recovered or ≥ 10 points of availability lost → high; ≥ 1 point or p99 broken → medium; else low', () => {
    const sev = (during = traffic(), recovered = true) => severityOf(faultImpacts(oneFaultRun({}, { during, recovered }))[0]!);
    expect(sev(traffic({ errors: 12 }))).toBe('high');
    expect(sev(traffic(), false)).toBe('high');
    expect(sev(traffic({ errors: 2 }))).toBe('medium');
    expect(sev(traffic({ p99: 500 }))).toBe('medium');
    expect(sev(traffic({ p99: 50 }))).toBe('low');
  });

  it('reads traffic from the buckets of the fault window when there are no figures; no faults → no recommendations', () => {
    const r = shopRun();
    delete r.figures;
    const impacts = faultImpacts(r);
    expect(impacts[1]!.http5xx).toBe(72);
    expect(impacts[0]!.p99Breached).toBe(false); // no bounds without figures
    expect(recommend(r).map((x) => x.recipe)).toEqual(['guard-call']);
    expect(recommend({ ...shopRun(), faults: [] })).toEqual([]);
  });

  it('does not repeat the same recipe at the same location; the recommendation names every fault that led to it', () => {
    const r = oneFaultRun({ id: 'a', kind: 'latency' }, { during: traffic({ p99: 400 }) });
    r.faults.push({ ...r.faults[0]!, id: 'b' });
    r.figures!.faults.push({ ...r.figures!.faults[0]!, faultId: 'b' });
    expect(recommend(r).map((x) => [x.recipe, x.faultIds])).toEqual([['add-timeout', ['a', 'b']]]);
  });

  it('a latency fault on a dependency link: add-timeout at the call site the agent saw waiting (dependency-call evidence)', () => {
    const call = ev({ source: 'dependency-call', message: '151 calls to pricing (127.0.0.1:7311) while the fault was active: mean 698 ms, p99 806 ms, max 822 ms', faultId: 'f1', fn: 'fetchPrice', frames: [appFrame('/app/dist/pricing-client.js', 21, 'fetchPrice')] });
    const thrown = ev({ message: 'connect ECONNREFUSED 127.0.0.1:7311', faultId: 'f1', frames: [appFrame('/app/dist/pricing-client.js', 21, 'fetchPrice')] });
    const sites = evidenceSites([thrown, call], (file, line) => ({ file: file.replace('/dist/', '/src/').replace(/\.js$/, '.ts'), line: line + 4 }));
    // an error and a call site at the same place stay two sites; only the call site is marked
    expect(sites.map((x) => [x.location, x.source ?? 'error', x.count])).toEqual([
      ['/app/src/pricing-client.ts:25', 'error', 1],
      ['/app/src/pricing-client.ts:25', 'dependency-call', 1],
    ]);
    const onlyCall = sites.filter((x) => x.source === 'dependency-call');
    const recs = recommend(oneFaultRun({ kind: 'latency' }, { during: traffic({ p99: 686 }) }, { evidence: onlyCall }));
    expect(recs.map((x) => [x.recipe, x.location, x.faultIds])).toEqual([['add-timeout', '/app/src/pricing-client.ts:25', ['f1']]]);
    expect(recs[0]!.change).toContain('Give the call at /app/src/pricing-client.ts:25 (fetchPrice) a deadline');
    // a call site is not a connection error, even when its calls failed with one
    const failing = { ...onlyCall[0]!, message: '20 calls to pricing (127.0.0.1:7311) while the fault was active: mean 3 ms, p99 5 ms, max 6 ms; 20 failed (ECONNRESET ×20)' };
    expect(faultImpacts(oneFaultRun({ kind: 'reset_peer' }, {}, { evidence: [failing] }))[0]!.connectionErrors).toBe(0);
  });
});
