/**
 * Cost of the agent's `profile` probe (src/inject/agent/kinds/profile.ts) and accuracy of a traffic `rate` flood
 * (src/observe/traffic/flood.ts), in one run, against one small real HTTP server started with
 * `--import dist/inject/agent/register.js` (as bench/agent.ts starts its server B).
 *
 * (1) Overhead while a probe runs. Five variants on the same server: no fault (none); an inert control fault that
 *     matches no request (a `delay` on route `GET /never`: what any active agent fault costs — the wrappers' slow
 *     path and the patched Server#emit); `profile` with cpu only, heap only, and both (the defaults: 1 ms CPU
 *     sampling, one heap sample per 16 KiB). Two workloads per variant: `light` (GET /item-N: a string hash and a
 *     small JSON answer, ~20–25 µs of server CPU per request with node:http) and `work` (GET /heavy/item-N: builds,
 *     sorts and serializes 300 objects, ~200–260 µs of server CPU and ~100 KiB allocated per request). Load: a load
 *     generator (bench/agent.ts's, with latencies) in its own process, --connections raw keep-alive HTTP/1.1 sockets, one request in flight on each (closed loop: the
 *     server is the bottleneck), a --slot s slot per workload after --prime ms of unmeasured load. Paired blocks:
 *     each probe variant's block (inject; one GET; --settle ms of unmeasured load; a slot per workload; revert) runs
 *     right before or right after a no-fault block (--settle ms of load, then a slot per workload). The settle
 *     matters: starting a profile (even cpu only) cuts the server's throughput for most of a second, and so does a
 *     revert; measured without it, a 0.4 s slot is mostly that transient. The settle's own req/s right after the
 *     inject and right after the revert are the transients reported in (2). A round runs every variant's pair
 *     once, the variants' order rotated every round and mirrored every other four; which block comes first and
 *     which workload comes first alternate over each four rounds. Machine noise here comes in bursts of seconds
 *     (other processes), so a ratio to the block next to it is far steadier than one to a slot 10 s away. Figures:
 *     medians over rounds of requests/s, p50 and p99 latency (per request, from its write to the end of its
 *     answer) and the server's CPU per request (/proc/<pid>/stat), and the median of the per-pair ratios.
 * (2) Start and stop cost: the control API's round trip for inject (POST /v1/faults) and revert (DELETE
 *     /v1/faults/{id}; for a profile it is answered once the records are in, after its two full GCs with heap),
 *     plus the first GET answered right after the inject (the heap start's full GC runs as a task right after the
 *     POST is answered, so it delays that request), and the transients above. Measured at every pair of (1) (the
 *     server's heap is small: a few MB), and again with --ballast-mb of small live objects held by the server
 *     (GET /ballast/N): the heap a full GC must mark.
 * (3) The flood: startFlood (the engine of a `unique-keys`/`mix` fault with `rate`, its own undici pool of
 *     --flood-connections sockets), run in this process for --flood-s s per rate against each workload, no probe.
 *     Printed: sent/asked (slots fired / rate × duration), achieved = answers ok within the window ÷ duration,
 *     achieved/asked, and achieved ÷ the raw closed-loop rate of the load generator against the same route (the
 *     `none` figure of (1)): how much of the server's capacity the flood takes.
 *
 * Run: npx tsc -p tsconfig.json && npx tsx bench/profile.ts [--rounds 6] [--slot 0.4] [--prime 100] [--settle 1000]
 *        [--connections 8] [--ballast-mb 64] [--ballast-rounds 4] [--flood-rates 1000,5000] [--flood-s 1.5]
 *        [--flood-connections 16]
 * (about 2 min on 2 vCPUs; it prints how much CPU other processes took during the run)
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../src/inject/agent/client.js';
import type { AgentFaultRequest } from '../src/inject/agent/types.js';
import { startFlood } from '../src/observe/traffic/flood.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const REGISTER = join(REPO, 'dist/inject/agent/register.js');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
function listArg(name: string, dflt: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? String(process.argv[i + 1]).split(',').map(Number) : dflt;
}
const ROUNDS = arg('rounds', 6);
const SLOT_S = arg('slot', 0.4);
const PRIME_MS = arg('prime', 100);
/** load after every inject and before every no-fault block, before the slots: starting and stopping a profile slows the server for most of a second */
const SETTLE_MS = arg('settle', 1000);
const WARMUP_MS = arg('warmup-ms', 1500);
const CONNECTIONS = arg('connections', 8);
const BALLAST_MB = arg('ballast-mb', 64);
const BALLAST_ROUNDS = arg('ballast-rounds', 4);
const FLOOD_RATES = listArg('flood-rates', [1000, 5000]);
const FLOOD_S = arg('flood-s', 1.5);
const FLOOD_CONNECTIONS = arg('flood-connections', 16);
const CLK_TCK = 100;

const APP = `
import http from 'node:http';
import { getHeapStatistics } from 'node:v8';
export function priceOf(item, qty) {
  let h = 0;
  for (let i = 0; i < item.length; i++) h = (h * 31 + item.charCodeAt(i)) | 0;
  return { item, qty, total: ((h >>> 0) % 100) * qty };
}
export function render(item, n) {
  const rows = [];
  for (let i = 0; i < n; i++) rows.push({ id: i, name: item + '-' + i, price: ((i * 7919) % 1000) / 10, tags: ['a' + (i % 7), 'b' + (i % 13)] });
  rows.sort((a, b) => a.price - b.price || a.id - b.id);
  const json = JSON.stringify(rows);
  return { item, rows: n, bytes: json.length, first: rows[0].name };
}
let ballast = [];
const server = http.createServer((req, res) => {
  let out;
  if (req.url.startsWith('/heavy/')) out = render(req.url, 300);
  else if (req.url.startsWith('/ballast/')) {
    const mb = Number(req.url.slice(9));
    ballast = [];
    for (let i = 0; i < (mb * 1024 * 1024) / 64; i++) ballast.push({ i, s: 'b' + i });
    out = { usedHeapBytes: getHeapStatistics().used_heap_size };
  } else out = priceOf(req.url, 2);
  const body = JSON.stringify(out);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 600_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`;

/**
 * The load generator (bench/agent.ts's, with per-request latency): CONNECTIONS raw keep-alive sockets; on
 * {port, ms, prefix} it drives them (one request in flight per socket) for ms and answers
 * {responses, errors, elapsedMs, p50, p99} (latencies in ms, from a request's write to the end of its answer).
 */
const LOADGEN = `
import net from 'node:net';
const CONNECTIONS = Number(process.argv[2]);
const reqs = new Map();
const requestsOf = (prefix) => {
  if (!reqs.has(prefix)) reqs.set(prefix, Array.from({ length: 100 }, (_, i) => Buffer.from('GET ' + prefix + 'item-' + i + ' HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n', 'latin1')));
  return reqs.get(prefix);
};
let pool;
let run;
let lat = new Float64Array(1 << 16);
function open(port) {
  const c = { s: net.connect(port, '127.0.0.1'), pending: '', busy: false, i: 0, t: 0 };
  c.s.setNoDelay(true);
  c.ready = new Promise((res, rej) => { c.s.once('connect', res); c.s.once('error', rej); });
  c.s.on('error', () => {});
  c.s.on('close', () => { if (c.busy) { c.busy = false; run.errors++; maybeDone(); } });
  c.s.on('data', (chunk) => {
    c.pending += chunk.toString('latin1');
    for (;;) {
      const end = c.pending.indexOf('\\r\\n\\r\\n');
      if (end < 0) return;
      const m = /content-length: *(\\d+)/i.exec(c.pending.slice(0, end));
      const total = end + 4 + (m ? Number(m[1]) : 0);
      if (c.pending.length < total) return;
      const now = performance.now();
      if (c.pending.startsWith('HTTP/1.1 200')) {
        if (run.responses === lat.length) { const b = new Float64Array(lat.length * 2); b.set(lat); lat = b; }
        lat[run.responses++] = now - c.t;
      } else run.errors++;
      c.pending = c.pending.slice(total);
      if (now < run.deadline) send(c);
      else { c.busy = false; run.last = now; maybeDone(); }
    }
  });
  return c;
}
function send(c) { c.i = (c.i + 1) % 100; c.t = performance.now(); c.s.write(run.requests[c.i]); }
function maybeDone() {
  if (run.done || pool.some((c) => c.busy)) return;
  run.done = true;
  const xs = lat.subarray(0, run.responses).sort();
  const q = (p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
  process.send({ responses: run.responses, errors: run.errors, elapsedMs: run.last - run.t0, p50: q(0.5), p99: q(0.99) });
}
process.on('message', async ({ port, ms, prefix }) => {
  if (!pool) pool = Array.from({ length: CONNECTIONS }, () => open(port));
  await Promise.all(pool.map((c) => c.ready));
  run = { responses: 0, errors: 0, done: false, t0: performance.now(), last: performance.now(), requests: requestsOf(prefix) };
  run.deadline = run.t0 + ms;
  for (const c of pool) { c.busy = true; send(c); }
});
`;

interface SlotResult {
  responses: number;
  errors: number;
  elapsedMs: number;
  p50: number;
  p99: number;
}
interface Slot extends SlotResult {
  rps: number;
  cpuUs: number;
}

class LoadGen {
  private readonly child: ChildProcess;
  constructor(dir: string) {
    writeFileSync(join(dir, 'loadgen.mjs'), LOADGEN);
    this.child = fork(join(dir, 'loadgen.mjs'), [String(CONNECTIONS)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  run(port: number, prefix: string, ms: number): Promise<SlotResult> {
    return new Promise((res, rej) => {
      const onExit = (code: number | null): void => rej(new Error(`load generator exited with ${code}`));
      this.child.once('exit', onExit);
      this.child.once('message', (m) => {
        this.child.off('exit', onExit);
        res(m as SlotResult);
      });
      this.child.send({ port, ms, prefix });
    });
  }
  get pid(): number {
    return this.child.pid as number;
  }
  stop(): void {
    this.child.kill('SIGKILL');
  }
}

/** user + system CPU time of a process, in clock ticks (Linux /proc/<pid>/stat fields 14 and 15) */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** one GET on a fresh connection; ms from the request to the end of the answer */
function get(port: number, path: string): Promise<{ ms: number; body: string }> {
  const t0 = performance.now();
  return new Promise((res, rej) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => res({ ms: performance.now() - t0, body }));
      })
      .on('error', rej);
  });
}

type Variant = 'none' | 'fault' | 'cpu' | 'heap' | 'both';
type Probe = Exclude<Variant, 'none'>;
const PROBES: Probe[] = ['fault', 'cpu', 'heap', 'both'];
const LABEL: Record<Variant, string> = {
  none: 'no fault',
  fault: 'inert fault (control)',
  cpu: 'profile cpu only',
  heap: 'profile heap only',
  both: 'profile cpu + heap',
};
const WORKLOADS = [
  { name: 'light', prefix: '/' },
  { name: 'work', prefix: '/heavy/' },
] as const;
type Workload = (typeof WORKLOADS)[number]['name'];

function faultOf(v: Probe): AgentFaultRequest {
  if (v === 'fault') return { kind: 'delay', target: { route: 'GET /never' }, ttlMs: 120_000, params: { ms: 1 } };
  return { kind: 'profile', target: {}, ttlMs: 120_000, params: { cpu: v !== 'heap', heap: v !== 'cpu' } };
}

interface Cost {
  injectMs: number;
  /** the first GET after the inject answered (fresh connection) */
  firstGetMs: number;
  revertMs: number;
}

/** inject, one GET, (body), revert: the three times */
async function startStop(client: AgentClient, port: number, req: AgentFaultRequest, body: () => Promise<void>): Promise<Cost> {
  let t = performance.now();
  const f = await client.inject(req);
  const injectMs = performance.now() - t;
  const firstGetMs = (await get(port, '/item-0')).ms;
  await body();
  t = performance.now();
  await client.revert(f.id);
  return { injectMs, firstGetMs, revertMs: performance.now() - t };
}

/** the order of round r: each probe variant once, rotated by one every round, mirrored every other four rounds */
function orderOf(r: number): Probe[] {
  const k = r % PROBES.length;
  const rotated = [...PROBES.slice(k), ...PROBES.slice(0, k)];
  return Math.floor(r / PROBES.length) % 2 === 0 ? rotated : rotated.reverse();
}

async function main(): Promise<void> {
  if (!existsSync(REGISTER)) throw new Error(`${REGISTER} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const began = performance.now();
  /** busy CPU time of the whole machine, ms (/proc/stat: user nice system irq softirq steal; os.cpus() leaves softirq out) */
  const allCpuMs = (): number => {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).map(Number);
    return (((f[1] ?? 0) + (f[2] ?? 0) + (f[3] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0) + (f[8] ?? 0)) * 1000) / CLK_TCK;
  };
  const cpu0 = allCpuMs();
  const self0 = process.cpuUsage();
  const dir = mkdtempSync(join(os.tmpdir(), 'fl-bench-profile-'));
  writeFileSync(join(dir, 'app.mjs'), APP);
  const stateDir = mkdtempSync(join(dir, 'state-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTLINE_STATE_DIR: stateDir };
  delete env.NODE_OPTIONS;
  const server = spawn(process.execPath, ['--import', REGISTER, join(dir, 'app.mjs')], { cwd: stateDir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const load = new LoadGen(dir);
  const out = (s: string): boolean => process.stdout.write(s + '\n');
  try {
    const port = await new Promise<number>((res, rej) => {
      let buf = '';
      server.stdout?.on('data', (c: Buffer) => {
        buf += c.toString();
        if (buf.includes('\n')) res((JSON.parse(buf) as { port: number }).port);
      });
      server.once('exit', (code) => rej(new Error(`server exited with ${code}`)));
    });
    let client: AgentClient | undefined;
    for (let i = 0; i < 200 && !client; i++) {
      const found = (await AgentClient.list(stateDir))[0];
      if (found?.reachable) client = AgentClient.fromAnnouncement(found);
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (!client) throw new Error('the agent did not announce itself');
    const fns = (await client.functions()).functions.flatMap((f) => f.names);
    if (!fns.includes('priceOf') || !fns.includes('render')) throw new Error(`priceOf and render are not instrumented (${fns.join(', ')})`);
    const pid = server.pid as number;
    for (const w of WORKLOADS) await load.run(port, w.prefix, WARMUP_MS);

    // (1) + (2)
    /** per probe variant and workload: its slots, each with the "no fault" slot run right before or after it */
    const pairs: Record<Probe, Record<Workload, Array<{ none: Slot; v: Slot }>>> = Object.fromEntries(PROBES.map((v) => [v, { light: [], work: [] }])) as never;
    const costs: Record<Probe, Cost[]> = Object.fromEntries(PROBES.map((v) => [v, []])) as never;
    const slot = async (v: Variant, w: (typeof WORKLOADS)[number]): Promise<Slot> => {
      if (PRIME_MS > 0) await load.run(port, w.prefix, PRIME_MS);
      const c0 = cpuTicks(pid);
      const s = await load.run(port, w.prefix, SLOT_S * 1000);
      const ticks = cpuTicks(pid) - c0;
      if (s.errors > 0) throw new Error(`${v}/${w.name}: ${s.errors} failed requests`);
      return { ...s, rps: s.responses / (s.elapsedMs / 1000), cpuUs: (ticks * (1e6 / CLK_TCK)) / s.responses };
    };
    /** load on the light route for SETTLE_MS (unmeasured for (1)); its req/s is the transient after an inject or a revert */
    const settle = async (): Promise<number> => {
      const s = await load.run(port, '/', SETTLE_MS);
      return s.responses / (s.elapsedMs / 1000);
    };
    /** req/s while settling, ÷ the paired no-fault light slot: right after the inject, and right after the revert */
    const transients: Record<Probe, { start: number[]; stop: number[] }> = Object.fromEntries(PROBES.map((v) => [v, { start: [], stop: [] }])) as never;
    for (let r = 0; r < ROUNDS; r++) {
      const order = orderOf(r);
      // every variant gets none-first and variant-first, light-first and work-first blocks alike
      const noneFirst = r % 2 === 0;
      const ws = Math.floor(r / 2) % 2 === 0 ? WORKLOADS : [...WORKLOADS].reverse();
      for (const v of order) {
        const block = async (x: Variant): Promise<Record<Workload, Slot>> => {
          const got: Partial<Record<Workload, Slot>> = {};
          for (const w of ws) got[w.name] = await slot(x, w);
          return got as Record<Workload, Slot>;
        };
        let none: Record<Workload, Slot> | undefined;
        let noneSettle = 0;
        if (noneFirst) {
          await settle();
          none = await block('none');
        }
        let probed: Record<Workload, Slot> | undefined;
        let startSettle = 0;
        costs[v].push(
          await startStop(client, port, faultOf(v), async () => {
            startSettle = await settle();
            probed = await block(v);
          }),
        );
        if (!none) {
          noneSettle = await settle();
          none = await block('none');
        }
        for (const w of WORKLOADS) pairs[v][w.name].push({ none: none[w.name], v: (probed as Record<Workload, Slot>)[w.name] });
        transients[v].start.push(startSettle / none.light.rps);
        if (!noneFirst) transients[v].stop.push(noneSettle / none.light.rps);
      }
      const last = (v: Probe, w: Workload): string => {
        const p = pairs[v][w].at(-1) as { none: Slot; v: Slot };
        return `${v} ${(p.v.rps / p.none.rps).toFixed(2)}`;
      };
      out(
        `round ${r + 1} (${noneFirst ? 'none first' : 'probe first'}; ${order.join(' ')}), req/s ÷ its paired no-fault slot: ` +
          WORKLOADS.map((w) => `${w.name} ` + PROBES.map((v) => last(v, w.name)).join(' ')).join(' | ') +
          '; revert ms ' +
          PROBES.map((v) => `${v} ${(costs[v].at(-1) as Cost).revertMs.toFixed(1)}`).join(' '),
      );
    }
    const noneSlots = (w: Workload): Slot[] => PROBES.flatMap((v) => pairs[v][w].map((p) => p.none));

    // (2) with a larger live heap
    const smallHeap = JSON.parse((await get(port, '/ballast/0')).body) as { usedHeapBytes: number };
    const bigHeap = BALLAST_MB > 0 ? (JSON.parse((await get(port, `/ballast/${BALLAST_MB}`)).body) as { usedHeapBytes: number }) : undefined;
    const bigCosts: Record<Probe, Cost[]> = Object.fromEntries(PROBES.map((v) => [v, []])) as never;
    if (BALLAST_MB > 0) {
      for (let r = 0; r < BALLAST_ROUNDS; r++) {
        for (const v of orderOf(r)) bigCosts[v].push(await startStop(client, port, faultOf(v), () => new Promise((res) => setTimeout(res, 200))));
      }
      await get(port, '/ballast/0');
    }

    // (3) the flood, no probe
    const floods: Array<{ workload: Workload; rate: number; sent: number; ok: number; other: Record<string, number>; outstanding: number; raw: number }> = [];
    for (const w of WORKLOADS) {
      for (const rate of FLOOD_RATES) {
        const durMs = FLOOD_S * 1000;
        const outcomes: Record<string, number> = {};
        let ok = 0;
        /** the window's end, seen by the flood's own over() (it stops itself there, aborting what is in flight) */
        let end: { sent: number; outstanding: number } | undefined;
        let flood: ReturnType<typeof startFlood> | undefined;
        const t0 = performance.now();
        let k = 0;
        flood = startFlood({
          origin: `http://127.0.0.1:${port}`,
          ratePerSec: rate,
          connections: FLOOD_CONNECTIONS,
          timeoutMs: 2000,
          t0,
          next: () => ({ method: 'GET', path: `${w.prefix}item-${k++ % 100}`, headers: {} }),
          settle: (_status, outcome) => {
            if (outcome === 'ok' && !end) ok++;
            else outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          },
          over: () => {
            if (!end && performance.now() - t0 >= durMs) end = { sent: flood?.sent() ?? 0, outstanding: flood?.outstanding() ?? 0 };
            return end !== undefined;
          },
          msLeft: () => durMs - (performance.now() - t0),
        });
        await new Promise((res) => setTimeout(res, durMs + 50));
        await flood.stop();
        if (!end) throw new Error('the flood did not see its end');
        floods.push({ workload: w.name, rate, sent: end.sent, ok, other: outcomes, outstanding: end.outstanding, raw: median(noneSlots(w.name).map((s) => s.rps)) });
        await new Promise((res) => setTimeout(res, 300));
      }
    }

    // the figures
    const f0 = (x: number): string => x.toFixed(0);
    const f2 = (x: number): string => x.toFixed(2);
    const f3 = (x: number): string => x.toFixed(3);
    const ratios = (v: Probe, w: Workload, pick: (s: Slot) => number): number[] => pairs[v][w].map((p) => pick(p.v) / pick(p.none));
    const q = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.round(p * (xs.length - 1))] as number;
    /** median of the per-pair ratios, and their interquartile range */
    const ratio = (v: Probe, w: Workload, pick: (s: Slot) => number, iqr = false): string => {
      const xs = ratios(v, w, pick);
      return iqr ? `${f3(median(xs))} [${f2(q(xs, 0.25))}–${f2(q(xs, 0.75))}]` : f3(median(xs));
    };
    out('');
    out(`(1) the probe while it runs: medians of ${ROUNDS} rounds (no fault: of all ${ROUNDS * PROBES.length} of its slots); ×none: median of the ${ROUNDS} ratios to the paired no-fault slot [interquartile range]`);
    out('| workload | variant | req/s | ×none | p50 ms | ×none | p99 ms | ×none | server CPU µs/req | ×none |');
    out('|---|---|---|---|---|---|---|---|---|---|');
    for (const w of WORKLOADS) {
      for (const v of ['none', ...PROBES] as Variant[]) {
        const ss = v === 'none' ? noneSlots(w.name) : pairs[v][w.name].map((p) => p.v);
        const m = (pick: (s: Slot) => number): number => median(ss.map(pick));
        const x = (pick: (s: Slot) => number, iqr = false): string => (v === 'none' ? '' : ratio(v, w.name, pick, iqr));
        out(
          `| ${w.name} | ${LABEL[v]} | ${f0(m((s) => s.rps))} | ${x((s) => s.rps, true)} | ${f2(m((s) => s.p50))} | ${x((s) => s.p50)} | ${f2(m((s) => s.p99))} | ${x((s) => s.p99)} | ${m((s) => s.cpuUs).toFixed(1)} | ${x((s) => s.cpuUs, true)} |`,
        );
      }
    }
    out('');
    out(`(2) start and stop, ms (median; min–max): inject = POST answered, first GET = the next request answered, revert = DELETE answered;`);
    out(`    req/s over the ${SETTLE_MS} ms of light load right after the first GET (start) and right after the revert (stop), ÷ the paired no-fault light slot`);
    out('| heap | variant | inject | first GET | revert | start: req/s ÷ none | stop: req/s ÷ none |');
    out('|---|---|---|---|---|---|---|');
    const range = (xs: number[], d = 2): string => (xs.length ? `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})` : '');
    const costRows = (label: string, cs: Record<Probe, Cost[]>, tr?: typeof transients): void => {
      for (const v of PROBES.filter((x) => cs[x].length > 0)) {
        out(
          `| ${label} | ${LABEL[v]} | ${range(cs[v].map((c) => c.injectMs))} | ${range(cs[v].map((c) => c.firstGetMs))} | ${range(cs[v].map((c) => c.revertMs))} | ` +
            `${tr ? range(tr[v].start) : ''} | ${tr ? range(tr[v].stop) : ''} |`,
        );
      }
    };
    const mib = (b: number): string => (b / 2 ** 20).toFixed(0);
    costRows(`${mib(smallHeap.usedHeapBytes)} MiB used (the ${ROUNDS} rounds of (1))`, costs, transients);
    if (bigHeap) costRows(`${mib(bigHeap.usedHeapBytes)} MiB used (+${BALLAST_MB} MB ballast, ${BALLAST_ROUNDS} rounds)`, bigCosts);
    out('');
    out(`(3) the flood (startFlood, ${FLOOD_CONNECTIONS} sockets, ${FLOOD_S} s per rate, no probe): raw = the load generator's closed-loop req/s on the route (${CONNECTIONS} connections)`);
    out('| route | asked req/s | sent/asked | achieved req/s | achieved/asked | achieved/raw | not ok | outstanding at the end |');
    out('|---|---|---|---|---|---|---|---|');
    for (const fl of floods) {
      const asked = fl.rate * FLOOD_S;
      const achieved = fl.ok / FLOOD_S;
      const other = Object.entries(fl.other).map(([k, n]) => `${k} ${n}`).join(', ') || '0';
      out(`| ${fl.workload} | ${fl.rate} | ${f3(fl.sent / asked)} | ${f0(achieved)} | ${f3(achieved / fl.rate)} | ${f3(achieved / fl.raw)} (raw ${f0(fl.raw)}) | ${other} | ${fl.outstanding} |`);
    }
    const cpu = os.cpus();
    const busyMs = allCpuMs() - cpu0;
    const self = process.cpuUsage(self0);
    const oursMs = ((cpuTicks(pid) + cpuTicks(load.pid)) * 1000) / CLK_TCK + (self.user + self.system) / 1000;
    const wallS = (performance.now() - began) / 1000;
    const pct = (ms: number): string => `${((100 * ms) / (wallS * 1000 * cpu.length)).toFixed(0)} %`;
    out('');
    out(
      `machine: ${cpu[0]?.model ?? '?'} × ${cpu.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}; ` +
        `run ${wallS.toFixed(0)} s; of all CPU time: busy ${pct(busyMs)}, this bench's processes ${pct(oursMs)}, other processes ~${pct(Math.max(0, busyMs - oursMs))}; ` +
        `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    );
  } finally {
    load.stop();
    if (server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once('exit', r));
      server.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
