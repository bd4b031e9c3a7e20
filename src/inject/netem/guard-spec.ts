import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LedgerEvent } from '../../core/fault.js';
import { FaultlineError } from '../../core/errors.js';
import type { FaultArtifact } from './state.js';

/** Everything the detached guard needs to remove one fault at its TTL and record the expiry. */
export interface GuardSpec {
  faultId: string;
  nsName: string;
  expiresAt: number;
  artifacts: FaultArtifact[];
  stateDir: string;
  /** the ledger line written at expiry, minus ts/action/outcome/detail */
  event: Omit<LedgerEvent, 'ts' | 'action' | 'outcome' | 'detail'>;
}

export function encodeGuardSpec(spec: GuardSpec): string {
  return Buffer.from(JSON.stringify(spec)).toString('base64url');
}

export function decodeGuardSpec(arg: string): GuardSpec {
  return JSON.parse(Buffer.from(arg, 'base64url').toString('utf8')) as GuardSpec;
}

/** The guard entry point next to this module (guard.js in dist; guard.ts with the tsx loader when run from source). */
export function guardCommand(): { execPath: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const script = join(dirname(here), `guard${ext}`);
  if (!existsSync(script)) {
    throw new FaultlineError('FL_ERR_INTERNAL', `the TTL guard script ${script} is missing; rebuild faultline (npm run build)`);
  }
  const loader = ext === '.ts' ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return { execPath: process.execPath, args: [...loader, script] };
}

/** Starts the guard detached (own session, stdio ignored, unref'd) so it outlives a killed controller. Returns its pid. */
export function launchGuard(spec: GuardSpec): number {
  const { execPath, args } = guardCommand();
  const child = spawn(execPath, [...args, spec.faultId, encodeGuardSpec(spec)], { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid === undefined) throw new FaultlineError('FL_ERR_NETNS_COMMAND', `could not start the TTL guard (${execPath}); the fault was not applied`);
  return child.pid;
}

/** True when `pid` is the guard of `faultId` (checked through /proc so we never signal an unrelated process). */
export function isGuardOf(pid: number, faultId: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes(faultId) && argv.some((a) => /guard\.(js|ts)$/.test(a));
  } catch {
    return false;
  }
}

/** Stops the guard of a fault if it still runs. */
export function stopGuard(pid: number | undefined, faultId: string): boolean {
  if (pid === undefined || !isGuardOf(pid, faultId)) return false;
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}
