/**
 * Proxy benchmark: the faultline proxy (no toxic) against a direct loopback connection to the same upstream and
 * against a bare Node pipe() proxy (the peer), optionally also against another Toxiproxy-compatible server
 * (--other API_ADDR), in ONE run with interleaved rounds.
 *
 *   npx tsx bench/proxy.ts [--peer pipe|none] [--other 127.0.0.1:8475] [--quick] [--rounds N] [--duration MS]
 *                          [--quiet-wait MS] [--json FILE]
 *
 * Method: every role runs in its own child process (child_process.fork): the upstream echo server, the faultline
 * proxy, the bare pipe proxy (`client.pipe(upstream); upstream.pipe(client)`, nothing else) and the load-generating
 * client, so each proxy's CPU and memory are its own; this process only orchestrates. Each round runs every scenario
 * against each target in turn (direct, pipe, faultline, other; the order rotates every round); figures are the
 * median over rounds. Throughput = bytes the client received per second (the echo of what it sent).
 *   small: 64 B request → 64 B response ping-pong per connection (a request waits for its response)
 *   stream: 64 KiB writes streamed continuously per connection (backpressure-bound), echoed back
 * Added latency = median/p99 round trip of `small` through the target minus direct.
 * CPU = user+system time of the client, the upstream and the proxy in the middle over the whole run (connect,
 * warm-up, measurement), also per MB the client received over the whole run. With 2 cores, a proxied run has three
 * busy processes where a direct one has two: the CPU figures show who pays.
 * Memory = proxy RSS growth per idle client connection held open through it (two sockets each), measured in a fresh
 * proxy process after forcing GC (--expose-gc), median of several repetitions (first-use costs included), and the
 * JS heap growth per connection.
 * The faultline proxy runs as tsc compiles it (src/inject/proxy compiled with tsconfig.json's options into
 * node_modules/.cache/faultline-bench-proxy/), not through tsx: tsx's esbuild keeps function names by redefining
 * `name` on every named closure, which puts each one in dictionary mode (≈1.5 KiB more heap per connection).
 * Other processes on the machine skew every figure: before each run the bench waits (up to --quiet-wait, 30 s by
 * default) until the machine is quiet, and reports the CPU other processes used during the runs (Linux /proc/stat) as `others`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
  /** bytes received during the measured window */
  bytes: number;
  /** bytes received over the whole run (warm-up included): the denominator of CPU per MB */
  totalBytes: number;
  msgs: number;
  seconds: number;
  rtts: number[];
  /** CPU ms used during the whole run by the client, the upstream and the proxy in the middle (if it is ours) */
  clientCpuMs?: number;
  upstreamCpuMs?: number;
  proxyCpuMs?: number;
  /** CPU ms every other process on the machine used during the run (NaN where /proc/stat is missing) */
  othersCpuMs?: number;
}

type Cpu = { cpu: NodeJS.CpuUsage };
type Mem = { rss: number; heapUsed: number; conns: number };
const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => (b.user - a.user + b.system - a.system) / 1000;

// ── child roles ──────────────────────────────────────────────────────────────

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** answers the orchestrator's cpu and memory questions for a middle (proxy) process */
function serveStats(conns: () => number): void {
  process.on('message', (m: { gc?: boolean; cpu?: boolean }) => {
    if (m.cpu) process.send?.({ cpu: process.cpuUsage() });
    if (m.gc) {
      gc();
      setTimeout(() => {
        gc();
        setTimeout(() => {
          const { rss, heapUsed } = process.memoryUsage();
          process.send?.({ rss, heapUsed, conns: conns() } satisfies Mem);
        }, 100);
      }, 200);
    }
  });
}

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

async function proxyRole(upstream: string, compiled: string): Promise<void> {
  const { createProxyServer } = (await import(compiled)) as typeof import('../src/inject/proxy/index.js');
  const server = createProxyServer({ port: 0, seed: 1 });
  await server.listen();
  const p = await server.registry.createProxy({ name: 'bench', listen: '127.0.0.1:0', upstream });
  serveStats(() => server.registry.findProxyOrThrow('bench').links.size);
  process.send?.({ port: Number(p.listen.split(':')[1]) });
}

/** the peer: a bare Node pipe() proxy, nothing else (error handlers only so a reset does not crash it) */
async function pipeRole(upstream: string): Promise<void> {
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  let open = 0;
  const server = net.createServer((client) => {
    const up = net.connect(port, host);
    open++;
    client.once('close', () => open--);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    client.pipe(up);
    up.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  serveStats(() => open);
  process.send?.({ port: (server.address() as AddressInfo).port });
}

function runLoad(spec: RunSpec): Promise<RunResult> {
  return new Promise((resolve) => {
    const small = Buffer.alloc(64, 0x61);
    const big = Buffer.alloc(64 * 1024, 0x62);
    const res: RunResult = { bytes: 0, totalBytes: 0, msgs: 0, seconds: 0, rtts: [] };
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
            if (!stopped) res.totalBytes += d.length;
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
            if (!stopped) res.totalBytes += d.length;
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
  let held: net.Socket[] = [];
  process.on('message', async (m: { run?: RunSpec; idle?: { port: number; conns: number }; close?: boolean }) => {
    if (m.run) {
      const c0 = process.cpuUsage();
      const r = await runLoad(m.run);
      const c = process.cpuUsage(c0);
      process.send?.({ ...r, clientCpuMs: (c.user + c.system) / 1000 });
    }
    if (m.idle) {
      for (let i = 0; i < m.idle.conns; i++) {
        const s = net.connect({ port: m.idle.port, host: '127.0.0.1' });
        s.on('error', () => undefined);
        held.push(s);
        await once(s, 'connect');
      }
      process.send?.({ idle: held.length });
    }
    if (m.close) {
      for (const s of held) s.destroy();
      held = [];
      process.send?.({ closed: true });
    }
  });
  process.send?.({ ready: true });
}

// ── orchestrator ─────────────────────────────────────────────────────────────

/** compiles src/inject/proxy (and what it imports) with tsconfig.json's options; returns the index module's URL */
async function compileProxy(): Promise<string> {
  const { default: ts } = await import('typescript');
  const root = path.resolve(path.dirname(SELF), '..');
  const outDir = path.join(root, 'node_modules', '.cache', 'faultline-bench-proxy');
  const cfg = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), { outDir, declaration: false, sourceMap: false, noEmitOnError: false }, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!cfg) throw new Error('tsconfig.json: could not read it');
  const entry = path.join(root, 'src', 'inject', 'proxy', 'index.ts');
  const program = ts.createProgram([entry], cfg.options);
  const emitted = program.emit();
  if (emitted.emitSkipped) throw new Error('compiling src/inject/proxy emitted nothing');
  writeFileSync(path.join(outDir, 'package.json'), '{"type":"module"}\n');
  return new URL(`file://${path.join(outDir, 'inject', 'proxy', 'index.js')}`).href;
}

/** busy and total CPU ms of the whole machine so far (Linux), undefined elsewhere */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal; USER_HZ is 100 on Linux
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy: busy * 10, total: (busy + idle + iowait) * 10 };
  } catch {
    return undefined;
  }
}

/** waits (at most maxMs) until the machine's busy CPU over 500 ms is below `share` of one core; returns the ms waited */
async function waitQuiet(share: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const a = machineCpu();
    await new Promise((r) => setTimeout(r, 500));
    const b = machineCpu();
    if (!a || !b || (b.busy - a.busy) / 500 < share || performance.now() - t0 > maxMs) return performance.now() - t0 - 500;
  }
}

function child(role: string, args: string[] = [], execArgv: string[] = []): ChildProcess {
  return fork(SELF, [`--role=${role}`, ...args], { execArgv: [...process.execArgv, ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function ask<T>(c: ChildProcess, msg?: unknown): Promise<T> {
  const p = once(c, 'message').then(([m]) => m as T);
  if (msg !== undefined) c.send(msg as object);
  return p;
}

/** a proxy process in the middle: faultline's or the bare pipe peer */
async function middle(role: 'proxy' | 'pipe', upAddr: string, compiled: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = child(role, [upAddr, compiled], ['--expose-gc']);
  const { port } = await ask<{ port: number }>(proc);
  return { proc, port };
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

/**
 * RSS growth per idle connection, in a fresh proxy process per repetition: GC → RSS, hold `conns` connections
 * open through it, GC → RSS; the median over `reps`.
 */
async function memoryPerConn(role: 'proxy' | 'pipe', upAddr: string, compiled: string, client: ChildProcess, conns: number, reps: number): Promise<{ perConn: number; samples: number[]; heapPerConn: number; links: number }> {
  const samples: number[] = [];
  const heap: number[] = [];
  let links = 0;
  for (let i = 0; i < reps; i++) {
    // no warm-up round: RSS freed by closing connections is reused, not returned, so growth after one is erratic
    const { proc, port } = await middle(role, upAddr, compiled);
    const before = await ask<Mem>(proc, { gc: true });
    await ask(client, { idle: { port, conns } });
    let after = await ask<Mem>(proc, { gc: true });
    for (let tries = 0; after.conns < conns && tries < 20; tries++) after = await ask<Mem>(proc, { gc: true });
    links = after.conns;
    samples.push((after.rss - before.rss) / conns);
    heap.push((after.heapUsed - before.heapUsed) / conns);
    await ask(client, { close: true });
    proc.kill();
    await once(proc, 'exit');
  }
  return { perConn: median(samples), samples, heapPerConn: median(heap), links };
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
  const memReps = quick ? 1 : 3;
  const other = flag('--other');
  const peer = flag('--peer') ?? 'pipe';
  if (peer !== 'pipe' && peer !== 'none') throw new Error(`--peer: expected pipe or none, got ${peer}`);
  const jsonOut = flag('--json');
  const quietWaitMs = Number(flag('--quiet-wait') ?? 30_000);

  const compiled = await compileProxy();
  const upstream = child('upstream');
  const { port: upPort } = await ask<{ port: number }>(upstream);
  const upAddr = `127.0.0.1:${upPort}`;
  const fl = await middle('proxy', upAddr, compiled);
  const pipe = peer === 'pipe' ? await middle('pipe', upAddr, compiled) : undefined;
  const client = child('client');
  await ask(client);
  const otherProxy = other ? await createOther(other, upAddr) : undefined;

  interface Target {
    name: string;
    port: number;
    proc?: ChildProcess;
  }
  const targets: Target[] = [{ name: 'direct', port: upPort }];
  if (pipe) targets.push({ name: 'pipe', port: pipe.port, proc: pipe.proc });
  targets.push({ name: 'faultline', port: fl.port, proc: fl.proc });
  if (otherProxy) targets.push({ name: `other(${other})`, port: otherProxy.port });
  const scenarios: Array<[Mode, number]> = [
    ['small', 1],
    ['small', 64],
    ['small', 1024],
    ['stream', 1],
    ['stream', 64],
    ['stream', 1024],
  ];
  const results = new Map<string, RunResult[]>();
  let waitedMs = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [mode, conns] of scenarios) {
      // rotate the order every round so no target always runs first (or right after a heavy one)
      const order = targets.map((_, i) => targets[(i + r) % targets.length] as Target);
      for (const t of order) {
        waitedMs += await waitQuiet(0.15, quietWaitMs);
        const u0 = await ask<Cpu>(upstream, { cpu: true });
        const p0 = t.proc ? await ask<Cpu>(t.proc, { cpu: true }) : undefined;
        const m0 = machineCpu();
        const res = await ask<RunResult>(client, { run: { port: t.port, mode, conns, durationMs } });
        const m1 = machineCpu();
        const u1 = await ask<Cpu>(upstream, { cpu: true });
        const p1 = t.proc ? await ask<Cpu>(t.proc, { cpu: true }) : undefined;
        res.upstreamCpuMs = cpuMs(u0.cpu, u1.cpu);
        if (p0 && p1) res.proxyCpuMs = cpuMs(p0.cpu, p1.cpu);
        const ours = (res.clientCpuMs ?? 0) + res.upstreamCpuMs + (res.proxyCpuMs ?? 0);
        res.othersCpuMs = m0 && m1 ? Math.max(0, m1.busy - m0.busy - ours) : NaN;
        const key = `${mode}|${conns}|${t.name}`;
        results.set(key, [...(results.get(key) ?? []), res]);
        process.stderr.write(`round ${r + 1}/${rounds} ${mode} x${conns} ${t.name}: ${(res.bytes / res.seconds / 1e6).toFixed(1)} MB/s\n`);
      }
    }
  }
  fl.proc.kill();
  pipe?.proc.kill();

  // memory per idle connection, each proxy in fresh processes
  const memFl = await memoryPerConn('proxy', upAddr, compiled, client, idleConns, memReps);
  const memPipe = pipe ? await memoryPerConn('pipe', upAddr, compiled, client, idleConns, memReps) : undefined;

  const get = (mode: Mode, conns: number, name: string): RunResult[] => results.get(`${mode}|${conns}|${name}`) ?? [];
  const mbps = (rs: RunResult[]): number => median(rs.map((r) => r.bytes / r.seconds / 1e6));
  const names = targets.map((t) => t.name);
  const proxied = names.slice(1);
  const cpu = os.cpus();
  const out: string[] = [];
  const summary: Record<string, unknown> = { node: process.version, cores: cpu.length, rounds, durationMs, scenarios: {} as Record<string, unknown> };
  out.push(`# faultline proxy benchmark`);
  out.push(`machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}`);
  out.push(`node ${process.version}; ${rounds} interleaved round(s) × ${durationMs} ms per run (+10% warm-up); upstream, each proxy and client in separate processes; waited ${(waitedMs / 1000).toFixed(1)} s in total for a quiet machine`);
  out.push('');
  const ratioCols: Array<[string, string]> = proxied.map((n) => [n, 'direct']);
  if (pipe) ratioCols.push(['faultline', 'pipe']);
  out.push(`| scenario | conns | ${names.map((n) => `${n} MB/s`).join(' | ')} | ${ratioCols.map(([a, b]) => `${a}/${b}`).join(' | ')} |`);
  out.push(`|---|---|${names.map(() => '---').join('|')}|${ratioCols.map(() => '---').join('|')}|`);
  for (const [mode, conns] of scenarios) {
    const v = new Map(names.map((n) => [n, mbps(get(mode, conns, n))]));
    const ratio = (a: string, b: string): number => (v.get(a) as number) / (v.get(b) as number);
    const label = mode === 'small' ? '64 B req/resp' : '64 KiB stream';
    out.push(`| ${label} | ${conns} | ${names.map((n) => (v.get(n) as number).toFixed(1)).join(' | ')} | ${ratioCols.map(([a, b]) => ratio(a, b).toFixed(2) + '×').join(' | ')} |`);
    (summary.scenarios as Record<string, unknown>)[`${mode}x${conns}`] = { mbps: Object.fromEntries(v), ratios: Object.fromEntries(ratioCols.map(([a, b]) => [`${a}/${b}`, ratio(a, b)])) };
  }
  out.push('');
  const lat = (name: string, conns: number): number[] => get('small', conns, name).flatMap((r) => r.rtts);
  const latency: Record<string, unknown> = {};
  for (const conns of [1, 64]) {
    const d = lat('direct', conns);
    out.push(`small request/response round trip at ${conns} connection(s): direct median ${(median(d) * 1000).toFixed(0)} µs, p99 ${(pct(d, 0.99) * 1000).toFixed(0)} µs`);
    for (const name of proxied) {
      const x = lat(name, conns);
      const addP50 = (median(x) - median(d)) * 1000;
      const addP99 = (pct(x, 0.99) - pct(d, 0.99)) * 1000;
      latency[`${name}x${conns}`] = { p50Us: median(x) * 1000, p99Us: pct(x, 0.99) * 1000, addedP50Us: addP50, addedP99Us: addP99 };
      out.push(`  ${name}: median ${(median(x) * 1000).toFixed(0)} µs (added ${addP50.toFixed(0)} µs), p99 ${(pct(x, 0.99) * 1000).toFixed(0)} µs (added ${addP99.toFixed(0)} µs)`);
    }
  }
  summary.latency = latency;
  out.push('');
  out.push(`CPU per run: median ms over the whole run (${cpu.length} cores, a run lasts ≈${(durationMs * 1.1).toFixed(0)} ms + connect), and ms per MB received by the client:`);
  out.push(`| scenario | conns | target | client ms | upstream ms | proxy ms | total ms | client ms/MB | upstream ms/MB | proxy ms/MB | total ms/MB | others ms |`);
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const cpuRows: Record<string, unknown> = {};
  for (const [mode, conns] of scenarios) {
    for (const n of names) {
      const rs = get(mode, conns, n);
      const m = (f: (r: RunResult) => number | undefined): number => median(rs.map((r) => f(r) ?? NaN));
      const perMb = (f: (r: RunResult) => number | undefined): number => m((r) => (f(r) ?? NaN) / (r.totalBytes / 1e6));
      const total = (r: RunResult): number => (r.clientCpuMs ?? 0) + (r.upstreamCpuMs ?? 0) + (r.proxyCpuMs ?? 0);
      const fmt = (x: number, d = 0): string => (Number.isNaN(x) ? '–' : x.toFixed(d));
      const row = { client: m((r) => r.clientCpuMs), upstream: m((r) => r.upstreamCpuMs), proxy: m((r) => r.proxyCpuMs), total: m(total), clientPerMb: perMb((r) => r.clientCpuMs), upstreamPerMb: perMb((r) => r.upstreamCpuMs), proxyPerMb: perMb((r) => r.proxyCpuMs), totalPerMb: perMb(total), others: m((r) => r.othersCpuMs) };
      cpuRows[`${mode}x${conns}|${n}`] = row;
      out.push(`| ${mode} | ${conns} | ${n} | ${fmt(row.client)} | ${fmt(row.upstream)} | ${fmt(row.proxy)} | ${fmt(row.total)} | ${fmt(row.clientPerMb, 2)} | ${fmt(row.upstreamPerMb, 2)} | ${fmt(row.proxyPerMb, 2)} | ${fmt(row.totalPerMb, 2)} | ${fmt(row.others)} |`);
    }
  }
  summary.cpu = cpuRows;
  out.push('');
  const memLine = (label: string, m: { perConn: number; samples: number[]; heapPerConn: number; links: number }): string =>
    `${label} memory: ${(m.perConn / 1024).toFixed(1)} KiB RSS per idle client connection (median of ${m.samples.length} fresh processes × ${idleConns} connections after GC; samples ${m.samples.map((s) => (s / 1024).toFixed(1)).join(', ')} KiB; JS heap ${(m.heapPerConn / 1024).toFixed(1)} KiB per connection; ${m.links} connections seen)`;
  out.push(memLine('faultline', memFl));
  if (memPipe) out.push(memLine('pipe peer', memPipe));
  summary.memoryKiB = { faultline: memFl.perConn / 1024, pipe: memPipe ? memPipe.perConn / 1024 : undefined, faultlineHeap: memFl.heapPerConn / 1024, pipeHeap: memPipe ? memPipe.heapPerConn / 1024 : undefined };

  const s64 = mbps(get('stream', 64, 'faultline'));
  const d64 = mbps(get('stream', 64, 'direct'));
  const ratio = s64 / d64;
  const added = (median(lat('faultline', 1)) - median(lat('direct', 1))) * 1000;
  out.push('');
  out.push(`goals: throughput at 64 conns × 64 KiB ≥ 0.6× direct: ${ratio.toFixed(2)}× ${ratio >= 0.6 ? 'MET' : 'NOT MET'}; added median latency ≤ 150 µs: ${added.toFixed(0)} µs ${added <= 150 ? 'MET' : 'NOT MET'}`);
  if (pipe) {
    const p64 = mbps(get('stream', 64, 'pipe'));
    const vsPipe = s64 / p64;
    out.push(
      `peer: the bare pipe() proxy reaches ${(p64 / d64).toFixed(2)}× direct at 64 conns × 64 KiB; faultline/pipe = ${vsPipe.toFixed(3)}× ${vsPipe >= 0.95 ? 'MET' : 'NOT MET'} (≥ 0.95×)` +
        (p64 / d64 < 0.6 ? ' — no proxy reaches 0.6× here, so faultline ≈ pipe is the attainable target on this machine' : ''),
    );
  }
  process.stdout.write(out.join('\n') + '\n');
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(summary, null, 2) + '\n');

  await otherProxy?.remove();
  for (const c of [client, upstream]) c.kill();
}

const role = process.argv.find((a) => a.startsWith('--role='))?.slice(7);
const roleAt = process.argv.findIndex((a) => a.startsWith('--role='));
const roleArg = process.argv[roleAt + 1] as string;
if (role === 'upstream') await upstreamRole();
else if (role === 'proxy') await proxyRole(roleArg, process.argv[roleAt + 2] as string);
else if (role === 'pipe') await pipeRole(roleArg);
else if (role === 'client') await clientRole();
else await main();
