import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NamespaceProcess } from '../../../src/inject/netem/index.js';
import { runInNamespace } from '../../../src/inject/netem/index.js';

export const TARGET = fileURLToPath(new URL('./fixtures/target.mjs', import.meta.url));

export function within(actual: number, expected: number, delta: number): boolean {
  return Math.abs(actual - expected) <= delta;
}

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface Target {
  proc: NamespaceProcess;
  http: number;
  udp: number;
}

/** Starts the fixture inside the namespace, bound to its nsAddr, and waits for its ports. */
export async function startTarget(ns: { name: string; nsAddr: string }, stateDir: string): Promise<Target> {
  const proc = await runInNamespace(ns, [process.execPath, TARGET, ns.nsAddr], { stateDir });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('target did not print its ports within 10 s')), 10_000);
    proc.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        resolve(buf.slice(0, nl));
      }
    });
    proc.child.once('exit', (c) => reject(new Error(`target exited with ${c}`)));
  });
  const ports = JSON.parse(line) as { http: number; udp: number };
  return { proc, ...ports };
}

export function httpGet(host: string, port: number, path: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

/** Resolves with the error code of a TCP connect (or 'connected'). */
export function tcpConnect(host: string, port: number, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve('ETIMEDOUT');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(e.code ?? e.message);
    });
  });
}

/** Sends `count` small datagrams, paced in batches so no socket buffer overflows. */
export async function udpBurst(host: string, port: number, count: number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  const payload = Buffer.alloc(64, 1);
  for (let i = 0; i < count; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, () => new Promise<void>((r) => sock.send(payload, port, host, () => r()))),
    );
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise<void>((r) => sock.close(() => r()));
}

/** Downloads `bytes` and returns the throughput in bytes/s, measured from the first to the last byte. */
export function measureDownload(host: string, port: number, bytes: number, timeoutMs = 20_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: `/bulk?bytes=${bytes}`, timeout: timeoutMs, agent: false }, (res) => {
      let got = 0;
      let first = 0;
      res.on('data', (d: Buffer) => {
        if (first === 0) first = performance.now();
        got += d.length;
      });
      res.on('end', () => {
        const secs = (performance.now() - first) / 1000;
        if (got !== bytes) reject(new Error(`got ${got} of ${bytes} bytes`));
        else resolve(bytes / Math.max(secs, 1e-3));
      });
    });
    req.on('timeout', () => req.destroy(new Error('download timed out')));
    req.on('error', reject);
  });
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function shOk(cmd: string, args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: sh(cmd, args) };
  } catch (e) {
    return { ok: false, out: String((e as { stderr?: string }).stderr ?? e) };
  }
}

export const nsExists = (name: string): boolean => sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(/\s+/)[0] === name);
export const linkExists = (name: string): boolean => shOk('ip', ['link', 'show', 'dev', name]).ok;
export const nftTables = (ns: string): string => sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables']);
export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
