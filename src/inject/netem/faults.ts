import type { ActiveFault, FaultRequest, InjectionGuard, LedgerSink } from '../../core/fault.js';
import { describeTarget, newFaultId } from '../../core/fault.js';
import { FaultlineError } from '../../core/errors.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { detectNetCapabilities, requireCapabilities, type NetCapabilities, type NetCapability } from './capabilities.js';
import { runOrThrow, systemRunner, type CommandRunner } from './exec.js';
import { launchGuard as launchDetachedGuard, stopGuard, type GuardSpec } from './guard-spec.js';
import { removeArtifacts } from './removal.js';
import {
  faultKey,
  iptablesDatestop,
  iptablesPlan,
  isNetworkFaultKind,
  mechanismOf,
  nftScript,
  normalizeParams,
  qdiscSides,
  tcQdiscArgs,
  NETWORK_FAULT_KINDS,
  type NetworkFaultKind,
  type NetworkFaultParams,
} from './rules.js';
import { listRecords, readRecordOrThrow, updateRecord, type FaultArtifact, type NamespaceRecord, type NetworkFaultRecord } from './state.js';

export interface NetworkFaultSpec {
  kind: NetworkFaultKind;
  /** attributes per kind, see docs/reference/network-faults.md (strings such as "30", "1mbit", "100ms" are accepted) */
  params: Record<string, unknown>;
  /** time-to-live in ms; required and positive */
  ttlMs: number;
  actor?: string;
  /** packet-filter backend for loss/reset/partition; default nft when available, else iptables */
  backend?: 'nft' | 'iptables';
}

export interface NetemDeps {
  stateDir: string;
  guard: InjectionGuard;
  ledger: LedgerSink;
  runner?: CommandRunner;
  /** skip probing (tests, or a caller that probed already) */
  capabilities?: NetCapabilities;
  /** faults active elsewhere (proxy, process…) that the guard should count */
  active?: readonly ActiveFault[];
  clock?: Clock;
  /** starts the TTL guard and returns its pid; default a detached node process */
  launchGuard?: (spec: GuardSpec) => number;
}

/** Network faults recorded in the state dir whose TTL has not passed. */
export function activeNetworkFaults(stateDir: string, now = Date.now()): ActiveFault[] {
  return listRecords(stateDir).flatMap((r) => r.faults.filter((f) => f.fault.expiresAt > now).map((f) => f.fault));
}

function needsFor(kind: NetworkFaultKind, backend: NetworkFaultSpec['backend']): [NetCapability[], NetCapability[][]] {
  const base: NetCapability[] = ['root', 'ip', 'netns'];
  if (mechanismOf(kind) === 'qdisc') return [[...base, 'tc', ...(kind === 'bandwidth' ? [] : (['netem'] as const))], []];
  if (backend !== undefined) return [[...base, backend], []];
  return [base, [['nft', 'iptables']]];
}

async function applyFilter(
  runner: CommandRunner,
  rec: NamespaceRecord,
  p: NetworkFaultParams,
  key: string,
  backend: 'nft' | 'iptables',
  ttlMs: number,
  expiresAt: number,
  created: FaultArtifact[],
): Promise<boolean> {
  if (backend === 'nft') {
    const table = `faultline_${key}`;
    const script = nftScript(p, { table, nsIf: rec.nsIf, ttlMs });
    await runOrThrow(runner, 'ip', ['netns', 'exec', rec.name, 'nft', '-f', '-'], script);
    created.push({ type: 'nft-table', family: 'inet', table });
    return true;
  }
  const ipt = (args: string[]): Promise<string> => runOrThrow(runner, 'ip', ['netns', 'exec', rec.name, 'iptables', '-w', ...args]);
  const timed = iptablesPlan(p, { key, nsIf: rec.nsIf, datestop: iptablesDatestop(expiresAt) });
  const plain = iptablesPlan(p, { key, nsIf: rec.nsIf });
  for (const c of timed.chains) {
    await ipt(['-N', c.name]);
    created.push({ type: 'iptables-chain', chain: c.name, jumps: [] });
    for (const rule of c.rules) await ipt(['-A', c.name, ...rule]);
  }
  // the jumps carry the kernel-enforced expiry (-m time --datestop) when xt_time exists; the guard enforces it otherwise
  let kernelTtl = true;
  for (const [i, j] of timed.jumps.entries()) {
    let jump = kernelTtl ? j : (plain.jumps[i] as typeof j);
    let r = await runner.run('ip', ['netns', 'exec', rec.name, 'iptables', '-w', '-I', jump.chain, '1', ...jump.args]);
    if (r.code !== 0 && kernelTtl) {
      kernelTtl = false;
      jump = plain.jumps[i] as typeof j;
      r = await runner.run('ip', ['netns', 'exec', rec.name, 'iptables', '-w', '-I', jump.chain, '1', ...jump.args]);
    }
    if (r.code !== 0) {
      throw new FaultlineError('FL_ERR_NETNS_COMMAND', `\`iptables -I ${jump.chain} 1 ${jump.args.join(' ')}\` in ${rec.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    const target = jump.args[jump.args.length - 1];
    const a = created.find((x) => x.type === 'iptables-chain' && x.chain === target);
    if (a?.type === 'iptables-chain') a.jumps.push({ chain: jump.chain, args: jump.args });
  }
  return kernelTtl;
}

async function applyQdisc(runner: CommandRunner, rec: NamespaceRecord, p: NetworkFaultParams & { direction: 'in' | 'out' | 'both' }, created: FaultArtifact[]): Promise<void> {
  const args = tcQdiscArgs(p);
  const handle = args[1] as string;
  for (const side of qdiscSides(p)) {
    const dev = side === 'ns' ? rec.nsIf : rec.hostIf;
    await runOrThrow(runner, 'tc', [...(side === 'ns' ? ['-n', rec.name] : []), 'qdisc', 'add', 'dev', dev, 'root', ...args]);
    created.push({ type: 'qdisc', side, dev, handle });
  }
}

/**
 * Applies one L3 fault inside the namespace (only the target's veth traffic is affected) with a TTL enforced by
 * the kernel where nftables/xt_time allow it and by a detached guard process in every case. The InjectionGuard
 * admits the request first; inject (or refuse/error) is recorded in the ledger.
 */
export async function applyNetworkFault(ns: { name: string } | string, spec: NetworkFaultSpec, deps: NetemDeps): Promise<ActiveFault> {
  const runner = deps.runner ?? systemRunner;
  const clock = deps.clock ?? systemClock;
  const nsName = typeof ns === 'string' ? ns : ns.name;
  if (!isNetworkFaultKind(spec.kind)) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `kind: "${String(spec.kind)}" is not a network fault; use one of ${NETWORK_FAULT_KINDS.join(', ')}`, { context: { attribute: 'kind' } });
  }
  if (!(Number.isFinite(spec.ttlMs) && spec.ttlMs > 0)) {
    throw new FaultlineError('FL_ERR_TTL_REQUIRED', `ttlMs: a network fault needs a positive time-to-live (got ${spec.ttlMs}); pass e.g. --ttl 30s`);
  }
  if (spec.backend !== undefined && spec.backend !== 'nft' && spec.backend !== 'iptables') {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `backend: must be nft or iptables (got ${JSON.stringify(spec.backend)})`, { context: { attribute: 'backend' } });
  }
  const p = normalizeParams(spec.kind, spec.params);
  const rec = readRecordOrThrow(deps.stateDir, nsName);
  const { kind: _kind, ...shown } = p;
  const req: FaultRequest = {
    kind: spec.kind,
    layer: 'network',
    target: { host: rec.nsAddr },
    params: { netns: rec.name, ...shown },
    ttlMs: spec.ttlMs,
    actor: spec.actor ?? 'faultline',
  };
  const event = { kind: req.kind, layer: req.layer, target: `netns=${rec.name},${describeTarget(req.target)}`, actor: req.actor as string, ttlMs: req.ttlMs };
  const now = clock.now();
  try {
    deps.guard.admit(req, [...(deps.active ?? []), ...activeNetworkFaults(deps.stateDir, now)]);
  } catch (e) {
    deps.ledger.record({ ...event, action: 'refuse', faultId: '-', params: req.params, outcome: 'refused', detail: (e as Error).message });
    throw e;
  }
  const caps = deps.capabilities ?? (await detectNetCapabilities());
  const [all, anyOf] = needsFor(spec.kind, spec.backend);
  requireCapabilities(caps, `${spec.kind} in ${rec.name}`, all, anyOf);

  const mech = mechanismOf(spec.kind);
  if (mech === 'qdisc' && 'direction' in p) {
    const sides = qdiscSides(p as NetworkFaultParams & { direction: 'in' | 'out' | 'both' });
    const holder = rec.faults.find((f) => f.fault.expiresAt > now && f.artifacts.some((a) => a.type === 'qdisc' && sides.includes(a.side)));
    if (holder !== undefined) {
      throw new FaultlineError('FL_ERR_NETNS_FAULT_CONFLICT', `${spec.kind}: the ${sides.join('/')} queue of ${rec.name} is held by fault ${holder.fault.id} (${holder.fault.kind}) until ${new Date(holder.fault.expiresAt).toISOString()}; revert it first with \`faultline netns revert ${holder.fault.id}\``, {
        context: { holder: holder.fault.id },
      });
    }
  }
  const backend: NetworkFaultRecord['backend'] = mech === 'qdisc' ? 'tc' : (spec.backend ?? (caps.nft.ok ? 'nft' : 'iptables'));
  const id = newFaultId('net');
  const key = faultKey(id);
  const startedAt = clock.now();
  const expiresAt = startedAt + spec.ttlMs;
  const created: FaultArtifact[] = [];
  let kernelTtl = false;
  try {
    if (backend === 'tc') await applyQdisc(runner, rec, p as NetworkFaultParams & { direction: 'in' | 'out' | 'both' }, created);
    else kernelTtl = await applyFilter(runner, rec, p, key, backend, spec.ttlMs, expiresAt, created);
  } catch (e) {
    await removeArtifacts(runner, rec, created);
    deps.ledger.record({ ...event, action: 'inject', faultId: id, params: { ...req.params, backend }, outcome: 'error', detail: (e as Error).message });
    throw e;
  }
  const fault: ActiveFault = { ...req, params: { ...req.params, backend, kernelTtl }, id, startedAt, expiresAt };
  let guardPid: number;
  try {
    guardPid = (deps.launchGuard ?? launchDetachedGuard)({
      faultId: id,
      nsName: rec.name,
      expiresAt,
      artifacts: created,
      stateDir: deps.stateDir,
      event: { ...event, faultId: id, params: fault.params },
    });
  } catch (e) {
    await removeArtifacts(runner, rec, created);
    throw e;
  }
  await updateRecord(deps.stateDir, rec.name, (r) => ({ ...r, faults: [...r.faults, { fault, backend, artifacts: created, kernelTtl, guardPid }] }));
  deps.ledger.record({ ...event, action: 'inject', faultId: id, params: fault.params, outcome: 'ok', detail: `${backend}${kernelTtl ? ', kernel-enforced TTL' : ''}, guard pid ${guardPid}` });
  return fault;
}

/** Finds a recorded fault by id; undefined when no namespace in the state dir holds it. */
export function findNetworkFault(stateDir: string, faultId: string): { ns: NamespaceRecord; fault: NetworkFaultRecord } | undefined {
  for (const ns of listRecords(stateDir)) {
    const fault = ns.faults.find((f) => f.fault.id === faultId);
    if (fault !== undefined) return { ns, fault };
  }
  return undefined;
}

/**
 * Removes a fault now: stops its guard, deletes its table/chains/qdiscs and records `revert`.
 * Throws FL_ERR_NETNS_FAULT_NOT_FOUND when no namespace holds it (its TTL guard may have removed it already).
 */
export async function revertNetworkFault(
  faultId: string,
  deps: { stateDir: string; ledger: LedgerSink; runner?: CommandRunner; actor?: string },
): Promise<{ fault: ActiveFault; removed: number }> {
  const found = findNetworkFault(deps.stateDir, faultId);
  if (found === undefined) {
    throw new FaultlineError('FL_ERR_NETNS_FAULT_NOT_FOUND', `no active network fault "${faultId}" in ${deps.stateDir}; it may have expired already (see \`faultline netns list\`)`, { context: { faultId } });
  }
  const { ns, fault } = found;
  stopGuard(fault.guardPid, faultId);
  const { removed, errors } = await removeArtifacts(deps.runner ?? systemRunner, ns, fault.artifacts);
  await updateRecord(deps.stateDir, ns.name, (r) => ({ ...r, faults: r.faults.filter((f) => f.fault.id !== faultId) }));
  const f = fault.fault;
  deps.ledger.record({
    action: 'revert',
    faultId,
    kind: f.kind,
    layer: f.layer,
    target: `netns=${ns.name},${describeTarget(f.target)}`,
    params: f.params,
    actor: deps.actor ?? f.actor ?? 'faultline',
    outcome: errors.length === 0 ? 'ok' : 'error',
    ttlMs: f.ttlMs,
    detail: errors.length === 0 ? `removed ${removed} artifact(s)` : errors.join('; '),
  });
  if (errors.length > 0) {
    throw new FaultlineError('FL_ERR_NETNS_COMMAND', `revert ${faultId}: ${errors.join('; ')}`, { context: { faultId, errors } });
  }
  return { fault: f, removed };
}

