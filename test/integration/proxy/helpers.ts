import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createProxyServer, type ProxyServer, type ProxyServerOptions } from '../../../src/inject/proxy/index.js';
import type { ProxyJson, ToxicSpec } from '../../../src/inject/proxy/types.js';

export function within(actual: number, expected: number, delta: number): boolean {
  return Math.abs(actual - expected) <= delta;
}

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5000, stepMs = 10): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`waitFor: condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface Closer {
  close(): Promise<void>;
}

/** collects things to close after each test */
export class Cleanup {
  private items: Array<() => Promise<void> | void> = [];
  add(fn: () => Promise<void> | void): void {
    this.items.push(fn);
  }
  async run(): Promise<void> {
    for (const fn of this.items.splice(0).reverse()) await fn();
  }
}

export async function listen(server: net.Server | http.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** TCP echo server; tracks its sockets so close() is immediate */
export async function echoServer(cleanup: Cleanup, onSocket?: (s: net.Socket) => void): Promise<{ addr: string; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    if (onSocket) onSocket(s);
    else s.pipe(s);
  });
  const addr = await listen(server);
  cleanup.add(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { addr, sockets };
}

export async function startProxyServer(cleanup: Cleanup, opts: ProxyServerOptions = {}): Promise<{ server: ProxyServer; api: string }> {
  const server = createProxyServer({ port: 0, seed: 42, ...opts });
  const a = await server.listen();
  cleanup.add(() => server.close());
  return { server, api: `http://127.0.0.1:${a.port}` };
}

export async function createProxy(server: ProxyServer, upstream: string, name = 'p', toxics?: ToxicSpec[]): Promise<{ json: ProxyJson; port: number }> {
  const json = await server.registry.createProxy({ name, upstream, listen: '127.0.0.1:0', toxics });
  return { json, port: Number(json.listen.split(':')[1]) };
}

export async function connect(port: number, cleanup: Cleanup): Promise<net.Socket> {
  const s = net.connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
  s.on('error', () => undefined);
  cleanup.add(() => void s.destroy());
  await once(s, 'connect');
  return s;
}

/** reads until `n` bytes arrived (resolves with what arrived if the socket ends first) */
export function readBytes(s: net.Socket, n: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const done = (): void => {
      s.off('data', onData);
      s.off('end', done);
      s.off('close', done);
      clearTimeout(t);
      resolve(Buffer.concat(parts));
    };
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) done();
    };
    const t = setTimeout(() => {
      s.off('data', onData);
      reject(new Error(`readBytes: ${got}/${n} bytes after ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('data', onData);
    s.once('end', done);
    s.once('close', done);
  });
}

/** resolves with how the socket ended: 'end' (FIN), 'reset' (ECONNRESET) or another error code */
export function ending(s: net.Socket): Promise<{ how: string; at: number; data: Buffer }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.once('end', () => resolve({ how: 'end', at: performance.now(), data: Buffer.concat(parts) }));
    s.once('error', (e: NodeJS.ErrnoException) => resolve({ how: e.code === 'ECONNRESET' ? 'reset' : (e.code ?? 'error'), at: performance.now(), data: Buffer.concat(parts) }));
  });
}

export async function rtt(s: net.Socket, payload = Buffer.from('ping')): Promise<number> {
  const t = performance.now();
  s.write(payload);
  await readBytes(s, payload.length);
  return performance.now() - t;
}

export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const res = await fetch(base + path, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}
