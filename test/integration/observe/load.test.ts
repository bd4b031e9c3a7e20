import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { runLoad, startLoad, summarize, type RequestSample } from '../../../src/observe/load.js';
import { admin, startFixture, within, type Fixture } from './helpers.js';

const listen = (s: net.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

describe('open-loop load generator', () => {
  let fx: Fixture | undefined;
  const servers: net.Server[] = [];
  afterEach(async () => {
    await fx?.stop();
    fx = undefined;
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  it('keeps its schedule while the target stalls, and the stall shows as latency (no coordinated omission)', async () => {
    fx = await startFixture();
    const samples: RequestSample[] = [];
    const t0 = performance.now();
    const h = startLoad({ url: `${fx.url}/`, method: 'GET', ratePerSec: 200, timeoutMs: 3000, connections: 8 }, { t0, onSample: (s) => samples.push(s) });
    await new Promise((r) => setTimeout(r, 500));
    const stall = await admin(fx.port, '/admin/stall?ms=1000');
    const stallAt = stall.from! - (performance.timeOrigin + t0);
    await new Promise((r) => setTimeout(r, 1800));
    const stoppedAtMs = performance.now() - t0;
    await h.stop();
    const stats = h.stats();
    // sent on schedule: 200/s over the run, whatever the target did
    expect(within(stats.sent, (200 * stoppedAtMs) / 1000, 5)).toBe(true);
    expect(stats.completed).toBe(stats.sent);
    expect(stats.sendLagMs.p99).toBeLessThan(50);
    const inStall = samples.filter((s) => s.at >= stallAt + 20 && s.at < stallAt + 980);
    expect(within(inStall.length, 200 * 0.96, 12)).toBe(true);
    // the first request of the stall waited about the whole stall, from its intended send time
    const first = inStall.sort((a, b) => a.at - b.at)[0]!;
    expect(within(first.latencyMs, 1000 - (first.at - stallAt), 150)).toBe(true);
    expect(within(summarize(samples, 2300).latencyMs.max, 1000, 200)).toBe(true);
    expect(samples.every((s) => s.outcome === 'ok')).toBe(true);
  });

  it('counts a request still unanswered timeoutMs after its intended send time as a timeout', async () => {
    fx = await startFixture();
    await admin(fx.port, '/admin/stall?ms=1500');
    const samples = await runLoad({ url: `${fx.url}/`, ratePerSec: 50, durationMs: 400, timeoutMs: 300 });
    expect(samples.length).toBe(20);
    expect(samples.every((s) => s.outcome === 'timeout')).toBe(true);
    for (const s of samples) expect(within(s.latencyMs, 300, 80)).toBe(true);
  });

  it('names error kinds: http_5xx, http_4xx, ECONNREFUSED, ECONNRESET', async () => {
    fx = await startFixture();
    await admin(fx.port, '/admin/outage?ms=10000&status=404');
    expect(summarize(await runLoad({ url: `${fx.url}/`, ratePerSec: 100, durationMs: 100 }), 100).errorsByKind).toEqual({ http_4xx: 10 });
    await admin(fx.port, '/admin/outage?ms=10000&status=500');
    expect(summarize(await runLoad({ url: `${fx.url}/`, ratePerSec: 100, durationMs: 100 }), 100).errorsByKind).toEqual({ http_5xx: 10 });

    const closed = net.createServer();
    const closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    expect(summarize(await runLoad({ url: `http://127.0.0.1:${closedPort}/`, ratePerSec: 100, durationMs: 100 }), 100).errorsByKind).toEqual({ ECONNREFUSED: 10 });

    const resetter = net.createServer((sock) => sock.once('data', () => sock.resetAndDestroy()));
    servers.push(resetter);
    const resetPort = await listen(resetter);
    expect(summarize(await runLoad({ url: `http://127.0.0.1:${resetPort}/`, ratePerSec: 100, durationMs: 100 }), 100).errorsByKind).toEqual({ ECONNRESET: 10 });
  });

  it('sends the method, headers and body it is given', async () => {
    const seen: Array<{ method?: string; auth?: string; type?: string; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        seen.push({ method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], body });
        res.end('ok');
      });
    });
    servers.push(server);
    const port = await listen(server);
    const samples = await runLoad({ url: `http://127.0.0.1:${port}/orders?x=1`, method: 'POST', body: '{"n":1}', headers: { authorization: 'Bearer t' }, ratePerSec: 50, durationMs: 100 });
    expect(samples.map((s) => s.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(seen[0]).toEqual({ method: 'POST', auth: 'Bearer t', type: 'application/json', body: '{"n":1}' });
  });

  it('a cancelled load records requests in flight as aborted, which summaries leave out', async () => {
    fx = await startFixture();
    await admin(fx.port, '/admin/stall?ms=3000');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = performance.now();
    const samples = await runLoad({ url: `${fx.url}/`, ratePerSec: 100, durationMs: 2000, signal: ac.signal });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(samples.length).toBeGreaterThan(20);
    expect(samples.every((s) => s.outcome === 'aborted')).toBe(true);
    expect(summarize(samples, 300).requests).toBe(0);
  });

  it('refuses a bad spec, naming the attribute', () => {
    const code = (url: string, rate = 10): string => {
      try {
        startLoad({ url, method: 'GET', ratePerSec: rate, timeoutMs: 1000 }, { onSample: () => undefined });
      } catch (e) {
        return isFaultlineError(e) ? `${e.code}: ${e.message.split(':')[0]}` : String(e);
      }
      return 'accepted';
    };
    expect(code('http://10.1.2.3:80/')).toBe('FL_ERR_NOT_LOCAL: load.url');
    expect(code('https://127.0.0.1:1/')).toBe('FL_ERR_LOAD_SPEC: load.url');
    expect(code('not a url')).toBe('FL_ERR_LOAD_SPEC: load.url');
    expect(code('http://127.0.0.1:1/', 0)).toBe('FL_ERR_LOAD_SPEC: load.ratePerSec');
  });
});
