#!/usr/bin/env node
/**
 * Evaluates `faultline refactor` on a real repository (docs/benchmarks.md, "refactor on real repositories").
 *
 *   npx tsc -p tsconfig.json
 *   node scripts/eval-refactor.mjs --repo path/to/<owner>/<name> [--config FILE] [--name owner/name]
 *        [--predict] [--state-dir DIR] [--no-base-run] [--timeout 20m] [--out FILE] [-- <more refactor options>]
 *
 * The repository is a clone with its dependencies installed (node_modules), at the commit to evaluate. The script
 *   1. with --predict, runs `faultline predict rank` first, so the failure points join the smells as targets;
 *   2. runs the test suite itself on a fresh worktree of the base commit (tests before: counts and result);
 *   3. runs `faultline --json refactor run --repo <repo>` (with --config FILE when given: put the faultline.yaml
 *      outside the repository; its `refactor.test` restricts the test command);
 *   4. runs the same checks once more on a fresh worktree of the refactor branch tip: the claim to prove is that
 *      the kept fixes, together, leave the test suite green;
 * and prints one summary object (also written to --out): repository, commit, commands, tests before, fixes
 * attempted/kept/reverted/skipped/unverified, per recipe, per fix with its reason, and the tip run.
 *
 * The state folder (patches, reports, the record of fixes) is a fresh temporary folder unless --state-dir is
 * given. Worktrees of the script live in the os tmpdir and are removed; the refactor branch stays in the
 * repository for inspection. Nothing is written to the repository's working tree.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(HERE, 'bin', 'faultline.js');

function usage(msg) {
  if (msg) process.stderr.write(`eval-refactor: ${msg}\n`);
  process.stderr.write('usage: node scripts/eval-refactor.mjs --repo PATH [--config FILE] [--name owner/name] [--predict] [--state-dir DIR] [--no-base-run] [--timeout 20m] [--out FILE] [-- <refactor options>]\n');
  process.exit(2);
}

/** "90s", "20m", "1h", or ms. */
export function parseDurationMs(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(s).trim());
  if (!m) throw new Error(`not a duration: ${s}`);
  const n = Number(m[1]);
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']);
}

export function parseArgs(argv) {
  const o = { predict: false, baseRun: true, timeoutMs: 20 * 60_000, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--') {
      o.extra = argv.slice(i + 1);
      break;
    } else if (a === '--repo') o.repo = next();
    else if (a === '--config') o.config = next();
    else if (a === '--name') o.name = next();
    else if (a === '--predict') o.predict = true;
    else if (a === '--state-dir') o.stateDir = next();
    else if (a === '--no-base-run') o.baseRun = false;
    else if (a === '--timeout') o.timeoutMs = parseDurationMs(next());
    else if (a === '--out') o.out = next();
    else usage(`unknown option ${a}`);
  }
  if (!o.repo) usage('--repo is required');
  return o;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

function sumAll(text, re) {
  let total = 0;
  let seen = false;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]);
    seen = true;
  }
  return seen ? total : undefined;
}

/**
 * Test counts from a test command's output: mocha ("N passing/failing/pending"), node:test ("# pass N" /
 * "ℹ pass N"), vitest and jest ("Tests  N passed | M failed"), ava ("N tests passed"). Several runs in one
 * command (`a && b`) are added up. Undefined when no runner's summary was recognised.
 */
export function parseTestCounts(output) {
  const text = output.replace(ANSI, '').replace(/\r/g, '');
  const counts = { passed: 0, failed: 0, skipped: 0, runners: [] };
  const add = (runner, passed, failed, skipped) => {
    if (passed === undefined && failed === undefined) return;
    counts.runners.push(runner);
    counts.passed += passed ?? 0;
    counts.failed += failed ?? 0;
    counts.skipped += skipped ?? 0;
  };
  add('mocha', sumAll(text, /^\s*(\d+) passing\b/gm), sumAll(text, /^\s*(\d+) failing\b/gm), sumAll(text, /^\s*(\d+) pending\b/gm));
  add('node:test', sumAll(text, /^(?:#|ℹ) pass (\d+)\s*$/gm), sumAll(text, /^(?:#|ℹ) fail (\d+)\s*$/gm), sumAll(text, /^(?:#|ℹ) (?:skipped|todo) (\d+)\s*$/gm));
  // vitest: " Tests  125 passed | 2 skipped (127)"; jest: "Tests:       1 failed, 120 passed, 121 total"
  const lines = [...text.matchAll(/^\s*Tests:?\s+(.*\d+ (?:passed|failed).*)$/gm)].map((m) => m[1]);
  if (lines.length > 0) {
    const joined = lines.join('\n');
    add('vitest/jest', sumAll(joined, /(\d+) passed/g) ?? 0, sumAll(joined, /(\d+) failed/g) ?? 0, sumAll(joined, /(\d+) (?:skipped|todo)/g));
  }
  add('ava', sumAll(text, /^\s*(\d+) tests? passed\b/gm), sumAll(text, /^\s*(\d+) tests? failed\b/gm), sumAll(text, /^\s*(\d+) tests? skipped\b/gm));
  return counts.runners.length > 0 ? counts : undefined;
}

/** owner/name from a clone's origin: a github URL, or a mirror folder named `owner+name`. */
export function repoName(originUrl) {
  const u = originUrl.trim().replace(/\.git$/, '').replace(/\/repo$/, '');
  const gh = /github\.com[/:]([^/]+)\/([^/]+)$/.exec(u);
  if (gh) return `${gh[1]}/${gh[2]}`;
  const mirror = /([^/+]+)\+([^/]+)$/.exec(u);
  if (mirror) return `${mirror[1]}/${mirror[2]}`;
  return u.split('/').slice(-2).join('/');
}

/**
 * A check command of the report, runnable in another worktree: the engine's type-check names the typescript of
 * its own (removed) worktree by absolute path; any such path becomes the worktree-relative `node_modules/…`.
 */
export function portableCommand(command) {
  return command.replace(/(?:'[^']*|[^\s']*)\/node_modules\/([^\s']+)'?/g, 'node_modules/$1');
}

/** Runs a command line with /bin/sh in its own process group; kills the group at the timeout. */
function sh(command, cwd, timeoutMs, env = {}) {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn('/bin/sh', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout = (stdout + d).slice(-4_000_000)));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4_000_000)));
    const kill = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      done({ exitCode: null, stdout, stderr: stderr + String(e), ms: performance.now() - t0, timedOut });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      kill();
      done({ exitCode: code, stdout, stderr, ms: performance.now() - t0, timedOut });
    });
  });
}

/** `cmd args…` without a shell; throws with stderr when it fails. */
function run(cmd, args, cwd, env = {}) {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

async function git(cwd, ...args) {
  const r = await run('git', args, cwd);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** The error of a failed `faultline --json` run: its {error} object on stdout, else the tail of stderr. */
function errorOf(r) {
  try {
    const e = JSON.parse(r.stdout).error;
    if (e) return `${e.code}: ${String(e.message).slice(-3000)}`;
  } catch {
    // not JSON
  }
  return r.stderr.trim().slice(-3000);
}

const secs = (ms) => Math.round(ms / 100) / 10;

/**
 * The checks (type-check and tests, as the engine ran them) on a fresh detached worktree of `commit`, with the
 * repository's node_modules linked in as the engine does. Returns each check's verdict, time and test counts.
 */
async function verifyAt(root, project, commit, checks, label, timeoutMs, say) {
  const dir = mkdtempSync(join(tmpdir(), `eval-refactor-${label}-`));
  rmSync(dir, { recursive: true, force: true });
  await git(root, 'worktree', 'add', '--detach', dir, commit);
  const link = join(dir, 'node_modules');
  if (existsSync(join(root, 'node_modules')) && !existsSync(link)) symlinkSync(join(root, 'node_modules'), link, 'dir');
  const out = [];
  try {
    for (const c of checks) {
      say(`${label}: ${c.name}: ${c.command}`);
      const r = await sh(c.command, join(dir, project), timeoutMs);
      const all = `${r.stdout}\n${r.stderr}`;
      const ok = r.exitCode === 0 && !r.timedOut;
      const tests = c.kind === 'test' ? parseTestCounts(all) : undefined;
      out.push({ name: c.name, kind: c.kind, command: c.command, ok, exitCode: r.exitCode, timedOut: r.timedOut, s: secs(r.ms), ...(tests ? { tests } : {}), ...(ok ? {} : { tail: all.replace(ANSI, '').trimEnd().slice(-3000) }) });
      say(`${label}: ${c.name}: ${ok ? 'passed' : 'FAILED'} in ${secs(r.ms)} s${tests ? ` (${tests.passed} passed, ${tests.failed} failed, ${tests.skipped} skipped)` : ''}`);
    }
  } finally {
    try {
      if (lstatSync(link).isSymbolicLink()) rmSync(link);
    } catch {
      // no link
    }
    await run('git', ['worktree', 'remove', '--force', dir], root);
    rmSync(dir, { recursive: true, force: true });
  }
  const test = out.find((c) => c.kind === 'test');
  return { commit, ok: out.every((c) => c.ok), tests: test?.tests ?? null, testOk: test?.ok ?? null, checks: out };
}

function perRecipe(fixes) {
  const by = {};
  for (const f of fixes) {
    const id = f.recipe ?? '(none applies)';
    const r = (by[id] ??= { attempted: 0, kept: 0, reverted: 0, skipped: 0, unverified: 0 });
    r.attempted++;
    r[f.outcome]++;
  }
  return by;
}

function fixLine(f) {
  return {
    id: f.id,
    recipe: f.recipe ?? null,
    at: `${f.target.path}:${f.target.line}`,
    source: f.target.source,
    confidence: Math.round(f.target.confidence * 100) / 100,
    outcome: f.outcome,
    ...(f.reason ? { reason: f.reason.split('\n')[0].slice(0, 400) } : {}),
    checks: f.checks.map((c) => `${c.name} ${c.ok === null ? 'not run' : c.ok ? 'ok' : 'FAILED'} ${secs(c.ms)} s`).join(', '),
    ...(f.commit ? { commit: f.commit } : {}),
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const say = (m) => process.stderr.write(`eval-refactor: ${m}\n`);
  const t0 = performance.now();
  const repoArg = resolve(o.repo);
  const root = await git(repoArg, 'rev-parse', '--show-toplevel');
  const project = relative(root, repoArg);
  const commit = await git(root, 'rev-parse', 'HEAD');
  const commitDate = await git(root, 'show', '-s', '--format=%cI', commit);
  const origin = (await run('git', ['remote', 'get-url', 'origin'], root)).stdout;
  const name = o.name ?? repoName(origin || root);
  const stateDir = resolve(o.stateDir ?? mkdtempSync(join(tmpdir(), 'eval-refactor-state-')));
  mkdirSync(stateDir, { recursive: true });
  const env = { FAULTLINE_STATE_DIR: stateDir };
  const global = ['--json', ...(o.config ? ['--config', resolve(o.config)] : [])];
  const faultlineCommit = (await run('git', ['rev-parse', 'HEAD'], HERE)).stdout.trim() || null;

  let predictions = null;
  if (o.predict) {
    say(`predict rank on ${name} at ${commit.slice(0, 10)}`);
    const p0 = performance.now();
    const r = await run(process.execPath, [BIN, ...global, 'predict', 'rank', '--repo', repoArg], root, env);
    if (r.code !== 0) throw new Error(`faultline predict failed (exit ${r.code}): ${errorOf(r)}`);
    const j = JSON.parse(r.stdout);
    predictions = { points: Array.isArray(j.points) ? j.points.length : null, model: j.model ? `${j.model.source ?? "?"} ${j.model.kind ?? ""}`.trim() : null, s: secs(performance.now() - p0) };
  }

  say(`refactor on ${name} at ${commit.slice(0, 10)} (state ${stateDir})`);
  const refactorArgs = [...global, 'refactor', 'run', '--repo', repoArg, ...o.extra];
  const r0 = performance.now();
  const rr = await run(process.execPath, [BIN, ...refactorArgs], root, env);
  const refactorMs = performance.now() - r0;
  if (rr.code !== 0) throw new Error(`faultline refactor failed (exit ${rr.code}): ${errorOf(rr)}`);
  const report = JSON.parse(rr.stdout);

  // the checks as the engine ran them (not the experiments), runnable in another worktree
  const checks = report.checks.filter((c) => c.kind !== 'experiment').map((c) => ({ name: c.name, kind: c.kind, command: portableCommand(c.command) }));
  const testCheck = checks.find((c) => c.kind === 'test');

  const before = o.baseRun && checks.length > 0 ? await verifyAt(root, project, commit, checks, 'base', o.timeoutMs, say) : null;
  const tip = report.branch ? await git(root, 'rev-parse', report.branch) : null;
  let tipRun = null;
  if (tip && checks.length > 0) tipRun = await verifyAt(root, project, tip, checks, 'tip', o.timeoutMs, say);

  const baseline = Object.fromEntries(report.baseline.map((c) => [c.name, { ok: c.ok, s: secs(c.ms) }]));
  const summary = {
    repository: name,
    commit,
    commitDate,
    faultlineCommit,
    command: `node bin/faultline.js ${refactorArgs.map((a) => (a === repoArg ? 'path/to/' + name : o.config && a === resolve(o.config) ? o.config : a)).join(' ')}`,
    predicted: predictions,
    testCommand: testCheck?.command ?? null,
    typecheckCommand: checks.find((c) => c.kind === 'typecheck')?.command ?? null,
    engineBaseline: baseline,
    testsBefore: before ? { ok: before.ok, testOk: before.testOk, tests: before.tests, checks: before.checks.map(({ tail, ...c }) => (c.ok ? c : { ...c, tail })) } : null,
    fixes: report.summary,
    dropped: report.dropped.length,
    perRecipe: perRecipe(report.fixes),
    perFix: report.fixes.map(fixLine),
    branch: report.branch ?? null,
    tip,
    tipRun: tipRun ? { ok: tipRun.ok, testOk: tipRun.testOk, tests: tipRun.tests, checks: tipRun.checks } : null,
    greenOnTip: tipRun ? tipRun.ok : report.summary.kept + report.summary.unverified === 0 ? 'no fix kept: the tip is the base commit' : false,
    sameTestCountOnTip: before?.tests && tipRun?.tests ? before.tests.passed === tipRun.tests.passed && before.tests.failed === tipRun.tests.failed : null,
    time: {
      refactorS: secs(refactorMs),
      engine: Object.fromEntries(Object.entries(report.timing).map(([k, v]) => [k.replace(/Ms$/, 'S'), secs(v)])),
      baseRunS: before ? secs(before.checks.reduce((s, c) => s + c.s * 1000, 0)) : null,
      tipRunS: tipRun ? secs(tipRun.checks.reduce((s, c) => s + c.s * 1000, 0)) : null,
      totalS: secs(performance.now() - t0),
    },
    runId: report.runId,
    stateDir,
    notes: report.notes,
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
  };
  const text = JSON.stringify(summary, null, 2);
  if (o.out) writeFileSync(resolve(o.out), text + '\n');
  process.stdout.write(text + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`eval-refactor: ${e.message}\n`);
    process.exit(1);
  });
}
