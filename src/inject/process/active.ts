/**
 * Active process faults on disk (one file per fault under <stateDir>/faults/) and their detached TTL guards.
 * Whoever reverts a fault first claims its file by renaming it (atomic), so the controller's early revert and
 * the guard's expiry never both run the plan.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ActiveFault } from '../../core/fault.js';
import { FaultlineError } from '../../core/errors.js';
import { compiledPath } from './paths.js';
import { executePlan, type RevertStep } from './plan.js';
import { readProcStat, signalChecked } from './proc.js';
import { faultsDir, readJson, writeJsonAtomic } from './state.js';
import { withoutFaketime } from './supervisor.js';

export interface FaultFile {
  version: 1;
  fault: ActiveFault;
  plan: RevertStep[];
  /** what apply() did: helper PIDs, file paths, restarted PIDs */
  detail: Record<string, unknown>;
  stateDir: string;
}

export interface GuardInfo {
  pid: number;
  startTimeTicks: number;
}

export const faultFilePath = (stateDir: string, id: string): string => join(faultsDir(stateDir), `${id}.json`);
const guardFilePath = (stateDir: string, id: string): string => join(faultsDir(stateDir), `${id}.guard.json`);

export function writeFaultFile(f: FaultFile): string {
  const file = faultFilePath(f.stateDir, f.fault.id);
  writeJsonAtomic(file, f);
  return file;
}

/**
 * Rewrites an active fault's file (the final detail and plan after apply) when it is still there; returns false
 * when it was claimed meanwhile (its TTL guard expired it, or someone reverted it, while it was being applied).
 */
export function updateFaultFile(f: FaultFile): boolean {
  if (!existsSync(faultFilePath(f.stateDir, f.fault.id))) return false;
  writeFaultFile(f);
  return true;
}

/** Removes a fault whose apply failed: claims its file (so its guard finds nothing), stops the guard, runs the plan, drops the claim. */
export async function abandonFault(stateDir: string, id: string): Promise<{ lines: string[]; errors: string[] }> {
  const claimed = claimFault(stateDir, id);
  killGuard(stateDir, id);
  const done = claimed ? await executePlan(claimed.plan) : { lines: [], errors: [] };
  finishClaim(stateDir, id);
  return done;
}

export function readGuardInfo(stateDir: string, id: string): GuardInfo | undefined {
  return readJson<GuardInfo>(guardFilePath(stateDir, id));
}

/** Every active fault file in the state folder, oldest first. */
export function listFaultFiles(stateDir: string): FaultFile[] {
  let names: string[];
  try {
    names = readdirSync(faultsDir(stateDir));
  } catch {
    return [];
  }
  const out: FaultFile[] = [];
  for (const n of names) {
    if (!n.endsWith('.json') || n.endsWith('.guard.json')) continue;
    const f = readJson<FaultFile>(join(faultsDir(stateDir), n));
    if (f) out.push(f);
  }
  return out.sort((a, b) => a.fault.startedAt - b.fault.startedAt);
}

const claimedPath = (stateDir: string, id: string, pid = process.pid): string => `${faultFilePath(stateDir, id)}.reverting-${pid}`;

/**
 * Claims the fault for reverting (rename to <id>.json.reverting-<pid>); returns its content, or undefined when
 * someone else already did. The claimed file stays while the plan runs; finishClaim() removes it.
 */
export function claimFault(stateDir: string, id: string): FaultFile | undefined {
  const claimed = claimedPath(stateDir, id);
  try {
    renameSync(faultFilePath(stateDir, id), claimed);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return readJson<FaultFile>(claimed);
}

export function finishClaim(stateDir: string, id: string): void {
  rmSync(claimedPath(stateDir, id), { force: true });
}

/**
 * Waits while other processes (TTL guards, another CLI) are executing revert plans in this state folder, e.g.
 * restarting a service, so that a following stop sees the final services. Claims of dead processes are removed.
 */
export async function waitForRevertsInFlight(stateDir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let names: string[];
    try {
      names = readdirSync(faultsDir(stateDir));
    } catch {
      return true;
    }
    const busy = names.filter((n) => {
      const m = /\.reverting-(\d+)$/.exec(n);
      if (!m || Number(m[1]) === process.pid) return false;
      if (readProcStat(Number(m[1]))) return true;
      rmSync(join(faultsDir(stateDir), n), { force: true });
      return false;
    });
    if (busy.length === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Removes the guard's PID file (after a claim). */
export function forgetGuard(stateDir: string, id: string): GuardInfo | undefined {
  const g = readGuardInfo(stateDir, id);
  rmSync(guardFilePath(stateDir, id), { force: true });
  return g;
}

/** Stops the TTL guard of a fault the caller has claimed (it would find nothing to do, this just ends it sooner). */
export function killGuard(stateDir: string, id: string): void {
  const g = forgetGuard(stateDir, id);
  if (g && g.pid !== process.pid) signalChecked(g.pid, g.startTimeTicks, 'SIGTERM');
}

/**
 * Starts the detached TTL guard for a written fault file (`node dist/inject/process/ttl-guard.js <file>`,
 * own session, stdio ignored, unref'd) and records its PID next to the fault file.
 */
export async function spawnGuard(stateDir: string, id: string): Promise<GuardInfo> {
  const guardScript = compiledPath('./ttl-guard.js', import.meta.url);
  if (!existsSync(guardScript)) {
    throw new FaultlineError('FL_ERR_PROCESS_FAULT', `the TTL guard ${guardScript} does not exist; run \`npm run build\` first`);
  }
  const child = spawn(process.execPath, [guardScript, faultFilePath(stateDir, id)], {
    detached: true,
    stdio: 'ignore',
    env: withoutFaketime(process.env),
  });
  const err = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (err || child.pid === undefined) {
    throw new FaultlineError('FL_ERR_PROCESS_FAULT', `could not start the TTL guard process: ${err?.message ?? 'no PID'}; run \`npm run build\` so dist/inject/process/ttl-guard.js exists`, { cause: err });
  }
  child.unref();
  const info: GuardInfo = { pid: child.pid, startTimeTicks: readProcStat(child.pid)?.startTimeTicks ?? 0 };
  writeJsonAtomic(guardFilePath(stateDir, id), info);
  return info;
}
