import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const TARGET = join(REPO, 'test/fixtures/observe/target.mjs');

export function within(actual: number, expected: number, delta: number): boolean {
  return Math.abs(actual - expected) <= delta;
}

export interface Fixture {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** Starts a node script that prints {"port":N} when ready (the observe target by default). */
export function startFixture(script = TARGET, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Fixture> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...env } });
  let err = '';
  child.stderr?.on('data', (c) => (err += String(c)));
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const onData = (c: Buffer): void => {
      out += String(c);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) return;
      child.stdout?.off('data', onData);
      const { port } = JSON.parse(line) as { port: number };
      resolvePromise({
        child,
        pid: child.pid as number,
        port,
        url: `http://127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready: ${err}`)));
  });
}

/** One POST/GET on a fresh connection, JSON answer. */
export function admin<T = Record<string, number>>(port: number, path: string, method = 'POST'): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += String(c)));
      res.on('end', () => resolvePromise(JSON.parse(text) as T));
    });
    req.on('error', reject);
    req.end();
  });
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

/** waits until the observer's clock reaches `ms` (polling, no fixed sleeps) */
export function until(now: () => number, ms: number): Promise<void> {
  return waitFor(() => (now() >= ms ? true : undefined), `t=${ms} ms`, ms + 10_000).then(() => undefined);
}
