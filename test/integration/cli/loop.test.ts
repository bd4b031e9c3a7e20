// The README's main command, run as a user runs it: the real binary on the bundled example.
import { readFileSync } from 'node:fs';
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
  fault?: { id: string; layer: string; kind: string };
  during: Summary;
  after?: Summary;
  reverted?: string;
  evidence?: { count: number; top?: string };
  error?: string;
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

  it('injects every profile fault under load, shows its effect, reverts it, and records it all', async () => {
    const e = await exampleEnv();
    cleanups.push(e.cleanup);
    const r = await runCli(['--json', 'loop', '--config', 'examples/shop/faultline.yaml', '--phase', '1500ms', '--recovery', '1s'], e.env);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { phases: Phase[]; aborted: boolean };
    expect(result.aborted).toBe(false);
    const byKind = (k: string): Phase => {
      const p = result.phases.find((x) => x.fault?.kind === k);
      if (!p) throw new Error(`no phase injected ${k}; phases: ${JSON.stringify(result.phases.map((x) => [x.phase, x.error]))}`);
      return p;
    };
    const base = result.phases[0] as Phase;
    expect(base.phase).toBe('baseline');
    expect(base.during.requests).toBeGreaterThan(50);
    expect(base.during.errorRate).toBe(0);
    // each fault had the effect it should have, measured from outside
    expect(byKind('latency').during.latencyMs.p50).toBeGreaterThan(250);
    expect(byKind('http_status').during.errorRate).toBeGreaterThan(0.9);
    expect(byKind('pause').during.latencyMs.p99).toBeGreaterThan(1000); // no timeout in the client: requests hang
    expect(byKind('kill').during.errorRate).toBeGreaterThan(0.5);
    const thrown = byKind('throw');
    expect(thrown.during.errorRate).toBeGreaterThan(0.2);
    expect(thrown.during.errorRate).toBeLessThan(0.8);
    expect(thrown.evidence?.count).toBeGreaterThan(0);
    expect(thrown.evidence?.top).toContain('fetchPrice');
    expect(byKind('delay').during.latencyMs.p50).toBeGreaterThan(150);
    // every fault was reverted and the service recovered
    for (const p of result.phases.slice(1)) {
      expect(p.error, p.phase).toBeUndefined();
      expect(p.reverted, p.phase).toBeDefined();
      expect(p.after?.errorRate, p.phase).toBeLessThan(0.5);
    }
    // the ledger holds an inject and a revert (or expiry) for each fault
    const events = readFileSync(join(e.stateDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; faultId: string });
    for (const p of result.phases.slice(1)) {
      const mine = events.filter((ev) => ev.faultId === p.fault?.id).map((ev) => ev.action);
      expect(mine, p.phase).toContain('inject');
      expect(mine.some((a) => a === 'revert' || a === 'expire'), p.phase).toBe(true);
    }
    // nothing is left running
    for (const port of e.ports.slice(0, 3)) expect(await listening(port)).toBe(false);
    const faults = await runCli(['--json', 'faults', '--config', 'examples/shop/faultline.yaml'], e.env);
    expect((JSON.parse(faults.stdout) as { faults: unknown[] }).faults).toEqual([]);
  });

  it('SIGINT during a fault reverts everything and stops the services', async () => {
    const e = await exampleEnv();
    cleanups.push(e.cleanup);
    const run = startCli(['loop', '--config', 'examples/shop/faultline.yaml', '--phase', '4s', '--recovery', '1s'], e.env);
    // wait until the process-pause phase has stopped pricing, then interrupt
    await waitFor(() => /inject pricing: process pause/.test(run.stderr()) || undefined, 60_000, 'the pause phase');
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
