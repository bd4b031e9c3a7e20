// The README's main command, run as a user runs it: the real binary on the bundled example.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, listening, runCli, startCli, tempDir, waitFor } from './helpers.js';

interface Summary {
  requests: number;
  errorRate: number;
  latencyMs: { p50: number; p99: number };
}
interface Phase {
  phase: string;
  cardId?: string;
  fault?: { id: string; layer: string; kind: string; params?: Record<string, unknown> };
  during?: Summary;
  timeToDetectMs: number | null;
  timeToRecoverMs: number | null;
  recovered: boolean;
  evidence?: { count: number; top?: string };
  held?: boolean;
  profile?: { heapGrowthBytes?: number; heapHeld?: boolean; cpuTop?: string; heapTop?: string };
  error?: string;
}
interface Result {
  runId: string;
  baseline?: Summary;
  phases: Phase[];
  figures?: { availabilityPct: number; mttdMs: number | null; recoverySuccessRate: number; faults: unknown[] };
  report: Record<string, string>;
  aborted: boolean;
}

async function exampleEnv(): Promise<{ env: NodeJS.ProcessEnv; ports: number[]; cleanup: () => void; stateDir: string }> {
  const t = tempDir('fl-loop-');
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  return {
    env: { SHOP_API_PORT: String(ports[0]), SHOP_PRICING_PORT: String(ports[1]), SHOP_PRICING_LINK_PORT: String(ports[2]), FAULTLINE_API_PORT: String(ports[3]), FAULTLINE_STATE_DIR: t.dir },
    ports,
    cleanup: t.cleanup,
    stateDir: t.dir,
  };
}

describe('faultline loop on the bundled example', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('drills the failure cards under load, measures their effect and the resilience figures, writes the report, records it all', async () => {
    const e = await exampleEnv();
    cleanups.push(e.cleanup);
    const r = await runCli(['--json', 'loop', '--config', 'examples/shop/faultline.yaml', '--phase', '1500ms', '--recovery', '2s'], e.env);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Result;
    expect(result.aborted).toBe(false);
    const card = (id: string): Phase & { during: Summary } => {
      const p = result.phases.find((x) => x.cardId === id);
      if (!p?.during) throw new Error(`no measured phase for ${id}; phases: ${JSON.stringify(result.phases.map((x) => [x.phase, x.error]))}`);
      return p as Phase & { during: Summary };
    };
    expect(result.baseline?.requests).toBeGreaterThan(50);
    expect(result.baseline?.errorRate).toBe(0);
    // each card had the effect it should have, measured from outside
    expect(card('network-latency').during.latencyMs.p50).toBeGreaterThan(150); // 300 ms set; the window's edge buckets are partly before/after it
    expect(card('dependency-errors').during.errorRate).toBeGreaterThan(0.7);
    expect(card('corrupt-response').during.errorRate).toBeGreaterThan(0.7); // a truncated body fails JSON.parse
    // 10 % of pricing's answers are 503 while half of the load asks for new products: the failed calls fail requests
    const flaky = card('flaky-dependency');
    expect(flaky.during.errorRate).toBeGreaterThan(0.02);
    expect(flaky.during.errorRate).toBeLessThan(0.6);
    expect(flaky.fault?.params).toMatchObject({ status: 503, probability: 0.1 });
    // 300 ms more on every file call of the api's data folder while 5 % of the load places orders (not measured):
    // the synchronous append holds the event loop, so the reads wait too; the evidence names the append
    expect(card('slow-disk').during.latencyMs.p99).toBeGreaterThan(30); // the baseline's p99 is a few ms
    expect(card('slow-disk').evidence?.top).toMatch(/store/);
    expect(card('corrupted-data-file').during.errorRate).toBeGreaterThan(0.7); // a torn line in orders.jsonl: the api does not start
    expect(card('corrupted-data-file').evidence?.top).toMatch(/store/); // where it crashed, from the api's log
    expect(card('malformed-requests').during.errorRate).toBeGreaterThan(0.05); // the share of bad orders is answered 500
    // 1000 new keys a second for 16 s: the price cache keeps every one, the heap grows past the 3 MiB bound, and
    // the heap profile names fetchPrice
    const flood = card('key-flood');
    expect(flood.profile?.heapGrowthBytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(flood.profile?.heapHeld).toBe(false);
    expect(flood.held).toBe(false);
    expect(flood.profile?.heapTop).toMatch(/^fetchPrice /);
    expect(flood.timeToDetectMs).toBeGreaterThanOrEqual(16_000);
    // 400 reports a second: buildReport holds the event loop and every request waits behind it
    const burst = card('request-burst');
    expect(burst.during.latencyMs.p99).toBeGreaterThan(250);
    expect(burst.profile?.cpuTop).toMatch(/^buildReport /);
    const thrown = card('random-exceptions');
    expect(thrown.during.errorRate).toBeGreaterThan(0.05);
    expect(thrown.during.errorRate).toBeLessThan(0.7);
    expect(thrown.evidence?.count).toBeGreaterThan(0);
    expect(thrown.evidence?.top).toContain('fetchPrice');
    expect(card('null-values').during.errorRate).toBeGreaterThan(0.15);
    expect(card('heartbeat-loss').during.latencyMs.p99).toBeGreaterThan(500); // a frozen process: requests hang
    expect(card('process-crash').during.errorRate).toBeGreaterThan(0.5);
    // every fault was detected, reverted, and the service recovered
    for (const p of result.phases) {
      expect(p.error, p.phase).toBeUndefined();
      // (the key flood breaks the memory bound, measured when the fault ends: its TTD is the fault's window)
      expect(p.timeToDetectMs, p.phase).not.toBeNull();
      expect(p.recovered, p.phase).toBe(true);
    }
    expect(result.figures?.faults).toHaveLength(13);
    expect(result.figures?.availabilityPct).toBeLessThan(100);
    expect(result.figures?.recoverySuccessRate).toBe(1);
    // the report files, and the record of runs: the loop and one drill per card
    for (const k of ['json', 'html', 'junit']) expect(existsSync(result.report[k] as string), k).toBe(true);
    expect(readFileSync(result.report.junit as string, 'utf8')).toContain('<testcase');
    // runs.jsonl appends; a later record of the same id replaces an earlier one (a run is on record as interrupted until it ends)
    const lines = readFileSync(join(e.stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; kind: string; status: string; cardId?: string; mttdMs: number | null });
    const runs = [...new Map(lines.map((x) => [x.id, x])).values()];
    expect(runs.find((x) => x.kind === 'loop')?.status).toBe('completed');
    expect(runs.filter((x) => x.kind === 'loop')).toHaveLength(1);
    expect(runs.filter((x) => x.kind === 'card').map((x) => x.cardId)).toEqual(['network-latency', 'dependency-errors', 'corrupt-response', 'flaky-dependency', 'slow-disk', 'key-flood', 'request-burst', 'corrupted-data-file', 'malformed-requests', 'random-exceptions', 'null-values', 'heartbeat-loss', 'process-crash']);
    // the ledger holds an inject and a revert (or expiry) for each fault
    const events = readFileSync(join(e.stateDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; faultId: string });
    for (const p of result.phases) {
      const mine = events.filter((ev) => ev.faultId === p.fault?.id).map((ev) => ev.action);
      expect(mine, p.phase).toContain('inject');
      expect(mine.some((a) => a === 'revert' || a === 'expire'), p.phase).toBe(true);
    }
    // nothing is left running
    for (const port of e.ports.slice(0, 3)) expect(await listening(port)).toBe(false);
    const faults = await runCli(['--json', 'faults', '--config', 'examples/shop/faultline.yaml'], e.env);
    expect((JSON.parse(faults.stdout) as { faults: unknown[] }).faults).toEqual([]);
  }, 240_000); // thirteen cards of about 4 s each (key-flood 22 s), on a loaded machine

  it('SIGINT during a fault reverts everything and stops the services', async () => {
    const e = await exampleEnv();
    cleanups.push(e.cleanup);
    const run = startCli(['loop', '--config', 'examples/shop/faultline.yaml', '--cards', 'network-latency,heartbeat-loss', '--phase', '4s', '--recovery', '1s'], e.env);
    // wait until the heartbeat-loss card has frozen the api (SIGSTOP), then interrupt
    await waitFor(() => /inject heartbeat-loss/.test(run.stderr()) || undefined, 50_000, 'the pause phase');
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    const events = readFileSync(join(e.stateDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; kind: string });
    expect(events.filter((ev) => ev.kind === 'pause').map((ev) => ev.action)).toEqual(['inject', 'revert']);
    for (const port of e.ports.slice(0, 3)) expect(await listening(port)).toBe(false);
    const faults = await runCli(['--json', 'faults', '--config', 'examples/shop/faultline.yaml'], e.env);
    expect((JSON.parse(faults.stdout) as { faults: unknown[] }).faults).toEqual([]);
  });
});
