/**
 * Traffic faults with `rate`: a flood of the fault's own requests on top of the load, over a pool of its own, for as
 * long as the fault is active. Real load, real sockets on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allowAll, memoryLedger } from '../../../src/core/fault.js';
import { createRng } from '../../../src/core/rng.js';
import { InjectionEngine } from '../../../src/inject/engine.js';
import { startLoad, type LoadHandle, type RequestSample } from '../../../src/observe/load.js';
import { TrafficFaults } from '../../../src/observe/malformed.js';
import { waitFor } from './helpers.js';

const KEYED = /^\/products\/k-(\d+)-[0-9a-z]{6}$/;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A server counting requests by path and the sockets they came on. /products/sku-42 (the load) is answered at
 * once; the others after `delayMs`, or never (`hang`).
 */
function target(o: { delayMs?: number; hang?: boolean } = {}) {
  const byPath = new Map<string, number>();
  const paths: string[] = [];
  /** sockets that carried a request other than the load's, and whether each is still open */
  const floodSockets = new Map<Socket, boolean>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    paths.push(url);
    byPath.set(url, (byPath.get(url) ?? 0) + 1);
    if (url === '/products/sku-42') return void res.writeHead(200).end('{"sku":"sku-42"}');
    if (!floodSockets.has(req.socket)) {
      floodSockets.set(req.socket, true);
      req.socket.once('close', () => floodSockets.set(req.socket, false));
    }
    if (o.hang) return; // never answers
    setTimeout(() => res.writeHead(200).end('{}'), o.delayMs ?? 0);
  });
  return {
    server,
    paths,
    count: (pred: (p: string) => boolean): number => paths.filter(pred).length,
    loadRequests: (): number => byPath.get('/products/sku-42') ?? 0,
    openFloodSockets: (): number => [...floodSockets.values()].filter(Boolean).length,
    floodSockets: (): number => floodSockets.size,
  };
}

const listen = (s: http.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

describe('traffic faults with rate: a flood on top of the load', () => {
  const servers: http.Server[] = [];
  const loads: LoadHandle[] = [];
  afterEach(async () => {
    for (const h of loads.splice(0)) await h.stop('cancel');
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  async function setup(o: { delayMs?: number; hang?: boolean; ratePerSec?: number; count?: number; timeoutMs?: number; seed?: number } = {}) {
    const t = target(o);
    servers.push(t.server);
    const port = await listen(t.server);
    const ledger = memoryLedger();
    const traffic = new TrafficFaults({ rng: createRng(o.seed ?? 42), ledger });
    const engine = new InjectionEngine({ stateDir: '/nonexistent-faultline-state', ledger: memoryLedger(), guard: allowAll, services: {} as never, traffic });
    const samples: RequestSample[] = [];
    const start = (): LoadHandle => {
      const h = startLoad(
        { url: `http://127.0.0.1:${port}/products/sku-42`, method: 'GET', ratePerSec: o.ratePerSec ?? 20, timeoutMs: o.timeoutMs ?? 2000, connections: 8, traffic },
        { ...(o.count !== undefined ? { count: o.count } : {}), onSample: (s) => samples.push(s) },
      );
      loads.push(h);
      return h;
    };
    return { ...t, port, ledger, traffic, engine, samples, start };
  }

  it('unique-keys rate 200 for ~1 s: ~200 new keys reach the server, none in the load samples, the load undisturbed; nothing after revert', async () => {
    const s = await setup({ count: 30 }); // 1.5 s of load at 20 req/s
    const load = s.start();
    await sleep(200);
    const { fault } = await s.engine.inject({ layer: 'traffic', kind: 'unique-keys', target: {}, params: { path: '/products/*', rate: 200 }, ttlMs: 60_000 });
    const injected = performance.now();
    expect(fault.params).toMatchObject({ rate: 200, connections: 16 });
    await sleep(1000);
    await s.engine.revert(fault.id);
    const floodedMs = performance.now() - injected;
    await s.traffic.idle();
    const keyed = s.count((p) => KEYED.test(p));
    // slot i is due i × 5 ms after the injection (open loop: a late timer catches up), so ~200 × the time it ran
    expect(keyed).toBeGreaterThanOrEqual(100);
    expect(keyed).toBeLessThanOrEqual((200 * floodedMs) / 1000 + 20);
    expect(Math.abs(s.traffic.summary(fault.id)!.sent - (200 * floodedMs) / 1000)).toBeLessThanOrEqual(40);
    // every key new, counted 1, 2, 3 … by the fault's own generator (the connections may deliver them out of order)
    const ns = s.paths.filter((p) => KEYED.test(p)).map((p) => Number(KEYED.exec(p)![1]));
    expect(new Set(ns).size).toBe(ns.length);
    expect(Math.max(...ns)).toBeLessThanOrEqual(s.traffic.summary(fault.id)!.sent);
    // at most the flood's 16 sockets, none of them the load's
    expect(s.floodSockets()).toBeLessThanOrEqual(16);
    // the summary counts them: answered 2xx, or cancelled by the revert while in flight
    const sum = s.traffic.summary(fault.id)!;
    expect(sum.request).toBe('GET /products/*');
    expect(sum.sent).toBeGreaterThanOrEqual(keyed);
    expect((sum.byClass['2xx'] ?? 0) + (sum.byClass.aborted ?? 0)).toBe(sum.sent);
    expect(sum.asExpected).toBe(sum.byClass['2xx']);
    expect(sum.byClass['2xx']).toBeGreaterThanOrEqual(keyed - 16);
    // after the revert no more arrive, while the load goes on
    await sleep(300);
    expect(s.count((p) => KEYED.test(p))).toBe(keyed);
    await load.done;
    // the load: all 30 requests sent and answered, none replaced, none of the flood's in its samples
    expect(s.samples).toHaveLength(30);
    expect(s.samples.every((x) => x.faultId === undefined && x.outcome === 'ok' && x.unmeasured === undefined)).toBe(true);
    expect(s.loadRequests()).toBe(30);
    expect(s.ledger.events.map((e) => e.action)).toEqual(['inject', 'revert']);
    await waitFor(() => (s.openFloodSockets() === 0 ? true : undefined), 'the flood sockets to close', 3000);
  });

  it('the TTL stops the flood without a revert call (mix GET /report rate 100, ttl 500 ms); the load goes on', async () => {
    const s = await setup({ count: 30 });
    const load = s.start();
    await sleep(100);
    const { fault } = await s.engine.inject({ layer: 'traffic', kind: 'mix', target: {}, params: { method: 'GET', path: '/report', rate: 100, connections: 4 }, ttlMs: 500 });
    await waitFor(() => (s.ledger.events.some((e) => e.action === 'expire') ? true : undefined), 'the flood to record its expiry', 3000);
    await s.traffic.idle();
    const reports = s.count((p) => p === '/report');
    expect(reports).toBeGreaterThanOrEqual(20);
    expect(reports).toBeLessThanOrEqual(80);
    expect(s.floodSockets()).toBeLessThanOrEqual(4);
    await sleep(300);
    expect(s.count((p) => p === '/report')).toBe(reports);
    expect(s.ledger.events.map((e) => e.action)).toEqual(['inject', 'expire']);
    expect(s.traffic.summary(fault.id)).toMatchObject({ request: 'GET /report', expect: '2xx' });
    await load.done;
    expect(s.samples).toHaveLength(30);
    expect(s.samples.every((x) => x.faultId === undefined && x.outcome === 'ok')).toBe(true);
    expect(s.openFloodSockets()).toBe(0);
  });

  it('a hung target: the flood times out or drops, the summary shows it, the load is not held up, and the sockets close', async () => {
    const s = await setup({ hang: true, ratePerSec: 50, timeoutMs: 150 });
    const load = s.start();
    const { fault } = await s.engine.inject({ layer: 'traffic', kind: 'unique-keys', target: {}, params: { path: '/products/*', rate: 200, connections: 4 }, ttlMs: 60_000 });
    await sleep(1000);
    // each request the server got was held until the flood cancelled it (the other slots queued in the flood's pool)
    expect(s.count((p) => KEYED.test(p))).toBeGreaterThan(0);
    await s.engine.revert(fault.id);
    await s.traffic.idle();
    const sum = s.traffic.summary(fault.id)!;
    expect(sum.sent).toBeGreaterThanOrEqual(100);
    expect(sum.asExpected).toBe(0);
    expect(sum.byClass['2xx']).toBeUndefined();
    expect(sum.byClass.timeout).toBeGreaterThan(0);
    const { timeout = 0, dropped = 0, aborted = 0, ...rest } = sum.byClass;
    expect(rest).toEqual({});
    expect(timeout + dropped + aborted).toBe(sum.sent);
    // outstanding never above rate × timeout = 30: at most that many cancelled by the revert
    expect(aborted).toBeLessThanOrEqual(30);
    await load.stop();
    // the load's own requests went over its own sockets: none waited behind the hung flood
    expect(s.samples.length).toBeGreaterThan(40);
    expect(s.samples.every((x) => x.outcome === 'ok' && x.faultId === undefined)).toBe(true);
    // nothing leaks: every socket the flood opened is closed on the server's side too
    await waitFor(() => (s.openFloodSockets() === 0 ? true : undefined), 'the flood sockets to close', 3000);
  });

  it('a rate-fault injected with no load attached floods once a load attaches, and stops when that load stops', async () => {
    const s = await setup();
    const { fault } = await s.engine.inject({ layer: 'traffic', kind: 'mix', target: {}, params: { method: 'GET', path: '/report', rate: 100 }, ttlMs: 60_000 });
    await sleep(200);
    expect(s.count((p) => p === '/report')).toBe(0);
    const load = s.start();
    await waitFor(() => (s.count((p) => p === '/report') >= 20 ? true : undefined), 'the flood to start', 3000);
    await load.stop(); // resolves once the flood's sockets are closed too
    const reports = s.count((p) => p === '/report');
    await sleep(300);
    expect(s.count((p) => p === '/report')).toBe(reports);
    expect(s.openFloodSockets()).toBe(0);
    // the fault itself is still active: a new load gets the flood again
    expect(s.traffic.active().map((f) => f.id)).toEqual([fault.id]);
    const again = s.start();
    await waitFor(() => (s.count((p) => p === '/report') >= reports + 10 ? true : undefined), 'the flood to start again', 3000);
    await again.stop();
    await s.engine.revert(fault.id);
    expect(s.samples.every((x) => x.outcome === 'ok' && x.faultId === undefined)).toBe(true);
  });
});
