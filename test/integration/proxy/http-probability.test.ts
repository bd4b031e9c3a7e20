/**
 * `probability` of HTTP toxics: drawn per request from the connection's seeded generator (unlike `toxicity`, drawn
 * once per connection), so one keep-alive connection sees both outcomes and a retried request gets a fresh chance.
 * Real upstream HTTP server, real proxy, real keep-alive client on 127.0.0.1 port 0.
 */
import http from 'node:http';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { register as registerFaults } from '../../../src/cli/commands/faults.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { FaultlineConfig } from '../../../src/core/config-types.js';
import { allowAll, memoryLedger } from '../../../src/core/fault.js';
import { InjectionEngine } from '../../../src/inject/engine.js';
import type { ToxicSpec } from '../../../src/inject/proxy/types.js';
import { api, Cleanup, createProxy, listen, startProxyServer } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function upstream(): Promise<{ addr: string; seen: number; connections: number }> {
  const u = { addr: '', seen: 0, connections: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      u.seen++;
      res.end(`server:${req.url}`);
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

interface Answer {
  status: number;
  ms: number;
  /** the client's local port: the same for every answer on one keep-alive connection */
  conn: number;
}

async function setup(seed = 42, toxics?: ToxicSpec[]) {
  const u = await upstream();
  const { server, api: base } = await startProxyServer(cleanup, { seed });
  const { port } = await createProxy(server, u.addr, 'p', toxics);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanup.add(() => agent.destroy());
  const request = (path: string) =>
    new Promise<Answer>((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request({ host: '127.0.0.1', port, method: 'GET', path, agent }, (res) => {
        const conn = res.socket.localPort ?? 0;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, conn }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  const many = async (n: number, path = '/x'): Promise<Answer[]> => {
    const out: Answer[] = [];
    for (let i = 0; i < n; i++) out.push(await request(path));
    return out;
  };
  return { u, server, base, reg: server.registry, request, many };
}

const pattern = (answers: Answer[]): string => answers.map((a) => (a.status === 503 ? 'x' : '.')).join('');

describe('HTTP toxics: per-request probability', () => {
  it('http_status with probability 0.3 answers about 30 % of 400 requests on ONE keep-alive connection', async () => {
    const { u, reg, many } = await setup();
    reg.addToxic('p', { type: 'http_status', attributes: { status: 503, probability: 0.3 } });
    const answers = await many(400);
    const failed = answers.filter((a) => a.status === 503).length;
    expect(failed / 400).toBeGreaterThanOrEqual(0.2);
    expect(failed / 400).toBeLessThanOrEqual(0.4);
    expect(answers.every((a) => a.status === 503 || a.status === 200)).toBe(true);
    // both outcomes on the same connection: toxicity could not do this
    expect(new Set(answers.map((a) => a.conn)).size).toBe(1);
    expect(u.connections).toBe(1);
    expect(u.seen).toBe(400 - failed);
    // a request that failed is retried with a fresh chance: some 503 is followed by a 200
    expect(pattern(answers)).toMatch(/x\./);
  });

  it('the same seed replays the same sequence of outcomes; another seed gives another', async () => {
    const runOnce = async (seed: number): Promise<string> => {
      const { reg, many } = await setup(seed);
      reg.addToxic('p', { type: 'http_status', attributes: { probability: 0.3 } });
      const p = pattern(await many(100));
      await cleanup.run();
      return p;
    };
    const a = await runOnce(42);
    const b = await runOnce(42);
    const c = await runOnce(7);
    expect(a).toMatch(/x/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('a toxic without probability (or with 1) draws nothing: the other toxics\' draws stay as they were', async () => {
    const runOnce = async (extra: boolean): Promise<string> => {
      const toxics: ToxicSpec[] = [];
      // added first, so it would draw before http_status on every request if probability 1 drew
      if (extra) toxics.push({ name: 'hdr', type: 'http_header', attributes: { set: { 'x-chaos': '1' }, probability: 1 } }, { name: 'dly', type: 'http_delay', attributes: { delay: 1 } });
      toxics.push({ name: 'st', type: 'http_status', attributes: { probability: 0.5 } });
      const { many } = await setup(42, toxics);
      const p = pattern(await many(60));
      await cleanup.run();
      return p;
    };
    expect(await runOnce(true)).toBe(await runOnce(false));
  });

  it('probability 0 never acts, 1 always acts; the attribute shows in the JSON only when given', async () => {
    const { reg, many } = await setup();
    const zero = reg.addToxic('p', { name: 'z', type: 'http_status', attributes: { probability: 0 } });
    expect(zero.attributes.probability).toBe(0);
    expect((await many(50)).every((a) => a.status === 200)).toBe(true);
    reg.updateToxic('p', 'z', { attributes: { probability: 1 } });
    expect((await many(50)).every((a) => a.status === 503)).toBe(true);
    reg.removeToxic('p', 'z');
    const plain = reg.addToxic('p', { name: 'plain', type: 'http_status', attributes: {} });
    expect(Object.hasOwn(plain.attributes, 'probability')).toBe(false);
    expect((await many(20)).every((a) => a.status === 503)).toBe(true);
  });

  it('out of range or not a number: 400 FL_ERR_TOXIC_ATTRIBUTE naming attributes.probability (POST and PATCH)', async () => {
    const { base } = await setup();
    for (const [i, bad] of [1.5, -0.1, 'x', null, true].entries()) {
      const r = await api(base, 'POST', '/proxies/p/toxics', { name: `b${i}`, type: 'http_delay', attributes: { delay: 5, probability: bad } });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ status: 400, code: 'FL_ERR_TOXIC_ATTRIBUTE' });
      expect(r.body.error).toMatch(/^attributes\.probability: /);
    }
    const ok = await api(base, 'POST', '/proxies/p/toxics', { name: 'ok', type: 'http_abort', attributes: { probability: 0.25 } });
    expect(ok.status).toBe(200);
    expect(ok.body.attributes).toMatchObject({ probability: 0.25, mode: 'reset' });
    const patch = await api(base, 'PATCH', '/proxies/p/toxics/ok', { attributes: { probability: 2 } });
    expect(patch.body).toMatchObject({ status: 400, code: 'FL_ERR_TOXIC_ATTRIBUTE' });
    expect(patch.body.error).toMatch(/^attributes\.probability: /);
    // every HTTP toxic takes it; stream toxics do not
    for (const type of ['http_status', 'http_abort', 'http_delay', 'http_header', 'http_body']) {
      expect((await api(base, 'POST', '/proxies/p/toxics', { name: `t_${type}`, type, attributes: { probability: 0.5 } })).status).toBe(200);
    }
    const stream = await api(base, 'POST', '/proxies/p/toxics', { name: 'lat', type: 'latency', attributes: { probability: 0.5 } });
    expect(stream.body.error).toMatch(/^attributes\.probability: unknown attribute/);
  });

  it('http_delay with probability 0.5 delays only some requests on the connection', async () => {
    const { reg, many } = await setup();
    reg.addToxic('p', { type: 'http_delay', attributes: { delay: 200, probability: 0.5 } });
    const answers = await many(16);
    const slow = answers.filter((a) => a.ms >= 190).length;
    const quick = answers.filter((a) => a.ms < 120).length;
    expect(slow).toBeGreaterThan(0);
    expect(quick).toBeGreaterThan(0);
    expect(slow + quick).toBe(16);
    expect(new Set(answers.map((a) => a.conn)).size).toBe(1);
  });

  it('through the injection engine: a FaultRequest\'s params become the toxic\'s attributes', async () => {
    const { reg, many } = await setup();
    const engine = new InjectionEngine({ stateDir: '/nonexistent-faultline-state', ledger: memoryLedger(), guard: allowAll, services: {} as never, proxies: reg });
    const { fault } = await engine.inject({ layer: 'proxy', kind: 'http_status', target: { proxy: 'p' }, params: { status: 503, probability: 0.3 }, ttlMs: 60_000 });
    cleanup.add(async () => void (await engine.revertAll()));
    expect(fault.params).toMatchObject({ attributes: { status: 503, probability: 0.3 } });
    const failed = (await many(200)).filter((a) => a.status === 503).length;
    expect(failed / 200).toBeGreaterThanOrEqual(0.15);
    expect(failed / 200).toBeLessThanOrEqual(0.45);
    await expect(engine.inject({ layer: 'proxy', kind: 'http_status', target: { proxy: 'p' }, params: { name: 'bad', probability: 'often' }, ttlMs: 60_000 })).rejects.toMatchObject({ code: 'FL_ERR_TOXIC_ATTRIBUTE' });
  });

  it('through `faultline inject http_status --probability 0.3`, the attribute option listed from the specs', async () => {
    const { base, many } = await setup();
    const printed: unknown[] = [];
    const program = new Command('faultline').exitOverride();
    const ctx = (): CliContext => ({
      json: true,
      configPath: 'faultline.yaml',
      config: () => ({ defaults: { ttlMs: 60_000 }, proxy: { listen: '127.0.0.1:8474', proxies: [] } }) as unknown as FaultlineConfig,
      stateDir: () => '/nonexistent-faultline-state',
      ledger: () => memoryLedger(),
      guard: () => allowAll,
      print: (data) => void printed.push(data),
      progress: () => undefined,
    });
    registerFaults(program, ctx);
    await program.parseAsync(['inject', 'http_status', '--proxy', 'p', '--status', '503', '--probability', '0.3', '--ttl', '30s', '--api', base], { from: 'user' });
    expect(printed[0]).toMatchObject({ type: 'http_status', attributes: { status: 503, probability: 0.3 } });
    const failed = (await many(200)).filter((a) => a.status === 503).length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(200);
  });
});
