import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../../../src/inject/agent/client.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const REGISTER = join(REPO, 'dist/inject/agent/register.js');
export const FIXTURES = join(REPO, 'test/fixtures/agent');

export function assertBuilt(): void {
  if (!existsSync(REGISTER)) throw new Error(`${REGISTER} is missing: run \`npx tsc -p tsconfig.json\` first`);
}

export function within(actual: number, expected: number, delta: number): boolean {
  return Math.abs(actual - expected) <= delta;
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  ms: number;
  error?: string;
}

/** One request on a fresh connection; network errors and timeouts come back as `error`. */
export function get(port: number, path: string, timeoutMs = 5000): Promise<Reply> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, ms: performance.now() - t0 });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: {}, headers: {}, ms: performance.now() - t0, error: e.code ?? e.message }));
  });
}

export interface Target {
  child: ChildProcess;
  pid: number;
  /** the service's port */
  port: number;
  stateDir: string;
  announceFile: string;
  client: AgentClient;
  stderr(): string;
  stop(): Promise<number | null>;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

/** Starts test/fixtures/agent/service.mjs with the agent and waits for its port and the agent's announcement. */
export async function startTarget(extraEnv: Record<string, string> = {}): Promise<Target> {
  assertBuilt();
  const stateDir = mkdtempSync(join(tmpdir(), 'fl-agent-'));
  const announceFile = join(stateDir, 'announce.json');
  const child = spawn(process.execPath, ['--import', REGISTER, join(FIXTURES, 'service.mjs')], {
    cwd: stateDir,
    env: cleanEnv({ FAULTLINE_STATE_DIR: stateDir, FAULTLINE_AGENT_ANNOUNCE: announceFile, FAULTLINE_AGENT_SEED: '7', ...extraEnv }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const port = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`service exited (${child.exitCode}): ${err}`);
    const line = out.split('\n')[0];
    return line && out.includes('\n') ? (JSON.parse(line) as { port: number }).port : undefined;
  }, 'the service port');
  const a = await waitFor(() => (existsSync(announceFile) ? (JSON.parse(readFileSync(announceFile, 'utf8')) as { port: number; pid: number }) : undefined), 'the agent announcement');
  return {
    child,
    pid: a.pid,
    port,
    stateDir,
    announceFile,
    client: AgentClient.fromAddress(`127.0.0.1:${a.port}`),
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      rmSync(stateDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Runs a node script to completion (with the agent when `agent` is true). */
export function runNode(args: string[], opts: { agent?: boolean; cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.agent ? ['--import', REGISTER] : []), ...args], { cwd: opts.cwd ?? REPO, env: cleanEnv(opts.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 10_000} ms`));
    }, opts.timeoutMs ?? 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** The 1-based line of the first occurrence of `text` in a fixture file. */
export function lineOf(file: string, text: string): number {
  const lines = readFileSync(join(FIXTURES, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} not in ${file}`);
  return i + 1;
}
