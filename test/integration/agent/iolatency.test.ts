/** The agent's `iolatency` fault in a real target process: a slow disk, felt the way Node feels it. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../src/inject/agent/client.js';
import { FIXTURES, REGISTER, assertBuilt, get, lineOf, waitFor } from './helpers.js';

const FIXTURE = 'iolatency-service.mjs';

interface IoTarget {
  port: number;
  cwd: string;
  client: AgentClient;
  stop(): Promise<void>;
}

/** Starts test/fixtures/agent/iolatency-service.mjs with the agent, in a fresh folder (its cwd and state folder). */
async function startIoTarget(): Promise<IoTarget> {
  assertBuilt();
  const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'fl-iolat-')));
  const announceFile = join(cwd, 'announce.json');
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTLINE_STATE_DIR: join(cwd, '.faultline'), FAULTLINE_AGENT_ANNOUNCE: announceFile, FAULTLINE_AGENT_SEED: '7' };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', REGISTER, join(FIXTURES, FIXTURE)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`service exited (${child.exitCode}): ${err}`);
    const line = out.split('\n')[0];
    return line && out.includes('\n') ? (JSON.parse(line) as { port: number }).port : undefined;
  }, 'the service port');
  const a = await waitFor(() => (existsSync(announceFile) ? (JSON.parse(readFileSync(announceFile, 'utf8')) as { port: number }) : undefined), 'the agent announcement');
  return {
    port,
    cwd,
    client: AgentClient.fromAddress(`127.0.0.1:${a.port}`),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

async function json(port: number, path: string): Promise<Record<string, unknown>> {
  const r = await get(port, path, 20_000);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)} ${r.error ?? ''}`);
  return r.body;
}

/** The longest event-loop stall since the previous call (the fixture's 10 ms ticker). */
const lag = async (t: IoTarget): Promise<number> => (await json(t.port, '/lag')).maxGapMs as number;
const lines = async (t: IoTarget, file: string): Promise<number> => (await json(t.port, `/lines?file=${file}`)).lines as number;

/** POST /v1/faults without the client: the status code and the body. */
function post(address: string, body: unknown): Promise<{ status: number; body: { code?: string; message?: string } }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), path: '/v1/faults', method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { code?: string; message?: string } }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

let t: IoTarget;
beforeAll(async () => {
  t = await startIoTarget();
}, 30_000);
afterAll(async () => {
  await t?.stop();
});
afterEach(async () => {
  await t.client.revertAll();
  await t.client.clearErrors();
});

describe.skipIf(process.platform !== 'linux')('iolatency in a real target', () => {
  it('a synchronous call on a matching path blocks the event loop for ms, still writes, and is evidence at its call site', async () => {
    await json(t.port, '/sync'); // warm
    await lag(t);
    const f = await t.client.inject({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 200, path: 'data/*.jsonl' } });
    expect(f).toMatchObject({ kind: 'iolatency', layer: 'agent', target: {}, calls: 0, hits: 0 });
    const before = await lines(t, 'orders.jsonl');
    await lag(t);
    const r = await get(t.port, '/sync', 20_000);
    expect(r.status).toBe(200);
    expect(r.ms, 'the request waits for the held call').toBeGreaterThanOrEqual(180);
    // a concurrent timer was late by about ms: the event loop was blocked
    expect(await lag(t), 'event-loop stall').toBeGreaterThanOrEqual(150);
    // ESM named import and require('fs') see the same patch
    const r2 = await get(t.port, '/cjs-sync', 20_000);
    expect(r2.ms).toBeGreaterThanOrEqual(180);
    expect(await lag(t)).toBeGreaterThanOrEqual(150);
    await json(t.port, '/sync');
    expect(await lines(t, 'orders.jsonl'), 'the file is still written').toBe(before + 3);

    const fault = (await t.client.faults()).faults.find((x) => x.id === f.id);
    // /lines reads the file too (readFileSync): 3 appends + 2 reads held; nested calls (writeFileSync inside appendFileSync) are not counted
    expect(fault).toMatchObject({ calls: 5, hits: 5 });

    const { errors } = await t.client.errors({ faultId: f.id });
    const site = errors.find((e) => e.message.startsWith('appendFileSync(') && e.frames[0]?.line === lineOf(FIXTURE, '// the blocking call site'));
    expect(site, JSON.stringify(errors, null, 1)).toBeDefined();
    expect(site).toMatchObject({
      source: 'blocking-call',
      class: 'BlockingIO',
      injected: false,
      faultIds: [f.id],
      message: `appendFileSync(${join(t.cwd, 'data/orders.jsonl')}) held 200 ms by iolatency: a synchronous call, the event loop was blocked`,
      count: 2,
      stack: expect.stringMatching(/^BlockingIO: appendFileSync\(/),
    });
    expect(site?.frames[0]).toMatchObject({ file: join(FIXTURES, FIXTURE), app: true });
    // one record per call site: the /cjs-sync line and the readFileSync of /lines are sites of their own
    expect(errors.filter((e) => e.source === 'blocking-call').map((e) => e.frames[0]?.line).sort()).toEqual(
      [lineOf(FIXTURE, '// the blocking call site'), lineOf(FIXTURE, "cjsFs.appendFileSync(fileOf(q), '{\"cjs\""), lineOf(FIXTURE, "text = readFileSync(")].sort(),
    );
  }, 60_000);

  it('an asynchronous call is delayed by ms while the event loop stays free (promise and callback forms); no evidence', async () => {
    const f = await t.client.inject({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 300, path: `${t.cwd}/data/**`, methods: ['appendFile'] } });
    await lag(t);
    const slow = get(t.port, '/async', 20_000);
    await new Promise((r) => setTimeout(r, 60));
    const ping = await get(t.port, '/ping', 20_000);
    const s = await slow;
    expect(s.status).toBe(200);
    expect(s.ms, 'fs.promises.appendFile held').toBeGreaterThanOrEqual(250);
    expect(ping.ms, 'a concurrent request answers at once').toBeLessThan(150);
    expect(ping.ms).toBeLessThan(s.ms);
    expect(await lag(t), 'no event-loop stall').toBeLessThan(150);
    const cb = await get(t.port, '/callback', 20_000);
    expect(cb.ms, 'fs.appendFile (callback) held').toBeGreaterThanOrEqual(250);
    expect(await lag(t)).toBeLessThan(150);
    // methods: [appendFile] covers the sync form too; readFileSync (/lines) is not held
    const sync = await get(t.port, '/sync', 20_000);
    expect(sync.ms).toBeGreaterThanOrEqual(250);
    const r = await get(t.port, '/lines', 20_000);
    expect(r.ms).toBeLessThan(250);
    expect(r.body.lines).toBeGreaterThanOrEqual(3);
    expect((await t.client.faults()).faults.find((x) => x.id === f.id)).toMatchObject({ calls: 3, hits: 3 });
    const { errors } = await t.client.errors({ faultId: f.id });
    expect(errors.map((e) => e.message)).toEqual([`appendFileSync(${join(t.cwd, 'data/orders.jsonl')}) held 300 ms by iolatency: a synchronous call, the event loop was blocked`]);
  }, 60_000);

  it('leaves non-matching paths alone; revert restores node:fs (ESM and CommonJS views)', async () => {
    expect(await json(t.port, '/identity')).toEqual({ named: true, cjs: true, promise: true, callback: true, esmSeesCjs: true });
    const f = await t.client.inject({ kind: 'iolatency', target: {}, ttlMs: 60_000, params: { ms: 400, path: 'data/*.jsonl' } });
    expect(await json(t.port, '/identity')).toEqual({ named: false, cjs: false, promise: false, callback: false, esmSeesCjs: true });
    await lag(t);
    const other = await get(t.port, '/sync?file=other.txt', 20_000);
    expect(other.ms, 'a path the glob does not match').toBeLessThan(250);
    expect(await lag(t)).toBeLessThan(250);
    expect((await t.client.faults()).faults.find((x) => x.id === f.id)).toMatchObject({ calls: 0, hits: 0 });
    expect((await get(t.port, '/sync', 20_000)).ms).toBeGreaterThanOrEqual(350);

    await t.client.revert(f.id);
    expect(await json(t.port, '/identity')).toEqual({ named: true, cjs: true, promise: true, callback: true, esmSeesCjs: true });
    await lag(t);
    expect((await get(t.port, '/sync', 20_000)).ms, 'fast again').toBeLessThan(250);
    expect((await get(t.port, '/async', 20_000)).ms).toBeLessThan(250);
    expect(await lag(t)).toBeLessThan(250);
  }, 60_000);

  it('percent: a share of the matching calls is held, drawn with the seeded generator', async () => {
    const f = await t.client.inject({ kind: 'iolatency', target: {}, ttlMs: 60_000, seed: 42, params: { ms: 1, path: 'data/pct.jsonl', percent: 50 } });
    for (let i = 0; i < 40; i++) await json(t.port, '/sync?file=pct.jsonl');
    const fault = (await t.client.faults()).faults.find((x) => x.id === f.id);
    expect(fault?.calls).toBe(40);
    expect(fault?.hits).toBeGreaterThan(8);
    expect(fault?.hits).toBeLessThan(32);
  }, 60_000);

  it('the TTL restores node:fs inside the target', async () => {
    const f = await t.client.inject({ kind: 'iolatency', target: {}, ttlMs: 1500, params: { ms: 300, path: '**/*.jsonl' } });
    expect((await json(t.port, '/identity')).named).toBe(false);
    await waitFor(async () => ((await t.client.faults()).ended.some((e) => e.id === f.id && e.reason === 'expired') ? true : undefined), 'the TTL', 15_000);
    expect(await json(t.port, '/identity')).toEqual({ named: true, cjs: true, promise: true, callback: true, esmSeesCjs: true });
    await lag(t);
    expect((await get(t.port, '/sync', 20_000)).ms).toBeLessThan(250);
    expect(await lag(t)).toBeLessThan(250);
  }, 60_000);

  it('refuses bad params with 400 naming the attribute', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ path: 'data/*' }, /^params\.ms: is required/],
      [{ ms: 0, path: 'data/*' }, /^params\.ms: must be at least 1/],
      [{ ms: 20_000, path: 'data/*' }, /^params\.ms: must be at most 10000/],
      [{ ms: 100 }, /^params\.path: is required/],
      [{ ms: 100, path: '' }, /^params\.path: expected a glob/],
      [{ ms: 100, path: 'data/*', msec: 1 }, /^params\.msec: is not an attribute of iolatency/],
      [{ ms: 100, path: 'data/*', methods: ['appendFileSync'] }, /^params\.methods: "appendFileSync" is not .*give "appendFile"/],
      [{ ms: 100, path: 'data/*', methods: ['nope'] }, /^params\.methods: "nope" is not a path-taking node:fs function/],
      [{ ms: 100, path: 'data/*', methods: [] }, /^params\.methods: expected a non-empty list/],
      [{ ms: 100, path: 'data/*', percent: 150 }, /^params\.percent: must be at most 100/],
    ];
    for (const [params, message] of cases) {
      const r = await post(t.client.address, { kind: 'iolatency', target: {}, ttlMs: 5000, params });
      expect(r.status, JSON.stringify(params)).toBe(400);
      expect(r.body, JSON.stringify(params)).toMatchObject({ code: 'FL_ERR_AGENT_FAULT', message: expect.stringMatching(message) });
    }
    expect((await post(t.client.address, { kind: 'iolatency', target: {}, ttlMs: 5000, probability: 0.5, params: { ms: 1, path: '*' } })).body.message).toMatch(/^probability:/);
    expect((await post(t.client.address, { kind: 'iolatency', target: { fn: 'x' }, ttlMs: 5000, params: { ms: 1, path: '*' } })).body.message).toMatch(/^target:/);
    expect((await t.client.faults()).faults).toEqual([]);
  }, 30_000);
});
