/**
 * Cost of the idle in-process agent: requests/s of a small HTTP server whose handler calls an
 * instrumented exported function per request, started with `--import dist/inject/agent/register.js`
 * and without. Both servers run side by side; a keep-alive load generator in its own process loads
 * one at a time, in interleaved rounds (A B, B A, …); the ratio of the medians is printed, together
 * with the server's CPU time per request (from /proc/<pid>/stat), which background load on a shared
 * machine disturbs far less than wall-clock throughput. A last part times the wrapper itself in
 * process: an idle wrapped call against a direct call.
 *
 * Run: npx tsc -p tsconfig.json && npx tsx bench/agent.ts [--rounds 6] [--seconds 3] [--connections 16] [--pin]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../src/inject/agent/client.js';
import { AgentRuntime } from '../src/inject/agent/runtime.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const REGISTER = join(REPO, 'dist/inject/agent/register.js');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const ROUNDS = arg('rounds', 6);
const SECONDS = arg('seconds', 3);
const CONNECTIONS = arg('connections', 16);
/** --pin (taskset, 2+ CPUs): servers on CPU 1, the load generator on CPU 0; helps on a quiet machine, hurts on a busy one */
const PIN = process.argv.includes('--pin') && existsSync('/usr/bin/taskset') && os.cpus().length >= 2;
const pinned = (cpu: number, args: string[]): [string, string[]] => (PIN ? ['/usr/bin/taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args]);

const APP = `
import http from 'node:http';
export function priceOf(item, qty) {
  let h = 0;
  for (let i = 0; i < item.length; i++) h = (h * 31 + item.charCodeAt(i)) | 0;
  return { item, qty, total: ((h >>> 0) % 100) * qty };
}
const server = http.createServer((req, res) => {
  const body = JSON.stringify(priceOf(req.url, 2));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`;

const LOADGEN = `
import http from 'node:http';
const [port, connections, seconds, warmup] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let done = 0;
let counting = false;
let stop = false;
function one() {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/item-' + (done % 100), agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
}
let all = 0;
async function worker() {
  while (!stop) {
    await one();
    all++;
    if (counting) done++;
  }
}
const workers = Array.from({ length: connections }, worker);
await new Promise((r) => setTimeout(r, warmup * 1000));
counting = true;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
counting = false;
const elapsed = (performance.now() - t0) / 1000;
const requests = done;
stop = true;

await Promise.all(workers);
agent.destroy();
process.stdout.write(JSON.stringify({ requests, all, seconds: elapsed, rps: requests / elapsed }) + '\\n');
`;

function startServer(dir: string, withAgent: boolean): Promise<{ child: ChildProcess; port: number; stateDir: string }> {
  const stateDir = mkdtempSync(join(dir, withAgent ? 'with-' : 'without-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTLINE_STATE_DIR: stateDir };
  delete env.NODE_OPTIONS;
  const [cmd, args] = pinned(1, [...(withAgent ? ['--import', REGISTER] : []), join(dir, 'app.mjs')]);
  const child = spawn(cmd, args, { cwd: stateDir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) res({ child, port: (JSON.parse(out) as { port: number }).port, stateDir });
    });
    child.once('exit', (code) => rej(new Error(`server exited with ${code}`)));
  });
}

/** user + system CPU time of a process, in ms (Linux) */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

interface Load {
  rps: number;
  /** server CPU µs per request, warm-up included */
  cpuUsPerReq: number;
}

function load(dir: string, server: { child: ChildProcess; port: number }, warmupS: number): Promise<Load> {
  const pid = server.child.pid as number;
  const port = server.port;
  const cpu0 = cpuMs(pid);
  return new Promise((res, rej) => {
    const [cmd, args] = pinned(0, [join(dir, 'loadgen.mjs'), String(port), String(CONNECTIONS), String(SECONDS), String(warmupS)]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return rej(new Error(`load generator exited with ${code}`));
      const r = JSON.parse(out) as { rps: number; all: number };
      res({ rps: r.rps, cpuUsPerReq: ((cpuMs(pid) - cpu0) * 1000) / r.all });
    });
  });
}

/** ns per call of a direct call and of an idle wrapped call (best of 5 runs each, interleaved). */
function wrapperCost(): { direct: number; wrapped: number; calls: number } {
  const calls = 20_000_000;
  const rt = new AgentRuntime({ log: () => undefined });
  function priceOf(item: string, qty: number): number {
    return item.length * qty;
  }
  const wrapped = rt.wrap(priceOf, 'file:///bench/app.mjs', ['priceOf'], 'esm') as typeof priceOf;
  const time = (fn: typeof priceOf): number => {
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += fn('item', i & 7);
    const ns = Number(process.hrtime.bigint() - t0) / calls;
    if (sink === -1) process.stdout.write('');
    return ns;
  };
  let direct = Infinity;
  let wrappedNs = Infinity;
  for (let i = 0; i < 5; i++) {
    direct = Math.min(direct, time(priceOf));
    wrappedNs = Math.min(wrappedNs, time(wrapped));
  }
  return { direct, wrapped: wrappedNs, calls };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  if (!existsSync(REGISTER)) throw new Error(`${REGISTER} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const dir = mkdtempSync(join(os.tmpdir(), 'fl-bench-agent-'));
  writeFileSync(join(dir, 'app.mjs'), APP);
  writeFileSync(join(dir, 'loadgen.mjs'), LOADGEN);
  const servers: ChildProcess[] = [];
  try {
    const without = await startServer(dir, false);
    servers.push(without.child);
    const withAgent = await startServer(dir, true);
    servers.push(withAgent.child);
    // the agent is really there, and priceOf really goes through its wrapper
    const announced = await (async () => {
      for (let i = 0; i < 100; i++) {
        const agents = await AgentClient.list(withAgent.stateDir);
        if (agents[0]?.reachable) return agents[0];
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the agent did not announce itself');
    })();
    const fns = await AgentClient.fromAnnouncement(announced).functions();
    if (!fns.functions.some((f) => f.names.includes('priceOf'))) throw new Error('priceOf is not instrumented');
    const rps = { without: [] as number[], with: [] as number[] };
    const cpuPerReq = { without: [] as number[], with: [] as number[] };
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
      const round: Record<string, Load> = {};
      for (const which of order) {
        const l = await load(dir, which === 'with' ? withAgent : without, r === 0 ? 1.5 : 0.5);
        round[which] = l;
        rps[which].push(l.rps);
        cpuPerReq[which].push(l.cpuUsPerReq);
      }
      const w = round.with as Load;
      const wo = round.without as Load;
      ratios.push(w.rps / wo.rps);
      process.stdout.write(
        `round ${r + 1}/${ROUNDS} (${order.join(' → ')}): without ${wo.rps.toFixed(0)} req/s ${wo.cpuUsPerReq.toFixed(1)} µs CPU/req, with agent ${w.rps.toFixed(0)} req/s ${w.cpuUsPerReq.toFixed(1)} µs CPU/req, ratio ${(ratios[r] as number).toFixed(3)}\n`,
      );
    }
    const ratio = median(rps.with) / median(rps.without);
    const cpuRatio = median(cpuPerReq.without) / median(cpuPerReq.with);
    const call = wrapperCost();
    const cpu = os.cpus();
    process.stdout.write(
      [
        '',
        `idle agent cost — requests/s with the agent / without: ${ratio.toFixed(3)} (goal ≥ 0.98; median of per-round ratios ${median(ratios).toFixed(3)})`,
        `  without agent: median ${median(rps.without).toFixed(0)} req/s  [${rps.without.map((x) => x.toFixed(0)).join(', ')}]`,
        `  with agent:    median ${median(rps.with).toFixed(0)} req/s  [${rps.with.map((x) => x.toFixed(0)).join(', ')}]`,
        `  server CPU per request, without / with: ${cpuRatio.toFixed(3)} (median ${median(cpuPerReq.without).toFixed(1)} µs vs ${median(cpuPerReq.with).toFixed(1)} µs; 1.000 = no cost)`,
        `  in process: direct call ${call.direct.toFixed(2)} ns, idle wrapped call ${call.wrapped.toFixed(2)} ns (${(call.wrapped - call.direct).toFixed(2)} ns per call; ${call.calls / 1e6}M calls, best of 5)`,
        `machine: ${cpu[0]?.model ?? '?'} × ${cpu.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; node ${process.version}`,
        `method: two servers (node:http, handler calls the exported priceOf per request; one started with --import ${REGISTER.replace(`${REPO}/`, '')}), ` +
          `a keep-alive load generator in a separate process (${CONNECTIONS} connections, ${SECONDS}s measured after a warm-up), ${ROUNDS} interleaved rounds, no fault active` +
          `${PIN ? '; servers pinned to CPU 1, load generator to CPU 0 (taskset)' : ''}.`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const s of servers) s.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
