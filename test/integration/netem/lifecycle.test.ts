import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/context.js';
import { register } from '../../../src/cli/commands/netns.js';
import type { FaultlineConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { allowAll, memoryLedger, type ActiveFault, type LedgerEvent } from '../../../src/core/fault.js';
import {
  applyNetworkFault,
  createNamespace,
  destroyNamespace,
  detectNetCapabilities,
  listRecords,
  missingCapabilities,
  readRecord,
  readRecordOrThrow,
  revertNetworkFault,
  type NamespaceRecord,
} from '../../../src/inject/netem/index.js';
import { TARGET, httpGet, linkExists, nftTables, nsExists, pidAlive, sh, startTarget, waitFor, within } from './helpers.js';

const caps = await detectNetCapabilities();
const missing = missingCapabilities(caps, ['root', 'ip', 'netns', 'nft', 'tc']);
if (missing.length > 0) console.warn(`skipping namespace lifecycle tests: ${missing.join('; ')}`);

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const CONTROLLER = fileURLToPath(new URL('./fixtures/controller.mjs', import.meta.url));

function events(stateDir: string): LedgerEvent[] {
  const f = join(stateDir, 'events.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LedgerEvent);
}

function cli(stateDir: string): { run: (...args: string[]) => Promise<unknown>; out: unknown[] } {
  const out: unknown[] = [];
  const ledger = memoryLedger();
  const ctx: CliContext = {
    json: true,
    configPath: 'faultline.yaml',
    config: () => ({ defaults: { ttlMs: 30_000 } }) as FaultlineConfig,
    stateDir: () => stateDir,
    ledger: () => ledger,
    guard: () => allowAll,
    print: (data) => void out.push(data),
    progress: () => undefined,
  };
  return {
    out,
    run: async (...args: string[]) => {
      const program = new Command('faultline').exitOverride();
      register(program, () => ctx);
      await program.parseAsync(['node', 'faultline', ...args]);
      return out.at(-1);
    },
  };
}

describe.skipIf(missing.length > 0)('namespace lifecycle, TTL enforcement and crash cleanup', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fl-netem-life-'));
  const ledger = memoryLedger();
  const deps = { stateDir, guard: allowAll, ledger };
  const children: ChildProcess[] = [];

  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const r of listRecords(stateDir)) await destroyNamespace(r.name, { stateDir });
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  function controller(args: string[]): Promise<{ child: ChildProcess; out: { ns: NamespaceRecord; fault: ActiveFault; targetPid?: number } }> {
    if (!existsSync(join(root, 'dist/inject/netem/index.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
    const child = spawn(process.execPath, [CONTROLLER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new Promise((resolvePromise, reject) => {
      let buf = '';
      let err = '';
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        if (buf.includes('\n')) resolvePromise({ child, out: JSON.parse(buf.slice(0, buf.indexOf('\n'))) });
      });
      child.once('exit', (c) => reject(new Error(`controller exited ${c}: ${err}`)));
    });
  }

  it('reports capabilities with reasons; on this machine namespaces, nft and tc work', () => {
    for (const k of ['root', 'ip', 'nft', 'iptables', 'tc', 'netem', 'netns'] as const) {
      expect(typeof caps[k].ok).toBe('boolean');
      expect(caps[k].detail.length).toBeGreaterThan(0);
    }
    if (!caps.netem.ok) expect(caps.netem.detail).toMatch(/sch_netem/);
  });

  it('creates fl-<id> with a veth on distinct link-local /30s, runs a target inside, and tears down without leftovers', async () => {
    const a = await createNamespace({ stateDir });
    const b = await createNamespace({ stateDir });
    expect(a.name).toMatch(/^fl-[a-z0-9]+$/);
    expect(a.subnet).not.toBe(b.subnet);
    expect(a.hostAddr).toMatch(/^169\.254\./);
    expect(nsExists(a.name) && linkExists(a.hostIf)).toBe(true);
    expect(sh('ip', ['-n', a.name, 'addr', 'show', 'dev', a.nsIf])).toContain(`${a.nsAddr}/30`);
    expect(sh('ip', ['-n', a.name, 'link', 'show', 'lo'])).toMatch(/UP/);
    expect(existsSync(join(stateDir, 'netns', `${a.name}.json`))).toBe(true);
    const target = await startTarget(a, stateDir);
    expect(await httpGet(a.nsAddr, target.http, '/')).toBe('ok');
    expect(readRecordOrThrow(stateDir, a.name).pids).toContain(target.proc.pid);

    const res = await destroyNamespace(a.name, { stateDir });
    expect(res.killedPids).toContain(target.proc.pid);
    await target.proc.exited;
    expect(nsExists(a.name)).toBe(false);
    expect(linkExists(a.hostIf)).toBe(false);
    expect(sh('ip', ['link'])).not.toContain(a.hostIf);
    expect(readRecord(stateDir, a.name)).toBeUndefined();
    await destroyNamespace(b.name, { stateDir });
    expect(nsExists(b.name) || linkExists(b.hostIf)).toBe(false);
  });

  it('refuses a name that exists and a name that is not an id', async () => {
    const a = await createNamespace({ stateDir, name: 'dupe' });
    expect(a.name).toBe('fl-dupe');
    const e = await createNamespace({ stateDir, name: 'fl-dupe' }).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_NETNS_EXISTS')).toBe(true);
    const bad = await createNamespace({ stateDir, name: 'Bad_Name' }).catch((x: unknown) => x);
    expect(isFaultlineError(bad, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    const unknown = await destroyNamespace('fl-nosuch', { stateDir }).catch((x: unknown) => x);
    expect(isFaultlineError(unknown, 'FL_ERR_NETNS_NOT_FOUND')).toBe(true);
  });

  it('TTL: after the controller is SIGKILLed, the detached guard removes the partition at expiry and records it', async () => {
    const ns = await createNamespace({ stateDir });
    const target = await startTarget(ns, stateDir);
    const ttlMs = 2_500;
    const { child, out } = await controller(['fault', stateDir, ns.name, 'partition', '{}', String(ttlMs)]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await expect(httpGet(ns.nsAddr, target.http, '/', 400)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await waitFor(() => httpGet(ns.nsAddr, target.http, '/', 300), 10_000, 50);
    const recoveredAfter = Date.now() - out.fault.startedAt;
    expect(within(recoveredAfter, ttlMs, 1_500)).toBe(true);
    await waitFor(() => !/faultline_/.test(nftTables(ns.name)), 5_000);
    const expire = await waitFor(() => events(stateDir).find((e) => e.faultId === out.fault.id && e.action === 'expire'), 5_000);
    expect(expire).toMatchObject({ outcome: 'ok', layer: 'network', kind: 'partition' });
    expect(readRecordOrThrow(stateDir, ns.name).faults).toEqual([]);
  });

  it('TTL is kernel-enforced for nft faults: with the guard killed too, traffic flows again at expiry', async () => {
    const ns = await createNamespace({ stateDir });
    const target = await startTarget(ns, stateDir);
    const f = await applyNetworkFault(ns, { kind: 'partition', params: {}, ttlMs: 1_500 }, deps);
    const guardPid = readRecordOrThrow(stateDir, ns.name).faults[0]?.guardPid as number;
    expect(pidAlive(guardPid)).toBe(true);
    process.kill(guardPid, 'SIGKILL');
    await expect(httpGet(ns.nsAddr, target.http, '/', 300)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await waitFor(() => httpGet(ns.nsAddr, target.http, '/', 300), 8_000, 50);
    expect(within(Date.now() - f.startedAt, 1_500, 1_500)).toBe(true);
    // the table is still there (nobody removed it) but its set element timed out in the kernel
    expect(nftTables(ns.name)).toMatch(/faultline_/);
    const table = /faultline_[0-9a-f]+/.exec(nftTables(ns.name))?.[0] as string;
    expect(sh('ip', ['netns', 'exec', ns.name, 'nft', 'list', 'set', 'inet', table, 'ttl'])).not.toContain(ns.nsIf);
    await revertNetworkFault(f.id, { stateDir, ledger });
    expect(nftTables(ns.name)).not.toMatch(/faultline_/);
  });

  it('TTL for a tc qdisc (bandwidth) is enforced by the guard', async () => {
    const ns = await createNamespace({ stateDir });
    const f = await applyNetworkFault(ns, { kind: 'bandwidth', params: { rate: '1mbit' }, ttlMs: 1_200 }, deps);
    expect(f.params).toMatchObject({ kernelTtl: false });
    expect(sh('tc', ['-n', ns.name, 'qdisc', 'show', 'dev', ns.nsIf])).toMatch(/tbf 464c:/);
    expect(sh('tc', ['qdisc', 'show', 'dev', ns.hostIf])).toMatch(/tbf 464c:/);
    await waitFor(() => !/tbf/.test(sh('tc', ['-n', ns.name, 'qdisc', 'show', 'dev', ns.nsIf])) && !/tbf/.test(sh('tc', ['qdisc', 'show', 'dev', ns.hostIf])), 6_000);
    await waitFor(() => events(stateDir).some((e) => e.faultId === f.id && e.action === 'expire'), 3_000);
  });

  it('`netns down --all` cleans up after a SIGKILLed controller: no namespace, veth, target or guard left', async () => {
    const { child, out } = await controller(['full', stateDir, TARGET, 'loss', '{"percent":10}', '60000']);
    child.kill('SIGKILL');
    const rec = readRecordOrThrow(stateDir, out.ns.name);
    const guardPid = rec.faults[0]?.guardPid as number;
    expect(nsExists(out.ns.name) && pidAlive(out.targetPid as number) && pidAlive(guardPid)).toBe(true);
    const c = cli(stateDir);
    const res = (await c.run('netns', 'down', '--all')) as { name: string; killedPids: number[]; revertedFaults: string[] }[];
    expect(res.map((r) => r.name)).toContain(out.ns.name);
    expect(res.find((r) => r.name === out.ns.name)?.revertedFaults).toEqual([out.fault.id]);
    expect(nsExists(out.ns.name)).toBe(false);
    expect(linkExists(out.ns.hostIf)).toBe(false);
    await waitFor(() => !pidAlive(out.targetPid as number) && !pidAlive(guardPid), 3_000);
    expect(listRecords(stateDir)).toEqual([]);
  });

  it('CLI: caps, up, list, inject loss/partition, revert, down (JSON output)', async () => {
    const c = cli(stateDir);
    const capsOut = (await c.run('netns', 'caps')) as Record<string, { ok: boolean }>;
    expect(capsOut.netns?.ok).toBe(true);
    const up = (await c.run('netns', 'up', '--name', 'clitest')) as { name: string; nsAddr: string; hostAddr: string };
    expect(up).toMatchObject({ name: 'fl-clitest', nsAddr: expect.stringMatching(/^169\.254\./) });
    const fault = (await c.run('inject', 'loss', '--netns', 'fl-clitest', '--percent', '25', '--ttl', '20s')) as ActiveFault;
    expect(fault).toMatchObject({ kind: 'loss', ttlMs: 20_000, params: { percent: 25, netns: 'fl-clitest' } });
    const part = (await c.run('inject', 'partition', '--netns', 'clitest', '--peer', up.hostAddr)) as ActiveFault;
    expect(part.ttlMs).toBe(30_000); // the config default
    const list = (await c.run('netns', 'list')) as { name: string; present: boolean; activeFaults: ActiveFault[] }[];
    expect(list.find((n) => n.name === 'fl-clitest')).toMatchObject({ present: true });
    expect(list.find((n) => n.name === 'fl-clitest')?.activeFaults.map((f) => f.id).sort()).toEqual([fault.id, part.id].sort());
    await c.run('netns', 'revert', fault.id);
    const e = await c.run('netns', 'revert', fault.id).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_NETNS_FAULT_NOT_FOUND')).toBe(true);
    const bad = await c.run('inject', 'loss', '--netns', 'fl-clitest', '--percent', '150').catch((x: unknown) => x);
    expect(isFaultlineError(bad, 'FL_ERR_INVALID_ARGUMENT') && (bad as Error).message).toMatch(/^percent:/);
    const nd = await c.run('inject', 'netdelay', '--netns', 'fl-clitest', '--delay', '50ms').catch((x: unknown) => x);
    if (!caps.netem.ok) expect(isFaultlineError(nd, 'FL_ERR_NETEM_UNAVAILABLE')).toBe(true);
    await c.run('netns', 'down', 'fl-clitest');
    expect(nsExists('fl-clitest')).toBe(false);
  });

  it('CLI: `netns up --detach -- CMD` leaves the target running with a log; `netns down NAME` stops it', async () => {
    const c = cli(stateDir);
    const up = (await c.run('netns', 'up', '--name', 'det', '--detach', '--', 'sh', '-c', 'echo started; exec sleep 30')) as { pid: number; logFile: string };
    await waitFor(() => readFileSync(up.logFile, 'utf8').includes('started'), 3_000);
    const list = (await c.run('netns', 'list')) as { name: string; runningPids: number[] }[];
    expect(list.find((n) => n.name === 'fl-det')?.runningPids).toEqual([up.pid]);
    const down = (await c.run('netns', 'down', 'det')) as { killedPids: number[] }[];
    expect(down[0]?.killedPids).toContain(up.pid);
    await waitFor(() => !pidAlive(up.pid), 3_000);
    expect(nsExists('fl-det')).toBe(false);
  });

  it('CLI: `netns up -- CMD` runs the target in the foreground and removes the namespace when it exits', async () => {
    const c = cli(stateDir);
    const previous = process.exitCode;
    await c.run('netns', 'up', '--name', 'fg', '--', process.execPath, '-e', 'process.exit(3)');
    expect(process.exitCode).toBe(3);
    process.exitCode = previous;
    expect(c.out[0]).toMatchObject({ name: 'fl-fg', pid: expect.any(Number) });
    expect(nsExists('fl-fg') || linkExists('flh-fg')).toBe(false);
    expect(readRecord(stateDir, 'fl-fg')).toBeUndefined();
  });
});
