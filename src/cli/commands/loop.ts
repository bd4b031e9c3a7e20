import { resolve } from 'node:path';
import { parseDurationMs } from '../../core/duration.js';
import { renderTable, runLoop } from '../../loop/index.js';
import { startRunMetrics } from '../../loop/wiring.js';
import type { RegisterCommands } from '../context.js';
import { onInterrupt } from '../interrupt.js';

interface LoopFlags {
  phase: string;
  recovery: string;
  baseline?: string;
  cards?: string;
  reportDir?: string;
  metrics?: string;
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
        c.print(result, () => renderTable(result));
        if (result.aborted) process.exitCode = interrupt.signal.aborted ? 130 : 1;
      } finally {
        interrupt.dispose();
        await metrics?.close();
      }
    });
};
