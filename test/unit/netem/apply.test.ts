import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { memoryLedger, type InjectionGuard } from '../../../src/core/fault.js';
import type { NetCapabilities } from '../../../src/inject/netem/capabilities.js';
import { applyNetworkFault, revertNetworkFault } from '../../../src/inject/netem/faults.js';
import type { GuardSpec } from '../../../src/inject/netem/guard-spec.js';
import { removeArtifacts } from '../../../src/inject/netem/removal.js';
import { readRecordOrThrow, writeRecord, type NamespaceRecord } from '../../../src/inject/netem/state.js';
import { fakeRunner, type Call } from './fake-runner.js';

const caps = (over: Partial<Record<keyof NetCapabilities, boolean>> = {}): NetCapabilities =>
  Object.fromEntries(
    (['root', 'ip', 'nft', 'iptables', 'tc', 'netem', 'netns'] as const).map((k) => [k, { ok: over[k] ?? true, detail: `${k} probe` }]),
  ) as NetCapabilities;

const dir = mkdtempSync(join(tmpdir(), 'fl-netem-apply-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rec: NamespaceRecord = {
  version: 1, id: 'u', name: 'fl-u', hostIf: 'flh-u', nsIf: 'fln-u', subnet: '169.254.64.0/30', hostAddr: '169.254.64.1',
  nsAddr: '169.254.64.2', subnetIndex: 0, createdAt: new Date(0).toISOString(), ownerPid: 1, pids: [], faults: [],
};

function setup(respond?: (c: Call) => { code?: number; stderr?: string; stdout?: string } | undefined, over: Partial<Record<keyof NetCapabilities, boolean>> = {}) {
  const order: string[] = [];
  const runner = fakeRunner((c) => {
    order.push('run');
    return respond?.(c);
  });
  const guards: GuardSpec[] = [];
  const ledger = memoryLedger();
  const guard: InjectionGuard = { admit: () => void order.push('admit') };
  // process.pid is never a guard of these faults, so revert's identity check leaves it alone
  const deps = { stateDir: dir, guard, ledger, runner, capabilities: caps(over), launchGuard: (s: GuardSpec) => (guards.push(s), process.pid) };
  return { runner, order, guards, ledger, deps };
}

beforeEach(() => writeRecord(dir, rec));

describe('applyNetworkFault (commands recorded, no root needed)', () => {
  it('asks the guard before running anything, applies an nft table from stdin, starts the guard and records inject', async () => {
    const { runner, order, guards, ledger, deps } = setup();
    const f = await applyNetworkFault('u', { kind: 'loss', params: { percent: 30 }, ttlMs: 10_000 }, deps);
    expect(order[0]).toBe('admit');
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]).toMatchObject({ cmd: 'ip', args: ['netns', 'exec', 'fl-u', 'nft', '-f', '-'] });
    expect(runner.calls[0]?.input).toMatch(/table inet faultline_[0-9a-f]{12} \{[\s\S]*"fln-u" timeout 10000ms/);
    expect(f).toMatchObject({ kind: 'loss', layer: 'network', target: { host: '169.254.64.2' }, ttlMs: 10_000, params: { netns: 'fl-u', backend: 'nft', kernelTtl: true } });
    expect(f.expiresAt - f.startedAt).toBe(10_000);
    expect(guards[0]).toMatchObject({ faultId: f.id, nsName: 'fl-u', expiresAt: f.expiresAt, stateDir: dir, artifacts: [{ type: 'nft-table', family: 'inet' }] });
    expect(readRecordOrThrow(dir, 'fl-u').faults[0]).toMatchObject({ guardPid: process.pid, backend: 'nft', kernelTtl: true });
    expect(ledger.events).toEqual([expect.objectContaining({ action: 'inject', outcome: 'ok', faultId: f.id, target: 'netns=fl-u,host=169.254.64.2' })]);
  });

  it('falls back to iptables when nft is missing, and to a guard-only TTL when the time match is missing', async () => {
    const { runner, deps } = setup((c) => (c.args.includes('time') ? { code: 2, stderr: "Couldn't load match `time'" } : undefined), { nft: false });
    const f = await applyNetworkFault(rec, { kind: 'reset', params: { port: 80 }, ttlMs: 5_000 }, deps);
    expect(f.params).toMatchObject({ backend: 'iptables', kernelTtl: false });
    const lines = runner.lines().map((l) => l.replace(/[0-9a-f]{12}/g, 'K'));
    expect(lines).toEqual([
      'ip netns exec fl-u iptables -w -N FLI-K',
      'ip netns exec fl-u iptables -w -A FLI-K -p tcp --dport 80 -j REJECT --reject-with tcp-reset',
      expect.stringMatching(/^ip netns exec fl-u iptables -w -I INPUT 1 -i fln-u -m time --datestop \S+ -j FLI-K$/),
      'ip netns exec fl-u iptables -w -I INPUT 1 -i fln-u -j FLI-K',
    ]);
    expect(readRecordOrThrow(dir, 'u').faults[0]?.artifacts).toEqual([{ type: 'iptables-chain', chain: expect.stringMatching(/^FLI-/), jumps: [{ chain: 'INPUT', args: ['-i', 'fln-u', '-j', expect.stringMatching(/^FLI-/)] }] }]);
  });

  it('puts tbf on both veth ends for bandwidth in both directions', async () => {
    const { runner, deps } = setup();
    await applyNetworkFault(rec, { kind: 'bandwidth', params: { rate: '1mbit' }, ttlMs: 5_000 }, deps);
    expect(runner.lines()).toEqual([
      'tc -n fl-u qdisc add dev fln-u root handle 464c: tbf rate 1000000bit burst 16384b latency 100ms',
      'tc qdisc add dev flh-u root handle 464c: tbf rate 1000000bit burst 16384b latency 100ms',
    ]);
  });

  it('cleans up what it created and records the error when a step fails', async () => {
    const { runner, ledger, guards, deps } = setup((c) => (c.args.includes('flh-u') && c.args.includes('add') ? { code: 2, stderr: 'RTNETLINK answers: boom' } : c.args.includes('show') ? { stdout: 'qdisc tbf 464c: root refcnt 2 rate 1Mbit' } : undefined));
    const e = await applyNetworkFault(rec, { kind: 'bandwidth', params: { rate: '1mbit' }, ttlMs: 5_000 }, deps).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_NETNS_COMMAND')).toBe(true);
    expect((e as Error).message).toMatch(/tc qdisc add dev flh-u .* boom/);
    expect(runner.lines()).toContain('tc -n fl-u qdisc del dev fln-u root');
    expect(guards).toEqual([]);
    expect(ledger.events).toEqual([expect.objectContaining({ action: 'inject', outcome: 'error' })]);
    expect(readRecordOrThrow(dir, 'u').faults).toEqual([]);
  });

  it('rejects bad input before touching anything', async () => {
    const { runner, deps } = setup();
    const codes = await Promise.all([
      applyNetworkFault(rec, { kind: 'loss', params: { percent: 5 }, ttlMs: 0 }, deps),
      applyNetworkFault(rec, { kind: 'jitter' as never, params: {}, ttlMs: 1_000 }, deps),
      applyNetworkFault(rec, { kind: 'loss', params: { percent: 500 }, ttlMs: 1_000 }, deps),
      applyNetworkFault('nosuch', { kind: 'loss', params: { percent: 5 }, ttlMs: 1_000 }, deps),
      applyNetworkFault(rec, { kind: 'loss', params: { percent: 5 }, ttlMs: 1_000, backend: 'pf' as never }, deps),
    ].map((p) => p.then(() => 'ok', (e: { code?: string }) => e.code)));
    expect(codes).toEqual(['FL_ERR_TTL_REQUIRED', 'FL_ERR_INVALID_ARGUMENT', 'FL_ERR_INVALID_ARGUMENT', 'FL_ERR_NETNS_NOT_FOUND', 'FL_ERR_INVALID_ARGUMENT']);
    expect(runner.calls).toEqual([]);
  });

  it('says what is missing when the machine cannot do it', async () => {
    const a = setup(undefined, { root: false });
    const e = await applyNetworkFault(rec, { kind: 'partition', params: {}, ttlMs: 1_000 }, a.deps).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_NETNS_UNAVAILABLE') && (e as Error).message).toMatch(/missing root: root probe/);
    const b = setup(undefined, { netem: false });
    const d = await applyNetworkFault(rec, { kind: 'delay', params: { delay: '10ms' }, ttlMs: 1_000 }, b.deps).catch((x: unknown) => x);
    expect(isFaultlineError(d, 'FL_ERR_NETEM_UNAVAILABLE')).toBe(true);
    expect(a.runner.calls.length + b.runner.calls.length).toBe(0);
  });
});

describe('revertNetworkFault and removal', () => {
  it('removes the artifacts, drops the record entry, records revert; a second revert is FL_ERR_NETNS_FAULT_NOT_FOUND', async () => {
    const { runner, ledger, deps } = setup();
    const f = await applyNetworkFault(rec, { kind: 'partition', params: {}, ttlMs: 5_000 }, deps);
    const r = await revertNetworkFault(f.id, { stateDir: dir, ledger, runner });
    expect(r.removed).toBe(1);
    expect(runner.lines().at(-1)).toMatch(/^ip netns exec fl-u nft delete table inet faultline_[0-9a-f]{12}$/);
    expect(readRecordOrThrow(dir, 'u').faults).toEqual([]);
    expect(ledger.events.map((e) => e.action)).toEqual(['inject', 'revert']);
    const again = await revertNetworkFault(f.id, { stateDir: dir, ledger, runner }).catch((x: unknown) => x);
    expect(isFaultlineError(again, 'FL_ERR_NETNS_FAULT_NOT_FOUND')).toBe(true);
  });

  it('treats already-gone things as removed, reports real errors, and never deletes a qdisc that is not ours', async () => {
    const runner = fakeRunner((c) => {
      if (c.args.includes('nft')) return { code: 1, stderr: 'Error: No such file or directory' };
      if (c.args.includes('show')) return { stdout: 'qdisc htb 1: root refcnt 2' };
      if (c.args.includes('-X')) return { code: 1, stderr: 'iptables: Resource busy' };
      return undefined;
    });
    const res = await removeArtifacts(runner, { name: 'fl-u' }, [
      { type: 'nft-table', family: 'inet', table: 'faultline_x' },
      { type: 'qdisc', side: 'host', dev: 'flh-u', handle: '464c:' },
      { type: 'iptables-chain', chain: 'FLI-x', jumps: [{ chain: 'INPUT', args: ['-j', 'FLI-x'] }] },
    ]);
    expect(res.removed).toBe(0);
    expect(res.errors).toEqual(['iptables -X FLI-x: iptables: Resource busy']);
    expect(runner.lines()).not.toContain('tc qdisc del dev flh-u root');
  });
});
