#!/usr/bin/env node
/**
 * Records the early-warning corpus: the bundled example (examples/shop) run by `faultline loop` under many failure
 * cards, with long holds so every violation has a lead-up and a recovery. Each loop run becomes one corpus file
 * (`<out>/runs/<run id>.json`): the 250 ms series (traffic, and cpu/rss/fds per service), the timeline events and
 * the steady-state violation intervals (bucketVerdict against the run's own bounds) as labels.
 *
 *   npx tsc -p tsconfig.json && npx tsc -p examples/shop/tsconfig.json
 *   node scripts/record-corpus.mjs --out /tmp/fl-corpus [--phase 15s] [--recovery 20s] [--baseline 20s]
 *        [--cards all|id,id] [--per-run 4] [--repeats 2] [--budget 15m] [--seed 1] [--no-probe] [--keep-profiles]
 *        [--baseline-jitter 0s]
 *
 * First a probe: one quick loop over every card (1 s holds) finds the cards that cannot run on the example (the
 * error is kept as the reason) and the ones that trip a halt condition (which ends a loop early, so they are
 * drilled last in their run). Then runs of `--per-run` cards each, in a seeded shuffled order, each with its own
 * seed (faultline.yaml's defaults.seed) and free ports, until every card was drilled `--repeats` times or the
 * time budget would be exceeded. `<out>/manifest.json` lists runs, skipped cards and why, and the durations.
 * `--baseline-jitter D` lengthens each run's baseline by a seeded random 0…D (in 250 ms steps), so the first fault
 * does not land at the same second of every run: with equal schedules a forecaster can learn the time of the
 * injection from how long the run has been going, and "warn" of a step fault before it exists.
 * The corpus folder must be outside the repository; faultline observe warn-eval --data <out> reads it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(REPO, 'bin', 'faultline.js');
const EXAMPLE = join(REPO, 'examples', 'shop');

function usage(msg) {
  if (msg) process.stderr.write(`record-corpus: ${msg}\n`);
  process.stderr.write('usage: node scripts/record-corpus.mjs --out DIR [--phase 15s] [--recovery 20s] [--baseline 20s] [--baseline-jitter 0s] [--cards all|a,b] [--per-run 4] [--repeats 2] [--budget 15m] [--seed 1] [--no-probe] [--keep-profiles]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { phase: '15s', recovery: '20s', baseline: '20s', baselineJitter: '0s', cards: 'all', perRun: 4, repeats: 2, budget: '15m', seed: 1, probe: true, keepProfiles: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--out') o.out = next();
    else if (a === '--phase') o.phase = next();
    else if (a === '--recovery') o.recovery = next();
    else if (a === '--baseline') o.baseline = next();
    else if (a === '--baseline-jitter') o.baselineJitter = next();
    else if (a === '--cards') o.cards = next();
    else if (a === '--per-run') o.perRun = Number(next());
    else if (a === '--repeats') o.repeats = Number(next());
    else if (a === '--budget') o.budget = next();
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--no-probe') o.probe = false;
    else if (a === '--keep-profiles') o.keepProfiles = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!o.out) usage('--out DIR is required');
  if (!(Number.isInteger(o.perRun) && o.perRun >= 1)) usage('--per-run must be an integer ≥ 1');
  if (!(Number.isInteger(o.repeats) && o.repeats >= 1)) usage('--repeats must be an integer ≥ 1');
  if (!(Number.isInteger(o.seed) && o.seed >= 0)) usage('--seed must be an integer ≥ 0');
  return o;
}

function ms(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(s).trim());
  if (!m) usage(`"${s}" is not a duration (e.g. 20s, 15m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'];
}

/** mulberry32: the script's own seeded order of cards */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(list, rand) {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** runs a command, collecting stdout; kills it (SIGINT, then SIGKILL) after timeoutMs */
function run(cmd, args, { env, timeoutMs, onStderr }) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      onStderr?.(String(d));
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, out, err, timedOut });
    });
  });
}

/**
 * The example's faultline.yaml with absolute service folders and another seed, written outside the repository.
 * Unless --keep-profiles, without its fault profiles: they admit only the faults of the example's own loop, and the
 * corpus needs every card (CPU, memory, clock…); safe zones, maxConcurrentFaults and halt conditions stay.
 */
function configCopy(dir, seed, keepProfiles) {
  let text = readFileSync(join(EXAMPLE, 'faultline.yaml'), 'utf8');
  if (!keepProfiles) text = text.replace(/^profiles:\n(?:[ #].*\n|\n)*/m, '');
  text = text
    .replace(/^(\s+)command: (.*)$/gm, (_m, indent, cmd) => `${indent}command: ${cmd}\n${indent}cwd: ${JSON.stringify(EXAMPLE)}`)
    .replace(/^(\s+seed:\s*)\d+/m, `$1${seed}`)
    .replace(/^(\s+)loop:\n(\s+- .*\n)+/m, '');
  const file = join(dir, `faultline-seed-${seed}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function loop(o, cards, seed, phaseMs, recoveryMs, baselineMs, tag) {
  const work = join(o.out, 'work', tag);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const config = configCopy(work, seed, o.keepProfiles);
  const env = {
    FAULTLINE_STATE_DIR: join(work, 'state'),
    SHOP_API_PORT: String(await freePort()),
    SHOP_PRICING_PORT: String(await freePort()),
    SHOP_PRICING_LINK_PORT: String(await freePort()),
    FAULTLINE_API_PORT: String(await freePort()),
  };
  const reportDir = join(work, 'report');
  const expectMs = baselineMs + cards.length * (phaseMs + recoveryMs + 3000) + 20_000;
  const t0 = Date.now();
  const r = await run(process.execPath, [BIN, 'loop', '--json', '--config', config, '--cards', cards.join(','), '--phase', `${phaseMs}ms`, '--recovery', `${recoveryMs}ms`, '--baseline', `${baselineMs}ms`, '--report-dir', reportDir], {
    env,
    timeoutMs: expectMs * 1.5 + 30_000,
  });
  const tookMs = Date.now() - t0;
  let result;
  try {
    result = JSON.parse(r.out);
  } catch {
    result = undefined;
  }
  const reportFile = join(reportDir, 'report.json');
  const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : undefined;
  return { result, report, tookMs, code: r.code, timedOut: r.timedOut, stderr: r.err.slice(-2000) };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  o.out = resolve(o.out);
  if (!relative(REPO, o.out).startsWith('..')) usage(`--out ${o.out} is inside the repository; record the corpus elsewhere (e.g. /tmp/fl-corpus)`);
  for (const f of [join(REPO, 'dist', 'cli', 'main.js'), join(REPO, 'dist', 'observe', 'anomaly', 'warn-corpus.js'), join(EXAMPLE, 'dist', 'api.js')]) {
    if (!existsSync(f)) usage(`${relative(REPO, f)} is missing: build first (npx tsc -p tsconfig.json && npx tsc -p examples/shop/tsconfig.json)`);
  }
  const { warnRunFromReport, writeWarnRun } = await import(join(REPO, 'dist', 'observe', 'anomaly', 'warn-corpus.js'));
  mkdirSync(join(o.out, 'runs'), { recursive: true });
  const phaseMs = ms(o.phase);
  const recoveryMs = ms(o.recovery);
  const baselineMs = ms(o.baseline);
  const baselineJitterMs = ms(o.baselineJitter);
  const budgetMs = ms(o.budget);
  const started = Date.now();
  const say = (line) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

  const catalogue = JSON.parse((await run(process.execPath, [BIN, 'cards', '--json', '--config', join(EXAMPLE, 'faultline.yaml')], { timeoutMs: 60_000 })).out);
  let cards = o.cards === 'all' ? catalogue.map((c) => c.id) : o.cards.split(',').map((s) => s.trim()).filter(Boolean);
  const skipped = {};
  for (const id of cards) {
    const c = catalogue.find((x) => x.id === id);
    if (!c) skipped[id] = 'not in the catalogue';
    else if (c.status === 'needs-mechanism') skipped[id] = 'status needs-mechanism: faultline has no way to inject it yet';
  }
  cards = cards.filter((id) => !(id in skipped));

  // probe: which cards run on the example at all, and which trip a halt condition
  const halting = new Set();
  const probes = [];
  if (o.probe) {
    let left = [...cards];
    while (left.length > 0) {
      say(`probe: ${left.length} cards with 1 s holds`);
      const p = await loop(o, left, o.seed, 1000, 1000, 2000, `probe-${probes.length}`);
      probes.push({ cards: left, tookMs: p.tookMs, code: p.code });
      const phases = p.result?.phases ?? [];
      const refused = p.result?.error?.context?.card;
      if (phases.length === 0 && typeof refused === 'string' && left.includes(refused)) {
        // a card the example cannot bind (e.g. {netns}) fails the whole loop up front: skip it, probe the rest
        skipped[refused] = `${p.result.error.code}: ${p.result.error.message}`;
        left = left.filter((id) => id !== refused);
        continue;
      }
      if (phases.length === 0) {
        for (const id of left) skipped[id] = `the probe loop failed before any card ran (exit ${p.code}): ${p.result?.error?.message ?? p.stderr.trim().split('\n').pop()}`;
        break;
      }
      for (const ph of phases) {
        if (ph.error) skipped[ph.cardId] = ph.error;
        if (ph.halted) halting.add(ph.cardId);
      }
      const done = new Set(phases.map((ph) => ph.cardId));
      left = left.filter((id) => !done.has(id));
      if (left.length > 0) say(`probe: halted after ${phases.at(-1)?.cardId}; probing the ${left.length} cards after it`);
    }
    cards = cards.filter((id) => !(id in skipped));
    say(`probe: ${cards.length} cards run on the example; skipped: ${Object.keys(skipped).join(', ') || 'none'}; halt: ${[...halting].join(', ') || 'none'}`);
  }

  // plan: repeats × shuffled cards, in runs of perRun, halting cards last in their run
  const rand = rng(o.seed);
  const queue = [];
  for (let r = 0; r < o.repeats; r++) queue.push(...shuffle(cards, rand));
  const runs = [];
  let seed = o.seed;
  const perRunMs = (n) => baselineMs + baselineJitterMs + n * (phaseMs + recoveryMs + 1500) + 8000;
  // its own generator, so the card order does not depend on the jitter
  const jitterRand = rng(o.seed + 7919);
  while (queue.length > 0) {
    const batch = [];
    while (batch.length < o.perRun && queue.length > 0) {
      const i = queue.findIndex((id) => !batch.includes(id));
      if (i < 0) break;
      batch.push(...queue.splice(i, 1));
    }
    batch.sort((a, b) => Number(halting.has(a)) - Number(halting.has(b)));
    const elapsed = Date.now() - started;
    let n = batch.length;
    while (n > 0 && elapsed + perRunMs(n) > budgetMs) n--;
    if (n === 0) {
      say(`budget: ${(budgetMs / 60000).toFixed(1)} min would be exceeded; ${queue.length + batch.length} drills left undone`);
      break;
    }
    if (n < batch.length) queue.unshift(...batch.splice(n));
    seed++;
    const tag = `run-${String(runs.length + 1).padStart(2, '0')}`;
    const runBaselineMs = baselineMs + Math.floor((jitterRand() * baselineJitterMs) / 250) * 250;
    say(`${tag}: seed ${seed}, baseline ${(runBaselineMs / 1000).toFixed(2)} s, cards ${batch.join(', ')}`);
    const r = await loop(o, batch, seed, phaseMs, recoveryMs, runBaselineMs, tag);
    const entry = { tag, seed, baselineMs: runBaselineMs, cards: batch, tookMs: r.tookMs, exit: r.code, timedOut: r.timedOut };
    if (!r.report) {
      entry.error = `no report.json (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.result?.error?.message ?? r.stderr.trim().split('\n').pop()}`;
      say(`  ${entry.error}`);
      runs.push(entry);
      continue;
    }
    const ran = (r.result?.phases ?? []).filter((p) => p.fault).map((p) => p.cardId);
    const wr = warnRunFromReport(r.report, { cards: ran });
    wr.id = `${tag}-${r.report.id}`;
    writeWarnRun(join(o.out, 'runs'), wr);
    entry.id = wr.id;
    entry.drilled = ran;
    entry.halted = r.result?.halted;
    entry.buckets = wr.atMs.length;
    entry.violations = wr.violations.length;
    entry.bounds = wr.bounds;
    runs.push(entry);
    say(`  ${wr.atMs.length} buckets, ${wr.violations.length} violations, bounds err ≤ ${wr.bounds.maxErrorRate}${wr.bounds.maxP99LatencyMs ? `, p99 ≤ ${wr.bounds.maxP99LatencyMs.toFixed(0)} ms` : ''}${entry.halted ? `; HALT ${entry.halted}` : ''} (${(r.tookMs / 1000).toFixed(0)} s)`);
    // cards a halt left undrilled go back into the queue
    const undrilled = batch.filter((id) => !ran.includes(id) && !(r.result?.phases ?? []).some((p) => p.cardId === id && p.error));
    if (undrilled.length > 0 && entry.halted) queue.push(...undrilled);
  }
  rmSync(join(o.out, 'work'), { recursive: true, force: true });
  const manifest = {
    command: `node scripts/record-corpus.mjs ${process.argv.slice(2).join(' ')}`,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    node: process.version,
    keepProfiles: o.keepProfiles,
    phaseMs,
    recoveryMs,
    baselineMs,
    baselineJitterMs,
    probes,
    skipped,
    halting: [...halting],
    runs,
  };
  writeFileSync(join(o.out, 'manifest.json'), JSON.stringify(manifest, null, 2));
  say(`done: ${runs.filter((r) => r.id).length} runs, ${runs.reduce((n, r) => n + (r.violations ?? 0), 0)} violations in ${((Date.now() - started) / 60000).toFixed(1)} min → ${o.out}`);
}

main().catch((e) => {
  process.stderr.write(`record-corpus: ${e.stack ?? e}\n`);
  process.exit(1);
});
