import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { summarize } from '../../../src/observe/load.js';
import { trafficDrill } from './traffic-drill.js';

/**
 * A catalogue that records every path it is asked: /products/sku-42 is known (200); an unknown key is answered 200
 * from a per-key map that grows with it (`lenient`), or 500 (`strict`: only known keys are served).
 */
function catalogue(mode: 'lenient' | 'strict'): { server: http.Server; paths: string[]; seen: Map<string, number> } {
  const paths: string[] = [];
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    const key = /^\/products\/([^/?]+)$/.exec(req.url ?? '')?.[1];
    if (key === undefined) return void res.writeHead(404).end();
    if (key !== 'sku-42' && mode === 'strict') return void res.writeHead(500).end('{"error":"no such product"}');
    seen.set(key, (seen.get(key) ?? 0) + 1);
    res.writeHead(200).end(`{"sku":"${key}"}`);
  });
  return { server, paths, seen };
}

const listen = (s: http.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
const KEYED = /^\/products\/k-(\d+)-[0-9a-z]{6}$/;
/** the keyed paths in key order (n), whatever order the connections delivered them in */
const byN = (paths: string[]): string[] => paths.filter((p) => KEYED.test(p)).sort((a, b) => Number(KEYED.exec(a)![1]) - Number(KEYED.exec(b)![1]));

describe('unique keys mixed into the load (traffic fault)', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  /** 1.2 s of load at 100 req/s on /products/sku-42; the fault (share 0.5) from 0.3 s, TTL `ttlMs`, never reverted. */
  async function drill(mode: 'lenient' | 'strict', seed: number, ttlMs: number) {
    const c = catalogue(mode);
    servers.push(c.server);
    const port = await listen(c.server);
    return { ...c, ...(await trafficDrill({ port, kind: 'unique-keys', params: { path: '/products/*' }, ttlMs, seed })) };
  }

  it('about `share` of the requests arrive with keys never asked before; the same seed asks the same keys', async () => {
    const a = await drill('lenient', 42, 60_000);
    const keyed = byN(a.paths);
    // every replaced request reached the server with its own key, and nothing else changed
    expect(keyed).toHaveLength(a.summary.sent);
    expect(new Set(keyed).size).toBe(keyed.length);
    keyed.forEach((p, i) => expect(KEYED.exec(p)![1]).toBe(String(i + 1)));
    expect(a.paths.filter((p) => !KEYED.test(p)).every((p) => p === '/products/sku-42')).toBe(true);
    expect(a.seen.size).toBe(keyed.length + 1); // the per-key map grew by one entry per key
    // share 0.5 of the requests sent under the fault (generous bounds: a seeded draw over ~90 requests)
    const under = a.samples.filter((s) => s.at >= a.injectedAt + 20);
    const mixed = under.filter((s) => s.faultId === a.fault.id).length;
    expect(mixed / under.length).toBeGreaterThan(0.3);
    expect(mixed / under.length).toBeLessThan(0.7);
    expect(a.samples.filter((s) => s.at < a.injectedAt - 20).every((s) => s.faultId === undefined)).toBe(true);
    expect(a.samples.every((s) => s.outcome === 'ok')).toBe(true);
    expect(a.summary).toMatchObject({ request: 'GET /products/*', expect: '2xx', asExpected: a.summary.sent, byClass: { '2xx': a.summary.sent } });

    const replay = await drill('lenient', 42, 60_000);
    const again = byN(replay.paths);
    const n = Math.min(keyed.length, again.length);
    expect(n).toBeGreaterThan(20);
    expect(again.slice(0, n)).toEqual(keyed.slice(0, n));
    const other = byN((await drill('lenient', 7, 60_000)).paths);
    expect(other.filter((p) => keyed.includes(p))).toEqual([]);
  });

  it('a service that fails unknown keys shows unique_http_5xx errors and the summary', async () => {
    const r = await drill('strict', 42, 60_000);
    expect(r.summary.sent).toBeGreaterThan(20);
    expect(r.summary).toEqual({ request: 'GET /products/*', expect: '2xx', sent: r.summary.sent, asExpected: 0, byClass: { '5xx': r.summary.sent } });
    const s = summarize(r.samples, 1200);
    expect(s.errorsByKind).toEqual({ unique_http_5xx: r.summary.sent });
    expect(s.errorRate).toBeGreaterThan(0.2);
    expect(r.samples.filter((x) => x.faultId !== undefined).every((x) => x.status === 500 && x.outcome === 'unique_http_5xx')).toBe(true);
  });

  it('stops at the TTL though nobody reverts it', async () => {
    const r = await drill('strict', 42, 300);
    const mixed = r.samples.filter((s) => s.faultId !== undefined);
    expect(mixed.length).toBeGreaterThan(3);
    // generous bound: nothing replaced later than the TTL (plus scheduling slack) after the injection
    expect(Math.max(...mixed.map((s) => s.at))).toBeLessThan(r.injectedAt + 300 + 100);
    expect(r.samples.filter((s) => s.at > r.injectedAt + 450).every((s) => s.faultId === undefined && s.outcome === 'ok')).toBe(true);
    expect(byN(r.paths)).toHaveLength(mixed.length);
  });
});
