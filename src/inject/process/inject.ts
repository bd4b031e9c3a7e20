/**
 * The process-fault injection API: admit → record the fault file → start its TTL guard → apply → ledger, for
 * faults whose revert plan is known in advance (pause, disk, kill, dependency, timeskew, clockdrift, envdrift, hidebinary, breakmodule), so no moment
 * exists in which the fault is applied and its TTL guard is not running. cpu and memory (whose helper PID is known
 * only after apply, and whose helpers end by themselves at the TTL) are applied first and guarded after.
 * Early reverts and listing work from the fault files, so any process sharing the state folder (the CLI,
 * an experiment runner, a later `faultline revert`) sees and can end the same faults.
 */
import type { ActiveFault, FaultRequest, InjectionGuard, LedgerSink } from '../../core/fault.js';
import { describeTarget, newFaultId } from '../../core/fault.js';
import { FaultlineError } from '../../core/errors.js';
import { abandonFault, claimFault, finishClaim, killGuard, listFaultFiles, readGuardInfo, spawnGuard, updateFaultFile, waitForRevertsInFlight, writeFaultFile, type FaultFile, type GuardInfo } from './active.js';
import { findProcessFault, PROCESS_FAULTS, type ApplyContext, type Applied, type ResolvedTarget, type TargetNeed } from './faults/index.js';
import { executePlan } from './plan.js';
import { ancestry, isSameProcess, readProcStatOrThrow } from './proc.js';
import type { Supervisor } from './supervisor.js';

export interface ProcessFaultDeps {
  /** absolute state folder shared with the supervisor and the TTL guards */
  stateDir: string;
  ledger: LedgerSink;
  guard: InjectionGuard;
  services: Supervisor;
  /**
   * Called right before the fault is applied, with its TTL guard when the guard starts first (faults with a revert
   * plan known in advance); for tracing, and for tests that check the guard runs before the target is touched.
   * A throw aborts the injection like a failing apply.
   */
  beforeApply?: (fault: ActiveFault, guard: GuardInfo | undefined) => void | Promise<void>;
}

export type RevertDeps = Pick<ProcessFaultDeps, 'stateDir' | 'ledger'> & { actor?: string };

export interface ActiveProcessFault extends ActiveFault {
  detail: Record<string, unknown>;
  guardPid?: number;
  /** past its expiry while its guard is gone (e.g. the machine rebooted): `revert` executes its plan */
  overdue: boolean;
}

export interface RevertResult {
  fault: ActiveFault;
  outcome: 'ok' | 'error';
  detail: string;
}

/** Names of the process faults, for help texts and errors. */
export const processFaultKinds = (): string[] => Object.keys(PROCESS_FAULTS);

/** The PIDs no fault may ever touch: PID 1, this process and its ancestors. */
export function protectedPids(): number[] {
  return [...new Set([1, ...ancestry(process.pid)])];
}

function resolveTarget(req: FaultRequest, need: TargetNeed, services: Supervisor): ResolvedTarget {
  const { service, pid } = req.target;
  if (service !== undefined && pid !== undefined) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${req.kind}: give target.service (--service) or target.pid (--pid), not both`);
  }
  if (pid !== undefined) {
    if (need === 'service') throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${req.kind}: needs --service naming a service in faultline.yaml, not --pid`);
    if (!Number.isInteger(pid) || pid <= 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${req.kind}: target.pid must be a positive integer, got ${String(pid)}`);
    const st = readProcStatOrThrow(pid);
    return { target: req.target, pid, startTimeTicks: st.startTimeTicks, group: false };
  }
  if (service !== undefined) {
    const config = services.configOf(service);
    const record = need === 'optional' ? services.running(service) : services.runningOrThrow(service);
    if (!config && !record) services.configOrThrow(service);
    const t: ResolvedTarget = { target: req.target, group: record !== undefined && !record.attached, service: { name: service } };
    if (config && t.service) t.service.config = config;
    if (record && t.service) {
      t.service.record = record;
      t.pid = record.pid;
      t.startTimeTicks = record.startTimeTicks;
    }
    return t;
  }
  if (need !== 'optional') {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${req.kind}: needs a target: --service NAME${need === 'process' ? ' or --pid PID' : ''}`);
  }
  return { target: req.target, group: false };
}

/**
 * Applies one process fault with a TTL and returns it. Throws FL_ERR_TTL_REQUIRED, FL_ERR_INVALID_ARGUMENT,
 * FL_ERR_SAFE_ZONE (also for PID 1 and this process and its ancestors), the guard's refusal, or the fault's error.
 */
export async function injectProcessFault(req: FaultRequest, deps: ProcessFaultDeps): Promise<ActiveProcessFault> {
  const actor = req.actor ?? 'faultline';
  const target = describeTarget(req.target);
  const fail = (e: unknown, action: 'refuse' | 'inject', more: readonly string[] = []): never => {
    const outcome = action === 'refuse' ? 'refused' : 'error';
    const detail = [e instanceof Error ? e.message : String(e), ...more].join('; ');
    deps.ledger.record({ action, faultId: '-', kind: req.kind, layer: 'process', target, params: req.params, actor, outcome, ttlMs: req.ttlMs, detail });
    throw e;
  };
  if (!Number.isFinite(req.ttlMs) || req.ttlMs <= 0) {
    throw new FaultlineError('FL_ERR_TTL_REQUIRED', `${req.kind}: ttlMs must be a positive number of milliseconds, got ${String(req.ttlMs)}; pass --ttl (e.g. 30s)`);
  }
  const fault = findProcessFault(req.kind);
  if (!fault) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `"${req.kind}" is not a process fault; use one of ${processFaultKinds().join(', ')}`);
  const params = fault.validate(req.params);
  const resolved = resolveTarget(req, fault.target, deps.services);
  const admitted: FaultRequest = { ...req, layer: 'process', params, target: resolved.pid !== undefined ? { ...req.target, pid: resolved.pid } : req.target };
  try {
    if (resolved.pid !== undefined && protectedPids().includes(resolved.pid)) {
      throw new FaultlineError('FL_ERR_SAFE_ZONE', `${req.kind}: PID ${resolved.pid} is protected (PID 1, the faultline controller and its ancestors are never touched)`, { context: { pid: resolved.pid } });
    }
    deps.guard.admit(admitted, listActiveFaults(deps.stateDir));
  } catch (e) {
    return fail(e, 'refuse');
  }
  const id = newFaultId('p');
  const startedAt = Date.now();
  const active: ActiveFault = { ...admitted, id, startedAt, expiresAt: startedAt + req.ttlMs, actor };
  const ctx: ApplyContext = { id, stateDir: deps.stateDir, services: deps.services, ttlMs: req.ttlMs, expiresAt: active.expiresAt };
  const fileOf = (a: Applied): FaultFile => ({ version: 1, fault: active, plan: a.plan, detail: a.detail, stateDir: deps.stateDir });
  const injected = (a: Applied, guardPid: number): ActiveProcessFault => {
    deps.ledger.record({ action: 'inject', faultId: id, kind: req.kind, layer: 'process', target: describeTarget(active.target), params, actor, outcome: 'ok', ttlMs: req.ttlMs, detail: JSON.stringify(a.detail) });
    return { ...active, detail: a.detail, guardPid, overdue: false };
  };

  // the guard first: it holds the plan while the fault is applied
  let guard: GuardInfo | undefined;
  if (fault.planAhead) {
    let plan: Applied['plan'];
    try {
      plan = fault.planAhead(ctx, resolved, params);
    } catch (e) {
      return fail(e, 'inject');
    }
    writeFaultFile(fileOf({ plan, detail: { applying: true } }));
    try {
      guard = await spawnGuard(deps.stateDir, id);
    } catch (e) {
      await abandonFault(deps.stateDir, id);
      return fail(e, 'inject');
    }
  }
  let applied: Applied;
  try {
    await deps.beforeApply?.(active, guard);
    applied = await fault.apply(ctx, resolved, params);
  } catch (e) {
    if (guard) {
      // a half-applied fault is undone by its plan (harmless when nothing was applied); the guard is stopped
      const { lines, errors } = await abandonFault(deps.stateDir, id);
      return fail(e, 'inject', [`reverted after the failed apply: ${[...lines, ...errors].join('; ')}`]);
    }
    return fail(e, 'inject');
  }
  if (guard) {
    if (updateFaultFile(fileOf(applied))) return injected(applied, guard.pid);
    // its TTL ran out (or someone reverted it) while it was being applied: the plan may have run before apply
    // finished, so once that revert is done, run it again
    await waitForRevertsInFlight(deps.stateDir, 60_000);
    const { lines, errors } = await executePlan(applied.plan);
    const out = injected(applied, guard.pid);
    deps.ledger.record({ action: 'revert', faultId: id, kind: req.kind, layer: 'process', target: describeTarget(active.target), params, actor, outcome: errors.length === 0 ? 'ok' : 'error', ttlMs: req.ttlMs, detail: `ended while it was being applied; plan run again: ${[...lines, ...errors].join('; ')}` });
    return out;
  }

  writeFaultFile(fileOf(applied));
  let guardPid: number;
  try {
    guardPid = (await spawnGuard(deps.stateDir, id)).pid;
  } catch (e) {
    // never leave a fault without its TTL: undo it now
    claimFault(deps.stateDir, id);
    await executePlan(applied.plan);
    finishClaim(deps.stateDir, id);
    return fail(e, 'inject');
  }
  return injected(applied, guardPid);
}

/** Active process faults recorded in the state folder, oldest first. */
export function listActiveFaults(stateDir: string): ActiveProcessFault[] {
  const now = Date.now();
  return listFaultFiles(stateDir).map((f) => {
    const g = readGuardInfo(stateDir, f.fault.id);
    const guardAlive = g !== undefined && isSameProcess(g.pid, g.startTimeTicks);
    const out: ActiveProcessFault = { ...f.fault, detail: f.detail, overdue: !guardAlive && f.fault.expiresAt < now - 5000 };
    if (guardAlive && g) out.guardPid = g.pid;
    return out;
  });
}

/** Reverts one fault now (its plan runs here, its guard is stopped). Throws FL_ERR_FAULT_NOT_FOUND when it is not active. */
export async function revertFault(id: string, deps: RevertDeps): Promise<RevertResult> {
  const f = claimFault(deps.stateDir, id);
  if (!f) {
    throw new FaultlineError('FL_ERR_FAULT_NOT_FOUND', `no active process fault "${id}" (it may have expired or been reverted); list active faults with \`faultline faults\``, { context: { id } });
  }
  killGuard(deps.stateDir, id);
  const { lines, errors } = await executePlan(f.plan);
  finishClaim(deps.stateDir, id);
  const outcome = errors.length === 0 ? 'ok' : 'error';
  const detail = [...lines, ...errors].join('; ');
  deps.ledger.record({ action: 'revert', faultId: id, kind: f.fault.kind, layer: 'process', target: describeTarget(f.fault.target), params: f.fault.params, actor: deps.actor ?? 'faultline', outcome, ttlMs: f.fault.ttlMs, detail });
  return { fault: f.fault, outcome, detail };
}

/**
 * Reverts every active fault (newest first), or only those targeting one of `services`, then waits (up to
 * 60 s) for reverts other processes are running, so a following stop sees their final result.
 */
export async function revertAll(deps: RevertDeps, filter: { services?: readonly string[] } = {}): Promise<RevertResult[]> {
  const out: RevertResult[] = [];
  const faults = listFaultFiles(deps.stateDir)
    .map((f) => f.fault)
    .filter((f) => !filter.services || (f.target.service !== undefined && filter.services.includes(f.target.service)))
    .reverse();
  for (const f of faults) {
    try {
      out.push(await revertFault(f.id, deps));
    } catch (e) {
      if (!(e instanceof FaultlineError && e.code === 'FL_ERR_FAULT_NOT_FOUND')) throw e;
    }
  }
  // faults that expired meanwhile may still be reverting in their guards (e.g. restarting a service)
  await waitForRevertsInFlight(deps.stateDir, 60_000);
  return out;
}

/**
 * Stays until every fault in `faults` has expired (its guard reverted it), or reverts them all when the process
 * receives SIGINT or SIGTERM (recording an `abort`). Resolves to how it ended.
 */
export function holdUntilExpiry(faults: readonly ActiveFault[], deps: RevertDeps, pollMs = 100): Promise<'expired' | 'interrupted'> {
  return new Promise((resolve, reject) => {
    const ids = new Set(faults.map((f) => f.id));
    const stillActive = (): boolean => listFaultFiles(deps.stateDir).some((f) => ids.has(f.fault.id));
    const lastExpiry = Math.max(0, ...faults.map((f) => f.expiresAt));
    let timer: NodeJS.Timeout | undefined;
    const finish = (how: 'expired' | 'interrupted'): void => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(how);
    };
    let aborting = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      clearTimeout(timer);
      if (aborting) return;
      aborting = true;
      (async () => {
        for (const f of [...faults].reverse()) {
          deps.ledger.record({ action: 'abort', faultId: f.id, kind: f.kind, layer: 'process', target: describeTarget(f.target), params: f.params, actor: deps.actor ?? 'faultline', outcome: 'ok', detail: `${signal} received` });
          try {
            await revertFault(f.id, deps);
          } catch (e) {
            if (!(e instanceof FaultlineError && e.code === 'FL_ERR_FAULT_NOT_FOUND')) throw e;
          }
        }
      })().then(() => finish('interrupted'), reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const poll = (): void => {
      // the guards revert at expiry; allow them a few seconds (a service restart) before giving up waiting
      if (!stillActive() || Date.now() > lastExpiry + 30_000) finish('expired');
      else timer = setTimeout(poll, pollMs);
    };
    poll();
  });
}
