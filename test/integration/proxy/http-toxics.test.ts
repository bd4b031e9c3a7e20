import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, connect, createProxy, listen, readBytes, startProxyServer, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Upstream {
  addr: string;
  seen: string[];
  connections: number;
}

async function upstream(): Promise<Upstream> {
  const u: Upstream = { addr: '', seen: [], connections: 0 };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      u.seen.push(`${req.method} ${req.url}`);
      const body = Buffer.concat(parts).toString();
      res.setHeader('x-server', 'up');
      if (req.url === '/chunked') {
        res.write('chunk-one,');
        setTimeout(() => res.end('chunk-two'), 5);
      } else if (req.url === '/echo') res.end(`echo:${body}`);
      else if (req.url === '/slow') setTimeout(() => res.end('slow'), 80);
      else res.end(`server:${req.url}`);
    });
  });
  server.on('connection', () => u.connections++);
  u.addr = await listen(server);
  cleanup.add(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return u;
}

async function setup() {
  const u = await upstream();
  const { server } = await startProxyServer(cleanup);
  const { port } = await createProxy(server, u.addr);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanup.add(() => agent.destroy());
  const request = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; ms: number }>((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString(), ms: performance.now() - t0 }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return { u, reg: server.registry, port, request, links: () => [...server.registry.findProxyOrThrow('p').links] };
}

describe('HTTP toxics on real HTTP/1.1 keep-alive connections', () => {
  it('http_status answers matching requests itself; others reach the server on the same connection', async () => {
    const { u, reg, request } = await setup();
    reg.addToxic('p', { type: 'http_status', attributes: { method: 'GET', path: '/down/*', status: 503, body: 'unavailable' } });
    const a = await request('GET', '/down/x?q=1');
    expect(a.status).toBe(503);
    expect(a.body).toBe('unavailable');
    expect(a.headers['x-faultline-toxic']).toBe('http_status');
    const b = await request('GET', '/up');
    expect(b.body).toBe('server:/up');
    const c = await request('POST', '/down/y', 'payload-is-swallowed');
    expect(c.body).toBe('server:/down/y');
    const d = await request('GET', '/down/z');
    expect(d.status).toBe(503);
    expect(u.seen).toEqual(['GET /up', 'POST /down/y']);
    expect(u.connections).toBe(1);
  });

  it('http_status swallows Content-Length and chunked request bodies, keeping the connection usable', async () => {
    const { u, reg, request } = await setup();
    reg.addToxic('p', { type: 'http_status', attributes: { method: 'POST', path: '/echo', status: 500, body: 'boom' } });
    const a = await request('POST', '/echo', 'x'.repeat(100_000));
    expect(a.status).toBe(500);
    const b = await request('POST', '/echo', 'chunked body', { 'transfer-encoding': 'chunked' });
    expect(b.body).toBe('boom');
    const c = await request('GET', '/after');
    expect(c.body).toBe('server:/after');
    expect(u.seen).toEqual(['GET /after']);
    expect(u.connections).toBe(1);
  });

  it('http_status answers HEAD without a body and keeps keep-alive', async () => {
    const { reg, request } = await setup();
    reg.addToxic('p', { type: 'http_status', attributes: { status: 404, body: 'none here' } });
    const a = await request('HEAD', '/x');
    expect(a.status).toBe(404);
    expect(a.body).toBe('');
    const b = await request('GET', '/x');
    expect(b.body).toBe('none here');
  });

  it('http_abort resets (or closes) the connection on matching requests only', async () => {
    const { u, reg, request } = await setup();
    reg.addToxic('p', { type: 'http_abort', attributes: { path: '/abort' } });
    await expect(request('GET', '/abort')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await request('GET', '/fine')).body).toBe('server:/fine');
    reg.updateToxic('p', 'http_abort_downstream', { attributes: { mode: 'close' } });
    await expect(request('GET', '/abort')).rejects.toThrow(/socket hang up/);
    expect(u.seen).toEqual(['GET /fine']);
  });

  it('http_delay delays matching requests by delay ms', async () => {
    const { reg, request } = await setup();
    reg.addToxic('p', { type: 'http_delay', attributes: { path: '/slowed', delay: 250 } });
    const a = await request('GET', '/slowed');
    expect(a.body).toBe('server:/slowed');
    expect(a.ms).toBeGreaterThanOrEqual(240);
    const b = await request('GET', '/quick');
    expect(b.ms).toBeLessThan(150);
  });

  it('http_header sets and removes response headers (Content-Length and chunked responses)', async () => {
    const { reg, request } = await setup();
    reg.addToxic('p', { type: 'http_header', attributes: { set: { 'x-chaos': 'yes', 'cache-control': 'no-store' }, remove: ['x-server'] } });
    for (const path of ['/plain', '/chunked']) {
      const r = await request('GET', path);
      expect(r.headers['x-chaos']).toBe('yes');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['x-server']).toBeUndefined();
    }
    expect((await request('GET', '/chunked')).body).toBe('chunk-one,chunk-two');
  });

  it('http_body replaces the body (chunked and Content-Length) and keeps the connection in sync', async () => {
    const { u, reg, request } = await setup();
    reg.addToxic('p', { type: 'http_body', attributes: { path: '/chunked', body: '{"replaced":true}', content_type: 'application/json' } });
    const a = await request('GET', '/chunked');
    expect(a.body).toBe('{"replaced":true}');
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['content-length']).toBe('17');
    expect(a.headers['transfer-encoding']).toBeUndefined();
    expect((await request('POST', '/echo', 'abc')).body).toBe('echo:abc');
    expect(u.connections).toBe(1);
  });

  it('pipelined requests get their answers in order, the proxy\'s own answer waiting its turn', async () => {
    const { reg, port } = await setup();
    reg.addToxic('p', { type: 'http_status', attributes: { path: '/fake', status: 418, body: 'teapot' } });
    const s = await connect(port, cleanup);
    s.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fake HTTP/1.1\r\nHost: x\r\n\r\nGET /real HTTP/1.1\r\nHost: x\r\n\r\n');
    const parts: Buffer[] = [];
    s.on('data', (d) => parts.push(d));
    await waitFor(() => /server:\/real$/.test(Buffer.concat(parts).toString()), 5000);
    const text = Buffer.concat(parts).toString();
    const order = [text.indexOf('slow'), text.indexOf('teapot'), text.indexOf('server:/real')];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
  });

  it('joins a keep-alive connection that was already open, and detaches when the toxic goes', async () => {
    const { u, reg, request, links } = await setup();
    expect((await request('GET', '/first')).body).toBe('server:/first');
    reg.addToxic('p', { name: 'st', type: 'http_status', attributes: { status: 502 } });
    expect((await request('GET', '/second')).status).toBe(502);
    reg.removeToxic('p', 'st');
    expect((await request('GET', '/third')).body).toBe('server:/third');
    expect(u.connections).toBe(1);
    await waitFor(() => links().every((l) => !l.up.inPipeline && !l.down.inPipeline));
  });

  it('answers Connection: close requests and closes like a server would', async () => {
    const { reg, port } = await setup();
    reg.addToxic('p', { type: 'http_status', attributes: { status: 503, body: 'bye' } });
    const s = await connect(port, cleanup);
    const got = readBytes(s, 1 << 20);
    s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = (await got).toString();
    expect(text).toMatch(/^HTTP\/1.1 503 Service Unavailable\r\n/);
    expect(text).toMatch(/connection: close/i);
    expect(text.endsWith('bye')).toBe(true);
  });
});
