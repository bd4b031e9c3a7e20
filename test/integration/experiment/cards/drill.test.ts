// Failure-card drills against a real HTTP service behind a real faultline proxy link, with the real injection
// engine, observer (open-loop load) and figures; a chaos session interrupted mid-fault; the CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowAll, memoryLedger } from '../../../../src/core/fault.js';
import type { LoadSpec } from '../../../../src/core/run.js';
import { findCardOrThrow, loadCatalogue } from '../../../../src/experiment/cards/load.js';
import { runCard, type CardRunDeps } from '../../../../src/experiment/cards/run.js';
import type { FailureCard } from '../../../../src/experiment/cards/types.js';
import { runChaos } from '../../../../src/experiment/chaos/session.js';
import { InjectionEngine } from '../../../../src/inject/engine.js';
import { effectiveHealth, probeHealth, Supervisor } from '../../../../src/inject/process/index.js';
import type { ServiceConfig } from '../../../../src/core/config-types.js';
import { createServer } from 'node:net';
import { ProxyRegistry } from '../../../../src/inject/proxy/index.js';
import { createFaultDriver } from '../../../../src/loop/wiring.js';
import { computeFigures, startObserver } from '../../../../src/observe/index.js';
import { listRuns } from '../../../../src/store/runs.js';

const ROOT = resolve(__dirname, '../../../..');
const within = (actual: number, expected: number, delta: number): void => {
  expect(Math.abs(actual - expected), `${actual} vs ${expected} ± ${delta}`).toBeLessThanOrEqual(delta);
};
const children: ChildProcess[] = [];
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fl-drill-'));
  dirs.push(d);
  return d;
};
let registry: ProxyRegistry;
let linkPort: number;
let targetPort: number;

async function waitFor<T>(check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  const child = spawn(process.execPath, [join(__dirname, 'target.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  targetPort = await waitFor(() => (out.includes('\n') ? (JSON.parse(out.split('\n')[0] as string) as { port: number }).port : undefined));
  registry = new ProxyRegistry({ seed: 1 });
  const p = await registry.createProxy({ name: 'dep', listen: '127.0.0.1:0', upstream: `127.0.0.1:${targetPort}` });
  linkPort = Number(/:(\d+)$/.exec(p.listen)?.[1]);
});
afterAll(async () => {
  await registry?.close();
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const load = (): LoadSpec => ({ url: `http://127.0.0.1:${linkPort}/price/sku-42`, method: 'GET', ratePerSec: 80, timeoutMs: 1000 });
const realDeps = (stateDir: string, extra: Partial<CardRunDeps> = {}): CardRunDeps & { engine: InjectionEngine } => {
  const ledger = memoryLedger();
  const engine = new InjectionEngine({ stateDir, ledger, guard: allowAll, services: new Supervisor({ services: {}, stateDir }), proxies: registry, actor: 'test' });
  return { engine, faults: createFaultDriver(engine), startObserver, figures: computeFigures, load: load(), ledger, stateDir, ...extra };
};
const catalogue = loadCatalogue();
const card = (id: string, slo: Partial<FailureCard['slo']> = {}): FailureCard => {
  const c = findCardOrThrow(catalogue, id);
  return { ...c, slo: { ...c.slo, ...slo } };
};

describe('card drills against a real service behind a real proxy link', () => {
  it('dependency-errors: 503s from the link are detected at once, recovery follows the revert; the RunRecord is in the store', async () => {
    const dir = tmp();
    const deps = realDeps(dir);
    const { report, record } = await runCard(card('dependency-errors', { recoverMs: 3000 }), { proxy: 'dep' }, deps, { baselineMs: 1000, durationMs: 2000 });
    expect(report.faults[0]).toMatchObject({ layer: 'proxy', kind: 'http_status', endedBy: 'run' });
    expect(registry.listToxics('dep')).toEqual([]);
    expect(report.status).toBe('completed');
    within(record.mttdMs as number, 0, 500);
    within(record.mttrMs as number, 0, 1000);
    // during the fault nearly every request failed with a 503; the figures agree
    expect(report.figures?.faults[0]?.during.errorRate).toBeGreaterThan(0.8);
    expect(report.figures?.faults[0]?.timeToDetectMs).not.toBeNull();
    expect(listRuns(dir, { cardId: 'dependency-errors' })).toEqual([record]);
  });

  it('network-latency: 300 ms on the link shows in p99 within the detection window', async () => {
    const dir = tmp();
    const { record, report } = await runCard(card('network-latency', { recoverMs: 3000 }), { proxy: 'dep' }, realDeps(dir), { baselineMs: 1000, durationMs: 2000 });
    expect(report.checks.find((c) => c.probe.startsWith('detection'))?.met).toBe(true);
    within(record.mttdMs as number, 0, 750);
    expect(record.mttrMs).not.toBeNull();
    expect(report.observation?.summary.latencyMs.max).toBeGreaterThanOrEqual(290);
  });

  it('an interrupted chaos session reverts every fault (none left on the link or in the engine) and marks its runs interrupted', async () => {
    const dir = tmp();
    const ac = new AbortController();
    const deps = realDeps(dir, { signal: ac.signal });
    const cards = ['network-partition', 'dependency-errors', 'latency-spike'].map((id) => card(id));
    const seen = new Promise<void>((res) => {
      const t = setInterval(() => {
        if (registry.listToxics('dep').length >= 2) (clearInterval(t), res());
      }, 20);
    });
    const session = runChaos({ cards, bindings: { proxy: 'dep' }, stress: true, maxConcurrentFaults: 3, seed: 4, intervalMs: 100, drill: { baselineMs: 300, durationMs: 20_000 } }, deps);
    await Promise.race([seen, new Promise((r) => setTimeout(r, 8000))]);
    expect(registry.listToxics('dep').length).toBeGreaterThanOrEqual(1);
    ac.abort();
    const r = await session;
    expect(registry.listToxics('dep')).toEqual([]);
    expect(await deps.engine.activeFaults()).toEqual([]);
    expect(r.record.status).toBe('interrupted');
    const runs = listRuns(dir);
    expect(runs.filter((x) => x.kind === 'card').length).toBeGreaterThanOrEqual(1);
    expect(runs.every((x) => x.status === 'interrupted')).toBe(true);
    expect(runs.flatMap((x) => (x.kind === 'card' ? [x] : [])).every((x) => x.endedAt)).toBe(true);
  });
});

describe('a process card against a supervised service', () => {
  const freePort = (): Promise<number> =>
    new Promise((res) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => res(port));
      });
    });

  it('heartbeat-loss: SIGSTOP makes the health check fail, SIGCONT brings it back; MTTD/MTTR from the health probes', async () => {
    const dir = tmp();
    const port = await freePort();
    const svc: ServiceConfig = { name: 'svc', command: `${process.execPath} ${join(__dirname, 'target.mjs')}`, cwd: dir, port, env: { PORT: String(port) }, health: { http: `http://127.0.0.1:${port}/health`, timeoutMs: 10_000, intervalMs: 50 }, dependsOn: [], agent: false, stopTimeoutMs: 2000 };
    const services = new Supervisor({ services: { svc }, stateDir: dir });
    await services.start(['svc']);
    try {
      const engine = new InjectionEngine({ stateDir: dir, ledger: memoryLedger(), guard: allowAll, services, actor: 'test' });
      const health = (): Promise<boolean> => probeHealth(effectiveHealth(svc) as NonNullable<ReturnType<typeof effectiveHealth>>, 400);
      const { record, report } = await runCard(card('heartbeat-loss', { detectMs: 2000, recoverMs: 3000 }), { service: 'svc' }, { faults: createFaultDriver(engine), health, stateDir: dir }, { baselineMs: 500, durationMs: 2000, pollMs: 100 });
      expect(report.faults[0]).toMatchObject({ layer: 'process', kind: 'pause', endedBy: 'run' });
      expect(record.status).toBe('completed');
      within(record.mttdMs as number, 200, 600); // one probe timeout (400 ms) plus a poll
      within(record.mttrMs as number, 0, 600);
      expect(await health()).toBe(true);
      expect(listRuns(dir, { cardId: 'heartbeat-loss' })[0]).toMatchObject({ mttdMs: record.mttdMs, mttrMs: record.mttrMs });
    } finally {
      await services.stop();
    }
  });
});

describe('CLI (cards, chaos --dry-run)', () => {
  const BIN = join(ROOT, 'bin/faultline.js');
  const cli = (args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((res) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => res({ code, stdout, stderr }));
    });

  it('validate names file:line:col and field (exit 2); the list and the dry-run plan are JSON; the same seed plans the same sequence', async () => {
    const cwd = tmp();
    writeFileSync(join(cwd, 'faultline.yaml'), `version: 1\nproxy:\n  listen: 127.0.0.1:0\n  proxies:\n    - { name: dep, listen: "127.0.0.1:0", upstream: "127.0.0.1:${targetPort}" }\n`);
    mkdirSync(join(cwd, 'mycards'));
    writeFileSync(join(cwd, 'mycards', 'bad.yaml'), 'id: bad-card\ntitle: x\ncategory: weather\n');
    const v = await cli(['--json', 'cards', 'validate', 'mycards'], cwd);
    expect(v.code).toBe(2);
    const problems = (JSON.parse(v.stdout) as { problems: Array<{ at: string; field: string }> }).problems;
    expect(problems).toContainEqual(expect.objectContaining({ at: 'mycards/bad.yaml:3:11', field: 'category' }));
    const [list, plan1, plan2] = await Promise.all([cli(['--json', 'cards'], cwd), cli(['--json', 'chaos', '--dry-run', '--seed', '7', '--incidents', '4', '--stress'], cwd), cli(['--json', 'chaos', '--dry-run', '--seed', '7', '--incidents', '4', '--stress'], cwd)]);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(catalogue.length);
    const p = JSON.parse(plan1.stdout) as { seed: number; steps: Array<{ cards: string[] }>; skipped: Array<{ id: string; reason: string }>; bindings: Record<string, string> };
    expect(p.seed).toBe(7);
    expect(p.bindings.proxy).toBe('dep');
    expect(p.steps).toHaveLength(4);
    expect(p.skipped.find((s) => s.id === 'process-crash')?.reason).toMatch(/\{service\}/);
    expect(JSON.parse(plan2.stdout)).toEqual(p);
  });
});
