/**
 * One run of a test command: spawned without a shell in its own process group, stdout and stderr to a log
 * file, stdout also kept for TAP; after `timeoutMs` the whole group gets SIGTERM, then SIGKILL. When the
 * command ends, whatever it left running in its group is killed too.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import { parseJunit, parseTap, type TestResult } from './results.js';

export interface SuiteRunOptions {
  /** program and arguments */
  command: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** stdout and stderr of the run go here */
  logFile: string;
  /** the JUnit XML file the command writes; removed before the run, read after it */
  junitFile?: string;
  /** after SIGTERM, how long before SIGKILL (default 2 s) */
  killGraceMs?: number;
  /** kills the run's process group at once (SIGINT/SIGTERM of faultline) */
  signal?: AbortSignal;
}

export interface SuiteRun {
  exitCode: number | null;
  signal: string | null;
  /** the run reached its timeout and was killed */
  timedOut: boolean;
  durationMs: number;
  format: 'tap' | 'junit' | 'none';
  tests: TestResult[];
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Runs the command once and collects its test results. Throws FL_ERR_TEST_COMMAND when it cannot be started. */
export async function runSuite(o: SuiteRunOptions): Promise<SuiteRun> {
  const [program, ...args] = o.command;
  if (!program) throw new FaultlineError('FL_ERR_TEST_COMMAND', 'no test command: give it after `--`, e.g. faultline test -- node --test');
  if (o.junitFile) rmSync(o.junitFile, { force: true });
  mkdirSync(dirname(o.logFile), { recursive: true });
  const log = openSync(o.logFile, 'w');
  const t0 = performance.now();
  const chunks: Buffer[] = [];
  try {
    const child = spawn(program, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (e) => resolve(e));
    });
    if (started || child.pid === undefined) {
      throw new FaultlineError('FL_ERR_TEST_COMMAND', `could not start ${JSON.stringify(o.command.join(' '))} in ${o.cwd}: ${started?.message ?? 'no pid'}`, { cause: started });
    }
    const pid = child.pid;
    child.stdout.on('data', (b: Buffer) => {
      chunks.push(b);
      writeSync(log, b);
    });
    child.stderr.on('data', (b: Buffer) => void writeSync(log, b));
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), o.killGraceMs ?? 2000);
    }, o.timeoutMs);
    const onAbort = (): void => killGroup(pid, 'SIGKILL');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once('close', (c, s) => resolve({ code: c, signal: s }));
    });
    o.signal?.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    // anything the command left behind in its group (servers, workers) goes with it
    killGroup(pid, 'SIGKILL');
    const durationMs = Math.round(performance.now() - t0);
    const out = Buffer.concat(chunks).toString('utf8');
    let tests: TestResult[] = [];
    let format: SuiteRun['format'] = 'none';
    if (o.junitFile && existsSync(o.junitFile)) {
      tests = parseJunit(readFileSync(o.junitFile, 'utf8'));
      format = 'junit';
    }
    if (tests.length === 0) {
      tests = parseTap(out);
      if (tests.length > 0) format = 'tap';
    }
    return { exitCode: code, signal, timedOut, durationMs, format, tests };
  } finally {
    closeSync(log);
  }
}
