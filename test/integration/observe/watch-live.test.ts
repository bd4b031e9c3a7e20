// `observe watch` live, over real sockets on 127.0.0.1 port 0: an HTTP server with Prometheus's API response
// shapes (query_range → matrix for the backfill, query → vector per poll) whose series jumps after some polls, and
// a target that starts failing under the watch's own probe load.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerObserveWatch } from '../../../src/cli/commands/observe-watch.js';
import type { CliContext } from '../../../src/cli/context.js';
import { findDetectorOrThrow } from '../../../src/observe/anomaly/registry.js';
import { prometheusSource, runWatch, targetSource, Watcher, type Warning } from '../../../src/observe/anomaly/watch.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** a Prometheus stand-in: one series {job="shop"} near 10 (deterministic wiggle), 100 from poll `jumpAt` on */
function fakePrometheus(jumpAt: number) {
  const state = { polls: 0, ranges: 0, lastQuery: '' };
  const value = (k: number): string => String(10 + ((k * 7) % 5) * 0.2);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', 'http://x');
    const q = u.searchParams.get('query') ?? '';
    state.lastQuery = q;
    if (q === 'broken(') return json(res, 400, { status: 'error', errorType: 'bad_data', error: '1:8: parse error: unclosed left parenthesis' });
    if (u.pathname === '/api/v1/query_range') {
      state.ranges++;
      const start = Number(u.searchParams.get('start'));
      const end = Number(u.searchParams.get('end'));
      const step = Number.parseFloat(u.searchParams.get('step') ?? '1');
      const values: Array<[number, string]> = [];
      for (let t = start, k = 0; t <= end; t += step, k++) values.push([t, value(k)]);
      return json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: { __name__: 'shop_p99', job: 'shop' }, values }] } });
    }
    if (u.pathname === '/api/v1/query') {
      const k = ++state.polls;
      const t = Number(u.searchParams.get('time'));
      return json(res, 200, { status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'shop_p99', job: 'shop' }, value: [t, k >= jumpAt ? '100' : value(k)] }] } });
    }
    json(res, 404, { status: 'error', errorType: 'not_found', error: u.pathname });
  };
  return { state, handler };
}

describe('watch a Prometheus query', () => {
  const detector = findDetectorOrThrow('robust-z');

  it('backfills from query_range, polls query, and warns when the series jumps (not before)', async () => {
    const prom = fakePrometheus(12);
    const url = await listen(prom.handler);
    let clock = 1_700_000_000_000;
    const source = prometheusSource({ url, query: 'shop_p99', stepMs: 1000, backfillMs: 60_000, now: () => (clock += 1000) });
    const watcher = new Watcher({ detector, stepMs: 1000, scoreThreshold: 0.25 });
    const warnings: Warning[] = [];
    const seen: number[] = [];
    const ac = new AbortController();
    await runWatch({
      source,
      watcher,
      intervalMs: 20,
      signal: ac.signal,
      durationMs: 30_000,
      onSample: (s) => {
        seen.push(s.t);
        if (prom.state.polls >= 16) ac.abort();
      },
      onWarning: (w) => warnings.push(w),
    });
    expect(prom.state.ranges).toBe(1);
    expect(seen.length).toBeGreaterThanOrEqual(61 + 15); // 61 backfilled points, then one per poll
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // in time order, no duplicates across the backfill
    expect(new Set(seen).size).toBe(seen.length);
    expect(warnings).toHaveLength(1);
    const w = warnings[0] as Warning;
    expect(w).toMatchObject({ kind: 'anomaly', channel: 'prometheus', series: 'shop_p99{job="shop"}' });
    // raised by the 12th poll's sample (the jump), and the hint names the series as what moved
    expect(w.at).toBe(1_700_000_000_000 + 1000 + 12 * 1000);
    expect(w.hint?.first).toBe('shop_p99{job="shop"}');
  });

  it('reports Prometheus errors and unreachable servers with their cause', async () => {
    const url = await listen(fakePrometheus(1).handler);
    const bad = prometheusSource({ url, query: 'broken(', stepMs: 1000 });
    await expect(bad.poll()).rejects.toMatchObject({ code: 'FL_ERR_PROMETHEUS_QUERY', message: expect.stringContaining('bad_data: 1:8: parse error') });
    const gone = prometheusSource({ url: 'http://127.0.0.1:1', query: 'up', stepMs: 1000, timeoutMs: 2000 });
    await expect(gone.poll()).rejects.toMatchObject({ code: 'FL_ERR_PROMETHEUS_QUERY' });
  });

  it('the CLI prints one JSON warning per line and exits 1 when it warned', async () => {
    const prom = fakePrometheus(8);
    const url = await listen(prom.handler);
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    const ctx = { json: true, configPath: 'absent.yaml', config: () => ({}), print() {}, progress() {} } as unknown as CliContext;
    const program = new Command('faultline').exitOverride();
    registerObserveWatch(program.command('observe'), () => ctx);
    const before = process.exitCode;
    try {
      await program.parseAsync(['observe', 'watch', '--prometheus', url, '--query', 'shop_p99', '--interval', '30ms', '--backfill', '2s', '--probationary', '20', '--threshold', '0.25', '--no-forecast', '--duration', '1500ms'], { from: 'user' });
    } finally {
      spy.mockRestore();
    }
    const warnings = lines.map((l) => JSON.parse(l) as Warning);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatchObject({ kind: 'anomaly', series: 'shop_p99{job="shop"}' });
    expect(prom.state.polls).toBeGreaterThanOrEqual(8);
    expect(process.exitCode).toBe(1);
    process.exitCode = before;
  });
});

describe('watch a target that starts failing', () => {
  it('raises a violation with a hint naming the error rate, under its own probe load', async () => {
    let failing = false;
    const url = await listen((_req, res) => {
      if (failing) {
        res.writeHead(500);
        res.end('down');
      } else {
        res.writeHead(200);
        res.end('ok');
      }
    });
    const stepMs = 100;
    const source = targetSource({ url: `${url}/`, ratePerSec: 100, timeoutMs: 1000, stepMs, targets: () => [{ pid: process.pid }] });
    const watcher = new Watcher({ detector: findDetectorOrThrow('robust-z'), stepMs, probationary: 20, scoreThreshold: 0.5, bounds: { maxErrorRate: 0.05 } });
    const warnings: Warning[] = [];
    let samples = 0;
    let failedAt = 0;
    const ac = new AbortController();
    const result = await runWatch({
      source,
      watcher,
      intervalMs: stepMs,
      signal: ac.signal,
      durationMs: 30_000,
      onSample: (s) => {
        samples++;
        // 4 s of healthy traffic (40 samples), then the target fails
        if (samples === 40) {
          failing = true;
          failedAt = s.t;
        }
        expect(s.values.cpuPercent).toBeGreaterThanOrEqual(0);
      },
      onWarning: (w) => {
        warnings.push(w);
        if (w.kind === 'violation') ac.abort();
      },
    });
    expect(result.samples).toBeGreaterThan(40);
    const v = warnings.find((w) => w.kind === 'violation');
    expect(v).toBeDefined();
    expect(v?.message).toContain('error rate');
    expect(v!.at).toBeGreaterThan(failedAt);
    expect(v!.at - failedAt).toBeLessThan(5000);
    expect(v?.hint?.moved.map((m) => m.metric)).toContain('errorRate');
    // no violation while the target was healthy (latency anomalies of a loaded test machine may be raised)
    expect(warnings.filter((w) => w.kind === 'violation' && w.at <= failedAt)).toEqual([]);
  });
});
