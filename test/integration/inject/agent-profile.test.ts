/** The agent's `profile` probe in a real target process: the CPU burner and the growing map are named with their lines. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../src/inject/agent/client.js';
import type { ErrorRecord } from '../../../src/inject/agent/evidence.js';
import { REGISTER, assertBuilt, waitFor } from '../agent/helpers.js';

/**
 * The target: a function that burns ~5 ms of CPU every 10 ms, and a module-level Map that grows by 2000 entries of
 * ~200 bytes every 100 ms (CLEAR=1: emptied before each tick, so it stays the same size).
 */
const SERVICE = `import http from 'node:http';

const cache = new Map();
const clear = process.env.CLEAR === '1';
let n = 0;

function burnCpu() {
  const end = performance.now() + 5;
  let x = 0;
  for (;;) {
    for (let i = 0; i < 2000; i++) x += Math.sqrt(i + x);
    if (performance.now() >= end) return x;
  }
}

function growCache() {
  if (clear) cache.clear();
  for (let i = 0; i < 2000; i++) cache.set(n++, { payload: 'x'.repeat(180) + n, at: n });
}

setInterval(burnCpu, 10);
setInterval(growCache, 100);

const server = http.createServer((req, res) => res.end(JSON.stringify({ size: cache.size })));
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
const lineOf = (text: string): number => SERVICE.split('\n').findIndex((l) => l.includes(text)) + 1;
const MiB = 1024 * 1024;

interface ProfTarget {
  file: string;
  client: AgentClient;
  agentPort: number;
  stop(): Promise<void>;
}

async function startTarget(clear: boolean): Promise<ProfTarget> {
  assertBuilt();
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'fl-profile-')));
  const file = join(dir, 'service.mjs');
  writeFileSync(file, SERVICE);
  const announceFile = join(dir, 'announce.json');
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTLINE_STATE_DIR: join(dir, '.faultline'), FAULTLINE_AGENT_ANNOUNCE: announceFile, CLEAR: clear ? '1' : '0' };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', REGISTER, file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`service exited (${child.exitCode}): ${err}`);
    return out.includes('\n') ? true : undefined;
  }, 'the service port');
  const a = await waitFor(() => (existsSync(announceFile) ? (JSON.parse(readFileSync(announceFile, 'utf8')) as { port: number }) : undefined), 'the agent announcement');
  return {
    file,
    agentPort: a.port,
    client: AgentClient.fromAddress(`127.0.0.1:${a.port}`),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POST /v1/faults without the client: the status code and the error body. */
function post(port: number, body: unknown): Promise<{ status: number; body: { code?: string; message?: string } }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/faults', method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { code?: string; message?: string } }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bySource = (errors: readonly ErrorRecord[], source: string): ErrorRecord[] => errors.filter((e) => e.source === source);

describe.skipIf(process.platform !== 'linux')('profile in a real target', () => {
  let t: ProfTarget;
  beforeAll(async () => {
    t = await startTarget(false);
    await sleep(300); // the timers have run and been compiled
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('names the CPU burner and the growing map with their files and lines; the heap grew > 1 MiB; all there when the revert answers', async () => {
    const f = await t.client.inject({ kind: 'profile', target: {}, ttlMs: 60_000 });
    expect(f).toMatchObject({ kind: 'profile', layer: 'agent', target: {} });
    await sleep(1500);
    await t.client.revert(f.id);
    const { errors } = await t.client.errors({ faultId: f.id });
    const cpu = bySource(errors, 'cpu-profile');
    const heap = bySource(errors, 'heap-profile');
    const dump = JSON.stringify(errors, null, 1);

    expect(cpu.length, dump).toBeGreaterThanOrEqual(1);
    expect(cpu.length).toBeLessThanOrEqual(5);
    expect(cpu[0], dump).toMatchObject({ class: 'CpuProfile', fn: 'burnCpu', injected: false, faultIds: [f.id], frames: [{ fn: 'burnCpu', file: t.file, line: lineOf('function burnCpu'), app: true }] });
    const top = cpu[0] as ErrorRecord;
    expect(top.count).toBeGreaterThan(10);
    expect(top.profiledMs).toBeGreaterThan(1000);
    expect(top.selfMs).toBeGreaterThan(50);
    expect(top.message).toMatch(/^burnCpu: on the event loop \d+ ms of \d+ ms profiled \(\d+\.\d %\), self time$/);
    // sorted by self time; only the application's own functions
    for (let i = 1; i < cpu.length; i++) expect((cpu[i] as ErrorRecord).selfMs).toBeLessThanOrEqual((cpu[i - 1] as ErrorRecord).selfMs as number);
    expect(cpu.every((e) => e.frames.length === 1 && e.frames[0]?.app === true && !e.frames[0].file.includes('/dist/'))).toBe(true);

    expect(heap[0], dump).toMatchObject({ class: 'HeapProfile', fn: 'growCache', faultIds: [f.id], frames: [{ fn: 'growCache', file: t.file, line: lineOf('function growCache'), app: true }] });
    const site = heap[0] as ErrorRecord;
    expect(site.liveBytes).toBeGreaterThan(1 * MiB);
    expect(site.count).toBeGreaterThan(10);
    expect(site.message).toMatch(/^\d+\.\d MiB live after GC, allocated in growCache while profiled \(heap grew \d+\.\d MiB\)$/);
    // every heap record carries the growth
    for (const h of heap) expect(h.heapGrowthBytes).toBe(site.heapGrowthBytes);
    expect(site.heapGrowthBytes).toBeGreaterThan(1 * MiB);
  }, 30_000);

  it('the TTL ends the profile and it still records; the session is freed (a new profile starts)', async () => {
    const f = await t.client.inject({ kind: 'profile', target: {}, ttlMs: 1000, params: { top: 2 } });
    await waitFor(async () => ((await t.client.faults()).ended.some((e) => e.id === f.id && e.reason === 'expired') ? true : undefined), 'the TTL', 10_000);
    const { errors } = await t.client.errors({ faultId: f.id });
    expect(bySource(errors, 'cpu-profile').length).toBeGreaterThanOrEqual(1);
    expect(bySource(errors, 'cpu-profile').length).toBeLessThanOrEqual(2);
    expect(bySource(errors, 'heap-profile')[0]).toMatchObject({ fn: 'growCache', heapGrowthBytes: expect.any(Number) });
    const g = await t.client.inject({ kind: 'profile', target: {}, ttlMs: 60_000, params: { cpu: false } });
    await t.client.revert(g.id);
    const again = (await t.client.errors({ faultId: g.id })).errors;
    expect(again.length).toBeGreaterThanOrEqual(1);
    expect(again.every((e) => e.source === 'heap-profile')).toBe(true);
  }, 30_000);

  it('refuses bad params, a target, and a second profile while one runs', async () => {
    const refused = async (body: Record<string, unknown>, message: RegExp): Promise<void> => {
      const r = await post(t.agentPort, { kind: 'profile', target: {}, ttlMs: 10_000, ...body });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.code).toBe('FL_ERR_AGENT_FAULT');
      expect(r.body.message).toMatch(message);
    };
    await refused({ params: { samplingInterval: 10 } }, /params\.samplingInterval: is not an attribute of profile/);
    await refused({ params: { cpuIntervalUs: 10 } }, /params\.cpuIntervalUs: must be at least 100/);
    await refused({ params: { top: 100 } }, /params\.top: must be at most 50/);
    await refused({ params: { cpu: false, heap: false } }, /nothing to profile/);
    await refused({ target: { fn: 'burnCpu' } }, /^target: profile acts on the whole process/);
    const f = await t.client.inject({ kind: 'profile', target: {}, ttlMs: 10_000 });
    await refused({}, /^kind: a profile \(.+\) is already running in this process/);
    expect((await t.client.faults()).faults.map((x) => x.id)).toEqual([f.id]);
    await t.client.revertAll();
    expect((await t.client.faults()).faults).toEqual([]);
  }, 30_000);
});

describe.skipIf(process.platform !== 'linux')('profile in a real target whose map is emptied each tick', () => {
  let t: ProfTarget;
  beforeAll(async () => {
    t = await startTarget(true);
    await sleep(300);
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('the heap grows far less (< 512 KiB): what is allocated does not stay', async () => {
    const f = await t.client.inject({ kind: 'profile', target: {}, ttlMs: 60_000 });
    await sleep(1500);
    await t.client.revert(f.id);
    const heap = bySource((await t.client.errors({ faultId: f.id })).errors, 'heap-profile');
    expect(heap.length).toBeGreaterThanOrEqual(1);
    const growth = heap[0]?.heapGrowthBytes as number;
    expect(growth, JSON.stringify(heap, null, 1)).toBeLessThan(512 * 1024);
    // the map still holds the last tick's 2000 entries: growCache is still where the live bytes are, about 0.5-1 MiB, not the 10+ MiB of the growing map
    for (const h of heap) expect(h.liveBytes ?? 0).toBeLessThan(4 * MiB);
  }, 30_000);
});
