/**
 * The open-loop load generator (src/observe/load.ts) against autocannon and a raw undici loop, in one run, on
 * the same target: a minimal node:http server in its own process on 127.0.0.1.
 *
 * (a) Maximum sustainable rate: faultline's generator runs --step seconds at rising requested rates; a rate is
 *     sustained when the achieved rate (requests completed ok, over the time from the first intended send to the
 *     last completion) is ≥ 99 % of the requested one, no request failed and the p99 send lag (how late requests
 *     left compared with their intended time) stayed ≤ 50 ms. The highest sustained rate is then refined by
 *     bisection. Peers, closed loop with the same number of connections, --peer seconds each: autocannon (its
 *     mean req/s) and a raw undici Pool loop (each connection sends its next request when the previous answer
 *     ends). Ratios: faultline max / peer throughput.
 * (b) Latency-measurement overhead at a fixed moderate rate (--rate-b): faultline's reported median and p99 vs
 *     a raw paced undici loop that sends at the same rate with a timer around undici's pool.request() (from its
 *     actual send, body consumed), in alternating runs.
 * (c) Accuracy: achieved / requested at fixed rates (100, 1000, 5000 req/s by default), --step seconds each.
 *
 * Run: npx tsx bench/load.ts [--json FILE] [--connections 64] [--step 2] [--peer 4] [--rate-b 1000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { LatencyHistogram } from '../src/observe/histogram.js';
import { startLoad, type RequestSample } from '../src/observe/load.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const CONNECTIONS = arg('connections', 64);
const STEP_S = arg('step', 2);
const PEER_S = arg('peer', 4);
const RATE_B = arg('rate-b', 1000);
const JSON_AT = process.argv.indexOf('--json');
const JSON_FILE = JSON_AT > 0 ? process.argv[JSON_AT + 1] : undefined;
const MAX_LAG_MS = 50;

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }); res.end('ok'); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: s.address().port }) + '\\n'));
`;

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (c: Buffer) => resolve({ child, url: `http://127.0.0.1:${(JSON.parse(String(c)) as { port: number }).port}/` }));
    child.once('exit', (code) => reject(new Error(`target exited (${code})`)));
  });
}

interface FaultlineRun {
  requested: number;
  achieved: number;
  ratio: number;
  errors: number;
  sendLagP99Ms: number;
  p50Ms: number;
  p99Ms: number;
}

async function faultlineAt(url: string, rate: number, seconds: number): Promise<FaultlineRun> {
  const lat = new LatencyHistogram();
  let ok = 0;
  let errors = 0;
  let lastDone = 0;
  const count = Math.round(rate * seconds);
  const h = startLoad(
    { url, method: 'GET', ratePerSec: rate, timeoutMs: 5000, connections: CONNECTIONS },
    {
      count,
      onSample: (s: RequestSample) => {
        lastDone = Math.max(lastDone, s.at + s.latencyMs);
        if (s.outcome === 'ok') ok++;
        else errors++;
        lat.record(s.latencyMs);
      },
    },
  );
  await h.done;
  const spanMs = Math.max(lastDone, (count - 1) * (1000 / rate));
  const achieved = (ok * 1000) / spanMs;
  return { requested: rate, achieved, ratio: achieved / rate, errors, sendLagP99Ms: h.stats().sendLagMs.p99, p50Ms: lat.percentile(50), p99Ms: lat.percentile(99) };
}

const sustained = (r: FaultlineRun): boolean => r.ratio >= 0.99 && r.errors === 0 && r.sendLagP99Ms <= MAX_LAG_MS;

async function autocannonRps(url: string, seconds: number): Promise<number> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  return r.requests.average;
}

async function undiciClosedRps(url: string, seconds: number): Promise<number> {
  const pool = new Pool(url, { connections: CONNECTIONS });
  let n = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const r = await pool.request({ path: '/', method: 'GET' });
        await r.body.dump();
        n++;
      }
    }),
  );
  await pool.close();
  return (n * 1000) / (seconds * 1000);
}

/** a paced raw undici loop: sends at `rate`, times each pool.request() from its actual send to the body's end */
async function undiciPacedLatency(url: string, rate: number, seconds: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const pool = new Pool(url, { connections: CONNECTIONS });
  const lat = new LatencyHistogram();
  const count = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now() - t0;
      while (i < count && i * interval <= now) {
        i++;
        const sent = performance.now();
        pending.push(
          pool.request({ path: '/', method: 'GET' }).then(async (r) => {
            await r.body.dump();
            lat.record(performance.now() - sent);
          }),
        );
      }
      if (i >= count) resolve();
      else setTimeout(tick, Math.max(0, i * interval - (performance.now() - t0)));
    };
    tick();
  });
  await Promise.all(pending);
  await pool.close();
  return { p50Ms: lat.percentile(50), p99Ms: lat.percentile(99) };
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  const machine = `${cpu[0]?.model ?? '?'} × ${cpu.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; node ${process.version}`;
  console.log(`machine: ${machine}`);
  console.log(`method: target = minimal node:http server in a child process; ${CONNECTIONS} connections; steps of ${STEP_S} s; peers ${PEER_S} s each`);
  const { child, url } = await startServer();
  try {
    // warm-up (JIT on both sides)
    await faultlineAt(url, 2000, 1);

    // (a) maximum sustainable rate
    const ladder: FaultlineRun[] = [];
    let good = 0;
    let bad = 0;
    for (const rate of [2000, 4000, 6000, 8000, 10_000, 12_000, 14_000, 16_000, 20_000, 25_000, 30_000]) {
      const r = await faultlineAt(url, rate, STEP_S);
      ladder.push(r);
      console.log(`  faultline @ ${rate}/s: achieved ${r.achieved.toFixed(0)}/s (${(r.ratio * 100).toFixed(1)} %), send lag p99 ${r.sendLagP99Ms.toFixed(1)} ms, errors ${r.errors}, p99 ${r.p99Ms.toFixed(2)} ms`);
      if (!sustained(r)) {
        bad = rate;
        break;
      }
      good = rate;
    }
    for (let k = 0; k < 3 && bad > 0 && bad - good > 500; k++) {
      const mid = Math.round((good + bad) / 2 / 100) * 100;
      const r = await faultlineAt(url, mid, STEP_S);
      ladder.push(r);
      console.log(`  faultline @ ${mid}/s: achieved ${r.achieved.toFixed(0)}/s (${(r.ratio * 100).toFixed(1)} %), send lag p99 ${r.sendLagP99Ms.toFixed(1)} ms, errors ${r.errors}`);
      if (sustained(r)) good = mid;
      else bad = mid;
    }
    const ac = await autocannonRps(url, PEER_S);
    const und = await undiciClosedRps(url, PEER_S);
    console.log(`(a) max sustainable rate: faultline ${good}/s; autocannon (closed loop) ${ac.toFixed(0)}/s; raw undici loop (closed loop) ${und.toFixed(0)}/s`);
    console.log(`    ratios: faultline/autocannon ${(good / ac).toFixed(2)}×, faultline/undici ${(good / und).toFixed(2)}×`);

    // (b) latency-measurement overhead at a fixed rate: alternate the two, 3 runs each, medians
    const fl: FaultlineRun[] = [];
    const raw: Array<{ p50Ms: number; p99Ms: number }> = [];
    for (let k = 0; k < 3; k++) {
      fl.push(await faultlineAt(url, RATE_B, 2));
      raw.push(await undiciPacedLatency(url, RATE_B, 2));
    }
    const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    const b = { rate: RATE_B, faultline: { p50Ms: med(fl.map((r) => r.p50Ms)), p99Ms: med(fl.map((r) => r.p99Ms)) }, undici: { p50Ms: med(raw.map((r) => r.p50Ms)), p99Ms: med(raw.map((r) => r.p99Ms)) } };
    console.log(
      `(b) at ${RATE_B}/s: median faultline ${(b.faultline.p50Ms * 1000).toFixed(0)} µs vs raw undici ${(b.undici.p50Ms * 1000).toFixed(0)} µs (+${((b.faultline.p50Ms - b.undici.p50Ms) * 1000).toFixed(0)} µs, ${(b.faultline.p50Ms / b.undici.p50Ms).toFixed(2)}×); ` +
        `p99 ${(b.faultline.p99Ms * 1000).toFixed(0)} µs vs ${(b.undici.p99Ms * 1000).toFixed(0)} µs (+${((b.faultline.p99Ms - b.undici.p99Ms) * 1000).toFixed(0)} µs, ${(b.faultline.p99Ms / b.undici.p99Ms).toFixed(2)}×)`,
    );

    // (c) accuracy at fixed rates
    const c: FaultlineRun[] = [];
    for (const rate of [100, 1000, 5000]) {
      const r = await faultlineAt(url, rate, STEP_S);
      c.push(r);
      console.log(`(c) requested ${rate}/s: achieved ${r.achieved.toFixed(1)}/s, ratio ${r.ratio.toFixed(4)}, send lag p99 ${r.sendLagP99Ms.toFixed(2)} ms`);
    }
    if (JSON_FILE) writeFileSync(JSON_FILE, JSON.stringify({ machine, connections: CONNECTIONS, a: { ladder, maxSustainable: good, autocannon: ac, undici: und }, b, c }, null, 2));
  } finally {
    child.kill();
  }
}

await main();
