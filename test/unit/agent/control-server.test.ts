import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { AgentClient } from '../../../src/inject/agent/client.js';
import { createControlServer, listenControlServer } from '../../../src/inject/agent/control-server.js';
import { AgentRuntime } from '../../../src/inject/agent/runtime.js';

function raw(port: number, method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: opts.headers ?? {} }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('control server', () => {
  const rt = new AgentRuntime({ seed: 3, log: () => undefined });
  rt.wrap(function fetchPrice() {
    return 1;
  }, 'file:///app/price.mjs', ['fetchPrice']);
  const server = createControlServer(rt, { port: 0, version: '9.9.9' });
  const secured = createControlServer(rt, { port: 0, version: '9.9.9', token: 's3cret' });
  let port = 0;
  let securedPort = 0;
  beforeAll(async () => {
    port = await listenControlServer(server, 0);
    securedPort = await listenControlServer(secured, 0);
  });
  afterAll(() => {
    server.close();
    secured.close();
  });

  it('listens on 127.0.0.1 only', () => {
    expect((server.address() as { address: string }).address).toBe('127.0.0.1');
  });

  it('answers the API through AgentClient', async () => {
    const client = AgentClient.fromAddress(`127.0.0.1:${port}`);
    const info = await client.info();
    expect(info).toMatchObject({ pid: process.pid, version: '9.9.9', functions: 1, faults: 0, seed: 3 });
    expect((await client.functions()).functions.map((f) => f.names)).toEqual([['fetchPrice']]);
    const f = await client.inject({ kind: 'null', target: { fn: 'fetchPrice' }, ttlMs: 10_000 });
    expect(f.expiresAt - f.startedAt).toBe(10_000);
    expect((await client.faults()).faults.map((x) => x.id)).toEqual([f.id]);
    expect((await client.revert(f.id)).id).toBe(f.id);
    await client.inject({ kind: 'status', target: { route: '/x' }, ttlMs: 10_000 });
    expect(await client.revertAll()).toHaveLength(1);
    expect((await client.faults()).ended.map((e) => e.reason)).toEqual(['reverted', 'reverted']);
    expect(await client.errors()).toEqual({ errors: [], dropped: 0, capacity: 1000 });
  });

  it('answers 400 naming the bad attribute', async () => {
    const cases: Array<[string, string]> = [
      ['{"kind":"null","target":{"fn":"fetchPrice"},"ttlMs":-5}', 'ttlMs'],
      ['{"kind":"null","target":{"fn":"fetchPrice"},"ttlMs":1000,"probability":"often"}', 'probability'],
      ['{"kind":"delay","target":{"fn":"fetchPrice"},"ttlMs":1000,"params":{"ms":5}}', 'target.fn'],
      ['{"kind":"nope","target":{"fn":"fetchPrice"},"ttlMs":1000}', 'kind'],
      ['{not json', 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await raw(port, 'POST', '/v1/faults', { body, headers: { 'content-type': 'application/json' } });
      expect(r.status, body).toBe(400);
      expect(r.json.statusCode).toBe(400);
      expect(String(r.json.message).startsWith(`${field}:`), String(r.json.message)).toBe(true);
      expect(['FL_ERR_AGENT_FAULT', 'FL_ERR_TTL_REQUIRED']).toContain(r.json.code);
    }
    const q = await raw(port, 'GET', '/v1/errors?limit=0');
    expect(q.status).toBe(400);
    expect(String(q.json.message)).toMatch(/^limit:/);
  });

  it('answers 404 for unknown faults and routes, 405 for wrong methods', async () => {
    const gone = await raw(port, 'DELETE', '/v1/faults/agent-nope');
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe('FL_ERR_AGENT_FAULT_NOT_FOUND');
    expect((await raw(port, 'GET', '/v2/whatever')).status).toBe(404);
    expect((await raw(port, 'PUT', '/v1/faults')).status).toBe(405);
    try {
      await AgentClient.fromAddress(`127.0.0.1:${port}`).revert('agent-nope');
      throw new Error('expected a rejection');
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_AGENT_FAULT_NOT_FOUND')).toBe(true);
    }
  });

  it('refuses browser pages (Origin) and foreign Host names', async () => {
    const o = await raw(port, 'GET', '/v1/agent', { headers: { origin: 'http://evil.example' } });
    expect(o.status).toBe(403);
    expect(o.json.code).toBe('FL_ERR_AGENT_FORBIDDEN');
    expect(String(o.json.message)).toMatch(/^origin:/);
    const h = await raw(port, 'POST', '/v1/faults', { headers: { host: 'evil.example:80' }, body: '{}' });
    expect(h.status).toBe(403);
    expect(String(h.json.message)).toMatch(/^host:/);
    expect((await raw(port, 'GET', '/v1/agent', { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });

  it('requires the token when one is set', async () => {
    expect((await raw(securedPort, 'GET', '/v1/agent')).status).toBe(401);
    expect((await raw(securedPort, 'GET', '/v1/agent', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect((await new AgentClient({ host: '127.0.0.1', port: securedPort, token: 's3cret' }).info()).pid).toBe(process.pid);
  });

  it('refuses non-loopback agent addresses in the client', () => {
    expect(() => AgentClient.fromAddress('10.1.2.3:8080')).toThrow(expect.objectContaining({ code: 'FL_ERR_NOT_LOCAL' }));
  });

  it('reports an unreachable agent', async () => {
    const closed = http.createServer();
    const p = await listenControlServer(closed, 0);
    closed.close();
    await expect(AgentClient.fromAddress(`127.0.0.1:${p}`).info()).rejects.toMatchObject({ code: 'FL_ERR_AGENT_UNREACHABLE' });
  });
});
