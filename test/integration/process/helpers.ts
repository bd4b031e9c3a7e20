import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceConfig } from '../../../src/core/config-types.js';

export const FIXTURE_SERVER = fileURLToPath(new URL('../../fixtures/process/server.mjs', import.meta.url));

export function within(actual: number, expected: number, delta: number): boolean {
  return Math.abs(actual - expected) <= delta;
}

export function tempStateDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fl-process-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A port the OS just handed out (bound on 127.0.0.1 with port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

export function serviceConfig(name: string, port: number, extra: Partial<ServiceConfig> & { envExtra?: Record<string, string> } = {}): ServiceConfig {
  const { envExtra, ...rest } = extra;
  return {
    name,
    command: `${process.execPath} ${FIXTURE_SERVER}`,
    cwd: tmpdir(),
    port,
    env: { PORT: String(port), ...envExtra },
    health: { http: `http://127.0.0.1:${port}/health`, timeoutMs: 5000, intervalMs: 50 },
    dependsOn: [],
    agent: false,
    stopTimeoutMs: 2000,
    ...rest,
  };
}

/** GET a JSON body, or undefined when there is no answer within timeoutMs. */
export function getJson<T = { now: number; pid: number; started: number }>(url: string, timeoutMs = 500): Promise<T | undefined> {
  return new Promise((res) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => {
        try {
          res(JSON.parse(body) as T);
        } catch {
          res(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(undefined));
    req.end();
  });
}

/** Polls `fn` until it returns something other than undefined or false, and resolves with that. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, pollMs = 25): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as Exclude<T, undefined | false>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
