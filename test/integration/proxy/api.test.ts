import { afterEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../../../src/core/errors.js';
import { memoryLedger, type InjectionGuard } from '../../../src/core/fault.js';
import { createProxyServer, ProxyApiClient } from '../../../src/inject/proxy/index.js';
import { api, Cleanup, connect, echoServer, rtt, startProxyServer, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function setup(opts = {}) {
  const { addr } = await echoServer(cleanup);
  const { server, api: base } = await startProxyServer(cleanup, opts);
  return { server, base, upstream: addr };
}

describe('Toxiproxy API: status codes and bodies', () => {
  it('creates, shows, lists, updates and deletes proxies with Toxiproxy\'s codes', async () => {
    const { base, upstream } = await setup();
    const created = await api(base, 'POST', '/proxies', { name: 'db', listen: 'localhost:0', upstream });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'db', upstream, enabled: true, toxics: [] });
    expect(created.body.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await api(base, 'POST', '/proxies', { name: 'db', upstream })).body).toEqual({ error: 'proxy already exists: db', status: 409, code: 'FL_ERR_PROXY_EXISTS' });
    expect((await api(base, 'GET', '/proxies/db')).body.name).toBe('db');
    const all = await api(base, 'GET', '/proxies');
    expect(all.status).toBe(200);
    expect(Object.keys(all.body)).toEqual(['db']);
    const disabled = await api(base, 'POST', '/proxies/db', { enabled: false });
    expect(disabled.status).toBe(200);
    expect(disabled.body.enabled).toBe(false);
    expect((await api(base, 'PATCH', '/proxies/db', { enabled: true })).body.enabled).toBe(true);
    expect((await api(base, 'DELETE', '/proxies/db')).status).toBe(204);
    expect(await api(base, 'GET', '/proxies/db')).toMatchObject({ status: 404, body: { error: 'proxy not found: db', status: 404 } });
    expect((await api(base, 'DELETE', '/proxies/db')).status).toBe(404);
  });

  it('answers 400 naming the bad field, and refuses non-loopback upstreams', async () => {
    const { base, upstream } = await setup();
    expect((await api(base, 'POST', '/proxies', { upstream })).body).toMatchObject({ status: 400, error: 'name: missing required field' });
    expect((await api(base, 'POST', '/proxies', { name: 'x' })).body).toMatchObject({ status: 400, error: 'upstream: missing required field' });
    const remote = await api(base, 'POST', '/proxies', { name: 'x', upstream: '10.1.2.3:5432' });
    expect(remote.status).toBe(400);
    expect(remote.body.code).toBe('FL_ERR_NOT_LOCAL');
    expect(remote.body.error).toMatch(/^upstream: /);
    const listen = await api(base, 'POST', '/proxies', { name: 'x', upstream, listen: '0.0.0.0:0' });
    expect(listen.status).toBe(400);
    expect(listen.body.error).toMatch(/^listen: .*token/);
    expect((await api(base, 'POST', '/proxies', '{not json')).body).toMatchObject({ status: 400 });
    expect((await api(base, 'POST', '/proxies', { name: 'x', upstream, enabled: 'yes' })).body.error).toMatch(/^enabled: /);
  });

  it('toxics: 200 on create, 409 duplicate, 404 unknown, 400 bad attribute, 204 delete', async () => {
    const { base, upstream } = await setup();
    await api(base, 'POST', '/proxies', { name: 'p', upstream });
    const t = await api(base, 'POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 10 } });
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 10, jitter: 0 }, ttl: 900_000 });
    expect((await api(base, 'POST', '/proxies/p/toxics', { type: 'latency' })).status).toBe(409);
    expect((await api(base, 'POST', '/proxies/nope/toxics', { type: 'latency' })).status).toBe(404);
    expect((await api(base, 'POST', '/proxies/p/toxics', { type: 'warp', name: 'w' })).body).toMatchObject({ status: 400, code: 'FL_ERR_TOXIC_TYPE' });
    expect((await api(base, 'POST', '/proxies/p/toxics', { type: 'latency', name: 'l2', stream: 'sideways' })).body.error).toMatch(/stream was invalid/);
    const bad = await api(base, 'POST', '/proxies/p/toxics', { type: 'latency', name: 'l3', attributes: { latency: -5 } });
    expect(bad.body).toMatchObject({ status: 400, code: 'FL_ERR_TOXIC_ATTRIBUTE' });
    expect(bad.body.error).toMatch(/^attributes\.latency: /);
    expect((await api(base, 'POST', '/proxies/p/toxics', { type: 'latency', name: 'l4', toxicity: 2 })).body.error).toMatch(/^toxicity: /);
    expect((await api(base, 'POST', '/proxies/p/toxics', { type: 'latency', name: 'l5', ttl: 0 })).body).toMatchObject({ status: 400, code: 'FL_ERR_TTL_REQUIRED' });
    expect((await api(base, 'GET', '/proxies/p/toxics')).body).toHaveLength(1);
    expect((await api(base, 'GET', '/proxies/p/toxics/latency_downstream')).body.attributes.latency).toBe(10);
    const upd = await api(base, 'PATCH', '/proxies/p/toxics/latency_downstream', { attributes: { jitter: 3 }, toxicity: 0.5 });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ toxicity: 0.5, attributes: { latency: 10, jitter: 3 } });
    expect((await api(base, 'GET', '/proxies/p/toxics/none')).status).toBe(404);
    expect((await api(base, 'DELETE', '/proxies/p/toxics/latency_downstream')).status).toBe(204);
    expect((await api(base, 'DELETE', '/proxies/p/toxics/latency_downstream')).status).toBe(404);
  });

  it('POST /proxies accepts toxics (extension); a bad one leaves nothing behind', async () => {
    const { base, upstream } = await setup();
    const r = await api(base, 'POST', '/proxies', { name: 'p', upstream, toxics: [{ type: 'latency', attributes: { latency: 5 } }, { type: 'slicer', stream: 'upstream', attributes: { average_size: 10 } }] });
    expect(r.status).toBe(201);
    expect(r.body.toxics.map((t: { name: string }) => t.name)).toEqual(['latency_downstream', 'slicer_upstream']);
    const bad = await api(base, 'POST', '/proxies', { name: 'q', upstream, toxics: [{ type: 'latency', attributes: { nope: 1 } }] });
    expect(bad.status).toBe(400);
    expect((await api(base, 'GET', '/proxies/q')).status).toBe(404);
  });

  it('populate creates (201), keeps identical proxies, replaces differing ones; reset re-enables and clears', async () => {
    const { base, upstream } = await setup();
    const first = await api(base, 'POST', '/populate', [{ name: 'a', upstream }, { name: 'b', upstream, enabled: false }]);
    expect(first.status).toBe(201);
    expect(first.body.proxies.map((p: { name: string; enabled: boolean }) => [p.name, p.enabled])).toEqual([['a', true], ['b', false]]);
    const listenA = first.body.proxies[0].listen;
    await api(base, 'POST', '/proxies/a/toxics', { type: 'noop' });
    const again = await api(base, 'POST', '/populate', [{ name: 'a', upstream, listen: listenA }]);
    expect(again.body.proxies[0].toxics).toHaveLength(1);
    const bad = await api(base, 'POST', '/populate', [{ name: 'c' }]);
    expect(bad.status).toBe(400);
    expect((await api(base, 'POST', '/populate', { name: 'c' })).status).toBe(400);
    expect((await api(base, 'POST', '/reset')).status).toBe(204);
    const after = await api(base, 'GET', '/proxies');
    expect(after.body.a.toxics).toEqual([]);
    expect(after.body.b.enabled).toBe(true);
  });

  it('GET /version is text, GET /metrics is Prometheus text with bytes, connections and toxics', async () => {
    const { base, upstream, server } = await setup();
    const v = await api(base, 'GET', '/version');
    expect(v.text).toMatch(/^faultline \d+\.\d+\.\d+/);
    expect(v.headers.get('content-type')).toMatch(/^text\/plain/);
    const p = await server.registry.createProxy({ name: 'm', upstream });
    server.registry.addToxic('m', { type: 'noop' });
    const s = await connect(Number(p.listen.split(':')[1]), cleanup);
    await rtt(s, Buffer.from('12345'));
    const m = (await api(base, 'GET', '/metrics')).text;
    expect(m).toMatch(/faultline_proxy_received_bytes_total\{proxy="m",listener="[^"]+",upstream="[^"]+",direction="upstream"\} 5/);
    expect(m).toMatch(/faultline_proxy_sent_bytes_total\{proxy="m".*direction="downstream"\} 5/);
    expect(m).toMatch(/faultline_proxy_connections\{proxy="m"\} 1/);
    expect(m).toMatch(/faultline_proxy_toxics_active\{proxy="m"\} 1/);
  });

  it('unknown routes 404, wrong methods 405', async () => {
    const { base } = await setup();
    expect((await api(base, 'GET', '/nothing')).status).toBe(404);
    expect((await api(base, 'DELETE', '/proxies')).status).toBe(405);
    expect((await api(base, 'GET', '/reset')).status).toBe(405);
  });
});

describe('API safety', () => {
  it('refuses browser cross-origin calls and browser user agents with 403', async () => {
    const { base } = await setup({ allowedOrigins: ['http://127.0.0.1:9999'] });
    const evil = await api(base, 'POST', '/proxies', { name: 'x', upstream: '127.0.0.1:1' }, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body.error).toMatch(/origin not allowed/);
    expect((await api(base, 'GET', '/proxies', undefined, { 'user-agent': 'Mozilla/5.0' })).status).toBe(403);
    expect((await api(base, 'GET', '/proxies', undefined, { origin: 'http://127.0.0.1:9999', 'user-agent': 'Mozilla/5.0' })).status).toBe(200);
  });

  it('a token is required for a non-loopback API address, and enforced when set', async () => {
    const s = createProxyServer({ host: '0.0.0.0', port: 0 });
    await expect(s.listen()).rejects.toMatchObject({ code: 'FL_ERR_UNAUTHORIZED' });
    const { base } = await setup({ token: 's3cret' });
    expect((await api(base, 'GET', '/proxies')).status).toBe(401);
    expect((await api(base, 'GET', '/proxies', undefined, { authorization: 'Bearer s3cret' })).status).toBe(200);
    const c = new ProxyApiClient(base, { token: 's3cret' });
    expect(await c.list()).toEqual({});
    await expect(new ProxyApiClient(base).list()).rejects.toMatchObject({ code: 'FL_ERR_UNAUTHORIZED' });
  });

  it('a guard refusal is 403 naming the rule, and is recorded as refused', async () => {
    const ledger = memoryLedger();
    const guard: InjectionGuard = {
      admit(req) {
        if (req.target.proxy === 'prod') throw new FaultlineError('FL_ERR_SAFE_ZONE', 'refused by safeZones.proxies: proxy "prod" is never touched');
      },
    };
    const { base, upstream } = await setup({ guard, ledger });
    await api(base, 'POST', '/proxies', { name: 'prod', upstream });
    const r = await api(base, 'POST', '/proxies/prod/toxics', { type: 'latency' });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ status: 403, error: 'refused by safeZones.proxies: proxy "prod" is never touched' });
    expect(ledger.events.map((e) => [e.action, e.outcome])).toEqual([['refuse', 'refused']]);
    expect((await api(base, 'GET', '/proxies/prod/toxics')).body).toEqual([]);
  });

  it('the guard sees the active toxics (max concurrent faults) and HTTP routes', async () => {
    const seen: Array<[string | undefined, number]> = [];
    const guard: InjectionGuard = {
      admit(req, active) {
        seen.push([req.target.route, active.length]);
        if (active.length >= 1) throw new FaultlineError('FL_ERR_MAX_CONCURRENT_FAULTS', 'refused by safeZones.maxConcurrentFaults: 1 faults are active (max 1)');
      },
    };
    const { base, upstream } = await setup({ guard });
    await api(base, 'POST', '/proxies', { name: 'p', upstream });
    expect((await api(base, 'POST', '/proxies/p/toxics', { type: 'http_status', attributes: { method: 'GET', path: '/api/*' } })).status).toBe(200);
    expect((await api(base, 'POST', '/proxies/p/toxics', { type: 'latency' })).status).toBe(403);
    expect(seen).toEqual([['GET /api/*', 0], [undefined, 1]]);
  });
});

describe('TTL and ledger', () => {
  it('a toxic expires after its ttl: removed from the proxy and the data path, recorded as expire', async () => {
    const ledger = memoryLedger();
    const { server, upstream } = await setup({ ledger });
    const p = await server.registry.createProxy({ name: 'p', upstream });
    const s = await connect(Number(p.listen.split(':')[1]), cleanup);
    const t0 = performance.now();
    server.registry.addToxic('p', { type: 'latency', ttl: 300, attributes: { latency: 500 } });
    expect(await rtt(s)).toBeGreaterThanOrEqual(290); // released early when the toxic expired at 300 ms
    await waitFor(() => server.registry.listToxics('p').length === 0, 2000);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await rtt(s)).toBeLessThan(50);
    expect(ledger.events.map((e) => e.action)).toEqual(['inject', 'expire']);
    expect(ledger.events[0]).toMatchObject({ kind: 'latency', layer: 'proxy', target: `proxy=p,host=${upstream}`, ttlMs: 300, outcome: 'ok' });
  });

  it('default TTL comes from defaultToxicTtlMs; update can reset it; add/update/remove are recorded', async () => {
    const ledger = memoryLedger();
    const { server, upstream } = await setup({ ledger, defaultToxicTtlMs: 60_000 });
    await server.registry.createProxy({ name: 'p', upstream });
    const t = server.registry.addToxic('p', { type: 'noop' });
    expect(t.ttl).toBe(60_000);
    const u = server.registry.updateToxic('p', 'noop_downstream', { ttl: 5000 });
    expect(u.ttl).toBe(5000);
    expect(Date.parse(u.expires_at) - Date.now()).toBeLessThanOrEqual(5000);
    server.registry.removeToxic('p', 'noop_downstream');
    expect(ledger.events.map((e) => e.action)).toEqual(['inject', 'update', 'revert']);
    expect(() => createProxyServer({ defaultToxicTtlMs: 0 })).toThrow(/defaultToxicTtlMs/);
  });

  it('ledger events wait until setLedger() (the CLI opens the ledger after listening)', async () => {
    const { server, upstream } = await setup();
    await server.registry.createProxy({ name: 'p', upstream });
    server.registry.addToxic('p', { type: 'noop' });
    const ledger = memoryLedger();
    server.registry.setLedger(ledger);
    expect(ledger.events.map((e) => e.action)).toEqual(['inject']);
  });
});
