/**
 * `faultline test -- <command>`: a project's own test suite under chaos. The suite runs once clean (with the
 * agent loaded, no fault), then once per fault (or once with all of them): agent faults are armed at start-up
 * in every Node process the command spawns (NODE_OPTIONS --import the agent, FAULTLINE_AGENT_FAULTS), proxy
 * faults are injected on the links of faultline.yaml through a FaultDriver. A test that passed clean and
 * fails, hangs or does not report under a fault is blamed on it, with the code paths the agent saw.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import { newFaultId, nullLedger, type LedgerSink } from '../../core/fault.js';
import type { EvidenceSite, FaultDriver, HypothesisCheck, Recommendation, RunFault, RunReport } from '../../core/run.js';
import { appendRun } from '../../store/runs.js';
import { evidenceSites, failureSite, readRunEvidence } from './evidence.js';
import type { AgentStartFault, ChaosFault } from './faults.js';
import { runSuite, type SuiteRun } from './suite.js';
import type { TestResult } from './results.js';

export { parseChaosFault, defaultChaosFaults, seedFaults, type ChaosFault, type AgentStartFault } from './faults.js';
export { parseTap, parseJunit, type TestResult, type TestStatus } from './results.js';
export { runSuite, type SuiteRun, type SuiteRunOptions } from './suite.js';
export { readRunEvidence, evidenceSites, failureSite, type RunEvidence } from './evidence.js';

export interface TestUnderChaosOptions {
  /** program and arguments, run without a shell */
  command: readonly string[];
  cwd: string;
  /** parsed (and seeded) faults; see parseChaosFault / defaultChaosFaults / seedFaults */
  faults: readonly ChaosFault[];
  /** one suite run per fault (default) or one run with every fault at once */
  mode?: 'each' | 'together';
  /** per suite run; the process group is killed after it (default 5 min) */
  timeoutMs?: number;
  /** JUnit XML file the command writes (absolute or relative to cwd); else TAP on stdout is read */
  junitFile?: string;
  /** where report.json, logs/ and evidence/ go */
  reportDir: string;
  /** faultline's state folder: agent announcements and expiry events; the run is appended to its runs.jsonl */
  stateDir: string;
  /** absolute path of the agent's register.js (what `--import faultline/agent` resolves to) */
  agentImport: string;
  /** applies proxy faults; required when `faults` has any */
  proxy?: FaultDriver;
  ledger?: LedgerSink;
  seed: number;
  /** FAULTLINE_AGENT_INCLUDE for the agents (comma-separated globs) */
  include?: string;
  /** base environment (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** folders whose frames are not the project's code (faultline itself) */
  internalDirs?: readonly string[];
  runId?: string;
  title?: string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface TestOutcome {
  test: string;
  status: 'failed' | 'hung' | 'missing';
  message?: string;
  /** the project's code where the failure passed (from the failure's stack), file:line */
  location?: string;
  fn?: string;
}

export interface SuiteRunSummary {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  format: SuiteRun['format'];
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  log: string;
}

export interface FaultRunResult {
  /** the run's id of the fault(s) (RunFault.id) */
  ids: string[];
  labels: string[];
  scenarios: string[];
  run: SuiteRunSummary;
  /** tests that passed clean and failed under the fault(s) */
  failed: TestOutcome[];
  /** tests that passed clean and had not reported when the run was killed at its timeout */
  hung: TestOutcome[];
  /** tests that passed clean and did not report although the run ended by itself (a crash) */
  missing: TestOutcome[];
  /** where the agent saw errors while the fault(s) were active */
  evidence: EvidenceSite[];
  /** processes that ran the agent */
  processes: number;
  /** agent faults: times applied, summed over processes (same order as the agent faults of `labels`) */
  hits: Array<{ label: string; hits: number }>;
  /** what did not go as asked: a fault the agent refused, a fault that never applied */
  notes: string[];
}

export interface TestUnderChaosResult {
  id: string;
  command: string[];
  cwd: string;
  seed: number;
  mode: 'each' | 'together';
  timeoutMs: number;
  clean: SuiteRunSummary & { alreadyFailing: TestOutcome[] };
  runs: FaultRunResult[];
  /** some test failed, hung or went missing only under faults */
  fragile: boolean;
  report: RunReport;
  reportPath: string;
}

const MARGIN_MS = 30_000;

function summary(r: SuiteRun, log: string): SuiteRunSummary {
  const count = (s: TestResult['status']): number => r.tests.filter((t) => t.status === s).length;
  return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, durationMs: r.durationMs, format: r.format, tests: r.tests.length, passed: count('pass'), failed: count('fail'), skipped: count('skip'), log };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function testFileOf(location: string | undefined): string | undefined {
  return location?.replace(/^file:\/\//, '').replace(/:\d+:\d+$/, '');
}

/** Runs the suite clean, then under the faults; writes report.json and appends the run to the store. */
export async function runTestsUnderChaos(o: TestUnderChaosOptions): Promise<TestUnderChaosResult> {
  const mode = o.mode ?? 'each';
  const timeoutMs = o.timeoutMs ?? 5 * 60_000;
  const ledger = o.ledger ?? nullLedger;
  const say = o.onProgress ?? (() => undefined);
  const id = o.runId ?? newFaultId('test');
  const internal = o.internalDirs ?? [];
  if (o.faults.some((f) => f.layer === 'proxy') && !o.proxy) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'proxy faults need the proxy links of faultline.yaml; run with --config naming a file that has proxy.proxies');
  }
  const startedAt = Date.now();
  mkdirSync(o.reportDir, { recursive: true });
  const junit = o.junitFile === undefined ? undefined : isAbsolute(o.junitFile) ? o.junitFile : join(o.cwd, o.junitFile);
  const base = { ...(o.env ?? process.env) };
  // several processes cannot share one fixed control port
  delete base.FAULTLINE_AGENT_PORT;
  delete base.FAULTLINE_AGENT_FAULTS;
  const entry = `--import ${/\s/.test(o.agentImport) ? JSON.stringify(o.agentImport) : o.agentImport}`;

  let runNo = 0;
  const runOnce = async (agentFaults: AgentStartFault[], name: string): Promise<{ run: SuiteRun; summary: SuiteRunSummary; evidenceDir: string }> => {
    runNo++;
    const evidenceDir = join(o.reportDir, 'evidence', `${runNo}-${name}`);
    const logFile = join(o.reportDir, 'logs', `${runNo}-${name}.log`);
    const env: NodeJS.ProcessEnv = {
      ...base,
      NODE_OPTIONS: base.NODE_OPTIONS ? `${base.NODE_OPTIONS} ${entry}` : entry,
      FAULTLINE_STATE_DIR: o.stateDir,
      FAULTLINE_AGENT_EVIDENCE_DIR: evidenceDir,
      FAULTLINE_AGENT_SEED: String(o.seed),
      ...(o.include ? { FAULTLINE_AGENT_INCLUDE: o.include } : {}),
      // the TTL counts from each process's start; a run is killed at its timeout, so this outlives no run
      ...(agentFaults.length > 0 ? { FAULTLINE_AGENT_FAULTS: JSON.stringify(agentFaults.map((f) => ({ ...f, ttlMs: timeoutMs + MARGIN_MS, actor: 'faultline test' }))) } : {}),
    };
    const run = await runSuite({ command: o.command, cwd: o.cwd, env, timeoutMs, logFile, ...(junit ? { junitFile: junit } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    // processes killed at the timeout could not remove their agent announcements
    if (existsSync(evidenceDir)) {
      for (const f of readdirSync(evidenceDir)) {
        const pid = Number(f.replace(/\.json$/, ''));
        if (Number.isInteger(pid) && !alive(pid)) rmSync(join(o.stateDir, 'agents', `${pid}.json`), { force: true });
      }
    }
    if (o.signal?.aborted) throw new FaultlineError('FL_ERR_INTERRUPTED', 'interrupted: the test run was killed and every fault reverted');
    return { run, summary: summary(run, logFile), evidenceDir };
  };

  say(`clean run: ${o.command.join(' ')}`);
  const clean = await runOnce([], 'clean');
  if (clean.run.tests.length === 0) {
    throw new FaultlineError(
      'FL_ERR_TEST_NO_RESULTS',
      `the clean run reported no test results (exit code ${String(clean.run.exitCode)}${clean.run.timedOut ? ', killed at the timeout' : ''}); the command must print TAP (node --test does when its output is not a terminal) or write JUnit XML named with --junit FILE; output: ${clean.summary.log}`,
    );
  }
  const passedClean = clean.run.tests.filter((t) => t.status === 'pass');
  const alreadyFailing: TestOutcome[] = clean.run.tests
    .filter((t) => t.status === 'fail')
    .map((t) => ({ test: t.name, status: 'failed', ...(t.message ? { message: t.message } : {}) }));
  say(`clean: ${clean.summary.passed} passed, ${clean.summary.failed} failed (already failing, not blamed on faults), ${clean.summary.skipped} skipped in ${clean.run.durationMs} ms`);

  const groups: ChaosFault[][] = mode === 'together' ? (o.faults.length ? [o.faults.slice()] : []) : o.faults.map((f) => [f]);
  const ids = new Map<ChaosFault, string>(o.faults.map((f) => [f, newFaultId('test')]));
  const runFaults: RunFault[] = [];
  const checks: HypothesisCheck[] = [];
  const recommendations: Recommendation[] = [];
  const allSites: EvidenceSite[] = [];
  const runs: FaultRunResult[] = [];
  try {
    for (const group of groups) {
      const labels = group.map((f) => f.label);
      const agentFaults = group.filter((f): f is Extract<ChaosFault, { layer: 'agent' }> => f.layer === 'agent');
      const groupIds = group.map((f) => ids.get(f) as string);
      say(`under ${labels.join(' + ')}`);
      const startMs = Date.now() - startedAt;
      const injected: string[] = [];
      for (const f of group) {
        const fid = ids.get(f) as string;
        if (f.layer === 'proxy') {
          const a = await (o.proxy as FaultDriver).inject({ ...f.proxy, ttlMs: timeoutMs + MARGIN_MS });
          injected.push(a.id);
        } else {
          ledger.record({ action: 'inject', faultId: fid, kind: f.agent.kind, layer: 'agent', target: `test command: ${JSON.stringify(f.agent.target)}`, params: f.agent.params, actor: 'faultline test', outcome: 'ok', ttlMs: timeoutMs + MARGIN_MS, detail: 'armed at start-up in every Node process of the test command (FAULTLINE_AGENT_FAULTS)' });
        }
      }
      let r: Awaited<ReturnType<typeof runOnce>>;
      try {
        r = await runOnce(
          agentFaults.map((f) => f.agent),
          mode === 'together' ? 'together' : `fault-${runs.length + 1}`,
        );
      } finally {
        for (const pid of injected) await (o.proxy as FaultDriver).revert(pid);
        for (const f of agentFaults) {
          ledger.record({ action: 'revert', faultId: ids.get(f) as string, kind: f.agent.kind, layer: 'agent', target: 'test command', params: f.agent.params, actor: 'faultline test', outcome: 'ok', detail: 'the test run ended' });
        }
      }
      const endMs = Date.now() - startedAt;
      for (const f of group) {
        runFaults.push({
          id: ids.get(f) as string,
          kind: f.layer === 'agent' ? f.agent.kind : f.proxy.kind,
          layer: f.layer,
          target: f.layer === 'agent' ? JSON.stringify(f.agent.target) : `proxy=${String(f.proxy.target.proxy)}`,
          params: f.layer === 'agent' ? { ...f.agent.params, ...(f.agent.probability === undefined ? {} : { probability: f.agent.probability }), ...(f.agent.seed === undefined ? {} : { seed: f.agent.seed }) } : f.proxy.params,
          startMs,
          endMs,
          endedBy: 'run',
        });
      }
      const byName = new Map(r.run.tests.map((t) => [t.name, t]));
      const failed: TestOutcome[] = [];
      const hung: TestOutcome[] = [];
      const missing: TestOutcome[] = [];
      for (const t of passedClean) {
        const u = byName.get(t.name);
        if (u?.status === 'fail') {
          const site = failureSite(u.stack, o.cwd, internal, testFileOf(u.location));
          failed.push({ test: t.name, status: 'failed', ...(u.message ? { message: u.message } : {}), ...(site ? { location: site.location, ...(site.fn ? { fn: site.fn } : {}) } : {}) });
        } else if (!u && r.run.timedOut) hung.push({ test: t.name, status: 'hung', message: `no result within the timeout of ${timeoutMs} ms` });
        else if (!u) missing.push({ test: t.name, status: 'missing', message: `did not report a result (the command exited with ${r.run.signal ?? `code ${String(r.run.exitCode)}`})` });
        const broken = failed.find((x) => x.test === t.name) ?? hung.find((x) => x.test === t.name) ?? missing.find((x) => x.test === t.name);
        checks.push({
          phase: 'during',
          probe: `${t.name} under ${labels.join(' + ')}`,
          met: !broken,
          tolerance: 'pass',
          value: broken ? broken.status : (u?.status ?? 'pass'),
          ...(broken?.message ? { error: broken.message } : {}),
          atMs: startMs,
          durationMs: r.run.durationMs,
        });
      }
      const ev = readRunEvidence(r.evidenceDir, agentFaults.length);
      const sites = evidenceSites(ev.errors, groupIds.join('+'), o.cwd);
      for (const s of sites) s.faultIds = groupIds;
      allSites.push(...sites);
      const notes: string[] = [];
      for (const x of ev.refused) notes.push(`${agentFaults[x.index]?.label ?? `agent fault ${x.index}`}: refused by the agent: ${x.reason}`);
      const hits = agentFaults.map((f, i) => ({ label: f.label, hits: ev.hits[i] ?? 0 }));
      for (const h of hits) {
        if (h.hits === 0 && !ev.refused.some((x) => agentFaults[x.index]?.label === h.label)) {
          notes.push(`${h.label}: never applied in ${ev.processes} agent process(es): no instrumented function matched, or it was never called (see \`faultline agent functions\`; node_modules are not instrumented)`);
        }
      }
      if (ev.processes === 0 && agentFaults.length > 0) notes.push('no Node process of the command ran the agent: is the command a Node program (NODE_OPTIONS must reach it)?');
      const result: FaultRunResult = { ids: groupIds, labels, scenarios: group.flatMap((f) => (f.scenario ? [f.scenario] : [])), run: r.summary, failed, hung, missing, evidence: sites, processes: ev.processes, hits, notes };
      runs.push(result);
      for (const x of [...failed, ...hung, ...missing]) {
        const where = x.location ?? sites[0]?.location;
        recommendations.push({
          title: `"${x.test}" ${x.status === 'hung' ? 'hangs' : 'fails'} under ${labels.join(' + ')}`,
          why: x.message ?? x.status,
          change:
            x.status === 'hung'
              ? `bound the wait on the dependency with a timeout (AbortSignal.timeout, a deadline) and fail fast or fall back${where ? ` at ${where}` : ''}`
              : `handle the dependency's failure where it is called${x.fn ? ` (${x.fn})` : ''}${where ? ` at ${where}` : ''}: catch it and fall back, retry with a limit, or report a clear error`,
          severity: x.status === 'failed' ? 'high' : 'medium',
          ...(where ? { location: where } : {}),
        });
      }
      say(`  ${labels.join(' + ')}: ${failed.length} failed, ${hung.length} hung, ${missing.length} missing only under the fault (${r.run.durationMs} ms)`);
    }
  } finally {
    if (o.proxy) await o.proxy.revertAll().catch(() => undefined);
  }

  const fragile = runs.some((r) => r.failed.length + r.hung.length + r.missing.length > 0);
  const endedAt = Date.now();
  const reportPath = join(o.reportDir, 'report.json');
  const report: RunReport = {
    id,
    kind: 'test',
    title: o.title ?? `tests under chaos: ${o.command.join(' ')}`,
    status: 'completed',
    deviated: fragile,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationMs: endedAt - startedAt,
    seed: o.seed,
    checks,
    faults: runFaults,
    evidence: allSites,
    recommendations,
    artifacts: { report: reportPath, logs: join(o.reportDir, 'logs'), evidence: join(o.reportDir, 'evidence') },
  };
  const result: TestUnderChaosResult = { id, command: [...o.command], cwd: o.cwd, seed: o.seed, mode, timeoutMs, clean: { ...clean.summary, alreadyFailing }, runs, fragile, report, reportPath };
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  appendRun(o.stateDir, { id, kind: 'test', title: report.title, status: report.status, deviated: fragile, startedAt: report.startedAt, endedAt: report.endedAt, durationMs: report.durationMs, mttdMs: null, mttrMs: null, reportPath });
  return result;
}

function cut(s: string | undefined, n: number): string {
  const one = (s ?? '').replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** The terminal table: per fault, the tests that broke only under it and the code paths. */
export function renderTestUnderChaos(r: TestUnderChaosResult): string {
  const out: string[] = [];
  out.push(`faultline test: ${r.command.join(' ')}  (seed ${r.seed}, ${r.mode}, timeout ${r.timeoutMs} ms)`);
  out.push(`clean run: ${r.clean.passed} passed, ${r.clean.failed} failed, ${r.clean.skipped} skipped (${r.clean.format}, ${r.clean.durationMs} ms)`);
  for (const t of r.clean.alreadyFailing) out.push(`  already failing (not blamed): ${t.test}${t.message ? ` — ${cut(t.message, 80)}` : ''}`);
  out.push('');
  out.push(`${'fault'.padEnd(44)} ${'failed'.padStart(6)} ${'hung'.padStart(5)} ${'missing'.padStart(7)} ${'time'.padStart(8)}`);
  for (const run of r.runs) {
    out.push(`${cut(run.labels.join(' + '), 44).padEnd(44)} ${String(run.failed.length).padStart(6)} ${String(run.hung.length).padStart(5)} ${String(run.missing.length).padStart(7)} ${`${(run.run.durationMs / 1000).toFixed(1)}s`.padStart(8)}`);
  }
  for (const run of r.runs) {
    const broken = [...run.failed, ...run.hung, ...run.missing];
    if (broken.length === 0 && run.notes.length === 0) continue;
    out.push('', `under ${run.labels.join(' + ')}:`);
    for (const t of broken) out.push(`  ${t.status.toUpperCase().padEnd(7)} ${t.test}${t.message ? ` — ${cut(t.message, 90)}` : ''}${t.location ? `\n          at ${t.location}${t.fn ? ` (${t.fn})` : ''}` : ''}`);
    if (run.evidence.length > 0) {
      out.push('  code paths the agent saw errors at:');
      for (const s of run.evidence.slice(0, 8)) out.push(`    ${String(s.count).padStart(4)}×  ${s.location}${s.fn ? ` ${s.fn}` : ''} — ${cut(s.message, 70)}`);
    }
    for (const n of run.notes) out.push(`  note: ${n}`);
  }
  out.push('', r.fragile ? 'tests fail or hang only under faults (exit 1)' : 'no test fails or hangs only under faults', `report: ${r.reportPath}`);
  return out.join('\n');
}
