/**
 * bench/observe: the anomaly detectors (src/observe/anomaly) in streaming mode — samples/s per detector and memory
 * per series — against the physical floor in the same run: a plain loop that keeps a rolling mean over a 64-sample
 * ring (the least any streaming detector must do: read the sample, touch its state, return a number).
 *
 * Method: one seeded synthetic series (5-minute samples, daily wave + noise + rare spikes, --samples long; the LSTM
 * gets a fifth of it, it is ~100× slower); --rounds interleaved rounds, the order rotated each round, a fresh
 * detector per round, the median round reported. Memory per series: the detector's own `memoryBytes()` estimate,
 * and measured — --series instances each fed 3,000 samples (so their windows and buffers are allocated), heap +
 * array buffers after a forced GC, minus the same before, divided by the count. With --nab PATH (a checkout of
 * numenta/NAB), every detector also runs over the NAB corpus and is scored with faultline's port of NAB's scorer,
 * next to NAB's published results (results/final_results.json).
 *
 * Run: npx tsx bench/observe.ts [--samples 100000] [--rounds 3] [--series 200] [--nab path/to/numenta/NAB] [--json FILE]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRng } from '../src/core/rng.js';
import { combineMultivariate, createMultivariate, DETECTORS, findDetectorOrThrow } from '../src/observe/anomaly/registry.js';
import { readNabCorpus, readPublishedFinal, runDetector, scoreCorpus } from '../src/observe/anomaly/nab/index.js';
import type { DetectorSpec } from '../src/observe/anomaly/types.js';

// a forced GC is needed for the memory figures: re-run under --expose-gc when it is missing
if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const gc = globalThis.gc as () => void;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const SAMPLES = Number(arg('samples') ?? 100_000);
const ROUNDS = Number(arg('rounds') ?? 3);
const SERIES = Number(arg('series') ?? 200);
const NAB = arg('nab');
const JSON_FILE = arg('json');
const STEP_MS = 300_000;
const SLOW = new Set(['lstm']);

// the series: daily wave + noise + a spike every ~5,000 samples
const rng = createRng(42);
const T0 = Date.UTC(2024, 0, 1);
const ts = new Float64Array(SAMPLES);
const vs = new Float64Array(SAMPLES);
for (let i = 0; i < SAMPLES; i++) {
  ts[i] = T0 + i * STEP_MS;
  vs[i] = 100 + 10 * Math.sin((2 * Math.PI * i) / 288) + rng.normal(0, 1) + (rng.next() < 0.0002 ? 15 : 0);
}
let vmin = Infinity;
let vmax = -Infinity;
for (const v of vs) {
  vmin = Math.min(vmin, v);
  vmax = Math.max(vmax, v);
}
const ctx = (seed: number) => ({ probationary: 750, seed, inputMin: vmin, inputMax: vmax });

/** the floor: a rolling mean over a 64-sample ring, behind the same update(t, value) call */
const floorSpec: DetectorSpec = {
  name: 'floor: rolling mean (64)',
  description: 'the physical floor',
  create: () => {
    const ring = new Float64Array(64);
    let pos = 0;
    let sum = 0;
    let n = 0;
    return {
      update(_t, v) {
        sum += v - (ring[pos] as number);
        ring[pos] = v;
        pos = (pos + 1) & 63;
        if (n < 64) n++;
        return Math.abs(v - sum / n) > 1e9 ? 1 : 0;
      },
      memoryBytes: () => 64 * 8 + 32,
    };
  },
};

interface Row {
  name: string;
  samples: number;
  samplesPerSec: number;
  vsFloor: number;
  memoryBytesReported: number;
  memoryBytesMeasured: number;
}

function timeOne(spec: DetectorSpec, n: number, seed: number): { perSec: number; mem: number; sink: number } {
  const d = spec.create(ctx(seed));
  let sink = 0;
  const t = performance.now();
  for (let i = 0; i < n; i++) sink += d.update(ts[i] as number, vs[i] as number);
  const ms = performance.now() - t;
  return { perSec: n / (ms / 1000), mem: d.memoryBytes(), sink };
}

function measuredBytes(spec: DetectorSpec, count: number): number {
  const feed = 3000;
  gc();
  gc();
  const m0 = process.memoryUsage();
  const keep: Array<ReturnType<DetectorSpec['create']>> = [];
  for (let k = 0; k < count; k++) {
    const d = spec.create(ctx(k + 1));
    for (let i = 0; i < feed; i++) d.update(ts[i] as number, vs[i] as number);
    keep.push(d);
  }
  gc();
  gc();
  const m1 = process.memoryUsage();
  const bytes = m1.heapUsed + m1.arrayBuffers - (m0.heapUsed + m0.arrayBuffers);
  if (keep.length !== count) throw new Error('unreachable');
  return bytes / count;
}

const machine = `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; node ${process.version}`;
console.log(`machine: ${machine}`);
console.log(`method: ${SAMPLES} synthetic samples (LSTM: ${Math.floor(SAMPLES / 5)}), ${ROUNDS} interleaved rounds, median; memory measured over ${SERIES} series × 3,000 samples (LSTM: ${Math.max(10, Math.floor(SERIES / 5))})`);
console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const specs: DetectorSpec[] = [floorSpec, ...DETECTORS];
const multi: DetectorSpec[] = [
  { name: 'context × 3 metrics (combined)', description: '', create: (c) => { const m = combineMultivariate(findDetectorOrThrow('context'), { ...c, dims: 3 }); const row = [0, 0, 0]; return { update: (t, v) => { row[0] = v; row[1] = v * 2; row[2] = -v; return m.update(t, row); }, memoryBytes: () => m.memoryBytes() }; } },
  { name: 'isolation-forest × 3 metrics (native)', description: '', create: (c) => { const m = createMultivariate(findDetectorOrThrow('isolation-forest'), { ...c, dims: 3 }); const row = [0, 0, 0]; return { update: (t, v) => { row[0] = v; row[1] = v * 2; row[2] = -v; return m.update(t, row); }, memoryBytes: () => m.memoryBytes() }; } },
];
const all = [...specs, ...multi];
const perSec = new Map<string, number[]>();
const reported = new Map<string, number>();
for (let r = 0; r < ROUNDS; r++) {
  const order = all.map((_, i) => all[(i + r) % all.length] as DetectorSpec);
  for (const spec of order) {
    const n = SLOW.has(spec.name) ? Math.floor(SAMPLES / 5) : SAMPLES;
    const res = timeOne(spec, n, r + 1);
    perSec.set(spec.name, [...(perSec.get(spec.name) ?? []), res.perSec]);
    reported.set(spec.name, res.mem);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const floorRate = median(perSec.get(floorSpec.name) as number[]);
const rows: Row[] = all.map((spec) => ({
  name: spec.name,
  samples: SLOW.has(spec.name) ? Math.floor(SAMPLES / 5) : SAMPLES,
  samplesPerSec: median(perSec.get(spec.name) as number[]),
  vsFloor: median(perSec.get(spec.name) as number[]) / floorRate,
  memoryBytesReported: reported.get(spec.name) as number,
  memoryBytesMeasured: measuredBytes(spec, SLOW.has(spec.name) ? Math.max(10, Math.floor(SERIES / 5)) : SERIES),
}));
console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('');
console.log('| detector | samples/s | × floor | floor ÷ it | memory/series (reported) | memory/series (measured) |');
console.log('|---|---|---|---|---|---|');
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
for (const r of rows) console.log(`| ${r.name} | ${Math.round(r.samplesPerSec).toLocaleString('en-US')} | ${r.vsFloor.toFixed(3)} | ${(1 / r.vsFloor).toFixed(0)}× | ${kib(r.memoryBytesReported)} | ${kib(r.memoryBytesMeasured)} |`);

const nab: Record<string, unknown> = {};
if (NAB !== undefined) {
  const corpus = await readNabCorpus(NAB);
  const samples = corpus.reduce((n, s) => n + s.values.length, 0);
  console.log('');
  console.log(`NAB: ${corpus.length} series, ${samples} samples, ${corpus.reduce((n, s) => n + s.windows.length, 0)} windows (faultline's port of NAB's scorer, thresholds optimised over the corpus)`);
  console.log('| detector | standard | low FP | low FN | threshold (standard) | run s |');
  console.log('|---|---|---|---|---|---|');
  for (const spec of DETECTORS) {
    const t = performance.now();
    const scores = runDetector(spec, corpus);
    const runS = (performance.now() - t) / 1000;
    const s = scoreCorpus(corpus, scores);
    nab[spec.name] = { standard: s.standard, lowFP: s.lowFP, lowFN: s.lowFN, threshold: s.thresholds.standard.threshold, runS };
    console.log(`| ${spec.name} | ${s.standard.toFixed(1)} | ${s.lowFP.toFixed(1)} | ${s.lowFN.toFixed(1)} | ${s.thresholds.standard.threshold.toFixed(3)} | ${runS.toFixed(1)} |`);
  }
  const published = await readPublishedFinal(NAB);
  if (published !== undefined) {
    console.log('published (results/final_results.json):');
    for (const name of ['ARTime', 'numenta', 'contextOSE', 'knncad', 'windowedGaussian']) {
      const p = published.get(name);
      if (p !== undefined) console.log(`| ${name} | ${p.standard.toFixed(1)} | ${p.lowFP.toFixed(1)} | ${p.lowFN.toFixed(1)} | | |`);
    }
  }
}
if (JSON_FILE !== undefined) writeFileSync(JSON_FILE, JSON.stringify({ machine, samples: SAMPLES, rounds: ROUNDS, series: SERIES, floorSamplesPerSec: floorRate, rows, nab }, null, 2));
