// The agent's record of outbound calls: real fetch and node:http calls from an "application" module (a file in a
// temp folder, so its call sites are known to the line) to a real local server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../src/inject/agent/client.js';
import { createControlServer, listenControlServer } from '../../../src/inject/agent/control-server.js';
import { normalOrigin, originOf, OutboundMonitor } from '../../../src/inject/agent/outbound.js';
import { AgentRuntime } from '../../../src/inject/agent/runtime.js';

// line numbers matter: the application's call sites are asserted below. CommonJS loaded with require, so the
// test runner does not transform it (its line numbers stay the file's own).
const APP = `const http = require('node:http');
exports.fetchPrice = async function fetchPrice(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
};
exports.getPrice = function getPrice(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
  });
};
`;

let dir: string;
let app: { fetchPrice(url: string): Promise<{ status: number; body: string }>; getPrice(url: string): Promise<number> };
let server: http.Server;
let base: string;
let origin: string;
let closedPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fl-outbound-'));
  writeFileSync(join(dir, 'pricing-client.cjs'), APP);
  app = createRequire(import.meta.url)(join(dir, 'pricing-client.cjs')) as typeof app;
  const spare = http.createServer();
  await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
  closedPort = (spare.address() as AddressInfo).port;
  await new Promise((r) => spare.close(r));
  server = http.createServer((req, res) => {
    const delay = req.url?.startsWith('/slow') ? 120 : 0;
    setTimeout(() => res.writeHead(req.url?.startsWith('/fail') ? 503 : 200).end('{"cents":1}'), delay);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `http://${origin}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const inApp = (file: string): boolean => file.startsWith(dir);

describe('outbound calls', () => {
  it('normalises origins', () => {
    expect(originOf('http://127.0.0.1:7311/price/x')).toBe('127.0.0.1:7311');
    expect(originOf('https://pricing.test/x')).toBe('pricing.test:443');
    expect(originOf('http://[::1]:8080')).toBe('::1:8080');
    expect(normalOrigin('127.0.0.1:7311')).toBe('127.0.0.1:7311');
    expect(normalOrigin('localhost')).toBe('localhost:80');
    expect(normalOrigin('[::1]:8080')).toBe('::1:8080');
  });

  it('records nothing until watched, then each call with its call site, latency and outcome', async () => {
    const m = new OutboundMonitor(inApp);
    await app.fetchPrice(`${base}/price/a`);
    expect(m.size).toBe(0);
    expect(m.watching).toBe(false);

    const t0 = Date.now();
    expect(m.watch(10_000)).toBeGreaterThanOrEqual(t0 + 10_000);
    await app.fetchPrice(`${base}/price/a`);
    await app.fetchPrice(`${base}/slow/b`);
    await app.fetchPrice(`${base}/fail/c`);
    expect(await app.getPrice(`${base}/price/d`)).toBe(200);
    await expect(app.fetchPrice(`http://127.0.0.1:${closedPort}/refused`)).rejects.toThrow();
    m.stop();
    await app.fetchPrice(`${base}/price/e`);

    const answer = m.summarize({ origin });
    expect(answer.recorded).toBe(5); // 4 to the server, 1 refused
    const bySite = new Map(answer.sites.map((s) => [`${s.frame?.fn}:${s.frame?.line}`, s]));
    // node:http publishes the request's creation synchronously (with the caller on the stack) from Node 22 on
    const httpSite = Number(process.versions.node.split('.')[0]) >= 22 ? 'getPrice:9' : 'undefined:undefined';
    expect([...bySite.keys()].sort()).toEqual(['fetchPrice:3', httpSite].sort());
    const f = bySite.get('fetchPrice:3');
    expect(f?.frame?.file).toBe(join(dir, 'pricing-client.cjs'));
    expect(f?.calls).toBe(3);
    expect(f?.failed).toBe(1);
    expect(f?.failures).toEqual({ http_503: 1 });
    expect(f?.maxMs).toBeGreaterThanOrEqual(100); // the /slow call waited 120 ms for its headers
    expect(f?.meanMs).toBeLessThan(f?.maxMs as number);
    expect(bySite.get(httpSite)).toMatchObject({ calls: 1, failed: 0 });
    // the refused call went to another origin, and failed
    const refused = m.summarize({ origin: `127.0.0.1:${closedPort}` }).sites;
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ calls: 1, failed: 1, failures: { ECONNREFUSED: 1 } });
    // time windows: nothing started after the last recorded call
    const last = Math.max(...answer.sites.map((s) => s.lastAt));
    expect(m.summarize({ origin, since: last + 1 }).sites).toEqual([]);
    expect(m.summarize({ origin, until: t0 - 1 }).sites).toEqual([]);
  });

  it('a watch ends at its TTL; the ring keeps the newest calls', async () => {
    const m = new OutboundMonitor(inApp, 2);
    m.watch(50);
    for (let i = 0; i < 3; i++) await app.fetchPrice(`${base}/price/${i}`);
    expect(m.size).toBe(2);
    expect(m.dropped).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(m.watching).toBe(false);
    await app.fetchPrice(`${base}/price/late`);
    expect(m.size).toBe(2);
    expect(m.clear()).toBe(2);
  });

  it('is reachable through the control API', async () => {
    const rt = new AgentRuntime({ log: () => undefined, internalDirs: [join(process.cwd(), 'src')] });
    const ctl = createControlServer(rt, { port: 0, version: 't' });
    const port = await listenControlServer(ctl, 0);
    try {
      const client = AgentClient.fromAddress(`127.0.0.1:${port}`);
      const until = await client.watchOutbound(5_000);
      expect(until).toBeGreaterThan(Date.now());
      await app.fetchPrice(`${base}/price/api`);
      const a = await client.outbound({ origin, since: until - 5_000 });
      expect(a.sites.map((s) => [s.frame?.fn, s.frame?.line, s.calls])).toEqual([['fetchPrice', 3, 1]]);
      // the client's own calls to the control API went elsewhere
      expect(a.sites.every((s) => s.origin === origin)).toBe(true);
      const bad = await fetch(`http://127.0.0.1:${port}/v1/outbound/watch`, { method: 'POST', body: '{}' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/^ttlMs: is required/);
    } finally {
      rt.outbound.stop();
      ctl.close();
    }
  });
});
