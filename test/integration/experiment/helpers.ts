import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
/** the real CLI (needs `npx tsc -p tsconfig.json` first); FAULTLINE_TEST_BIN runs another entry point */
export const BIN = process.env.FAULTLINE_TEST_BIN ?? join(ROOT, 'bin/faultline.js');
export const FIXTURES = join(__dirname, 'fixtures');

export function within(actual: number, expected: number, delta: number): boolean {
  return Math.abs(actual - expected) <= delta;
}

export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Starts the fixture HTTP service; resolves with its port once it listens. */
export async function startTarget(children: ChildProcess[]): Promise<{ port: number; pid: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(FIXTURES, 'target-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const port = await waitFor(() => (out.includes('\n') ? (JSON.parse(out.split('\n')[0] as string) as { port: number }).port : undefined));
  return { port, pid: child.pid as number, child };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, done: new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr }))) };
}

/** The scheduling state letter of a process (R, S, T = stopped …). */
export function procState(pid: number): string | undefined {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
