import { dirname, relative, resolve } from 'node:path';
import { parseDurationMs } from '../../core/duration.js';
import { isFaultlineError } from '../../core/errors.js';
import { renderTable, runLoop, type LoopResult } from '../../loop/index.js';
import { renderRefactor, summarizeRefactor, type LoopRefactor } from '../../loop/refactor-stage.js';
import { startRunMetrics } from '../../loop/wiring.js';
import type { CliContext, RegisterCommands } from '../context.js';
import { onInterrupt } from '../interrupt.js';
import { loopGate, renderLoopGate, type LoopGate } from './loop-gate.js';
import { refactorProject } from './refactor.js';

interface LoopFlags {
  phase: string;
  recovery: string;
  baseline?: string;
  cards?: string;
  reportDir?: string;
  metrics?: string;
  refactor?: boolean;
  gate?: boolean;
}

/**
 * The refactor stage: `faultline refactor` on the folder of faultline.yaml (the project the loop drilled), after
 * the drills, so the failures they exposed (recorded with the loop's run) and the project's smells and failure
 * points are fixed in a worktree and each fix is verified by the card that exposed it.
 */
async function refactorStage(c: CliContext, say: (line: string) => void): Promise<LoopRefactor> {
  const file = c.config().file;
  if (!file) return { fixes: [], notes: [], error: { code: 'FL_ERR_INVALID_ARGUMENT', message: 'no faultline.yaml: --refactor fixes the project folder of the config file' } };
  say(`refactor: fixing ${dirname(file)} (a worktree on a new branch; your files are not touched)`);
  try {
    return summarizeRefactor(await refactorProject(c, { repo: dirname(file), verify: true, smells: true }, say));
  } catch (e) {
    if (!isFaultlineError(e)) throw e;
    process.exitCode = e.exitCode;
    return { fixes: [], notes: [], error: { code: e.code, message: e.message } };
  }
}

function withRefactor<T extends LoopResult>(result: T, refactor: LoopRefactor): T & { refactor: LoopRefactor } {
  const stages = result.stages.map((st) => (st.name === 'refactor' ? { name: 'refactor', ran: refactor.error === undefined, ...(refactor.error ? { note: refactor.error.code } : {}) } : st));
  return { ...result, stages, refactor };
}

function withGate<T extends LoopResult>(result: T, gate: LoopGate): T & { gate: LoopGate } {
  const stages = result.stages.map((st) => (st.name === 'promote' ? { name: 'promote', ran: gate.error === undefined, note: gate.error ? gate.error.code : 'gate decisions' } : st));
  return { ...result, stages, gate };
}

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('loop')
    .description(
      'run the loop on the target of faultline.yaml: start it, measure a baseline under open-loop load, drill each failure card of cards.loop (else each fault profile): inject, hold, revert, watch the recovery; print the resilience figures and write the report (JSON, HTML, JUnit). Exit 1 when a halt condition stopped it',
    )
    .option('--phase <duration>', 'how long each fault is held under load', '3s')
    .option('--recovery <duration>', 'how long the recovery after each revert is watched', '2s')
    .option('--baseline <duration>', 'the baseline before the first fault (default: --phase)')
    .option('--cards <ids>', 'comma-separated card ids to drill (default: cards.loop of faultline.yaml, else the fault profiles)')
    .option('--report-dir <dir>', 'where to write the report (default <stateDir>/runs/<run id>/)')
    .option('--metrics <host:port>', "serve faultline's metrics in the Prometheus format while the loop runs (default: metrics.listen of faultline.yaml)")
    .option('--refactor', 'then fix the project of faultline.yaml (`faultline refactor` on its folder): each fix in a worktree on a new branch, kept only when its tests and the card that exposed it pass; prints, per fix, that card before and after')
    .option('--no-gate', 'skip the last stage: the gate decisions of the project\'s modules (`faultline gate --run-tests`, before and after the refactor branch)')
    .action(async (o: LoopFlags) => {
      const c = ctx();
      const config = c.config();
      const interrupt = onInterrupt((line) => c.progress(line));
      const say = (line: string): void => (c.json ? undefined : void process.stderr.write(`${line}\n`));
      const metrics = await startRunMetrics(config, o.metrics);
      if (metrics) say(`metrics: ${metrics.url}`);
      metrics?.metrics.setRun({ id: 'loop', title: `faultline loop on ${config.file ?? 'faultline.yaml'}`, kind: 'loop' });
      try {
        const result = await runLoop({
          config,
          stateDir: c.stateDir(),
          ledger: c.ledger(),
          guard: c.guard(),
          phaseMs: parseDurationMs(o.phase, '--phase'),
          recoveryMs: parseDurationMs(o.recovery, '--recovery'),
          ...(o.baseline !== undefined ? { baselineMs: parseDurationMs(o.baseline, '--baseline') } : {}),
          ...(o.cards !== undefined ? { cards: o.cards.split(',').map((x) => x.trim()).filter(Boolean) } : {}),
          ...(o.reportDir !== undefined ? { reportDir: resolve(o.reportDir) } : {}),
          ...(metrics ? { metrics: metrics.metrics } : {}),
          onProgress: say,
          signal: interrupt.signal,
        });
        if (result.aborted) process.exitCode = interrupt.signal.aborted ? 130 : 1;
        if (!result.aborted && o.gate !== false) {
          // every fault is reverted and the services are down: Ctrl-C now stops the command as it would stop `faultline refactor`
          interrupt.dispose();
          await metrics?.close();
          const project = config.file ? relative(process.cwd(), dirname(config.file)) || '.' : '.';
          const refactor = o.refactor ? await refactorStage(c, say) : undefined;
          const exitCode = process.exitCode;
          const gate = await loopGate(c, say, refactor?.summary && refactor.summary.kept + refactor.summary.unverified > 0 ? refactor.branch : undefined);
          // the gate's decisions are shown, not a finding of the loop: they do not change its exit code
          process.exitCode = exitCode;
          const out = withGate(refactor ? withRefactor(result, refactor) : result, gate);
          c.print(out, () => [renderTable(out), ...(refactor ? [renderRefactor(refactor, project)] : []), renderLoopGate(gate)].join('\n\n'));
        } else if (o.refactor && !result.aborted) {
          interrupt.dispose();
          await metrics?.close();
          const refactor = await refactorStage(c, say);
          const out = withRefactor(result, refactor);
          const project = config.file ? relative(process.cwd(), dirname(config.file)) || '.' : '.';
          c.print(out, () => `${renderTable(out)}\n\n${renderRefactor(refactor, project)}`);
        } else c.print(result, () => renderTable(result));
      } finally {
        interrupt.dispose();
        await metrics?.close();
      }
    });
};
