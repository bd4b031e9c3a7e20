/** `faultline run <experiment>` and `faultline validate <experiment>`: Chaos Toolkit experiments. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError } from '../../core/errors.js';
import type { RunReport } from '../../core/run.js';
import { loadExperiment } from '../../experiment/format/loader.js';
import { parseVar, resolveConfiguration } from '../../experiment/format/substitute.js';
import { journalSummary, renderJournal, writeJson } from '../../experiment/journal.js';
import { HYPOTHESIS_STRATEGIES, ROLLBACK_STRATEGIES, runExperiment, type HypothesisStrategy, type PlanStep, type RollbackStrategy } from '../../experiment/runner.js';
import { createRunDeps, saveRun, startRunMetrics } from '../../loop/wiring.js';
import type { RegisterCommands } from '../context.js';
import { onInterrupt } from '../interrupt.js';

interface RunFlags {
  journalPath: string;
  rollbackStrategy: string;
  hypothesisStrategy: string;
  hypothesisFrequency: string;
  failFast?: boolean;
  var: string[];
  varFile?: string;
  dryRun?: boolean;
  load: boolean;
  reportDir?: string;
  up?: boolean;
  metrics?: string;
  recoveryWindow: string;
  baseline: string;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!allowed.includes(value as T)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${flag}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** --var-file: JSON or YAML, either {configuration: {...}} (Chaos Toolkit's var file) or a flat mapping. */
function readVarFile(path: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--var-file: ${path} cannot be read as JSON/YAML (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--var-file: ${path} must hold a mapping of name to value (or {configuration: {...}})`);
  const d = data as Record<string, unknown>;
  const conf = d.configuration;
  return typeof conf === 'object' && conf !== null && !Array.isArray(conf) ? { ...(conf as Record<string, unknown>) } : d;
}

const renderPlan = (title: string, plan: PlanStep[]): string =>
  [`plan of "${title}" (dry run: nothing is injected, no load, no provider runs)`, ...plan.map((s, i) => `  ${String(i + 1).padStart(2)}. [${s.phase}] ${s.type} ${s.name}: ${s.does}${s.background ? ' (background)' : ''}${s.pauses ? ` pauses ${JSON.stringify(s.pauses)}` : ''}${s.tolerance !== undefined ? ` tolerance ${JSON.stringify(s.tolerance)}` : ''}${s.injects ? '  ← injects a fault' : ''}`)].join('\n');

const ms = (v: number | null): string => (v === null ? '—' : `${Math.round(v)} ms`);

/** The resilience figures of a run, a line each. */
function renderFigures(r: RunReport): string[] {
  const f = r.figures;
  if (!f) return [];
  return [
    `resilience: availability ${f.availabilityPct.toFixed(2)}%, error rate ${(f.errorRate * 100).toFixed(2)}%, MTTD ${ms(f.mttdMs)}, MTTR ${ms(f.mttrMs)}, fault tolerance ${f.faultToleranceScore.toFixed(2)}, graceful degradation ${f.gracefulDegradationScore.toFixed(2)}, recovery success ${(f.recoverySuccessRate * 100).toFixed(0)}%`,
  ];
}

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('validate')
    .description('check a Chaos Toolkit experiment file (YAML or JSON): every problem is listed as file:line:col field: message (exit 2)')
    .argument('<experiment>', 'experiment file (.yaml, .yml or .json)')
    .action((file: string) => {
      const c = ctx();
      const loaded = loadExperiment(file);
      const e = loaded.experiment;
      const count = (e['steady-state-hypothesis']?.probes ?? []).length;
      c.print({ valid: true, file, title: e.title, probes: count, method: e.method.length, rollbacks: (e.rollbacks ?? []).length, warnings: loaded.warnings }, () =>
        [`${file}: valid — "${e.title}": ${count} steady-state probe(s), ${e.method.length} method activities, ${(e.rollbacks ?? []).length} rollback(s)`, ...loaded.warnings.map((w) => `warning: ${w}`)].join('\n'),
      );
    });

  program
    .command('run')
    .description('run a Chaos Toolkit experiment: steady state before, method, steady state after, rollbacks; writes the journal. Exit 0 when the steady state held, 1 when it deviated, failed before the method or a halt condition aborted the run, 130 when interrupted')
    .argument('<experiment>', 'experiment file (.yaml, .yml or .json)')
    .option('--journal-path <file>', 'where to write the run journal (JSON)', './journal.json')
    .option('--rollback-strategy <strategy>', `when rollbacks play: ${ROLLBACK_STRATEGIES.join('|')} (default also plays them when the run deviated after faultline injected a fault); faults are always reverted at the end`, 'default')
    .option('--hypothesis-strategy <strategy>', `when the steady-state hypothesis runs: ${HYPOTHESIS_STRATEGIES.join('|')}`, 'default')
    .option('--hypothesis-frequency <seconds>', 'seconds between hypothesis runs during the method (during-method-only, continuously)', '1')
    .option('--fail-fast', 'stop the method at the first steady-state miss during the method')
    .option('--var <name=value>', 'override a configuration value (NAME=VALUE or NAME:TYPE=VALUE, TYPE str|int|float|bool|json); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--var-file <file>', 'configuration overrides from a JSON/YAML file ({configuration: {...}} or a flat mapping); --var wins over it')
    .option('--dry-run', 'print the plan (each activity with its provider after substitution); inject nothing, send no load')
    .option('--no-load', 'do not run the load generator (faultline metric probes then fail)')
    .option('--report-dir <dir>', 'where to write the run report (report.json, report.html, junit.xml: observation, resilience figures, evidence, recommendations); default <stateDir>/runs/<run id>/ (reports.dir of faultline.yaml)')
    .option('--baseline <duration>', 'load before the steady-state hypothesis: the baseline the resilience figures compare with (0 skips it)', '2s')
    .option('--recovery-window <duration>', 'how long the observation goes on after the last revert, so the time to recover can be measured (0 stops at once)', '3s')
    .option('--metrics <host:port>', "serve faultline's metrics in the Prometheus format at http://<host:port>/metrics while the run lasts (default: metrics.listen of faultline.yaml)")
    .option('--up', 'start the proxy links and services of faultline.yaml before the run and stop them after (as `faultline loop` does); without it they must already run (`faultline up`)')
    .action(async (file: string, o: RunFlags) => {
      const c = ctx();
      const loaded = loadExperiment(file);
      const rollbackStrategy = oneOf<RollbackStrategy>(o.rollbackStrategy, ROLLBACK_STRATEGIES, '--rollback-strategy');
      const hypothesisStrategy = oneOf<HypothesisStrategy>(o.hypothesisStrategy, HYPOTHESIS_STRATEGIES, '--hypothesis-strategy');
      const freq = Number(o.hypothesisFrequency);
      if (!Number.isFinite(freq) || freq <= 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--hypothesis-frequency: expected seconds > 0, got "${o.hypothesisFrequency}"`);
      const vars: Record<string, unknown> = { ...(o.varFile ? readVarFile(o.varFile) : {}), ...Object.fromEntries(o.var.map(parseVar)) };
      const config = c.config();
      const values = resolveConfiguration(loaded.experiment.configuration, vars);
      const progress = (line: string): void => c.progress(line);
      for (const w of loaded.warnings) progress(`warning: ${w}`);
      const interrupt = onInterrupt();
      const metrics = o.dryRun ? undefined : await startRunMetrics(config, o.metrics);
      if (metrics) progress(`metrics: ${metrics.url}`);
      const wired = createRunDeps({ config, stateDir: c.stateDir(), ledger: c.ledger(), guard: c.guard(), signal: interrupt.signal, onProgress: progress, values, noLoad: o.load === false || o.dryRun === true, up: o.up === true && o.dryRun !== true, ...(metrics ? { metrics: metrics.metrics } : {}) });
      metrics?.metrics.setRun({ id: 'current', title: loaded.experiment.title, kind: 'experiment', ...(wired.bounds ? { bounds: wired.bounds } : {}) });
      const journalPath = resolve(o.journalPath);
      try {
        await wired.start();
        const result = await runExperiment(
          loaded.experiment,
          {
            rollbackStrategy,
            hypothesisStrategy,
            hypothesisFrequencyMs: freq * 1000,
            failFast: o.failFast === true,
            vars,
            dryRun: o.dryRun === true,
            defaultTtlMs: config.defaults.ttlMs,
            cwd: dirname(resolve(file)),
            warnings: loaded.warnings,
            recoveryWindowMs: parseDurationMs(o.recoveryWindow, '--recovery-window'),
            baselineMs: parseDurationMs(o.baseline, '--baseline'),
            ...(wired.bounds ? { bounds: wired.bounds } : {}),
          },
          wired.deps,
        );
        if (o.dryRun) {
          c.print({ dryRun: true, title: loaded.experiment.title, plan: result.plan }, () => renderPlan(result.report.title, result.plan));
          return;
        }
        writeJson(journalPath, result.journal);
        result.report.artifacts.journal = journalPath;
        const saved = saveRun(result.report, config, c.stateDir(), o.reportDir ? { dir: resolve(o.reportDir) } : {});
        const reportPaths = Object.entries(saved.artifacts).filter(([k]) => k !== 'journal');
        c.print({ ...journalSummary(result.journal, journalPath), report: saved.artifacts, figures: saved.figures ?? null, recommendations: saved.recommendations }, () =>
          [renderJournal(result.journal, journalPath), ...renderFigures(saved), ...saved.recommendations.slice(0, 5).map((r) => `recommendation (${r.severity}): ${r.title}${r.location ? ` at ${r.location}` : ''}`), ...reportPaths.map(([k, v]) => `${k}: ${v}`)].join('\n'),
        );
        if (result.journal.status === 'interrupted') throw new FaultlineError('FL_ERR_INTERRUPTED', `interrupted: every fault the run injected was reverted; journal written to ${journalPath}`);
        if (result.journal.status !== 'completed' || result.journal.deviated) process.exitCode = 1;
      } finally {
        interrupt.dispose();
        await wired.close();
        await metrics?.close();
      }
    });
};
