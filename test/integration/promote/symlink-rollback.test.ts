// A real service behind a `current` symlink: promote a failing release with deploy, watch it fail on GET /, and
// see it rolled back to the previous release — the link, the running process and the registry.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../../src/core/promote.js';
import type { ProbeResult } from '../../../src/promote/monitor.js';
import { coverageRaise } from '../../../src/promote/raise.js';
import { createSymlinkAdapter } from '../../../src/promote/rollback/symlink.js';
import { promoteAndWatch } from '../../../src/promote/rollout.js';
import { appendRelease, listReleases, newReleaseId } from '../../../src/store/releases.js';
import { failure } from './failure.js';

const SERVER = (version: string, status: number): string => `
import { createServer } from 'node:http';
const server = createServer((req, res) => {
  if (req.url === '/health') { res.writeHead(200); res.end('ok'); return; }
  res.writeHead(${status}, { 'content-type': 'text/plain' });
  res.end(${JSON.stringify(status === 200 ? `release ${version}` : `release ${version} is broken`)});
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

function get(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', rej);
    req.end();
  });
}

describe('symlink rollback of a real service', () => {
  let root = '';
  let child: ChildProcess | undefined;
  let port = 0;
  const pids: number[] = [];

  function start(): ChildProcess {
    const c = spawn(process.execPath, ['current/server.mjs'], { cwd: root, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    if (c.pid !== undefined) pids.push(c.pid);
    return c;
  }
  async function waitHealthy(timeoutMs = 15_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      try {
        if ((await get(`http://127.0.0.1:${port}/health`, 500)).status === 200) return;
      } catch {
        // not up yet
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`the service did not answer /health within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  async function stop(): Promise<void> {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((res) => {
      c.once('exit', () => res());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 3000).unref();
    });
  }
  const restart = async (): Promise<void> => {
    await stop();
    child = start();
    await waitHealthy();
  };

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fl-symlink-'));
    for (const [v, status] of [['1.0.0', 200], ['2.0.0', 500]] as const) {
      mkdirSync(join(root, 'releases', v), { recursive: true });
      writeFileSync(join(root, 'releases', v, 'server.mjs'), SERVER(v, status));
    }
    symlinkSync('releases/1.0.0', join(root, 'current'));
    port = await freePort();
    child = start();
    await waitHealthy();
  });
  afterEach(async () => {
    await stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('promotes 2.0.0, sees GET / fail, rolls back to 1.0.0 and records it', async () => {
    expect(await get(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, body: 'release 1.0.0' });
    const stateDir = join(root, 'state');
    const t1 = Date.parse('2025-05-01T10:00:00Z');
    const r1: ReleaseRecord = { id: newReleaseId('shop-api', '1.0.0', t1), module: 'shop-api', version: '1.0.0', artifact: 'releases/1.0.0', decision: 'promote', fis: 0.2, coverage: 88, requiredCoverage: 80, status: 'stable', at: new Date(t1).toISOString() };
    appendRelease(stateDir, r1);
    const t2 = Date.now();
    const r2: ReleaseRecord = { id: newReleaseId('shop-api', '2.0.0', t2), module: 'shop-api', version: '2.0.0', decision: 'promote', fis: 0.35, coverage: 91, requiredCoverage: 88, status: 'promoted', at: new Date(t2).toISOString() };

    const served: string[] = [];
    const probe = async (): Promise<ProbeResult> => {
      let errors = 0;
      let worstMs = 0;
      const n = 5;
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const r = await get(`http://127.0.0.1:${port}/`);
        worstMs = Math.max(worstMs, performance.now() - t0);
        served.push(r.body);
        if (r.status >= 500) errors++;
      }
      return { errorRate: errors / n, p99LatencyMs: worstMs };
    };
    const pidsBefore = pids.length;
    const t0 = performance.now();
    const result = await promoteAndWatch({
      stateDir,
      release: r2,
      adapter: createSymlinkAdapter({ releasesDir: join(root, 'releases'), currentLink: join(root, 'current'), restart }),
      deploy: true,
      watch: { windowMs: 30_000, intervalMs: 250, failAfter: 2, criteria: { maxErrorRate: 0.01, maxP99LatencyMs: 5000 }, probe },
    });
    const ms = performance.now() - t0;

    // the release was really deployed and served before it was judged
    expect(result.deploy?.actions).toEqual(['current → releases/2.0.0 (was releases/1.0.0)', 'restarted shop-api']);
    expect(served).toContain('release 2.0.0 is broken');
    // the watch failed on GET /, after two bad samples, well before the window ended
    expect(result.verdict?.ok).toBe(false);
    expect(result.verdict?.reason).toBe('error rate 1 > 0.01 for 2 samples');
    expect(result.verdict?.samples).toHaveLength(2);
    expect(ms).toBeLessThan(25_000);
    // rolled back: the link, the process and what it serves
    expect(result.rollback?.actions).toEqual(['current → releases/1.0.0 (was releases/2.0.0)', 'restarted shop-api']);
    expect(readlinkSync(join(root, 'current'))).toBe('releases/1.0.0');
    expect(pids.length - pidsBefore).toBe(2); // restarted on deploy and on rollback
    expect(await get(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, body: 'release 1.0.0' });
    // the registry
    expect(result.rolledBackTo?.id).toBe(r1.id);
    const recorded = listReleases(stateDir, { module: 'shop-api' });
    expect(recorded.map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:stable', '2.0.0:rolled-back']);
    expect(recorded[1]?.rollback).toMatchObject({ to: r1.id, adapter: 'symlink', reason: 'error rate 1 > 0.01 for 2 samples' });
    // and the next gate asks for one step more coverage
    const raise = coverageRaise(recorded, { stepPct: 5, decayAfter: 3 });
    expect(raise).toMatchObject({ raise: 5, rollbacks: 1 });
    // no temporary links left beside `current`
    expect(readdirSync(root).sort()).toEqual(['current', 'releases', 'state']);
  });

  it('a good release becomes stable and keeps running', async () => {
    writeFileSync(join(root, 'releases', '2.0.0', 'server.mjs'), SERVER('2.0.0', 200));
    const stateDir = join(root, 'state');
    const r2: ReleaseRecord = { id: 'shop-api-2.0.0-x', module: 'shop-api', version: '2.0.0', decision: 'promote', fis: 0.1, coverage: 95, requiredCoverage: 80, status: 'promoted', at: new Date().toISOString() };
    const result = await promoteAndWatch({
      stateDir,
      release: r2,
      adapter: createSymlinkAdapter({ releasesDir: join(root, 'releases'), currentLink: join(root, 'current'), restart }),
      deploy: true,
      watch: { windowMs: 1000, intervalMs: 200, criteria: { maxErrorRate: 0 }, probe: async () => ({ errorRate: (await get(`http://127.0.0.1:${port}/`)).status >= 500 ? 1 : 0 }) },
    });
    expect(result.release.status).toBe('stable');
    expect(result.verdict?.samples.length).toBeGreaterThanOrEqual(4);
    expect(readlinkSync(join(root, 'current'))).toBe('releases/2.0.0');
    expect(await get(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, body: 'release 2.0.0' });
  });
});

describe('symlink adapter', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fl-symlink-unit-'));
    mkdirSync(join(root, 'releases', '1.0.0'), { recursive: true });
    mkdirSync(join(root, 'releases', '2.0.0'), { recursive: true });
    mkdirSync(join(root, 'elsewhere', 'build-7'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const adapter = (restart?: () => Promise<void>) => createSymlinkAdapter({ releasesDir: join(root, 'releases'), currentLink: join(root, 'current'), ...(restart ? { restart } : {}) });

  it('creates the link when there is none; an artifact path is taken relative to the parent of releasesDir, or absolute', async () => {
    const a = adapter();
    expect((await a.deploy?.({ module: 'api', version: '1.0.0' }))?.actions).toEqual(['current → releases/1.0.0 (new link)', 'no restart configured']);
    expect((await a.deploy?.({ module: 'api', version: '7', artifact: 'elsewhere/build-7' }))?.actions[0]).toBe('current → elsewhere/build-7 (was releases/1.0.0)');
    expect(readlinkSync(join(root, 'current'))).toBe('elsewhere/build-7');
    await a.rollback({ module: 'api', version: '2.0.0', artifact: join(root, 'releases', '2.0.0') }, { module: 'api', version: '7' });
    expect(readlinkSync(join(root, 'current'))).toBe('releases/2.0.0');
  });

  it('refuses to replace a real directory or file at currentLink, leaving it as it was', async () => {
    mkdirSync(join(root, 'current'));
    writeFileSync(join(root, 'current', 'keep.txt'), 'x');
    const f = await failure(adapter().rollback({ module: 'api', version: '1.0.0' }, { module: 'api', version: '2.0.0' }));
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toMatch(/current is a real directory, not a symlink; refusing to replace it/);
    expect(readdirSync(join(root, 'current'))).toEqual(['keep.txt']);
    rmSync(join(root, 'current'), { recursive: true });
    writeFileSync(join(root, 'current'), 'file');
    expect((await failure(adapter().rollback({ module: 'api', version: '1.0.0' }, { module: 'api', version: '2.0.0' }))).message).toMatch(/is a real file, not a symlink/);
    expect(readdirSync(root).sort()).toEqual(['current', 'elsewhere', 'releases']);
  });

  it('a missing release folder fails before touching the link', async () => {
    symlinkSync('releases/2.0.0', join(root, 'current'));
    const f = await failure(adapter().rollback({ module: 'api', version: '0.9.0' }, { module: 'api', version: '2.0.0' }));
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toContain(`the release folder of api 0.9.0 does not exist: ${join(root, 'releases', '0.9.0')}`);
    expect(readlinkSync(join(root, 'current'))).toBe('releases/2.0.0');
  });

  it('a failing restart is FL_ERR_ROLLBACK_FAILED saying what was switched', async () => {
    symlinkSync('releases/2.0.0', join(root, 'current'));
    const f = await failure(adapter(async () => Promise.reject(new Error('port 4000 in use'))).rollback({ module: 'api', version: '1.0.0' }, { module: 'api', version: '2.0.0' }));
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toBe('symlink: current → releases/1.0.0 (was releases/2.0.0), then the restart on api 1.0.0 failed: port 4000 in use');
  });

  it('switches atomically: a reader polling the link in another process never finds it missing', async () => {
    symlinkSync('releases/1.0.0', join(root, 'current'));
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); let n = 0, missing = 0; const end = Date.now() + 1e9;
         process.stdin.on('data', () => { process.stdout.write(JSON.stringify({ n, missing })); process.exit(0); });
         (function loop() { for (let i = 0; i < 500; i++) { n++; try { fs.statSync(${JSON.stringify(join(root, 'current'))}); } catch { missing++; } } setImmediate(loop); })();
         process.stdout.write('ready\\n');`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    reader.stdout?.setEncoding('utf8');
    reader.stdout?.on('data', (c: string) => (out += c));
    const t0 = Date.now();
    while (!out.includes('ready') && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
    const a = adapter();
    for (let i = 0; i < 400; i++) {
      await a.deploy?.({ module: 'api', version: i % 2 === 0 ? '2.0.0' : '1.0.0' });
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    reader.stdin?.end('stop');
    await new Promise((r) => reader.once('exit', r));
    const stats = JSON.parse(out.slice(out.indexOf('\n') + 1)) as { n: number; missing: number };
    expect(stats.n).toBeGreaterThan(1000);
    expect(stats.missing).toBe(0);
    expect(readdirSync(root).sort()).toEqual(['current', 'elsewhere', 'releases']);
  });
});
