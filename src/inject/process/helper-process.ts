/** Detached helper processes (stressors, memory holders): own session, stdio ignored, unref'd, real time. */
import { spawn } from 'node:child_process';
import { FaultlineError } from '../../core/errors.js';
import { readProcStat } from './proc.js';
import { withoutFaketime } from './supervisor.js';

export interface HelperProcess {
  pid: number;
  startTimeTicks: number;
}

export async function spawnHelper(command: string, args: readonly string[], what: string): Promise<HelperProcess> {
  const child = spawn(command, args, { detached: true, stdio: 'ignore', env: withoutFaketime(process.env) });
  const err = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (err || child.pid === undefined) {
    throw new FaultlineError('FL_ERR_PROCESS_FAULT', `could not start the ${what} (${command}): ${err?.message ?? 'no PID'}`, { cause: err });
  }
  child.unref();
  return { pid: child.pid, startTimeTicks: readProcStat(child.pid)?.startTimeTicks ?? 0 };
}
