/**
 * Cost of the idle in-process agent: requests/s and CPU time per request of a small HTTP server whose handler
 * calls an instrumented exported function per request, started with `--import dist/inject/agent/register.js`
 * (B) and without (A), next to an A/A control: a second server without the agent (A′) measured the same way, so
 * the noise floor is printed beside the figure.
 *
 * Method: the three servers are started once and kept warm (or, with --restart, started anew every round); one
 * load generator in its own process, alive for the whole run, with a fixed number of keep-alive TCP connections
 * per server (raw HTTP/1.1 over net.Socket, one request in flight per connection, so the server is the
 * bottleneck). A round gives every server two slots of --slot seconds in palindromic order (XYZ ZYX: the
 * three-server form of ABBA/BAAB; rotated and mirrored from round to round, so no server always comes first or
 * right after another), each slot preceded by --prime ms of unmeasured load on the same server; warm-up rounds
 * are discarded. Figures: the median of the per-round ratios with a bootstrap 95 % confidence interval (rounds
 * resampled, seeded), and each server's CPU time per request from /proc/<pid>/stat (utime + stime) over all
 * measured slots, with a bootstrap interval of the ratio.
 *
 * Run: npx tsc -p tsconfig.json && npx tsx bench/agent.ts [--rounds 30] [--warmup 3] [--slot 0.4] [--prime 100]
 *        [--connections 8] [--seed 1] [--restart] [--pin] [--agent-import FILE]
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, type Rng } from '../src/core/rng.js';
import { AgentClient } from '../src/inject/agent/client.js';
import { AgentRuntime } from '../src/inject/agent/runtime.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const AGENT_IMPORT_AT = process.argv.indexOf('--agent-import');
/** --agent-import FILE: what B imports instead of the agent (to find where a cost comes from, e.g. a copy with a step left out) */
const REGISTER = AGENT_IMPORT_AT > 0 ? resolve(process.argv[AGENT_IMPORT_AT + 1] as string) : join(REPO, 'dist/inject/agent/register.js');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
/**
 * Servers are started anew for every generation: a process has a speed of its own (±2–4 % here, fixed for its
 * lifetime, even with ASLR off and fixed V8 seeds), which rounds with the same processes cannot average out.
 */
const GENERATIONS = arg('generations', 12);
const ROUNDS = arg('rounds', 3);
/** load on each new server before its first round (JIT warm-up), not measured */
const WARMUP_MS = arg('warmup-ms', 1000);
const SLOT_S = arg('slot', 0.4);
/** load put on a server right before each of its slots, not measured: every slot starts on a hot server, whatever ran before */
const PRIME_MS = arg('prime', 100);
const CONNECTIONS = arg('connections', 8);
const SEED = arg('seed', 1);
/** --pin (taskset, 2+ CPUs): servers on CPU 1, the load generator on CPU 0 */
const PIN = process.argv.includes('--pin') && existsSync('/usr/bin/taskset') && os.cpus().length >= 2;
const BOOTSTRAP = 10_000;
const CLK_TCK = 100;

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
server.keepAliveTimeout = 600_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`;

/**
 * The load generator: keeps CONNECTIONS raw keep-alive sockets per port; on {port, ms} it drives them (one request
 * in flight per socket) for ms and answers {responses, errors, elapsedMs} once every socket is idle again.
 */
const LOADGEN = `
import net from 'node:net';
const CONNECTIONS = Number(process.argv[2]);
const requests = Array.from({ length: 100 }, (_, i) => Buffer.from('GET /item-' + i + ' HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n', 'latin1'));
const pools = new Map();
let run;
function open(port) {
  const c = { s: net.connect(port, '127.0.0.1'), pending: '', busy: false, i: 0 };
  c.s.setNoDelay(true);
  c.ready = new Promise((res, rej) => { c.s.once('connect', res); c.s.once('error', rej); });
  c.s.on('error', () => {});
  c.s.on('close', () => { if (pools.get(port)?.includes(c)) pools.delete(port); if (c.busy) { c.busy = false; run.errors++; maybeDone(); } });
  c.s.on('data', (chunk) => {
    c.pending += chunk.toString('latin1');
    for (;;) {
      const end = c.pending.indexOf('\\r\\n\\r\\n');
      if (end < 0) return;
      const m = /content-length: *(\\d+)/i.exec(c.pending.slice(0, end));
      const total = end + 4 + (m ? Number(m[1]) : 0);
      if (c.pending.length < total) return;
      if (c.pending.startsWith('HTTP/1.1 200')) run.responses++; else run.errors++;
      c.pending = c.pending.slice(total);
      if (performance.now() < run.deadline) send(c);
      else { c.busy = false; run.last = performance.now(); maybeDone(); }
    }
  });
  return c;
}
function send(c) { c.i = (c.i + 1) % 100; c.s.write(requests[c.i]); }
function maybeDone() {
  const pool = pools.get(run.port) ?? [];
  if (run.done || pool.some((c) => c.busy)) return;
  run.done = true;
  process.send({ responses: run.responses, errors: run.errors, elapsedMs: run.last - run.t0 });
}
process.on('message', async ({ port, ms, reset }) => {
  if (reset) { for (const c of pools.get(port) ?? []) c.s.destroy(); pools.delete(port); process.send({ ok: true }); return; }
  if (!pools.has(port)) pools.set(port, Array.from({ length: CONNECTIONS }, () => open(port)));
  const pool = pools.get(port);
  await Promise.all(pool.map((c) => c.ready));
  run = { port, responses: 0, errors: 0, done: false, t0: performance.now(), last: performance.now() };
  run.deadline = run.t0 + ms;
  for (const c of pool) { c.busy = true; send(c); }
});
`;

type Name = 'A' | 'A2' | 'B';
interface Server {
  name: Name;
  child: ChildProcess;
  port: number;
  stateDir: string;
}
interface Slot {
  responses: number;
  elapsedMs: number;
  cpuTicks: number;
}

const pinned = (cpu: number, args: string[]): [string, string[]] => (PIN ? ['/usr/bin/taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args]);

function startServer(dir: string, name: Name): Promise<Server> {
  const withAgent = name === 'B';
  const stateDir = mkdtempSync(join(dir, `${name}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTLINE_STATE_DIR: stateDir };
  delete env.NODE_OPTIONS;
  const [cmd, args] = pinned(1, [...(withAgent ? ['--import', REGISTER] : []), join(dir, 'app.mjs')]);
  const child = spawn(cmd, args, { cwd: stateDir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) res({ name, child, port: (JSON.parse(out) as { port: number }).port, stateDir });
    });
    child.once('exit', (code) => rej(new Error(`server ${name} exited with ${code}`)));
  });
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await gone;
}

/** user + system CPU time of a process, in clock ticks (Linux /proc/<pid>/stat fields 14 and 15) */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

class LoadGen {
  private readonly child: ChildProcess;
  constructor(dir: string) {
    writeFileSync(join(dir, 'loadgen.mjs'), LOADGEN);
    this.child = PIN
      ? spawn('/usr/bin/taskset', ['-c', '0', process.execPath, join(dir, 'loadgen.mjs'), String(CONNECTIONS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : fork(join(dir, 'loadgen.mjs'), [String(CONNECTIONS)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  private ask<T>(msg: object): Promise<T> {
    return new Promise((res, rej) => {
      const onExit = (code: number | null): void => rej(new Error(`load generator exited with ${code}`));
      this.child.once('exit', onExit);
      this.child.once('message', (m) => {
        this.child.off('exit', onExit);
        res(m as T);
      });
      this.child.send(msg);
    });
  }
  async slot(s: Server, ms: number): Promise<Slot> {
    if (PRIME_MS > 0) await this.ask({ port: s.port, ms: PRIME_MS });
    const pid = s.child.pid as number;
    const c0 = cpuTicks(pid);
    const r = await this.ask<{ responses: number; errors: number; elapsedMs: number }>({ port: s.port, ms });
    if (r.errors > 0) throw new Error(`server ${s.name}: ${r.errors} failed requests`);
    return { responses: r.responses, elapsedMs: r.elapsedMs, cpuTicks: cpuTicks(pid) - c0 };
  }
  reset(s: Server): Promise<unknown> {
    return this.ask({ port: s.port, reset: true });
  }
  stop(): void {
    this.child.kill('SIGKILL');
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] as number;

/** 95 % percentile-bootstrap interval of stat over items (resampled with replacement). */
function bootstrap<T>(items: readonly T[], stat: (xs: readonly T[]) => number, rng: Rng): [number, number] {
  const out: number[] = [];
  for (let b = 0; b < BOOTSTRAP; b++) {
    const sample = Array.from({ length: items.length }, () => items[rng.int(0, items.length - 1)] as T);
    out.push(stat(sample));
  }
  out.sort((a, b) => a - b);
  return [quantile(out, 0.025), quantile(out, 0.975)];
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

/** One round: two slots per server. */
type Round = Record<Name, Slot[]>;
/** the three-server form of ABBA/BAAB: a palindrome (XYZ ZYX), rotated and mirrored from round to round */
const ROTATIONS: Name[][] = [
  ['A', 'A2', 'B'],
  ['A2', 'B', 'A'],
  ['B', 'A', 'A2'],
];
function orderOf(r: number): Name[] {
  const base = ROTATIONS[r % 3] as Name[];
  const first = Math.floor(r / 3) % 2 === 0 ? base : [...base].reverse();
  return [...first, ...[...first].reverse()];
}

const rps = (slots: readonly Slot[]): number => slots.reduce((n, s) => n + s.responses, 0) / (slots.reduce((n, s) => n + s.elapsedMs, 0) / 1000);
/** µs of server CPU per request over the slots */
const cpuUs = (slots: readonly Slot[]): number => (slots.reduce((n, s) => n + s.cpuTicks, 0) * (1e6 / CLK_TCK)) / slots.reduce((n, s) => n + s.responses, 0);

async function ensureInstrumented(b: Server): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const agents = await AgentClient.list(b.stateDir);
    if (agents[0]?.reachable) {
      const fns = await AgentClient.fromAnnouncement(agents[0]).functions();
      // FAULTLINE_AGENT_INCLUDE lets a control run measure the agent with instrumentation switched off
      if (process.env.FAULTLINE_AGENT_INCLUDE === undefined && !fns.functions.some((f) => f.names.includes('priceOf'))) throw new Error('priceOf is not instrumented');
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the agent did not announce itself');
}

async function main(): Promise<void> {
  if (!existsSync(REGISTER)) throw new Error(`${REGISTER} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const dir = mkdtempSync(join(os.tmpdir(), 'fl-bench-agent-'));
  writeFileSync(join(dir, 'app.mjs'), APP);
  const load = new LoadGen(dir);
  const servers: Partial<Record<Name, Server>> = {};
  const slotMs = SLOT_S * 1000;
  const names: Name[] = ['A', 'A2', 'B'];
  const start = async (): Promise<void> => {
    for (const n of names) servers[n] = await startServer(dir, n);
    if (AGENT_IMPORT_AT < 0) await ensureInstrumented(servers.B as Server);
    for (const n of names) await load.slot(servers[n] as Server, WARMUP_MS);
  };
  const stop = async (): Promise<void> => {
    for (const n of names) {
      const s = servers[n];
      if (!s) continue;
      await load.reset(s);
      await stopServer(s);
    }
  };
  try {
    const generations: Round[][] = [];
    for (let g = 0; g < GENERATIONS; g++) {
      await start();
      const rounds: Round[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const round: Round = { A: [], A2: [], B: [] };
        const order = orderOf(g * ROUNDS + r);
        for (const n of order) round[n].push(await load.slot(servers[n] as Server, slotMs));
        rounds.push(round);
        process.stdout.write(
          `generation ${String(g + 1).padStart(2)} round ${r + 1} ${order.map((n) => (n === 'A2' ? 'a' : n)).join('')}: ` +
            `A ${rps(round.A).toFixed(0)} req/s ${cpuUs(round.A).toFixed(2)} µs/req · A′ ${rps(round.A2).toFixed(0)} ${cpuUs(round.A2).toFixed(2)} · B ${rps(round.B).toFixed(0)} ${cpuUs(round.B).toFixed(2)}` +
            ` | B/A ${(rps(round.B) / rps(round.A)).toFixed(3)} A′/A ${(rps(round.A2) / rps(round.A)).toFixed(3)}\n`,
        );
      }
      generations.push(rounds);
      await stop();
    }
    const rng = createRng(SEED);
    const rounds = generations.flat();
    /** a generation's slots of one server, pooled over its rounds */
    const pooled = (gen: readonly Round[]): Round => ({ A: gen.flatMap((x) => x.A), A2: gen.flatMap((x) => x.A2), B: gen.flatMap((x) => x.B) });
    const units = generations.map(pooled);
    const all = (rs: readonly Round[], n: Name): Slot[] => rs.flatMap((x) => x[n]);
    const cpuRatio = (rs: readonly Round[], n: Name, base: Name): number => cpuUs(all(rs, n)) / cpuUs(all(rs, base));
    const f = (x: number): string => x.toFixed(3);
    const ci = ([lo, hi]: [number, number]): string => `95% CI [${f(lo)}, ${f(hi)}]`;
    const rpsLine = (n: Name, base: Name, label: string): string => {
      const xs = units.map((x) => rps(x[n]) / rps(x[base]));
      const perRound = rounds.map((x) => rps(x[n]) / rps(x[base]));
      return `${label} ${f(median(xs))}, ${ci(bootstrap(xs, median, rng))}; generations ${f(Math.min(...xs))}–${f(Math.max(...xs))}, rounds ${f(Math.min(...perRound))}–${f(Math.max(...perRound))}`;
    };
    const cpuLine = (n: Name, base: Name, label: string): string => `${label} ${f(cpuRatio(units, n, base))} ${ci(bootstrap(units, (rs) => cpuRatio(rs, n, base), rng))}`;
    const cpu = os.cpus();
    const call = wrapperCost();
    process.stdout.write(
      [
        '',
        `requests/s, median of ${units.length} per-generation ratios (each pooled over its ${ROUNDS} rounds), bootstrap over generations:`,
        rpsLine('B', 'A', '  with agent / without (B/A): ') + '  (goal ≥ 0.98)',
        rpsLine('B', 'A2', '  with agent / without (B/A′):'),
        rpsLine('A2', 'A', '  A/A control (A′/A):         ') + '  (noise floor; ideal 1.000)',
        `server CPU per request (utime+stime over every measured slot): A ${cpuUs(all(rounds, 'A')).toFixed(2)} µs, A′ ${cpuUs(all(rounds, 'A2')).toFixed(2)} µs, B (agent) ${cpuUs(all(rounds, 'B')).toFixed(2)} µs`,
        `  ${cpuLine('B', 'A', 'B/A')}; ${cpuLine('B', 'A2', 'B/A′')}; ${cpuLine('A2', 'A', 'A/A control A′/A')}  (1.000 = no cost)`,
        `  median req/s per round: A ${median(rounds.map((x) => rps(x.A))).toFixed(0)}, A′ ${median(rounds.map((x) => rps(x.A2))).toFixed(0)}, B ${median(rounds.map((x) => rps(x.B))).toFixed(0)}`,
        `in process: direct call ${call.direct.toFixed(2)} ns, idle wrapped call ${call.wrapped.toFixed(2)} ns (${(call.wrapped - call.direct).toFixed(2)} ns per call; ${call.calls / 1e6}M calls, best of 5)`,
        `machine: ${cpu[0]?.model ?? '?'} × ${cpu.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; node ${process.version}`,
        `method: servers A and A′ (node:http, handler calls the exported priceOf per request) and B (the same, with --import ${REGISTER.replace(`${REPO}/`, '')}), ` +
          `started anew for each of ${GENERATIONS} generations (${WARMUP_MS} ms of unmeasured load each first); one load generator process for the whole run, ${CONNECTIONS} raw keep-alive connections per server, ` +
          `one request in flight per connection; ${ROUNDS} rounds per generation, each two ${SLOT_S} s slots per server in palindromic order (XYZZYX, rotated and mirrored by round), ` +
          `${PRIME_MS} ms of unmeasured load on a server right before each of its slots; bootstrap ${BOOTSTRAP} resamples of the generations, seed ${SEED}; no fault active${PIN ? '; servers pinned to CPU 1, load generator to CPU 0 (taskset)' : ''}.`,
        '',
      ].join('\n'),
    );
  } finally {
    load.stop();
    for (const s of Object.values(servers)) if (s) await stopServer(s);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
