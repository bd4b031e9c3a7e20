/** Revert plans: the steps that undo a process fault, executed by the controller (early revert) or the TTL guard (expiry). */
import { rmSync, writeFileSync } from 'node:fs';
import type { ServiceConfig } from '../../core/config-types.js';
import { assertNever } from '../../core/errors.js';
import { signalChecked, waitForExit } from './proc.js';
import { liveServiceRecord, startServiceProcess, stopServiceProcess } from './supervisor.js';

export type RevertStep =
  /** signal a process (or the group it leads) if it is still the process that started at startTimeTicks */
  | { op: 'signal'; pid: number; startTimeTicks: number; signal: NodeJS.Signals; group: boolean }
  /** terminate a helper process (stressor, memory holder) and its group: SIGKILL, then wait for it to go */
  | { op: 'terminate'; pid: number; startTimeTicks: number }
  | { op: 'unlink'; path: string }
  /** remove a folder faultline made for the fault, with what it holds (symlinks are removed, not followed) */
  | { op: 'remove-dir'; path: string }
  /** start the service (detached) unless it is already running */
  | { op: 'start-service'; service: ServiceConfig; stateDir: string }
  /**
   * stop the service and start it again with its own environment, unless it already runs with it (a fault that was
   * never applied); with `always`, also when it does (a fault that changed what it reads at start-up, e.g. corruptfile)
   */
  | { op: 'restart-service'; service: ServiceConfig; stateDir: string; always?: boolean }
  /** write a file's original bytes back (base64; `absent`: the file did not exist, so it is removed) */
  | { op: 'restore-file'; path: string; contentBase64?: string; absent?: boolean };

/** Runs every step (a failing step does not stop the others); returns one line per step and the errors. */
export async function executePlan(steps: readonly RevertStep[]): Promise<{ lines: string[]; errors: string[] }> {
  const lines: string[] = [];
  const errors: string[] = [];
  for (const step of steps) {
    try {
      lines.push(await executeStep(step));
    } catch (e) {
      errors.push(`${step.op}: ${(e as Error).message}`);
    }
  }
  return { lines, errors };
}

async function executeStep(step: RevertStep): Promise<string> {
  switch (step.op) {
    case 'signal':
      return signalChecked(step.pid, step.startTimeTicks, step.signal, step.group) ? `sent ${step.signal} to ${step.pid}` : `${step.pid} already gone`;
    case 'terminate': {
      if (!signalChecked(step.pid, step.startTimeTicks, 'SIGKILL', true)) return `${step.pid} already exited`;
      await waitForExit(step.pid, step.startTimeTicks, 5000);
      return `terminated ${step.pid}`;
    }
    case 'unlink':
      rmSync(step.path, { force: true });
      return `removed ${step.path}`;
    case 'remove-dir':
      rmSync(step.path, { recursive: true, force: true });
      return `removed ${step.path}`;
    case 'start-service': {
      const running = liveServiceRecord(step.stateDir, step.service.name);
      if (running) return `${step.service.name} already running (pid ${running.pid})`;
      const rec = await startServiceProcess(step.service, { stateDir: step.stateDir });
      return `started ${step.service.name} (pid ${rec.pid})`;
    }
    case 'restart-service': {
      const running = liveServiceRecord(step.stateDir, step.service.name);
      if (running && !running.overrides && !step.always) return `${step.service.name} already runs with its own environment (pid ${running.pid})`;
      await stopServiceProcess(step.stateDir, step.service.name, step.service.stopTimeoutMs);
      const rec = await startServiceProcess(step.service, { stateDir: step.stateDir });
      return `restarted ${step.service.name} (pid ${rec.pid})`;
    }
    case 'restore-file':
      if (step.absent) {
        rmSync(step.path, { force: true });
        return `removed ${step.path} (it did not exist before the fault)`;
      }
      // in place (same inode and mode), so a process that holds the file open sees the original bytes
      writeFileSync(step.path, Buffer.from(step.contentBase64 ?? '', 'base64'));
      return `restored ${step.path}`;
    default:
      return assertNever(step, 'revert step');
  }
}
