import { parseDurationMs } from '../../core/duration.js';
import { renderTable, runLoop } from '../../loop/index.js';
import type { RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('loop')
    .description('run the loop on the target of faultline.yaml: start it, inject each profile fault under load, measure, revert')
    .option('--phase <duration>', 'load duration while each fault is active', '3s')
    .option('--recovery <duration>', 'load duration after each revert', '1500ms')
    .action(async (o: { phase: string; recovery: string }) => {
      const c = ctx();
      const config = c.config();
      const ac = new AbortController();
      const onSignal = (): void => {
        c.progress('interrupted: reverting every fault…');
        ac.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const result = await runLoop({
          config,
          stateDir: c.stateDir(),
          ledger: c.ledger(),
          guard: c.guard(),
          phaseMs: parseDurationMs(o.phase, '--phase'),
          recoveryMs: parseDurationMs(o.recovery, '--recovery'),
          onProgress: (line) => (c.json ? undefined : process.stderr.write(`${line}\n`)),
          signal: ac.signal,
        });
        c.print(result, () => renderTable(result));
        if (result.aborted) process.exitCode = ac.signal.aborted ? 130 : 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
};
