/**
 * `faultline gate`, `promote`, `rollback`: risk-gated promotion of a project's modules.
 *
 * The gate reads, per module: the calibrated probabilities of its files (gate-risk.ts), its place in the module
 * graph (imports and package dependencies), its coverage (a report, or the tests run under coverage with
 * --run-tests) and its past releases (the release registry: rollbacks raise the bar). It prints one decision per
 * module and exits 0 (promote), 1 (insufficient coverage) or 3 (blocked).
 *
 * `promote` gates one module, records the release, deploys it through the rollback adapter when asked, watches
 * it for the configured window (health, traffic, a PromQL query) and rolls it back when it fails.
 */
import { writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { FaultlineConfig } from '../../core/config-types.js';
import { FaultlineError } from '../../core/errors.js';
import type { FISResult, GateExtras, GateResult, ReleaseRecord } from '../../core/promote.js';
import { GATE_EXIT_CODES } from '../../core/promote.js';
import { probeHealth, revertAll, Supervisor } from '../../inject/process/index.js';
import { prometheusSource, targetSource } from '../../observe/anomaly/watch.js';
import {
  buildModuleGraph,
  computeFis,
  coverageRaise,
  discoverModules,
  evaluateGate,
  fitFisCalibration,
  gateExitCode,
  isFisCalibration,
  moduleData,
  moduleOfPath,
  nodeModuleFs,
  normalizeRepoPath,
  renderGateJunit,
  renderGateMarkdown,
  type FisCalibration,
  type ModuleGraph,
  promoteAndWatch,
  rollbackNow,
  type RolloutEvent,
  checkWatchOptions,
  type ProbeResult,
  type WatchCriteria,
  type WatchOptions,
  collectCoverage,
} from '../../promote/index.js';
import { findCoverageReport, mutationScore, readCoverage, readMutationReport, readNpmAudit, type CoverageReport } from '../../promote/inputs/index.js';
import { createRollbackAdapter } from '../../promote/rollback/index.js';
import { gitOps } from '../../refactor/engine/index.js';
import { listReleases, newReleaseId } from '../../store/releases.js';
import type { CliContext, RegisterCommands } from '../context.js';
import { onInterrupt } from '../interrupt.js';
import { projectRisk } from './gate-risk.js';
import { servicesWithProxy } from './services.js';

export type PromoteSettings = NonNullable<FaultlineConfig['promote']>;

/** promote: of the config, or its defaults when the config has none. */
export function promoteSettings(config: FaultlineConfig, base: string): PromoteSettings {
  return (
    config.promote ?? {
      baseCoverage: 80,
      raise: { stepPct: 5, decayAfter: 3, maxPct: 20 },
      watch: { windowMs: 60_000, intervalMs: 1000, failAfter: 2, ratePerSec: 20 },
      rollback: { adapter: 'symlink', releasesDir: resolve(base, 'releases'), current: resolve(base, 'current'), timeoutMs: 120_000 },
    }
  );
}

export interface GateFlags {
  repo?: string;
  rev?: string;
  coverage?: string;
  runTests?: string | boolean;
  predictions?: string | false;
  mutation?: string;
  audit?: string;
  base?: string;
  module?: string[];
}

export interface ModuleGate {
  result: GateResult;
  fis: FISResult;
  coverage: { pct: number | null; covered: number; total: number; files: number };
  raise: ReturnType<typeof coverageRaise>;
  files: string[];
}

export interface ProjectGate {
  project: string;
  rev: string;
  baseCoverageThreshold: number;
  modules: ModuleGate[];
  unassigned: string[];
  probabilities: { source: string; note: string };
  coverage: { source: string; format: string; testExitCode?: number | null };
  calibration: FisCalibration | { reason: string };
  notes: string[];
}

function parsePercent(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${flag}: "${v}" is not a percentage between 0 and 100`, { context: { attribute: flag } });
  return n;
}

/** The calibration of the FIS on the registry's finished releases (those that held their window or were rolled back). */
export function registryCalibration(stateDir: string): FisCalibration | { reason: string } {
  const samples = listReleases(stateDir)
    .filter((r) => (r.status === 'stable' || r.status === 'rolled-back') && typeof r.probability === 'number')
    .map((r) => ({ probability: r.probability as number, failed: r.status === 'rolled-back' }));
  return fitFisCalibration(samples);
}

/** Lines covered per module: every file of the report assigned to its module by the module paths. */
function coverageByModule(report: CoverageReport, graph: ModuleGraph): Map<string, { covered: number; total: number; files: number }> {
  const byPath = new Map<string, string>();
  for (const m of graph.modules) for (const p of m.paths) byPath.set(normalizeRepoPath(p), m.name);
  const out = new Map<string, { covered: number; total: number; files: number }>();
  for (const f of report.files) {
    if (f.outsideRoot) continue;
    const name = moduleOfPath(byPath, f.path);
    if (name === undefined) continue;
    const acc = out.get(name) ?? { covered: 0, total: 0, files: 0 };
    acc.covered += f.lines.covered;
    acc.total += f.lines.total;
    acc.files++;
    out.set(name, acc);
  }
  return out;
}

/**
 * The traffic faultline sends to the project: the service `load.url` targets (by port) and every service it
 * depends on (transitively) carry all of it, at load.rate. Modules of those services get traffic share 1 and
 * that load; the severity of the others comes from their dependents, routes and configured criticality.
 */
export function loadTraffic(config: FaultlineConfig): Map<string, number> {
  const out = new Map<string, number>();
  if (!config.load?.url) return out;
  const port = new URL(config.load.url).port;
  const entry = Object.values(config.services).find((svc) => svc.port !== undefined && String(svc.port) === port);
  if (!entry) return out;
  const visit = (name: string): void => {
    if (out.has(name)) return;
    out.set(name, config.load?.ratePerSec ?? 0);
    for (const d of config.services[name]?.dependsOn ?? []) visit(d);
  };
  visit(entry.name);
  return out;
}

/** Runs the gate on a project: one decision per module. */
export async function gateProject(c: CliContext, o: GateFlags, progress: (line: string) => void = (m) => c.progress(m)): Promise<ProjectGate> {
  const config = c.config();
  const projectDir = resolve(o.repo ?? (config.file ? dirname(config.file) : '.'));
  const settings = promoteSettings(config, projectDir);
  const stateDir = c.stateDir();
  const root = await gitOps.repoRoot(projectDir);
  const project = relative(root, projectDir).split('\\').join('/');
  const rev = o.rev ?? (await gitOps.headCommit(root));
  const notes: string[] = [];
  const base = parsePercent(o.base, '--base') ?? settings.baseCoverage;

  const risk = await projectRisk({ root, project, rev, stateDir, ...(o.predictions !== undefined ? { predictions: o.predictions === false ? false : resolve(o.predictions) } : {}), progress });
  const configured = settings.modules?.map((m) => ({ ...m, paths: m.paths.map(normalizeRepoPath) }));
  const modules = discoverModules(projectDir, nodeModuleFs, configured);
  const graph = buildModuleGraph(modules, risk.analysis);
  if (graph.unassigned.length > 0) notes.push(`${graph.unassigned.length} analysed file(s) belong to no module: ${graph.unassigned.slice(0, 5).join(', ')}${graph.unassigned.length > 5 ? ', …' : ''}`);

  // coverage: a named report, the tests run under coverage, or the usual places
  let coverageFile = o.coverage !== undefined ? resolve(o.coverage) : settings.coverage;
  let testExitCode: number | null | undefined;
  if (o.runTests !== undefined && o.runTests !== false) {
    const command = typeof o.runTests === 'string' ? o.runTests : (config.refactor?.test ?? 'npm test');
    const collected = await collectCoverage({ cwd: projectDir, command, reportDir: resolve(stateDir, 'coverage', rev.slice(0, 12)), timeoutMs: config.refactor?.checkTimeoutMs ?? 600_000, progress });
    coverageFile = collected.summary;
    testExitCode = collected.testExitCode;
    if (collected.testExitCode !== 0) notes.push(`the tests failed (exit ${collected.testExitCode}) while coverage was measured:\n${collected.testOutput ?? ''}`);
  }
  coverageFile ??= await findCoverageReport(projectDir);
  if (coverageFile === undefined) {
    throw new FaultlineError('FL_ERR_COVERAGE_REPORT', `no coverage report for ${projectDir}: pass --coverage FILE (istanbul coverage-summary.json or coverage-final.json, lcov.info, cobertura XML), set promote.coverage in faultline.yaml, or pass --run-tests to run the tests under coverage`, { context: { project: projectDir } });
  }
  const report = await readCoverage(coverageFile, { root: projectDir });
  const covered = coverageByModule(report, graph);

  const extras = new Map<string, GateExtras>();
  const mutationFile = o.mutation !== undefined ? resolve(o.mutation) : settings.mutation;
  if (mutationFile) {
    const mutation = await readMutationReport(mutationFile, { root: projectDir });
    for (const m of graph.modules) {
      const scores = m.paths.map((p) => mutationScore(mutation, normalizeRepoPath(p)));
      const killed = scores.reduce((s, x) => s + x.detected, 0);
      const valid = scores.reduce((s, x) => s + x.valid, 0);
      if (valid > 0) extras.set(m.name, { ...extras.get(m.name), mutationScore: Math.round((killed / valid) * 10000) / 100 });
    }
  }
  const auditFile = o.audit !== undefined ? resolve(o.audit) : settings.audit;
  if (auditFile) {
    const audit = await readNpmAudit(auditFile);
    for (const m of graph.modules) extras.set(m.name, { ...extras.get(m.name), dependencyHealth: audit.counts });
    notes.push(`dependency health (${auditFile}): score ${audit.healthScore.toFixed(2)} (${audit.counts.critical} critical, ${audit.counts.high} high, ${audit.counts.moderate} moderate, ${audit.counts.low} low)`);
  }

  const calibration = registryCalibration(stateDir);
  const wanted = o.module && o.module.length > 0 ? new Set(o.module) : undefined;
  if (wanted) for (const n of wanted) if (!graph.modules.some((m) => m.name === n)) throw new FaultlineError('FL_ERR_MODULE_NOT_FOUND', `no module named "${n}"; modules: ${graph.modules.map((m) => m.name).join(', ')}`, { context: { module: n } });
  const probabilities = new Map<string, number[]>();
  for (const f of risk.files) {
    const name = graph.fileModule.get(f.path);
    if (name !== undefined) probabilities.set(name, [...(probabilities.get(name) ?? []), f.probability]);
  }
  const traffic = loadTraffic(config);
  if (traffic.size > 0) notes.push(`traffic: load.url (${config.load?.ratePerSec ?? 0} req/s) reaches service(s) ${[...traffic.keys()].join(', ')}; their modules carry all of it`);
  const out: ModuleGate[] = [];
  for (const m of graph.modules) {
    if (wanted && !wanted.has(m.name)) continue;
    const releases = listReleases(stateDir, { module: m.name });
    const raise = coverageRaise(releases, settings.raise);
    const served = m.service !== undefined ? traffic.get(m.service) : undefined;
    const data = moduleData(graph, m.name, {
      failureProbabilities: probabilities.get(m.name) ?? [],
      ...(served !== undefined ? { trafficShare: 1, loadRps: served } : {}),
      history: { promotions: releases.filter((r) => r.decision === 'promote').length, rollbacks: releases.filter((r) => r.status === 'rolled-back').length },
    });
    const fis = computeFis(data, isFisCalibration(calibration) ? { calibration } : {});
    const cov = covered.get(m.name) ?? { covered: 0, total: 0, files: 0 };
    const pct = cov.total > 0 ? Math.round((cov.covered / cov.total) * 10000) / 100 : null;
    const ex = extras.get(m.name);
    const result = evaluateGate({ module: data, coverage: pct ?? 0, ...(ex ? { extras: ex } : {}) }, { baseCoverageThreshold: base, raise: raise.raise, fis });
    if (pct === null) result.reasons.push(`no instrumented lines of this module in ${relative(process.cwd(), report.source) || report.source}: counted as 0 % covered`);
    for (const r of raise.reasons) if (raise.raise > 0) result.reasons.push(r);
    out.push({ result, fis, coverage: { pct, ...cov }, raise, files: m.files });
  }
  return {
    project: projectDir,
    rev,
    baseCoverageThreshold: base,
    modules: out,
    unassigned: graph.unassigned,
    probabilities: { source: risk.source, note: risk.note },
    coverage: { source: report.source, format: report.format, ...(testExitCode !== undefined ? { testExitCode } : {}) },
    calibration,
    notes,
  };
}

const pct = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)}%`);

/** The terminal table of a gate run. */
export function renderGateText(g: ProjectGate): string {
  const rows: string[][] = [['module', 'FIS', 'severity', 'P(fail)', 'coverage', 'required', 'decision']];
  for (const m of g.modules) {
    const r = m.result;
    rows.push([r.module, r.fis.toFixed(3), r.severity, m.fis.probability.toFixed(3), pct(m.coverage.pct), r.requiredCoverage === null ? '—' : `${r.requiredCoverage.toFixed(2)}%`, r.label]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const lines = rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  for (const m of g.modules) {
    lines.push('', `${m.result.module}:`);
    for (const reason of m.result.reasons) lines.push(`  ${reason}`);
  }
  lines.push('', `base coverage threshold ${g.baseCoverageThreshold}% · probabilities: ${g.probabilities.note} · coverage: ${g.coverage.source} (${g.coverage.format}) · FIS model: ${isFisCalibration(g.calibration) ? `calibrated on ${g.calibration.samples} releases` : `formula (${g.calibration.reason})`}`);
  for (const n of g.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

function addGateOptions(cmd: import('commander').Command): import('commander').Command {
  return cmd
    .option('--repo <path>', 'the project (default: the folder of faultline.yaml); a folder inside a git repository')
    .option('--coverage <file>', 'coverage report: istanbul coverage-summary.json / coverage-final.json, lcov.info or cobertura XML (default: promote.coverage, else the first found under coverage/)')
    .option('--run-tests [command]', 'measure coverage now: run the test command (default refactor.test, else `npm test`) under V8 coverage (c8)')
    .option('--predictions <file>', 'predictions.json of `faultline predict` (default <stateDir>/predictions.json; else the bundled default model)')
    .option('--no-predictions', 'ignore predictions.json: use the bundled default model')
    .option('--mutation <file>', 'Stryker mutation report (mutation.json), shown beside the decisions')
    .option('--audit <file>', 'saved `npm audit --json` output, shown beside the decisions')
    .option('--base <percent>', 'base coverage threshold B (default promote.baseCoverage, else 80)');
}

function liveProbe(config: FaultlineConfig, settings: PromoteSettings, service: string | undefined): { probe: () => Promise<ProbeResult>; criteria: WatchCriteria; close(): Promise<void>; describe: string[] } {
  const w = settings.watch;
  const svc = service ? config.services[service] : undefined;
  const health = w.health ?? svc?.health?.http;
  const loadUrl = w.load ?? (svc && config.load?.url && svc.port !== undefined && new URL(config.load.url).port === String(svc.port) ? config.load.url : undefined);
  const criteria: WatchCriteria = {};
  const describe: string[] = [];
  if (health) {
    criteria.health = true;
    describe.push(`health ${health}`);
  }
  const load = loadUrl ? targetSource({ url: loadUrl, ratePerSec: w.ratePerSec, timeoutMs: Math.max(1000, Math.min(5000, w.intervalMs * 2)), stepMs: w.intervalMs }) : undefined;
  if (load) {
    const maxErrorRate = w.maxErrorRate ?? config.steadyState?.maxErrorRate;
    const maxP99 = w.maxP99LatencyMs ?? config.steadyState?.maxP99LatencyMs;
    if (maxErrorRate !== undefined) criteria.maxErrorRate = maxErrorRate;
    if (maxP99 !== undefined) criteria.maxP99LatencyMs = maxP99;
    describe.push(`${w.ratePerSec} req/s to ${loadUrl}${maxErrorRate !== undefined ? `, error rate ≤ ${maxErrorRate}` : ''}${maxP99 !== undefined ? `, p99 ≤ ${maxP99} ms` : ''}`);
  }
  const prom = w.prometheus ? prometheusSource({ url: w.prometheus.url, query: w.prometheus.query, stepMs: w.intervalMs }) : undefined;
  if (w.prometheus) {
    criteria.query = { name: w.prometheus.query, ...(w.prometheus.above !== undefined ? { above: w.prometheus.above } : {}), ...(w.prometheus.below !== undefined ? { below: w.prometheus.below } : {}) };
    describe.push(`PromQL ${w.prometheus.query}`);
  }
  return {
    criteria,
    describe,
    async probe() {
      const r: ProbeResult = {};
      if (health) r.healthy = await probeHealth({ http: health }, Math.max(250, Math.min(w.intervalMs, 5000)));
      if (load) {
        const buckets = await load.poll();
        let requests = 0;
        let errors = 0;
        let p99: number | undefined;
        for (const b of buckets) {
          const tput = b.values.throughputPerSec ?? 0;
          const n = tput * (w.intervalMs / 1000);
          requests += n;
          errors += (b.values.errorRate ?? 0) * n;
          if (b.values.p99LatencyMs !== undefined) p99 = Math.max(p99 ?? 0, b.values.p99LatencyMs);
          else if ((b.values.errorRate ?? 0) > 0 && n === 0) errors += 1;
        }
        if (buckets.length > 0) r.errorRate = requests > 0 ? errors / requests : buckets.some((b) => (b.values.errorRate ?? 0) > 0) ? 1 : 0;
        if (p99 !== undefined) r.p99LatencyMs = p99;
      }
      if (prom) {
        const s = await prom.poll();
        const last = s.at(-1);
        const v = last ? Object.values(last.values)[0] : undefined;
        if (v !== undefined) r.value = v;
      }
      return r;
    },
    async close() {
      await load?.close();
      await prom?.close();
    },
  };
}

/** Restarts the module's service after the adapter switched releases: its process faults are reverted first. */
function restartService(c: CliContext, service: string | undefined): (() => Promise<void>) | undefined {
  if (!service) return undefined;
  return async () => {
    const config = c.config();
    const sup = new Supervisor({ services: servicesWithProxy(config), stateDir: c.stateDir(), ledger: c.ledger(), actor: 'promote' });
    await revertAll({ stateDir: c.stateDir(), ledger: c.ledger(), actor: 'promote' }, { services: [service] });
    await sup.restart(service);
  };
}

export const register: RegisterCommands = (program, ctx) => {
  addGateOptions(
    program
      .command('gate')
      .description(
        'decide per module whether it may be promoted: its Failure Impact Score (predicted probability of failure × severity) raises the coverage it needs (FIS < 0.2: B; < 0.5: B×1.10; < 0.8: B×1.20; ≥ 0.8: blocked for manual review), and rollbacks raise it further. Exit 0 promote, 1 insufficient coverage, 3 blocked',
      )
      .option('--module <name...>', 'only these modules')
      .option('--markdown <file>', 'also write the decisions as Markdown (a pull-request comment)')
      .option('--junit <file>', 'also write the decisions as JUnit XML')
      .option('--format <format>', 'what to print on stdout: text, markdown, junit or json (default text; --json = json)', 'text'),
  ).action(async (o: GateFlags & { markdown?: string; junit?: string; format: string }) => {
    const c = ctx();
    if (!['text', 'markdown', 'junit', 'json'].includes(o.format)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--format: "${o.format}" is not one of text, markdown, junit, json`, { context: { attribute: 'format' } });
    const g = await gateProject(c, o);
    const results = g.modules.map((m) => m.result);
    if (o.markdown) writeFileSync(resolve(o.markdown), renderGateMarkdown(results));
    if (o.junit) writeFileSync(resolve(o.junit), renderGateJunit(results));
    if (c.json || o.format === 'json') process.stdout.write(JSON.stringify(g, null, 2) + '\n');
    else if (o.format === 'markdown') process.stdout.write(renderGateMarkdown(results));
    else if (o.format === 'junit') process.stdout.write(renderGateJunit(results));
    else process.stdout.write(renderGateText(g) + '\n');
    process.exitCode = gateExitCode(results);
  });

  addGateOptions(
    program
      .command('promote')
      .description(
        'promote one module: run its gate, record the release in the registry (module, version, commit, artifact, decision, time), deploy it through promote.rollback\'s adapter with --deploy, watch it for promote.watch.window (health, traffic, PromQL) and roll it back to the previous stable release when it fails. Exit 0 stable, 1 insufficient coverage or rolled back, 3 blocked',
      )
      .argument('<module>', 'the module (promote.modules, or a workspace package)')
      .argument('[version]', 'the version promoted (default: the module\'s version, else the commit)')
      .option('--commit <sha>', 'the commit promoted (default HEAD)')
      .option('--artifact <path>', 'what is deployed: a release folder (symlink adapter; default releasesDir/<version>), an image (kubectl)')
      .option('--deploy', 'switch the module to this release through the adapter (symlink: `current` → the release folder, then restart its service)')
      .option('--watch <duration>', 'the monitoring window (default promote.watch.window); 0 = do not watch')
      .option('--no-watch', 'do not watch: the release is stable once recorded'),
  ).action(async (name: string, versionArg: string | undefined, o: GateFlags & { commit?: string; artifact?: string; deploy?: boolean; watch?: string | false }) => {
    const c = ctx();
    const config = c.config();
    const g = await gateProject(c, { ...o, module: [name] });
    const m = g.modules[0];
    if (!m) throw new FaultlineError('FL_ERR_MODULE_NOT_FOUND', `no module named "${name}"`, { context: { module: name } });
    const settings = promoteSettings(config, g.project);
    const spec = settings.modules?.find((x) => x.name === name);
    const commit = o.commit ?? g.rev;
    const version = versionArg ?? spec?.version ?? commit.slice(0, 12);
    const now = Date.now();
    const release: ReleaseRecord = {
      id: newReleaseId(name, version, now),
      module: name,
      version,
      commit,
      ...(o.artifact ? { artifact: o.artifact } : {}),
      decision: m.result.decision,
      fis: m.result.fis,
      probability: m.fis.probability,
      coverage: m.result.coverage,
      requiredCoverage: m.result.requiredCoverage,
      status: m.result.decision === 'promote' ? 'promoted' : 'rejected',
      at: new Date(now).toISOString(),
    };
    if (m.result.decision !== 'promote') {
      const { appendRelease } = await import('../../store/releases.js');
      appendRelease(c.stateDir(), release);
      c.print({ release, gate: m.result }, () => `${renderGateText({ ...g, modules: [m] })}\n\nnot promoted: ${m.result.label}; recorded as ${release.id} (rejected)`);
      process.exitCode = GATE_EXIT_CODES[m.result.decision];
      return;
    }
    const windowMs = o.watch === false ? 0 : o.watch !== undefined ? (await import('../../core/duration.js')).parseDurationMs(o.watch, '--watch') : settings.watch.windowMs;
    const adapter = createRollbackAdapter(settings.rollback, { ...(restartService(c, spec?.service) ? { restart: restartService(c, spec?.service) as () => Promise<void> } : {}), cwd: g.project });
    const live = windowMs > 0 ? liveProbe(config, settings, spec?.service) : undefined;
    if (live && live.describe.length === 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `nothing to watch ${name} with: give the module a service with a health check (promote.modules[].service), or promote.watch.health / load / prometheus; or pass --no-watch`, { context: { module: name } });
    const interrupt = onInterrupt((line) => c.progress(line));
    // good samples are the quiet majority: only the bad ones (and every step) are printed
    const say = (e: RolloutEvent): void => (c.json || (e.step === 'sample' && (e.sample?.violations?.length ?? 0) === 0) ? undefined : void process.stderr.write(`promote: ${e.message}\n`));
    try {
      let watch: WatchOptions | undefined;
      if (live) {
        watch = { windowMs, intervalMs: settings.watch.intervalMs, failAfter: settings.watch.failAfter, probe: live.probe, criteria: live.criteria, signal: interrupt.signal };
        checkWatchOptions(watch);
        process.stderr.write(c.json ? '' : `promote: watching ${name} ${version} for ${Math.round(windowMs / 1000)} s: ${live.describe.join('; ')}\n`);
      }
      const r = await promoteAndWatch({ stateDir: c.stateDir(), release, adapter, deploy: o.deploy === true, ...(watch ? { watch } : {}), onProgress: say });
      // a rollback changes the registry: the gate of the next promotion
      const after = r.release.status === 'rolled-back' ? (await gateProject(c, { ...o, module: [name] }, () => {})).modules[0] : undefined;
      const out = { release: r.release, gate: m.result, ...(r.verdict ? { verdict: r.verdict } : {}), ...(r.rolledBackTo ? { rolledBackTo: r.rolledBackTo } : {}), ...(r.deploy ? { deploy: r.deploy } : {}), ...(r.rollback ? { rollback: r.rollback } : {}), ...(after ? { nextGate: after.result } : {}) };
      c.print(out, () =>
        [
          renderGateText({ ...g, modules: [m] }),
          '',
          r.release.status === 'stable'
            ? `${name} ${version}: promoted and stable${r.verdict ? ` (${r.verdict.samples.length} samples in the window, none failed it)` : ''}; recorded as ${r.release.id}`
            : r.release.status === 'rolled-back'
              ? `${name} ${version}: FAILED in its watch window (${r.failure ?? r.verdict?.reason ?? 'failed'}) and was rolled back to ${r.rolledBackTo?.version ?? '?'}${r.rollback ? ` (${r.rollback.actions.join('; ')})` : ''}`
              : `${name} ${version}: promoted; the watch was interrupted (status ${r.release.status})`,
          ...(after ? [`next gate of ${name}: coverage needed ${after.result.requiredCoverage === null ? 'blocked' : `${after.result.requiredCoverage}%`} (raised by ${after.result.raise} points after ${after.raise.rollbacks} rollback(s)); FIS ${after.result.fis.toFixed(3)}`] : []),
        ].join('\n'),
      );
      if (r.release.status === 'rolled-back') process.exitCode = 1;
      else if (interrupt.signal.aborted) process.exitCode = 130;
    } finally {
      interrupt.dispose();
      await live?.close();
    }
  });

  program
    .command('rollback')
    .description('roll a module back to its previous stable release now, through promote.rollback\'s adapter, and record it (which raises the coverage its next promotion needs)')
    .argument('<module>', 'the module')
    .option('--reason <text>', 'why (recorded)', 'manual rollback')
    .action(async (name: string, o: { reason: string }) => {
      const c = ctx();
      const config = c.config();
      const base = config.file ? dirname(config.file) : process.cwd();
      const settings = promoteSettings(config, base);
      const spec = settings.modules?.find((x) => x.name === name);
      const restart = restartService(c, spec?.service);
      const adapter = createRollbackAdapter(settings.rollback, { ...(restart ? { restart } : {}), cwd: base });
      const r = await rollbackNow(c.stateDir(), name, adapter, o.reason, { onProgress: (e) => (c.json ? undefined : void process.stderr.write(`rollback: ${e.message}\n`)) });
      c.print(r, () => `${name}: ${r.release.version} rolled back to ${r.rolledBackTo.version} (${r.rollback.actions.join('; ')}); recorded`);
    });
};
