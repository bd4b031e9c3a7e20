import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ObserveTarget, TimelineBucket } from '../../../src/core/run.js';
import { createRng } from '../../../src/core/rng.js';
import { startObserver } from '../../../src/observe/index.js';
import { TrafficFaults } from '../../../src/observe/malformed.js';
import { REPO, startFixture, TARGET, until, waitFor, within, type Fixture } from './helpers.js';

const REGISTER = join(REPO, 'dist/inject/agent/register.js');

describe('observer', () => {
  const fixtures: Fixture[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('puts requests into contiguous buckets by intended send time, hands each out once, and windows the latest requests', async () => {
    const fx = await startFixture();
    fixtures.push(fx);
    const handed: TimelineBucket[] = [];
    const obs = startObserver({ load: { url: `${fx.url}/`, method: 'GET', ratePerSec: 200, timeoutMs: 1000 }, bucketMs: 100, onBucket: (b) => handed.push(b) });
    obs.mark({ kind: 'phase', label: 'baseline' });
    await until(obs.now, 1000);
    const w = obs.window(500);
    expect(within(w.requests, 100, 12)).toBe(true);
    expect(w.errorRate).toBe(0);
    expect(w.latencyMs.p99).toBeGreaterThan(0);
    expect(handed.length).toBeGreaterThanOrEqual(8);
    obs.mark({ kind: 'inject', label: 'x', faultId: 'f1', atMs: 500 });
    await until(obs.now, 1500);
    const o = await obs.stop();
    expect(o.bucketMs).toBe(100);
    expect(within(o.durationMs, 1500, 100)).toBe(true);
    expect(o.buckets.map((b) => b.atMs)).toEqual(o.buckets.map((_, i) => i * 100));
    expect(o.buckets.length).toBe(Math.ceil(o.durationMs / 100));
    expect(handed.map((b) => b.atMs)).toEqual(o.buckets.map((b) => b.atMs));
    for (const b of o.buckets.slice(0, -1)) expect(within(b.requests, 20, 1)).toBe(true);
    expect(o.buckets.reduce((n, b) => n + b.requests, 0)).toBe(o.summary.requests);
    expect(o.events.map((e) => [e.kind, e.atMs < 50 || e.atMs === 500])).toEqual([
      ['phase', true],
      ['inject', true],
    ]);
    expect(within(o.summary.throughputPerSec, 200, 20)).toBe(true);
    expect(within(o.startedAt, Date.now() - 1500, 1000)).toBe(true);
  });

  it('a request only its traffic fault counts (mix, measure: false) closes its slot without entering the timeline', async () => {
    const fx = await startFixture();
    fixtures.push(fx);
    const traffic = new TrafficFaults({ rng: createRng(7) });
    const obs = startObserver({ load: { url: `${fx.url}/`, method: 'GET', ratePerSec: 200, timeoutMs: 1000, traffic }, bucketMs: 100 });
    const f = traffic.inject({ layer: 'traffic', kind: 'mix', target: {}, params: { path: '/?work=1', method: 'GET', share: 0.25, measure: false }, ttlMs: 60_000 });
    await until(obs.now, 1000);
    const o = await obs.stop();
    const sent = traffic.summary(f.id)?.sent ?? 0;
    expect(sent).toBeGreaterThan(20);
    // every slice closed (no slot left waiting for a sample), and the mixed-in requests are in none of them
    expect(o.buckets.map((b) => b.atMs)).toEqual(o.buckets.map((_, i) => i * 100));
    expect(o.buckets.length).toBe(Math.ceil(o.durationMs / 100));
    const counted = o.buckets.reduce((n, b) => n + b.requests, 0);
    expect(counted).toBe(o.summary.requests);
    expect(within(counted + sent, 200, 12)).toBe(true);
  });

  it('samples CPU, RSS and open fds of the targets, re-reading them so a restarted service is followed', async () => {
    const a = await startFixture();
    fixtures.push(a);
    let targets: ObserveTarget[] = [{ pid: a.pid, service: 'web' }];
    // 100 req/s × 4 ms of busy CPU each ≈ 40 % of a core
    const obs = startObserver({ load: { url: `${a.url}/?work=4`, method: 'GET', ratePerSec: 100, timeoutMs: 2000 }, targets: () => targets, sampleEveryMs: 200 });
    await until(obs.now, 1500);
    await a.stop();
    const b = await startFixture();
    fixtures.push(b);
    targets = [{ pid: a.pid, service: 'web' }, { pid: b.pid, service: 'web' }];
    await until(obs.now, 2200);
    const o = await obs.stop();
    const ofA = o.process.filter((s) => s.pid === a.pid);
    const ofB = o.process.filter((s) => s.pid === b.pid);
    expect(ofA.length).toBeGreaterThanOrEqual(5);
    expect(ofB.length).toBeGreaterThanOrEqual(2);
    // a vanished pid is skipped: no sample of A after it was killed
    expect(Math.max(...ofA.map((s) => s.atMs))).toBeLessThan(1600);
    const busy = ofA.slice(2).map((s) => s.cpuPercent);
    const mean = busy.reduce((x, y) => x + y, 0) / busy.length;
    expect(mean).toBeGreaterThan(20);
    expect(mean).toBeLessThan(95);
    for (const s of [...ofA, ...ofB]) {
      expect(s.service).toBe('web');
      expect(s.rssBytes).toBeGreaterThan(10_000_000);
      expect(s.openFds).toBeGreaterThanOrEqual(3);
      expect(s.eventLoopLagMs).toBeUndefined();
    }
    // requests to the killed process failed while it was gone; they count as socket errors
    expect(o.summary.errors).toBeGreaterThan(0);
  });

  it('reads event-loop lag from the agent of a target', async () => {
    if (!existsSync(REGISTER)) throw new Error(`${REGISTER} is missing: run \`npx tsc -p tsconfig.json\` first`);
    const dir = mkdtempSync(join(tmpdir(), 'fl-observe-'));
    dirs.push(dir);
    const announce = join(dir, 'announce.json');
    const fx = await startFixture(TARGET, [], { NODE_OPTIONS: `--import ${REGISTER}`, FAULTLINE_STATE_DIR: dir, FAULTLINE_AGENT_ANNOUNCE: announce });
    fixtures.push(fx);
    const ann = await waitFor(() => (existsSync(announce) ? (JSON.parse(readFileSync(announce, 'utf8')) as { port: number }) : undefined), 'the agent announcement');
    // each request blocks the target's event loop for 40 ms
    const obs = startObserver({ load: { url: `${fx.url}/?work=40`, method: 'GET', ratePerSec: 10, timeoutMs: 2000 }, targets: () => [{ pid: fx.pid, agent: `127.0.0.1:${ann.port}` }], sampleEveryMs: 300 });
    await until(obs.now, 1600);
    const o = await obs.stop();
    const lags = o.process.map((s) => s.eventLoopLagMs).filter((x): x is number => x !== undefined);
    // the first read only starts the monitor
    expect(o.process[0]?.eventLoopLagMs).toBeUndefined();
    expect(lags.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...lags)).toBeGreaterThanOrEqual(25);
  });

  it('without load: only process samples and events, on empty buckets', async () => {
    const obs = startObserver({ targets: () => [{ pid: process.pid }], sampleEveryMs: 100, bucketMs: 100 });
    obs.mark({ kind: 'note', label: 'hello' });
    await until(obs.now, 350);
    expect(obs.window(1000).requests).toBe(0);
    const o = await obs.stop();
    expect(o.summary.requests).toBe(0);
    expect(o.buckets.every((b) => b.requests === 0)).toBe(true);
    expect(o.buckets.length).toBe(Math.ceil(o.durationMs / 100));
    expect(o.process.length).toBeGreaterThanOrEqual(3);
    expect(o.events).toHaveLength(1);
  });
});
