import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { summarize } from '../../../src/observe/load.js';
import { trafficDrill } from './traffic-drill.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

/**
 * A shop that records every request (method, url, content-type, body): GET /products/sku-42 answers 200; POST
 * /orders parses the order and answers 201, after `writeDelayMs` (a slow write path: a slow disk under the orders).
 */
function shop(writeDelayMs = 0): { server: http.Server; seen: Seen[] } {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
      if (req.method === 'GET' && req.url === '/products/sku-42') return void res.writeHead(200).end('{"sku":"sku-42"}');
      if (req.method === 'POST' && req.url === '/orders') {
        const o = JSON.parse(body) as { sku: string; quantity: number };
        setTimeout(() => res.writeHead(201).end(JSON.stringify({ id: seen.length, ...o })), writeDelayMs).unref();
        return;
      }
      res.writeHead(404).end();
    });
  });
  return { server, seen };
}

const listen = (s: http.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
const ORDER = '{"sku":"sku-42","quantity":1}';

describe('another request mixed into the load (traffic fault mix)', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  /** 1.2 s of read-only load at 100 req/s on /products/sku-42; the fault from 0.3 s, TTL `ttlMs`, never reverted. */
  async function drill(o: { ttlMs: number; share: number; writeDelayMs?: number; timeoutMs?: number; connections?: number; measure?: boolean }) {
    const s = shop(o.writeDelayMs);
    servers.push(s.server);
    const port = await listen(s.server);
    const params = { path: '/orders', body: ORDER, share: o.share, ...(o.measure !== undefined ? { measure: o.measure } : {}) };
    return { ...s, ...(await trafficDrill({ port, kind: 'mix', params, ttlMs: o.ttlMs, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), ...(o.connections !== undefined ? { connections: o.connections } : {}) })) };
  }

  it('measure: false sends the writes and summarises them, but leaves them out of the load\'s samples (the steady state judges the reads)', async () => {
    const r = await drill({ ttlMs: 60_000, share: 0.3, writeDelayMs: 400, measure: false });
    const orders = r.seen.filter((x) => x.method === 'POST');
    expect(orders.length).toBeGreaterThan(5);
    expect(r.summary).toMatchObject({ request: 'POST /orders', sent: orders.length, asExpected: orders.length });
    // each write completes its slot (so the timeline can close it) but says it is not measured
    const writes = r.samples.filter((x) => x.faultId !== undefined);
    expect(writes).toHaveLength(orders.length);
    expect(writes.every((x) => x.unmeasured === true)).toBe(true);
    expect(r.samples.filter((x) => !x.unmeasured).every((x) => x.faultId === undefined)).toBe(true);
    // what the load measures is the reads only: none of them waited for the slow writes
    expect(Math.max(...r.samples.filter((x) => !x.unmeasured).map((x) => x.latencyMs))).toBeLessThan(300);
  });

  it('about `share` of the requests arrive as the given POST with its body; the rest is the load unchanged', async () => {
    const r = await drill({ ttlMs: 60_000, share: 0.3 });
    expect(r.fault.target.route).toBe('POST /orders');
    const orders = r.seen.filter((x) => x.method === 'POST');
    expect(orders).toHaveLength(r.summary.sent);
    expect(orders.every((x) => x.url === '/orders' && x.body === ORDER && x.contentType === 'application/json')).toBe(true);
    expect(r.seen.filter((x) => x.method !== 'POST').every((x) => x.method === 'GET' && x.url === '/products/sku-42' && x.body === '')).toBe(true);
    // share 0.3 of the requests sent under the fault (generous bounds: a seeded draw over ~90 requests)
    const under = r.samples.filter((x) => x.at >= r.injectedAt + 20);
    const mixed = under.filter((x) => x.faultId === r.fault.id).length;
    expect(mixed / under.length).toBeGreaterThan(0.12);
    expect(mixed / under.length).toBeLessThan(0.5);
    expect(r.samples.filter((x) => x.at < r.injectedAt - 20).every((x) => x.faultId === undefined)).toBe(true);
    // the orders are answered 201: all as expected (2xx), nothing counted as an error
    expect(r.samples.every((x) => x.outcome === 'ok')).toBe(true);
    expect(r.summary).toEqual({ request: 'POST /orders', expect: '2xx', sent: r.summary.sent, asExpected: r.summary.sent, byClass: { '2xx': r.summary.sent } });
  });

  it('stops at the TTL though nobody reverts it', async () => {
    const r = await drill({ ttlMs: 300, share: 0.5 });
    const mixed = r.samples.filter((x) => x.faultId !== undefined);
    expect(mixed.length).toBeGreaterThan(3);
    // generous bound: nothing replaced later than the TTL (plus scheduling slack) after the injection
    expect(Math.max(...mixed.map((x) => x.at))).toBeLessThan(r.injectedAt + 300 + 150);
    expect(r.samples.filter((x) => x.at > r.injectedAt + 500).every((x) => x.faultId === undefined)).toBe(true);
    expect(r.seen.filter((x) => x.method === 'POST')).toHaveLength(mixed.length);
  });

  it('a slow write path is felt under the load: the mixed orders time out as mix_timeout', async () => {
    const r = await drill({ ttlMs: 60_000, share: 0.3, writeDelayMs: 1500, timeoutMs: 400, connections: 64 }); // enough connections that the held orders do not queue the reads
    expect(r.summary.sent).toBeGreaterThan(10);
    const s = summarize(r.samples, 1200);
    expect(s.errorsByKind).toEqual({ mix_timeout: r.summary.sent });
    expect(r.summary).toEqual({ request: 'POST /orders', expect: '2xx', sent: r.summary.sent, asExpected: 0, byClass: { timeout: r.summary.sent } });
    expect(r.samples.filter((x) => x.faultId === undefined).every((x) => x.outcome === 'ok')).toBe(true);
  });
});
