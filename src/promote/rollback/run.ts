/**
 * Runs one command of an adapter (kubectl, a deploy script) in its own process group, with a timeout that kills
 * the whole group: SIGTERM, then SIGKILL after a grace period. Completion is the exit of the command itself, not
 * the end of its output, so a script that leaves a service running in the background does not hang the rollback.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  /** null when killed by a signal */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface RunOptions {
  timeoutMs: number;
  cwd?: string;
  /** added to process.env */
  env?: Record<string, string>;
  /** after SIGTERM at the timeout, SIGKILL follows after this long; default 2000 */
  killGraceMs?: number;
}

const MAX_OUTPUT_CHARS = 1_000_000;
/** how long output still in the pipes is read after the command exited */
const DRAIN_MS = 200;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** Resolves with the outcome; rejects only when the command cannot be started (ENOENT, EACCES …). */
export function runProcess(command: string, args: readonly string[], o: RunOptions): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(command, [...args], {
      ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-MAX_OUTPUT_CHARS)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-MAX_OUTPUT_CHARS)));
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid === undefined) return;
      const pid = child.pid;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), o.killGraceMs ?? 2000);
    }, o.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      // a timed-out command's leftovers go with it; an ordinary exit leaves what it started running
      if (timedOut && child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(drain);
        child.stdout.destroy();
        child.stderr.destroy();
        resolveRun({ exitCode: code, signal, stdout, stderr, timedOut, ms: performance.now() - t0 });
      };
      const drain = setTimeout(finish, DRAIN_MS);
      child.once('close', finish);
    });
  });
}

const TAIL_CHARS = 2000;

/** The end of a command's output (stdout then stderr), for error messages. */
export function outputTail(r: Pick<RunResult, 'stdout' | 'stderr'>, max = TAIL_CHARS): string {
  const t = [r.stdout, r.stderr].map((s) => s.trimEnd()).filter((s) => s !== '').join('\n');
  return t.length <= max ? t : '…' + t.slice(t.length - max);
}

/** A command line as a shell would read it, for reports. */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
