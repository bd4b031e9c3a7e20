import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { summarize, type RequestSample } from '../../../src/observe/load.js';
import { TrafficFaults } from '../../../src/observe/malformed.js';
import { trafficDrill } from './traffic-drill.js';

/** A small shop: GET /products answers 200; POST /orders parses the body; a bad body is answered `badJsonStatus`. */
function shop(badJsonStatus: 400 | 500): http.Server {
  return http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      try {
        if (req.method === 'POST' && req.url === '/orders') {
          const o = JSON.parse(raw) as { sku: string };
          res.writeHead(201).end(JSON.stringify({ sku: o.sku }));
          return;
        }
        res.writeHead(200).end('{"ok":true}');
      } catch (err) {
        res.writeHead(err instanceof SyntaxError ? badJsonStatus : 500).end(JSON.stringify({ error: (err as Error).message }));
      }
    });
  });
}

const listen = (s: http.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

describe('malformed requests mixed into the load (traffic fault)', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  /** 1.2 s of load at 100 req/s; the fault (share 0.3) from 0.3 s, TTL `ttlMs`, never reverted. */
  async function drill(badJsonStatus: 400 | 500, ttlMs: number): Promise<{ samples: RequestSample[]; summary: ReturnType<TrafficFaults['summary']>; injectedAt: number }> {
    const server = shop(badJsonStatus);
    servers.push(server);
    const port = await listen(server);
    const { samples, summary, injectedAt } = await trafficDrill({ port, kind: 'malformed', params: { path: '/orders', share: 0.3 }, ttlMs });
    return { samples, summary, injectedAt };
  }

  it('a service that answers bad JSON with 500 shows in the error rate; one that answers 400 does not', async () => {
    const bad = await drill(500, 60_000);
    const good = await drill(400, 60_000);
    for (const r of [bad, good]) {
      // the load's own requests before the fault were all plain GETs
      expect(r.samples.filter((s) => s.at < r.injectedAt - 20).every((s) => s.faultId === undefined && s.outcome === 'ok')).toBe(true);
      expect(r.summary!.sent).toBeGreaterThan(10);
      expect(r.samples.filter((s) => s.faultId !== undefined)).toHaveLength(r.summary!.sent);
    }
    const badSummary = summarize(bad.samples, 1200);
    const goodSummary = summarize(good.samples, 1200);
    expect(bad.summary).toMatchObject({ request: 'POST /orders', expect: '4xx', asExpected: 0, byClass: { '5xx': bad.summary!.sent } });
    expect(badSummary.errorsByKind).toEqual({ malformed_http_5xx: bad.summary!.sent });
    expect(badSummary.errorRate).toBeGreaterThan(0.1);
    expect(good.summary).toMatchObject({ asExpected: good.summary!.sent, byClass: { '4xx': good.summary!.sent } });
    expect(goodSummary.errors).toBe(0);
    expect(goodSummary.errorRate).toBe(0);
  });

  it('stops mixing at the TTL though nobody reverts it', async () => {
    const r = await drill(500, 300);
    const mixed = r.samples.filter((s) => s.faultId !== undefined);
    expect(mixed.length).toBeGreaterThan(3);
    // generous bound: nothing replaced later than the TTL (plus scheduling slack) after the injection
    expect(Math.max(...mixed.map((s) => s.at))).toBeLessThan(r.injectedAt + 300 + 100);
    expect(r.samples.filter((s) => s.at > r.injectedAt + 450).every((s) => s.faultId === undefined && s.outcome === 'ok')).toBe(true);
  });
});
