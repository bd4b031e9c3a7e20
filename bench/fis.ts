/**
 * bench/fis: what the promotion gate costs for a whole repository, against the input floor in the same run.
 *  - the gate: buildModuleGraph (files → modules, import graph + package dependencies → module dependencies,
 *    transitive dependents), grouping the predicted probabilities by module, then per module moduleData +
 *    computeFis (noisy-OR, severity) + evaluateGate — everything `faultline gate` does after reading its inputs;
 *  - the floor: JSON.parse of an istanbul coverage-summary.json of the same files and summing its line counts,
 *    the one input every gate run must read (the gate's own work should be small beside it).
 * The repository model is generated from a seed: --modules modules of --files files each, every file importing
 * two files of its own module and, three times in ten, one file of a lower module (libraries at the bottom, as
 * in real monorepos); each module depending on up to 3 lower packages; a predicted failure probability per file
 * (σ(N(−3.8, 1.4))), coverage per module uniform in [60, 100], traffic shares for all, routes for one in five,
 * a configured criticality for one in ten.
 *
 * Method: --runs interleaved rounds (gate, then floor, the order swapped every round), the median reported;
 * one warm-up round first.
 *
 * Run: npx tsx bench/fis.ts [--modules 1000] [--files 20] [--runs 9] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { FileMetrics } from '../src/core/analysis.js';
import { CRITICALITIES, type GateDecision, type GateResult } from '../src/core/promote.js';
import { createRng } from '../src/core/rng.js';
import { buildModuleGraph, computeFis, evaluateGate, gateExitCode, moduleData, probabilitiesByModule, type GraphModuleSpec } from '../src/promote/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const MODULES = Number(arg('modules') ?? 1000);
const FILES = Number(arg('files') ?? 20);
const RUNS = Number(arg('runs') ?? 9);
const JSON_FILE = arg('json');
const BASE = 80;

// ---------------------------------------------------------------------------------------------------------
// the repository model

const rng = createRng(7);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const filePath = (m: number, f: number): string => `packages/m${m}/src/f${f}.ts`;
const modules: GraphModuleSpec[] = [];
const files: FileMetrics[] = [];
const points: { path: string; confidence: number }[] = [];
const coverage = new Map<string, number>();
const traffic = new Map<string, number>();
let trafficSum = 0;
for (let m = 0; m < MODULES; m++) {
  const name = `@bench/m${m}`;
  const deps: string[] = [];
  if (m > 0) for (let k = rng.int(0, 3); k > 0; k--) deps.push(`@bench/m${rng.int(0, m - 1)}`);
  const spec: GraphModuleSpec = { name, paths: [`packages/m${m}`], packageName: name, packageDependencies: deps };
  if (rng.next() < 0.2) spec.routes = rng.int(1, 40);
  if (rng.next() < 0.1) spec.criticality = CRITICALITIES[rng.int(0, CRITICALITIES.length - 1)];
  modules.push(spec);
  for (let f = 0; f < FILES; f++) {
    const imports = [filePath(m, rng.int(0, FILES - 1)), filePath(m, rng.int(0, FILES - 1))];
    if (m > 0 && rng.next() < 0.3) imports.push(filePath(rng.int(0, m - 1), rng.int(0, FILES - 1)));
    files.push({ path: filePath(m, f), language: 'ts', loc: 100, functions: [], cyclomatic: 10, maxCyclomatic: 4, cognitive: 8, maxNesting: 2, imports, parseErrors: 0 });
    points.push({ path: filePath(m, f), confidence: sigmoid(rng.normal(-3.8, 1.4)) });
  }
  coverage.set(name, 60 + 40 * rng.next());
  const w = rng.next() ** 3;
  traffic.set(name, w);
  trafficSum += w;
}
for (const [k, v] of traffic) traffic.set(k, v / trafficSum);
const analysis = { files };

/** istanbul coverage-summary.json of the same files */
function coverageSummaryJson(): string {
  const metric = (total: number, covered: number) => ({ total, covered, skipped: 0, pct: total === 0 ? 100 : Math.round((covered / total) * 10_000) / 100 });
  const out: Record<string, unknown> = {};
  const entries: Array<[string, unknown]> = [];
  let lt = 0;
  let lc = 0;
  for (const f of files) {
    const total = 80 + (f.path.length % 40);
    const covered = Math.floor(total * (0.6 + 0.4 * rng.next()));
    lt += total;
    lc += covered;
    entries.push([`/srv/repo/${f.path}`, { lines: metric(total, covered), statements: metric(total + 5, covered + 3), functions: metric(10, 8), branches: metric(20, 14) }]);
  }
  out.total = { lines: metric(lt, lc), statements: metric(lt, lc), functions: metric(10 * files.length, 8 * files.length), branches: metric(20 * files.length, 14 * files.length) };
  for (const [k, v] of entries) out[k] = v;
  return JSON.stringify(out);
}
const summaryText = coverageSummaryJson();

// ---------------------------------------------------------------------------------------------------------
// the two workloads

interface GateRun {
  graphMs: number;
  fisGateMs: number;
  totalMs: number;
  results: GateResult[];
}

function runGate(): GateRun {
  const t0 = performance.now();
  const graph = buildModuleGraph(modules, analysis);
  const t1 = performance.now();
  const probs = probabilitiesByModule(graph, points);
  const results: GateResult[] = [];
  for (const node of graph.modules) {
    const module = moduleData(graph, node.name, { failureProbabilities: probs.get(node.name) ?? [], trafficShare: traffic.get(node.name) as number });
    const fis = computeFis(module);
    results.push(evaluateGate({ module, coverage: Math.round((coverage.get(node.name) as number) * 100) / 100 }, { baseCoverageThreshold: BASE, fis }));
  }
  const t2 = performance.now();
  return { graphMs: t1 - t0, fisGateMs: t2 - t1, totalMs: t2 - t0, results };
}

function runFloor(): { ms: number; lines: number } {
  const t0 = performance.now();
  const doc = JSON.parse(summaryText) as Record<string, { lines: { total: number; covered: number } }>;
  let total = 0;
  let covered = 0;
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'total') continue;
    total += v.lines.total;
    covered += v.lines.covered;
  }
  const ms = performance.now() - t0;
  return { ms, lines: covered / total };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const machine = `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; node ${process.version}`;
console.log(`machine: ${machine}`);
console.log(`method: ${MODULES} modules × ${FILES} files (${files.length} files, ${files.reduce((n, f) => n + f.imports.length, 0)} imports), seed 7; ${RUNS} interleaved rounds after 1 warm-up, median; floor = JSON.parse + sum of a ${(summaryText.length / 2 ** 20).toFixed(1)} MiB coverage-summary.json of the same ${files.length} files`);
console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

runGate();
runFloor();
const gate: GateRun[] = [];
const floor: number[] = [];
let last: GateRun | undefined;
for (let r = 0; r < RUNS; r++) {
  if (r % 2 === 0) {
    last = runGate();
    gate.push(last);
    floor.push(runFloor().ms);
  } else {
    floor.push(runFloor().ms);
    last = runGate();
    gate.push(last);
  }
}
console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const graphMs = median(gate.map((g) => g.graphMs));
const fisGateMs = median(gate.map((g) => g.fisGateMs));
const totalMs = median(gate.map((g) => g.totalMs));
const floorMs = median(floor);
const results = (last as GateRun).results;
const counts: Record<GateDecision, number> = { promote: 0, 'insufficient-coverage': 0, blocked: 0 };
for (const r of results) counts[r.decision]++;
const decisionsPerSec = MODULES / (totalMs / 1000);

console.log('');
console.log('| step | median ms | per module µs |');
console.log('|---|---|---|');
const row = (name: string, ms: number) => console.log(`| ${name} | ${ms.toFixed(2)} | ${((ms * 1000) / MODULES).toFixed(1)} |`);
row('buildModuleGraph', graphMs);
row('probabilities by module + moduleData + computeFis + evaluateGate', fisGateMs);
row('**whole gate**', totalMs);
row('floor: JSON.parse + sum coverage-summary.json', floorMs);
console.log('');
console.log(`decisions/s: ${Math.round(decisionsPerSec).toLocaleString('en-US')}`);
console.log(`gate ÷ floor: ${(totalMs / floorMs).toFixed(2)}× (the gate's own work against reading its coverage input once)`);
console.log(`goal: whole gate < 1 s for ${MODULES} modules: ${totalMs < 1000 ? 'met' : 'NOT met'} (${totalMs.toFixed(0)} ms)`);
console.log(`decisions: ${counts.promote} promote, ${counts['insufficient-coverage']} insufficient coverage, ${counts.blocked} blocked; exit code ${gateExitCode(results)}`);

if (JSON_FILE !== undefined) {
  writeFileSync(JSON_FILE, JSON.stringify({ machine, modules: MODULES, filesPerModule: FILES, runs: RUNS, graphMs, fisGateMs, totalMs, floorMs, ratio: totalMs / floorMs, decisionsPerSec, counts }, null, 2));
}
