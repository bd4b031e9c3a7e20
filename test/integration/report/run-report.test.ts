// End to end with the real things: a target process behind the real fault proxy, the real observer with open-loop
// load, a latency toxic injected and reverted; the run's metrics scraped live from the Prometheus endpoint over a
// socket; then figures, recommendations and the written reports (JSON, HTML, JUnit).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../../src/core/run.js';
import { ProxyRegistry } from '../../../src/inject/proxy/index.js';
import { computeFigures, startObserver } from '../../../src/observe/index.js';
import { analyzeReport, readRunReport, renderText, startMetricsServer, writeReports, type MetricsServer } from '../../../src/report/index.js';
import { findAll, parseExposition, parseXml, sampleOf, type Exposition } from '../../unit/report/helpers.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TARGET = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true}'); });
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

describe('a run observed live and reported', () => {
  let child: ChildProcess | undefined;
  let registry: ProxyRegistry | undefined;
  let metrics: MetricsServer | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fl-report-run-'));
  afterAll(async () => {
    await metrics?.close();
    await registry?.close();
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('latency on a dependency: live metrics show it, the report shows the window, the figures and add-timeout', async () => {
    child = spawn(process.execPath, ['-e', TARGET], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child!.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child!.once('exit', (c) => reject(new Error(`target exited ${c}`)));
    });
    registry = new ProxyRegistry();
    const proxy = await registry.createProxy({ name: 'dep', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
    metrics = await startMetricsServer();
    expect(metrics.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const bounds = { maxErrorRate: 0.01, maxP99LatencyMs: 150 };
    metrics.metrics.setRun({ id: 'run-it-1', title: 'dependency latency', kind: 'experiment', bounds });
    const scrape = async (): Promise<Exposition> => {
      const r = await get(metrics!.url);
      expect(r.status).toBe(200);
      expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      return parseExposition(r.body);
    };

    const startedAt = new Date();
    const obs = startObserver({
      load: { url: `http://${proxy.listen}/`, method: 'GET', ratePerSec: 80, timeoutMs: 3000 },
      targets: () => [{ pid: child!.pid!, service: 'target' }],
      bucketMs: 250,
      sampleEveryMs: 250,
      onBucket: (b) => metrics!.metrics.onBucket(b),
    });
    // baseline: steady, with traffic counted
    await waitFor('a steady baseline', async () => {
      const e = await scrape();
      return (sampleOf(e, 'faultline_requests_total', { outcome: 'ok' }) ?? 0) >= 60 && sampleOf(e, 'faultline_steady_state_met') === 1 ? e : undefined;
    });
    const injectRunMs = Date.now() - startedAt.getTime();
    const toxic = registry.addToxic('dep', { type: 'latency', attributes: { latency: 300 }, ttl: 30_000 });
    const injectEvent = { kind: 'inject' as const, label: 'proxy/latency dep 300 ms', faultId: 'f-it-1' };
    obs.mark(injectEvent);
    metrics.metrics.onEvent({ ...injectEvent, atMs: obs.now() }, { layer: 'proxy', kind: 'latency' });
    const during = await waitFor('the latency in the live metrics', async () => {
      const e = await scrape();
      return (sampleOf(e, 'faultline_request_duration_seconds', { quantile: '0.99' }) ?? 0) >= 0.25 ? e : undefined;
    });
    expect(sampleOf(during, 'faultline_faults_active')).toBe(1);
    expect(sampleOf(during, 'faultline_faults_injected_total', { layer: 'proxy', kind: 'latency' })).toBe(1);
    expect(sampleOf(during, 'faultline_steady_state_met')).toBe(0);
    expect(during.samples.find((s) => s.name === 'faultline_run_info')!.labels).toEqual({ id: 'run-it-1', title: 'dependency latency', kind: 'experiment' });

    await new Promise((r) => setTimeout(r, 1000));
    registry.removeToxic('dep', toxic.name);
    const revertRunMs = Date.now() - startedAt.getTime();
    obs.mark({ kind: 'revert', label: 'proxy/latency dep', faultId: 'f-it-1' });
    metrics.metrics.onEvent({ kind: 'revert', label: 'proxy/latency dep', faultId: 'f-it-1', atMs: obs.now() });
    await waitFor('recovery in the live metrics', async () => {
      const e = await scrape();
      return sampleOf(e, 'faultline_steady_state_met') === 1 && sampleOf(e, 'faultline_faults_active') === 0 ? e : undefined;
    });
    await new Promise((r) => setTimeout(r, 1200));
    const observation = await obs.stop();
    const windows = observation.events.filter((e) => e.kind === 'inject').map((e) => ({ faultId: 'f-it-1', label: 'proxy/latency proxy=dep', startMs: e.atMs, endMs: observation.events.find((x) => x.kind === 'revert')!.atMs }));
    const figures = computeFigures(observation, windows, bounds);
    const endedAt = new Date();
    const report: RunReport = analyzeReport({
      id: 'run-it-1',
      kind: 'experiment',
      title: 'dependency latency',
      status: 'completed',
      deviated: true,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs: endedAt.getTime() - startedAt.getTime(),
      seed: 7,
      checks: [{ phase: 'during', probe: 'p99 below 150 ms', met: false, tolerance: { type: 'range', range: [0, 150] }, value: figures.faults[0]!.during.latencyMs.p99, atMs: revertRunMs - 100, durationMs: 1 }],
      faults: [{ id: 'f-it-1', kind: 'latency', layer: 'proxy', target: 'proxy=dep', params: { latency: 300 }, startMs: injectRunMs, endMs: revertRunMs, endedBy: 'run' }],
      observation,
      figures,
      evidence: [],
      recommendations: [],
      artifacts: {},
    });
    expect(figures.faults[0]!.timeToDetectMs).not.toBeNull();
    expect(figures.faults[0]!.recovered).toBe(true);
    expect(report.recommendations.map((r) => r.recipe)).toEqual(['add-timeout']);

    const paths = writeReports(report, join(dir, 'runs', report.id));
    const saved = readRunReport(paths.json!);
    expect(saved.artifacts).toMatchObject({ json: paths.json, html: paths.html, junit: paths.junit });
    const junit = parseXml(readFileSync(paths.junit!, 'utf8'));
    expect(junit.attrs).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    expect(findAll(junit, 'testcase').map((c) => c.attrs.name)).toEqual(['p99 below 150 ms', 'proxy/latency proxy=dep: recovered']);
    const html = readFileSync(paths.html!, 'utf8');
    // one fault window, shaded on the timeline and on the process chart
    expect(html.match(/class="fault-window"/g)).toHaveLength(2);
    expect(html).toContain('class="chart process"');
    expect(html).not.toMatch(/<script/i);
    const text = renderText(saved);
    expect(text).toContain('dependency latency — completed, deviated');
    expect(text).toContain('[during] p99 below 150 ms: expected within [0, 150]');
    expect(text).toMatch(/\[medium\] Add a timeout and a fallback where proxy=dep is called \(recipe add-timeout\)/);
  });

  it('the endpoint refuses browsers, unknown paths and methods, and non-loopback binds without a token; a token is required when set', async () => {
    expect((await get(metrics!.url, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(metrics!.url, { host: 'evil.example' })).status).toBe(403);
    expect((await get(metrics!.url.replace('/metrics', '/'))).status).toBe(404);
    const post = await new Promise<number>((resolve, reject) => {
      const req = request(metrics!.url, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(post).toBe(405);
    await expect(startMetricsServer({ host: '0.0.0.0' })).rejects.toMatchObject({ code: 'FL_ERR_UNAUTHORIZED' });
    const guarded = await startMetricsServer({ token: 's3cret' });
    try {
      const denied = await get(guarded.url);
      expect(denied.status).toBe(401);
      expect((await get(guarded.url, { authorization: 'Bearer s3cret' })).status).toBe(200);
    } finally {
      await guarded.close();
    }
    const busy = Number(new URL(metrics!.url).port);
    await expect(startMetricsServer({ port: busy })).rejects.toMatchObject({ code: 'FL_ERR_METRICS_LISTEN' });
  });
});
