import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultlineError, isFaultlineError } from '../../../src/core/errors.js';
import { allowAll, memoryLedger, type InjectionGuard } from '../../../src/core/fault.js';
import {
  applyNetworkFault,
  createNamespace,
  destroyNamespace,
  detectNetCapabilities,
  missingCapabilities,
  readRecordOrThrow,
  revertNetworkFault,
  type NamespaceRecord,
} from '../../../src/inject/netem/index.js';
import { httpGet, measureDownload, nftTables, sh, startTarget, tcpConnect, udpBurst, waitFor, type Target } from './helpers.js';

const caps = await detectNetCapabilities();
const missing = missingCapabilities(caps, ['root', 'ip', 'netns', 'tc'], [['nft', 'iptables']]);
if (missing.length > 0) console.warn(`skipping L3 fault tests: ${missing.join('; ')}`);

describe.skipIf(missing.length > 0)('L3 faults on a target in a namespace (real packets)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fl-netem-faults-'));
  const ledger = memoryLedger();
  const deps = { stateDir, guard: allowAll, ledger };
  let ns: NamespaceRecord;
  let target: Target;

  beforeAll(async () => {
    ns = await createNamespace({ stateDir });
    target = await startTarget(ns, stateDir);
  });

  afterEach(async () => {
    for (const f of readRecordOrThrow(stateDir, ns.name).faults) await revertNetworkFault(f.fault.id, { stateDir, ledger });
  });

  afterAll(async () => {
    if (ns) await destroyNamespace(ns.name, { stateDir, ledger });
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** `before`: the target's datagram counter read BEFORE the fault was applied (a lossy link may drop that request too) */
  const udpCount = async (): Promise<number> => Number(await httpGet(ns.nsAddr, target.http, '/udp'));

  async function udpLossRate(count: number, before: number): Promise<number> {
    await udpBurst(ns.nsAddr, target.udp, count);
    await new Promise((r) => setTimeout(r, 100));
    // the fault is reverted before reading the counter so the HTTP request itself is not dropped
    for (const f of readRecordOrThrow(stateDir, ns.name).faults) await revertNetworkFault(f.fault.id, { stateDir, ledger });
    const after = Number(await httpGet(ns.nsAddr, target.http, '/udp'));
    return 1 - (after - before) / count;
  }

  it('reaches the target through the veth with no fault (baseline, no UDP loss)', async () => {
    expect(await httpGet(ns.nsAddr, target.http, '/')).toBe('ok');
    const loss = await udpLossRate(300, await udpCount());
    expect(loss).toBeLessThan(0.03);
  });

  it('loss 30% (nft numgen) drops about 30% of 1000 datagrams', async () => {
    const before = await udpCount();
    const f = await applyNetworkFault(ns, { kind: 'loss', params: { percent: 30 }, ttlMs: 30_000 }, deps);
    expect(f.params).toMatchObject({ backend: 'nft', kernelTtl: true, percent: 30, direction: 'both' });
    expect(nftTables(ns.name)).toMatch(/table inet faultline_[0-9a-f]{12}/);
    const loss = await udpLossRate(1000, before);
    expect(loss).toBeGreaterThan(0.2);
    expect(loss).toBeLessThan(0.4);
    expect(nftTables(ns.name)).not.toMatch(/faultline_/);
  });

  it('loss 30% with the iptables fallback (statistic match, time-limited jump) drops about 30%', async () => {
    const before = await udpCount();
    const f = await applyNetworkFault(ns, { kind: 'loss', params: { percent: '30', direction: 'in' }, ttlMs: 30_000, backend: 'iptables' }, deps);
    expect(f.params).toMatchObject({ backend: 'iptables', kernelTtl: true });
    const rules = sh('ip', ['netns', 'exec', ns.name, 'iptables', '-S']);
    expect(rules).toMatch(/-A INPUT -i fln-\S+ -m time --datestop \S+ -j FLI-[0-9a-f]{12}/);
    expect(rules).toMatch(/-m statistic --mode random --probability 0\.(3|29)/);
    const loss = await udpLossRate(1000, before);
    expect(loss).toBeGreaterThan(0.2);
    expect(loss).toBeLessThan(0.4);
    expect(sh('ip', ['netns', 'exec', ns.name, 'iptables', '-S'])).not.toMatch(/FL[IO]-/);
  });

  it('reset on the HTTP port refuses new connects and resets an established connection; revert restores', async () => {
    const established = net.connect({ host: ns.nsAddr, port: target.http });
    await new Promise<void>((r) => established.once('connect', () => r()));
    await applyNetworkFault(ns, { kind: 'reset', params: { port: target.http }, ttlMs: 30_000 }, deps);
    expect(await tcpConnect(ns.nsAddr, target.http)).toBe('ECONNREFUSED');
    const err = await new Promise<string>((resolve) => {
      established.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      established.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(err).toBe('ECONNRESET');
    await revertNetworkFault(readRecordOrThrow(stateDir, ns.name).faults[0]?.fault.id as string, { stateDir, ledger });
    expect(await tcpConnect(ns.nsAddr, target.http)).toBe('connected');
  });

  it('bandwidth 2mbit caps a 400 KB download near 250 KB/s; unshaped it is much faster', async () => {
    const rate = 2_000_000 / 8;
    const baseline = await measureDownload(ns.nsAddr, target.http, 400_000);
    expect(baseline).toBeGreaterThan(rate * 3);
    const f = await applyNetworkFault(ns, { kind: 'bandwidth', params: { rate: '2mbit', direction: 'out' }, ttlMs: 30_000 }, deps);
    expect(f.params).toMatchObject({ backend: 'tc', rateBitsPerSec: 2_000_000 });
    expect(sh('tc', ['-n', ns.name, 'qdisc', 'show', 'dev', ns.nsIf])).toMatch(/qdisc tbf 464c: root .*rate 2Mbit/);
    const shaped = await measureDownload(ns.nsAddr, target.http, 400_000);
    expect(shaped).toBeGreaterThan(rate * 0.5);
    expect(shaped).toBeLessThan(rate * 1.3);
    await revertNetworkFault(f.id, { stateDir, ledger });
    expect(sh('tc', ['-n', ns.name, 'qdisc', 'show', 'dev', ns.nsIf])).not.toMatch(/tbf/);
  });

  it('a second qdisc fault on the same queue is refused with FL_ERR_NETNS_FAULT_CONFLICT', async () => {
    await applyNetworkFault(ns, { kind: 'bandwidth', params: { rate: '10mbit' }, ttlMs: 30_000 }, deps);
    const e = await applyNetworkFault(ns, { kind: 'bandwidth', params: { rate: '1mbit', direction: 'in' }, ttlMs: 30_000 }, deps).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_NETNS_FAULT_CONFLICT')).toBe(true);
    expect(sh('tc', ['qdisc', 'show', 'dev', ns.hostIf])).toMatch(/rate 10Mbit/);
  });

  it('partition makes requests time out and they recover after revert; a peer-scoped partition works too', async () => {
    const f = await applyNetworkFault(ns, { kind: 'partition', params: {}, ttlMs: 30_000 }, deps);
    await expect(httpGet(ns.nsAddr, target.http, '/', 400)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await revertNetworkFault(f.id, { stateDir, ledger });
    expect(await httpGet(ns.nsAddr, target.http, '/')).toBe('ok');

    const g = await applyNetworkFault(ns, { kind: 'partition', params: { peer: ns.hostAddr }, ttlMs: 30_000 }, deps);
    await expect(httpGet(ns.nsAddr, target.http, '/', 400)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await revertNetworkFault(g.id, { stateDir, ledger });
    expect(await httpGet(ns.nsAddr, target.http, '/')).toBe('ok');
    const kinds = ledger.events.filter((e) => e.faultId === g.id).map((e) => e.action);
    expect(kinds).toEqual(['inject', 'revert']);
  });

  it('a partition for another peer leaves the host path alone', async () => {
    await applyNetworkFault(ns, { kind: 'partition', params: { peer: '169.254.1.1' }, ttlMs: 30_000 }, deps);
    expect(await httpGet(ns.nsAddr, target.http, '/')).toBe('ok');
  });

  it('delay/corrupt: reports the missing sch_netem clearly, or delays traffic where netem exists', async () => {
    if (!caps.netem.ok) {
      const e = await applyNetworkFault(ns, { kind: 'delay', params: { delay: '100ms' }, ttlMs: 10_000 }, deps).catch((x: unknown) => x);
      expect(isFaultlineError(e, 'FL_ERR_NETEM_UNAVAILABLE')).toBe(true);
      expect((e as FaultlineError).message).toMatch(/sch_netem/);
      expect((e as FaultlineError).message).toMatch(/faultline proxy/);
      const c = await applyNetworkFault(ns, { kind: 'corrupt', params: { percent: 5 }, ttlMs: 10_000 }, deps).catch((x: unknown) => x);
      expect(isFaultlineError(c, 'FL_ERR_NETEM_UNAVAILABLE')).toBe(true);
      expect(sh('tc', ['-n', ns.name, 'qdisc', 'show', 'dev', ns.nsIf])).not.toMatch(/netem/);
      return;
    }
    const t0 = performance.now();
    await httpGet(ns.nsAddr, target.http, '/');
    const base = performance.now() - t0;
    await applyNetworkFault(ns, { kind: 'delay', params: { delay: '100ms' }, ttlMs: 10_000 }, deps);
    const t1 = performance.now();
    await httpGet(ns.nsAddr, target.http, '/');
    expect(performance.now() - t1 - base).toBeGreaterThan(150); // handshake + response each cross the delayed egress
  });

  it('asks the InjectionGuard first: a refusal creates nothing and is recorded', async () => {
    const refuse: InjectionGuard = {
      admit: (req) => {
        expect(req).toMatchObject({ kind: 'loss', layer: 'network', target: { host: ns.nsAddr }, ttlMs: 5_000 });
        throw new FaultlineError('FL_ERR_SAFE_ZONE', 'test safe zone');
      },
    };
    const e = await applyNetworkFault(ns, { kind: 'loss', params: { percent: 50 }, ttlMs: 5_000 }, { ...deps, guard: refuse }).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_SAFE_ZONE')).toBe(true);
    expect(nftTables(ns.name)).not.toMatch(/faultline_/);
    expect(ledger.events.at(-1)).toMatchObject({ action: 'refuse', outcome: 'refused' });
  });

  it('counts its own active faults for the guard (max concurrent faults)', async () => {
    await applyNetworkFault(ns, { kind: 'partition', params: { peer: '169.254.1.2' }, ttlMs: 30_000 }, deps);
    const seen: number[] = [];
    const counting: InjectionGuard = { admit: (_r, active) => void seen.push(active.length) };
    await applyNetworkFault(ns, { kind: 'partition', params: { peer: '169.254.1.3' }, ttlMs: 30_000 }, { ...deps, guard: counting });
    expect(seen).toEqual([1]);
    await waitFor(() => readRecordOrThrow(stateDir, ns.name).faults.length === 2, 1_000);
  });
});
