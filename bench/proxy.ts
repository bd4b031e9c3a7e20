/**
 * Proxy benchmark: the faultline proxy (no toxic) against a direct loopback connection to the same upstream,
 * optionally against another Toxiproxy-compatible server (--other API_ADDR), in ONE run with interleaved rounds.
 *
 *   npx tsx bench/proxy.ts [--other 127.0.0.1:8475] [--quick] [--rounds N] [--duration MS]
 *
 * Method: four processes. The upstream echo server, the faultline proxy and the load-generating client each run in
 * their own child process (child_process.fork), so the proxy's CPU and memory are its own; this process only
 * orchestrates. Each round runs every scenario against each target in turn (direct, faultline, other); figures are
 * the median over rounds. Throughput = bytes the client received per second (the echo of what it sent).
 *   small: 64 B request → 64 B response ping-pong per connection (a request waits for its response)
 *   stream: 64 KiB writes streamed continuously per connection (backpressure-bound), echoed back
 * Added latency = median/p99 round trip of `small` at 1 connection through the target minus direct.
 * Memory = proxy RSS growth (after GC) per idle client connection held open through it (two sockets each).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
type Mode = 'small' | 'stream';

interface RunSpec {
  port: number;
  mode: Mode;
  conns: number;
  durationMs: number;
}

interface RunResult {
  bytes: number;
  msgs: number;
  seconds: number;
  rtts: number[];
  /** CPU ms used during the run (whole run incl. warm-up) by the client, the upstream and the faultline proxy */
  clientCpuMs?: number;
  upstreamCpuMs?: number;
  proxyCpuMs?: number;
}

type Cpu = { cpu: NodeJS.CpuUsage };
const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => (b.user - a.user + b.system - a.system) / 1000;

// ── child roles ──────────────────────────────────────────────────────────────

async function upstreamRole(): Promise<void> {
  const server = net.createServer({ noDelay: true }, (s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.on('message', (m: { cpu?: boolean }) => {
    if (m.cpu) process.send?.({ cpu: process.cpuUsage() });
  });
  process.send?.({ port: (server.address() as AddressInfo).port });
}

async function proxyRole(upstream: string): Promise<void> {
  const { createProxyServer } = await import('../src/inject/proxy/index.js');
  const server = createProxyServer({ port: 0, seed: 1 });
  await server.listen();
  const p = await server.registry.createProxy({ name: 'bench', listen: '127.0.0.1:0', upstream });
  process.on('message', (m: { gc?: boolean; cpu?: boolean }) => {
    if (m.cpu) process.send?.({ cpu: process.cpuUsage() });
    if (m.gc) {
      (globalThis as { gc?: () => void }).gc?.();
      setTimeout(() => process.send?.({ rss: process.memoryUsage().rss, conns: server.registry.findProxyOrThrow('bench').links.size }), 200);
    }
  });
  process.send?.({ port: Number(p.listen.split(':')[1]), rss: process.memoryUsage().rss });
}

function runLoad(spec: RunSpec): Promise<RunResult> {
  return new Promise((resolve) => {
    const small = Buffer.alloc(64, 0x61);
    const big = Buffer.alloc(64 * 1024, 0x62);
    const res: RunResult = { bytes: 0, msgs: 0, seconds: 0, rtts: [] };
    const sockets: net.Socket[] = [];
    let measuring = false;
    let stopped = false;
    let connected = 0;
    let t0 = 0;
    const start = (): void => {
      // warm-up of 10% of the duration, then measure
      setTimeout(() => {
        measuring = true;
        t0 = performance.now();
        setTimeout(() => {
          stopped = true;
          res.seconds = (performance.now() - t0) / 1000;
          for (const s of sockets) s.destroy();
          resolve(res);
        }, spec.durationMs);
      }, Math.max(100, spec.durationMs / 10));
    };
    for (let i = 0; i < spec.conns; i++) {
      const s = net.connect({ port: spec.port, host: '127.0.0.1', noDelay: true });
      sockets.push(s);
      s.on('error', () => undefined);
      s.once('connect', () => {
        if (spec.mode === 'small') {
          let got = 0;
          let sentAt = performance.now();
          s.on('data', (d: Buffer) => {
            got += d.length;
            if (measuring && !stopped) res.bytes += d.length;
            while (got >= 64) {
              got -= 64;
              if (measuring && !stopped) {
                res.msgs++;
                if (res.rtts.length < 500_000) res.rtts.push(performance.now() - sentAt);
              }
              if (!stopped) {
                sentAt = performance.now();
                s.write(small);
              }
            }
          });
          s.write(small);
        } else {
          s.on('data', (d: Buffer) => {
            if (measuring && !stopped) res.bytes += d.length;
          });
          const pump = (): void => {
            while (!stopped && s.write(big));
            if (!stopped) s.once('drain', pump);
          };
          pump();
        }
        if (++connected === spec.conns) start();
      });
    }
  });
}

async function clientRole(): Promise<void> {
  process.on('message', async (m: { run?: RunSpec; idle?: { port: number; conns: number }; close?: boolean }) => {
    if (m.run) {
      const c0 = process.cpuUsage();
      const r = await runLoad(m.run);
      const c = process.cpuUsage(c0);
      process.send?.({ ...r, clientCpuMs: (c.user + c.system) / 1000 });
    }
    if (m.idle) {
      const held: net.Socket[] = [];
      for (let i = 0; i < m.idle.conns; i++) {
        const s = net.connect({ port: m.idle.port, host: '127.0.0.1' });
        s.on('error', () => undefined);
        held.push(s);
        await once(s, 'connect');
      }
      (globalThis as { held?: net.Socket[] }).held = held;
      process.send?.({ idle: held.length });
    }
    if (m.close) {
      for (const s of (globalThis as { held?: net.Socket[] }).held ?? []) s.destroy();
      process.send?.({ closed: true });
    }
  });
  process.send?.({ ready: true });
}

// ── orchestrator ─────────────────────────────────────────────────────────────

function child(role: string, args: string[] = [], execArgv: string[] = []): ChildProcess {
  return fork(SELF, [`--role=${role}`, ...args], { execArgv: [...process.execArgv, ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function ask<T>(c: ChildProcess, msg?: unknown): Promise<T> {
  const p = once(c, 'message').then(([m]) => m as T);
  if (msg !== undefined) c.send(msg as object);
  return p;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number);
};

async function createOther(api: string, upstream: string): Promise<{ port: number; remove(): Promise<void> }> {
  const base = api.startsWith('http') ? api : `http://${api}`;
  const name = `faultline-bench-${process.pid}`;
  const res = await fetch(`${base}/proxies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, listen: '127.0.0.1:0', upstream }) });
  if (res.status !== 201) throw new Error(`--other ${api}: POST /proxies answered ${res.status} ${await res.text()}`);
  const j = (await res.json()) as { listen: string };
  return { port: Number(j.listen.split(':').pop()), remove: async () => void (await fetch(`${base}/proxies/${name}`, { method: 'DELETE' })) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const quick = argv.includes('--quick');
  const rounds = Number(flag('--rounds') ?? (quick ? 1 : 3));
  const durationMs = Number(flag('--duration') ?? (quick ? 700 : 2000));
  const idleConns = quick ? 500 : 2000;
  const other = flag('--other');

  const upstream = child('upstream');
  const { port: upPort } = await ask<{ port: number }>(upstream);
  const upAddr = `127.0.0.1:${upPort}`;
  const proxy = child('proxy', [upAddr], ['--expose-gc']);
  const { port: proxyPort } = await ask<{ port: number }>(proxy);
  const client = child('client');
  await ask(client);
  const otherProxy = other ? await createOther(other, upAddr) : undefined;

  const targets: Array<[string, number]> = [['direct', upPort], ['faultline', proxyPort]];
  if (otherProxy) targets.push([`other(${other})`, otherProxy.port]);
  const scenarios: Array<[Mode, number]> = [
    ['small', 1],
    ['small', 64],
    ['small', 1024],
    ['stream', 1],
    ['stream', 64],
    ['stream', 1024],
  ];
  const results = new Map<string, RunResult[]>();
  for (let r = 0; r < rounds; r++) {
    for (const [mode, conns] of scenarios) {
      for (const [name, port] of targets) {
        const [u0, p0] = [await ask<Cpu>(upstream, { cpu: true }), await ask<Cpu>(proxy, { cpu: true })];
        const res = await ask<RunResult>(client, { run: { port, mode, conns, durationMs } });
        const [u1, p1] = [await ask<Cpu>(upstream, { cpu: true }), await ask<Cpu>(proxy, { cpu: true })];
        res.upstreamCpuMs = cpuMs(u0.cpu, u1.cpu);
        res.proxyCpuMs = cpuMs(p0.cpu, p1.cpu);
        const key = `${mode}|${conns}|${name}`;
        results.set(key, [...(results.get(key) ?? []), res]);
        process.stderr.write(`round ${r + 1}/${rounds} ${mode} x${conns} ${name}: ${(res.bytes / res.seconds / 1e6).toFixed(1)} MB/s\n`);
      }
    }
  }

  // memory per idle connection through the faultline proxy
  const before = await ask<{ rss: number }>(proxy, { gc: true });
  await ask(client, { idle: { port: proxyPort, conns: idleConns } });
  const after = await ask<{ rss: number; conns: number }>(proxy, { gc: true });
  await ask(client, { close: true });
  const perConn = (after.rss - before.rss) / idleConns;

  const mbps = (rs: RunResult[]): number => median(rs.map((r) => r.bytes / r.seconds / 1e6));
  const cpu = os.cpus();
  const out: string[] = [];
  out.push(`# faultline proxy benchmark`);
  out.push(`machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}`);
  out.push(`node ${process.version}; ${rounds} interleaved round(s) × ${durationMs} ms per run (+10% warm-up); upstream, proxy and client in separate processes`);
  out.push('');
  out.push(`| scenario | conns | ${targets.map(([n]) => `${n} MB/s`).join(' | ')} | ${targets.slice(1).map(([n]) => `${n}/direct`).join(' | ')} |`);
  out.push(`|---|---|${targets.map(() => '---').join('|')}|${targets.slice(1).map(() => '---').join('|')}|`);
  for (const [mode, conns] of scenarios) {
    const vals = targets.map(([n]) => mbps(results.get(`${mode}|${conns}|${n}`) ?? []));
    const label = mode === 'small' ? '64 B req/resp' : '64 KiB stream';
    out.push(`| ${label} | ${conns} | ${vals.map((v) => v.toFixed(1)).join(' | ')} | ${vals.slice(1).map((v) => (v / (vals[0] as number)).toFixed(2) + '×').join(' | ')} |`);
  }
  out.push('');
  const lat = (name: string, conns: number): number[] => (results.get(`small|${conns}|${name}`) ?? []).flatMap((r) => r.rtts);
  for (const conns of [1, 64]) {
    const d = lat('direct', conns);
    out.push(`small request/response round trip at ${conns} connection(s): direct median ${(median(d) * 1000).toFixed(0)} µs, p99 ${(pct(d, 0.99) * 1000).toFixed(0)} µs`);
    for (const [name] of targets.slice(1)) {
      const x = lat(name, conns);
      out.push(`  ${name}: median ${(median(x) * 1000).toFixed(0)} µs (added ${((median(x) - median(d)) * 1000).toFixed(0)} µs), p99 ${(pct(x, 0.99) * 1000).toFixed(0)} µs (added ${((pct(x, 0.99) - pct(d, 0.99)) * 1000).toFixed(0)} µs)`);
    }
  }
  out.push('');
  out.push('CPU per run (median ms; the machine has ' + cpu.length + ' cores, a run lasts ' + (durationMs * 1.1).toFixed(0) + ' ms):');
  for (const [mode, conns] of scenarios) {
    const row = targets.map(([n]) => {
      const rs = results.get(`${mode}|${conns}|${n}`) ?? [];
      const m = (f: (r: RunResult) => number | undefined): string => median(rs.map((r) => f(r) ?? NaN)).toFixed(0);
      return `${n}: client ${m((r) => r.clientCpuMs)} + upstream ${m((r) => r.upstreamCpuMs)}${n === 'faultline' ? ` + proxy ${m((r) => r.proxyCpuMs)}` : ''}`;
    });
    out.push(`  ${mode} x${conns}: ${row.join('; ')}`);
  }
  out.push(`faultline proxy memory: ${(perConn / 1024).toFixed(1)} KiB RSS per idle client connection (${idleConns} connections, ${after.conns} links, RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB)`);
  const s64 = results.get('stream|64|faultline') ?? [];
  const d64 = results.get('stream|64|direct') ?? [];
  const ratio = mbps(s64) / mbps(d64);
  const added = (median(lat('faultline', 1)) - median(lat('direct', 1))) * 1000;
  out.push('');
  out.push(`goals: throughput at 64 conns × 64 KiB ≥ 0.6× direct: ${ratio.toFixed(2)}× ${ratio >= 0.6 ? 'MET' : 'NOT MET'}; added median latency ≤ 150 µs: ${added.toFixed(0)} µs ${added <= 150 ? 'MET' : 'NOT MET'}`);
  process.stdout.write(out.join('\n') + '\n');

  await otherProxy?.remove();
  for (const c of [client, proxy, upstream]) c.kill();
}

const role = process.argv.find((a) => a.startsWith('--role='))?.slice(7);
if (role === 'upstream') await upstreamRole();
else if (role === 'proxy') await proxyRole(process.argv[process.argv.indexOf('--role=proxy') + 1] as string);
else if (role === 'client') await clientRole();
else await main();
