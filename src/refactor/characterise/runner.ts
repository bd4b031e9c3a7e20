/**
 * Runs a function on recorded inputs in a child process: `node pin.mjs <job.json>` in the workspace, with the
 * loader hooks registered, each input called `repeat` times, one JSON line per input on file descriptor 3 (the
 * function's own console output cannot mix in). A call that blocks the process (a synchronous endless loop) is
 * noticed by a watchdog: the child is killed, that input is recorded as a timeout, and a new child goes on from
 * the next input; a call that ends the process is recorded as crashed, the same way.
 *
 * Everything the children need is written to one folder: `<stateDir>/refactor/<run id>/characterisation/` from
 * the command (outside the worktree, so no linter or test runner of the project ever sees it, and kept after the
 * run), or `<workspace>/.faultline-characterisation/` by default (its own .gitignore keeps it out of `git status`
 * and of every commit).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { hooksModuleSource } from './loader.js';
import { type CallableSpec, type Outcome, runtimeModuleSource } from './runtime.js';

export const CHARACTERISATION_DIR = '.faultline-characterisation';

const PIN_SCRIPT = `// faultline characterisation: runs one job (generated; see src/refactor/characterise/runner.ts)
/* eslint-disable */
import { readFileSync, writeSync } from 'node:fs';
import { register } from 'node:module';
// started with --import ./register.mjs (so worker threads the function starts get the hooks too); else register here
if (!globalThis.__faultlineHooks) register('./hooks.mjs', import.meta.url);
const rt = await import('./runtime.mjs');
const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const send = (o) => writeSync(3, JSON.stringify(o) + '\\n');
// what the function leaves running must not end the run
process.on('uncaughtException', () => {});
process.on('unhandledRejection', () => {});
let mod;
try {
  mod = await import(job.url);
} catch (e) {
  send({ error: 'import', detail: rt.errorText(e) });
  process.exit(0);
}
const callable = rt.resolveCallable(mod, job.callable);
if ('missing' in callable) {
  send({ error: 'missing', detail: callable.missing });
  process.exit(0);
}
send({ ready: true });
for (let i = job.start; i < job.inputs.length; i++) {
  send({ start: i });
  const outcomes = [];
  for (let r = 0; r < job.repeat; r++) outcomes.push(await rt.callOnce(callable, rt.decodeValue(job.inputs[i]), job.callTimeoutMs));
  send({ i, outcomes });
}
send({ done: true });
process.exit(0);
`;

/** The default folder of a workspace. */
export function defaultFolder(dir: string): string {
  return join(dir, CHARACTERISATION_DIR);
}

/** Writes the folder the children run from (idempotent); returns it. */
export function prepareFolder(folder: string): string {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, '.gitignore'), '# written by faultline refactor: characterisation tests, never committed\n*\n');
  writeFileSync(join(folder, 'hooks.mjs'), hooksModuleSource());
  writeFileSync(join(folder, 'runtime.mjs'), runtimeModuleSource());
  writeFileSync(join(folder, 'pin.mjs'), PIN_SCRIPT);
  writeFileSync(join(folder, 'register.mjs'), REGISTER_SCRIPT);
  return folder;
}

/**
 * Registers the loader hooks. The children start with `--import <register.mjs>`: a worker thread inherits the
 * process's execArgv, so code the function runs in a worker (an offloaded function loads its own module there)
 * gets the hooks too, which a `register()` call in the main thread alone would not give it.
 */
const REGISTER_SCRIPT = `// faultline characterisation: registers the loader hooks (generated; see src/refactor/characterise/runner.ts)
/* eslint-disable */
import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
globalThis.__faultlineHooks = true;
`;

/** The node flags a child runs with: the hooks registered in it and in every worker thread it starts. */
export function hookArgs(folder: string): string[] {
  return ['--import', pathToFileURL(join(folder, 'register.mjs')).href];
}

export interface RunJob {
  /** the module's URL (with the expose query) */
  url: string;
  callable: CallableSpec;
  /** encoded argument lists */
  inputs: unknown[];
  repeat: number;
  callTimeoutMs: number;
}

export interface RunOptions {
  /** the workspace: the children's cwd */
  dir: string;
  /** the folder of prepareFolder */
  folder: string;
  /** no message from the child for this long: the current input blocks it (default 5 s, at least a few call timeouts) */
  hangMs?: number;
  /** the module import and the function lookup (default 20 s) */
  importTimeoutMs?: number;
  /** children started again after a blocked or crashed input (default 5) */
  maxRestarts?: number;
}

export interface RunResult {
  /** the module could not be imported, or the function not found there */
  error?: { kind: 'import' | 'missing' | 'import-timeout'; detail: string };
  /** per input: its outcomes (`repeat` of them), or one timeout/crashed outcome; undefined when never run */
  results: (Outcome[] | undefined)[];
  restarts: number;
  ms: number;
}

interface Message {
  error?: 'import' | 'missing';
  detail?: string;
  ready?: boolean;
  start?: number;
  i?: number;
  outcomes?: Outcome[];
  done?: boolean;
}

/** One child from input `start` on; resolves when it ends (done, killed, or crashed). */
function runChild(o: RunOptions, jobFile: string, onMessage: (m: Message) => void, timeouts: { hangMs: number; importMs: number }): Promise<{ how: 'done' | 'hung' | 'exited'; stderr: string; code: number | null }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--no-warnings', ...hookArgs(o.folder), join(o.folder, 'pin.mjs'), jobFile], { cwd: o.dir, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' } });
    let stderr = '';
    let buf = '';
    let done = false;
    let hung = false;
    let ready = false;
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = true;
        killGroup();
      }, ready ? timeouts.hangMs : timeouts.importMs);
    };
    arm();
    const fd3 = child.stdio[3] as Readable;
    fd3.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        let m: Message;
        try {
          m = JSON.parse(line) as Message;
        } catch {
          continue;
        }
        if (m.ready || m.error) ready = true;
        if (m.done) done = true;
        arm();
        onMessage(m);
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      killGroup();
      resolveRun({ how: done ? 'done' : hung ? 'hung' : 'exited', stderr, code });
    });
  });
}

/** Runs every input (`repeat` calls each) in as few children as the inputs allow. */
export async function runInputs(job: RunJob, o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const folder = o.folder;
  const hangMs = Math.max(o.hangMs ?? 5000, job.callTimeoutMs * job.repeat + 1000);
  const importMs = o.importTimeoutMs ?? 20_000;
  const maxRestarts = o.maxRestarts ?? 5;
  const results: (Outcome[] | undefined)[] = Array.from({ length: job.inputs.length }, () => undefined);
  let start = 0;
  let restarts = 0;
  let error: RunResult['error'];
  for (;;) {
    const jobFile = join(folder, `job-${process.pid}-${Date.now()}-${restarts}.json`);
    writeFileSync(jobFile, JSON.stringify({ ...job, start }));
    let current: number | undefined;
    let ready = false;
    const end = await runChild(o, jobFile, (m) => {
      if (m.error) error = { kind: m.error, detail: m.detail ?? '' };
      if (m.ready) ready = true;
      if (m.start !== undefined) current = m.start;
      if (m.i !== undefined && m.outcomes) {
        results[m.i] = m.outcomes;
        current = undefined;
      }
    }, { hangMs, importMs });
    rmSync(jobFile, { force: true });
    if (error) break;
    if (end.how === 'done') break;
    if (!ready) {
      error = end.how === 'hung' ? { kind: 'import-timeout', detail: `importing the module did not finish in ${importMs} ms` } : { kind: 'import', detail: `the process ended while importing the module (exit ${end.code ?? 'signal'})${end.stderr.trim() ? `: ${end.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}` };
      break;
    }
    if (current === undefined) break; // ended between inputs: nothing to blame
    results[current] = [end.how === 'hung' ? { kind: 'timeout', ms: hangMs } : { kind: 'crashed', detail: `exit ${end.code ?? 'signal'}${end.stderr.trim() ? `: ${end.stderr.trim().split('\n').slice(-1)[0] ?? ''}` : ''}` }];
    start = current + 1;
    if (start >= job.inputs.length || restarts >= maxRestarts) break;
    restarts++;
  }
  return { ...(error ? { error } : {}), results, restarts, ms: performance.now() - t0 };
}
