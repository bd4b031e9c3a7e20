import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../src/inject/agent/client.js';
import { FIXTURES, REPO, get, lineOf, runNode, startTarget, waitFor, within, type Target } from './helpers.js';

const LIB = join(FIXTURES, 'lib.mjs');

describe('agent in a real target process', () => {
  let t: Target;
  beforeAll(async () => {
    t = await startTarget();
  });
  afterEach(async () => {
    await t.client.revertAll();
    await t.client.clearErrors();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('instruments the ESM and CommonJS modules of the application', async () => {
    const { functions, modules, skipped } = await t.client.functions();
    const names = functions.map((f) => `${f.module.split('/').pop() ?? ''}#${f.names.join('|')}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'lib.mjs#fetchPrice',
        'lib.mjs#computeTotal',
        'lib.mjs#formatLabel',
        'lib.mjs#slugify',
        'lib.mjs#taxOf|internalTax',
        'lib.mjs#Cart.prototype.add',
        'lib.mjs#Cart.create',
        'lib.mjs#default|describe',
        'legacy.cjs#vat',
        'legacy.cjs#shipping',
      ]),
    );
    expect(modules.map((m) => m.format).sort()).toEqual(['cjs', 'esm']);
    expect(skipped).toEqual([]);
    // the service still works exactly as without the agent
    expect((await get(t.port, '/describe')).body).toEqual({ describe: 'lib', probe: [23, 20, 5] });
    expect((await get(t.port, '/tax?amount=10')).body).toEqual({ tax: 2, vat: 2, shipping: 5 });
    const info = await t.client.info();
    expect(info).toMatchObject({ pid: t.pid, seed: 7, faults: 0 });
  });

  it('throw: the async function rejects with the class asked, the app answers 500', async () => {
    await t.client.inject({ kind: 'throw', target: { module: 'lib.mjs', fn: 'fetchPrice' }, ttlMs: 10_000, params: { errorClass: 'DatabaseError', message: 'db down' } });
    const r = await get(t.port, '/price');
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ error: 'db down', class: 'DatabaseError' });
    await t.client.inject({ kind: 'throw', target: { fn: 'vat' }, ttlMs: 10_000 });
    expect((await get(t.port, '/tax')).body.error).toMatch(/faultline: injected Error/);
  });

  it('null: the caller breaks on it and the evidence points at the failing line of the application', async () => {
    const f = await t.client.inject({ kind: 'null', target: { fn: 'fetchPrice' }, ttlMs: 10_000 });
    const r = await get(t.port, '/total?item=apple&qty=2');
    expect(r.status).toBe(500);
    expect(r.body.class).toBe('TypeError');
    const { errors } = await t.client.errors({ faultId: f.id });
    const fnErr = errors.find((e) => e.source === 'function');
    expect(fnErr).toMatchObject({ class: 'TypeError', injected: false, fn: 'computeTotal', module: LIB, faultIds: [f.id] });
    expect(fnErr?.frames[0]).toMatchObject({ file: LIB, line: lineOf('lib.mjs', 'total: price.amount'), fn: 'computeTotal', app: true });
    const resp = errors.find((e) => e.source === 'response');
    expect(resp).toMatchObject({ status: 500, route: 'GET /total', relatedSeq: fnErr?.seq });
  });

  it('undefined / null on a sync function and a class method', async () => {
    await t.client.inject({ kind: 'undefined', target: { fn: 'formatLabel' }, ttlMs: 10_000 });
    expect((await get(t.port, '/label?text=a')).body).toEqual({});
    await t.client.inject({ kind: 'null', target: { fn: 'Cart.create' }, ttlMs: 10_000 });
    const r = await get(t.port, '/cart');
    expect(r.status).toBe(500);
    expect(r.body.class).toBe('TypeError');
  });

  it('delay: the async function answers at least ms later', async () => {
    const base = await get(t.port, '/price');
    await t.client.inject({ kind: 'delay', target: { fn: 'fetchPrice' }, ttlMs: 10_000, params: { ms: 300 } });
    const r = await get(t.port, '/price');
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(300);
    expect(within(r.ms - base.ms, 300, 250)).toBe(true);
  });

  it('block: a concurrent request stalls while the event loop is blocked', async () => {
    await t.client.inject({ kind: 'block', target: { fn: 'formatLabel' }, ttlMs: 10_000, params: { ms: 500 } });
    const slow = get(t.port, '/label?text=x');
    await new Promise((r) => setTimeout(r, 50));
    const other = await get(t.port, '/health');
    expect((await slow).status).toBe(200);
    expect(other.status).toBe(200);
    expect(other.ms).toBeGreaterThanOrEqual(300);
  });

  it('corrupt: the payload changes, the original data does not', async () => {
    await t.client.inject({ kind: 'corrupt', target: { fn: 'fetchPrice' }, ttlMs: 10_000, params: { field: 'amount', mode: 'mutate' } });
    await t.client.inject({ kind: 'corrupt', target: { fn: 'formatLabel' }, ttlMs: 10_000 });
    expect((await get(t.port, '/price?item=plum')).body).toEqual({ price: { item: 'plum', amount: -8, currency: 'EUR' } });
    expect((await get(t.port, '/label?text=abcdef')).body).toEqual({ label: 'label:' });
    await t.client.revertAll();
    expect((await get(t.port, '/price?item=plum')).body).toEqual({ price: { item: 'plum', amount: 7, currency: 'EUR' } });
  });

  it('route status answers without the app, other routes are untouched', async () => {
    const f = await t.client.inject({ kind: 'status', target: { route: 'GET /label' }, ttlMs: 10_000, params: { status: 503, body: 'busy' } });
    const r = await get(t.port, '/label?text=x');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ text: 'busy' });
    expect(r.headers['x-faultline-fault']).toBe(f.id);
    expect((await get(t.port, '/health')).status).toBe(200);
    const { errors } = await t.client.errors();
    expect(errors).toEqual([expect.objectContaining({ source: 'response', status: 503, injected: true, route: 'GET /label' })]);
  });

  it('route abort destroys the connection', async () => {
    await t.client.inject({ kind: 'abort', target: { route: '/slug' }, ttlMs: 10_000 });
    const r = await get(t.port, '/slug');
    expect(r.status).toBe(0);
    expect(['ECONNRESET', 'socket hang up']).toContain(r.error);
  });

  it('route delay holds the request back for ms', async () => {
    await t.client.inject({ kind: 'delay', target: { route: 'GET /health' }, ttlMs: 10_000, params: { ms: '300ms' } });
    const r = await get(t.port, '/health');
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(300);
  });

  it('route throw raises an uncaught exception in the request tick and records it', async () => {
    const before = (await get(t.port, '/uncaught')).body.uncaught as number;
    const f = await t.client.inject({ kind: 'throw', target: { route: '/describe' }, ttlMs: 10_000, params: { message: 'route boom' } });
    const r = await get(t.port, '/describe', 800);
    expect(r.status).toBe(0);
    await t.client.revert(f.id);
    expect((await get(t.port, '/uncaught')).body.uncaught).toBe(before + 1);
    const { errors } = await t.client.errors({ faultId: f.id });
    expect(errors).toEqual([expect.objectContaining({ source: 'uncaughtException', message: 'route boom', injected: true })]);
  });

  it('observes unhandled rejections while a fault is active', async () => {
    const f = await t.client.inject({ kind: 'status', target: { route: '/elsewhere' }, ttlMs: 10_000 });
    expect((await get(t.port, '/reject')).body).toEqual({ rejected: true });
    const { errors } = await waitFor(async () => {
      const r = await t.client.errors({ faultId: f.id });
      return r.errors.length > 0 ? r : undefined;
    }, 'the rejection to be recorded');
    expect(errors).toEqual([expect.objectContaining({ source: 'unhandledRejection', message: 'nobody handles me', injected: false })]);
    expect(errors[0]?.frames[0]).toMatchObject({ file: join(FIXTURES, 'service.mjs'), line: lineOf('service.mjs', "Promise.reject(new Error('nobody handles me'))") });
  });

  it('probability 0 never fires, 1 always fires; maxHits stops after n', async () => {
    const never = await t.client.inject({ kind: 'throw', target: { fn: 'formatLabel' }, ttlMs: 10_000, probability: 0 });
    for (let i = 0; i < 10; i++) expect((await get(t.port, '/label')).status).toBe(200);
    await t.client.revert(never.id);
    await t.client.inject({ kind: 'throw', target: { fn: 'formatLabel' }, ttlMs: 10_000, probability: 1 });
    for (let i = 0; i < 10; i++) expect((await get(t.port, '/label')).status).toBe(500);
    await t.client.revertAll();
    await t.client.inject({ kind: 'throw', target: { fn: 'formatLabel' }, ttlMs: 10_000, maxHits: 2 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(t.port, '/label')).status);
    expect(statuses).toEqual([500, 500, 200, 200, 200]);
  });

  it('revert all restores normal behaviour at once', async () => {
    await t.client.inject({ kind: 'throw', target: { fn: 'fetchPrice' }, ttlMs: 60_000 });
    await t.client.inject({ kind: 'status', target: { route: '/label' }, ttlMs: 60_000 });
    expect((await get(t.port, '/price')).status).toBe(500);
    expect(await t.client.revertAll()).toHaveLength(2);
    expect((await get(t.port, '/price')).status).toBe(200);
    expect((await get(t.port, '/label')).status).toBe(200);
    expect((await t.client.faults()).faults).toEqual([]);
  });

  it('rejects bad input with 400 naming the field', async () => {
    await expect(t.client.inject({ kind: 'delay', target: { fn: 'formatLabel' }, ttlMs: 1000, params: { ms: 50 } })).rejects.toMatchObject({ code: 'FL_ERR_AGENT_FAULT', message: expect.stringMatching(/^target\.fn: delay needs a function that returns a promise/) });
    await expect(t.client.inject({ kind: 'throw', target: { fn: 'fetchPrice' }, ttlMs: 0 })).rejects.toMatchObject({ code: 'FL_ERR_TTL_REQUIRED', message: expect.stringMatching(/^ttlMs:/) });
    await expect(t.client.inject({ kind: 'throw', target: { fn: 'noSuchFunction' }, ttlMs: 1000 })).rejects.toMatchObject({ message: expect.stringMatching(/^target\.fn: no instrumented function/) });
  });

  it('is listed from the state folder while it runs', async () => {
    const agents = await AgentClient.list(t.stateDir);
    expect(agents).toEqual([expect.objectContaining({ pid: t.pid, reachable: true })]);
  });
});

describe('agent lifetime', () => {
  it('enforces the TTL inside the target after the controller is killed', async () => {
    const t = await startTarget();
    try {
      const address = t.client.address;
      const controllerCode = `
        import { AgentClient } from ${JSON.stringify(join(REPO, 'dist/inject/agent/client.js'))};
        const f = await AgentClient.fromAddress(${JSON.stringify(address)}).inject({ kind: 'throw', target: { fn: 'fetchPrice' }, ttlMs: 1500 });
        process.stdout.write(JSON.stringify(f) + '\\n');
        setInterval(() => {}, 1000);`;
      const controller = spawn(process.execPath, ['--input-type=module', '-e', controllerCode], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      controller.stdout.on('data', (c) => (out += c));
      const fault = await waitFor(() => (out.includes('\n') ? (JSON.parse(out) as { startedAt: number; expiresAt: number }) : undefined), 'the controller to inject');
      controller.kill('SIGKILL');
      await new Promise((r) => controller.once('exit', r));
      expect((await get(t.port, '/price')).status).toBe(500);
      await waitFor(async () => ((await get(t.port, '/price')).status === 200 ? true : undefined), 'the fault to expire', 5000);
      const lifetime = Date.now() - fault.startedAt;
      expect(lifetime).toBeGreaterThanOrEqual(1400);
      expect(within(lifetime, 1500, 1000)).toBe(true);
      const { faults, ended } = await t.client.faults();
      expect(faults).toEqual([]);
      expect(ended).toEqual([expect.objectContaining({ reason: 'expired' })]);
    } finally {
      await t.stop();
    }
  });

  it('records TTL and maxHits expiries in <stateDir>/events.jsonl', async () => {
    const t = await startTarget();
    try {
      const byTtl = await t.client.inject({ kind: 'throw', target: { fn: 'fetchPrice' }, ttlMs: 300, params: { message: 'ledger' } });
      const byHits = await t.client.inject({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 30_000, maxHits: 1 });
      expect((await get(t.port, '/label')).body).toEqual({ label: null });
      const events = join(t.stateDir, 'events.jsonl');
      const read = (): Array<Record<string, unknown>> =>
        existsSync(events) ? readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [];
      const lines = await waitFor(() => (read().length >= 2 ? read() : undefined), 'two expire events', 5000);
      expect(lines).toEqual([
        expect.objectContaining({ action: 'expire', faultId: byHits.id, kind: 'null', layer: 'agent', target: 'fn=formatLabel', actor: 'agent', outcome: 'ok', ttlMs: 30_000 }),
        expect.objectContaining({ action: 'expire', faultId: byTtl.id, kind: 'throw', layer: 'agent', target: 'fn=fetchPrice', params: { message: 'ledger' }, actor: 'agent', outcome: 'ok', ttlMs: 300 }),
      ]);
      expect(Date.parse(lines[1]?.ts as string) - byTtl.startedAt).toBeGreaterThanOrEqual(250);
      expect((await get(t.port, '/price')).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('removes its announcement when the target exits', async () => {
    const t = await startTarget();
    const own = join(t.stateDir, 'agents', `${t.pid}.json`);
    expect(existsSync(own)).toBe(true);
    const { child, announceFile } = t;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(own)).toBe(false);
    expect(existsSync(announceFile)).toBe(false);
    await t.stop();
  });

  it('does not keep a finished script alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-agent-script-'));
    try {
      const r = await runNode([join(FIXTURES, 'script.mjs')], { agent: true, cwd: dir, env: { FAULTLINE_STATE_DIR: dir } });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('label:done\n');
      expect(r.stderr).toBe('');
      expect(r.ms).toBeLessThan(3000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not change what an unhandled rejection does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-agent-rej-'));
    try {
      const script = ['--input-type=module', '-e', "Promise.reject(new Error('unhandled')); setTimeout(() => console.log('survived'), 200)"];
      const plain = await runNode(script, { cwd: dir });
      const withAgent = await runNode(script, { agent: true, cwd: dir, env: { FAULTLINE_STATE_DIR: dir } });
      expect(plain.code).toBe(1);
      expect(withAgent.code).toBe(plain.code);
      expect(withAgent.stdout).toBe('');
      const handled = ['--input-type=module', '-e', "process.on('unhandledRejection', () => {}); Promise.reject(new Error('x')); setTimeout(() => console.log('survived'), 100)"];
      expect((await runNode(handled, { agent: true, cwd: dir, env: { FAULTLINE_STATE_DIR: dir } })).stdout).toBe('survived\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a module it cannot scan alone, logs it once, and the target runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-agent-odd-'));
    try {
      // valid JavaScript the scan does not follow: a regular expression right after `)`
      writeFileSync(join(dir, 'odd.mjs'), 'let n = 0\nif (true) /}/.test("}") && n++\nexport function f() { return n }\n');
      writeFileSync(join(dir, 'main.mjs'), "import { f } from './odd.mjs'\nconsole.log(f())\n");
      const r = await runNode([join(dir, 'main.mjs')], { agent: true, cwd: dir, env: { FAULTLINE_STATE_DIR: dir } });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('1\n');
      expect(r.stderr).toMatch(/^\[faultline-agent\] left .*odd\.mjs uninstrumented: /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
