import { Command } from 'commander';
import { VERSION } from '../core/version.js';
import type { RegisterCommands } from './context.js';
import { createContext, type GlobalOptions } from './create-context.js';
import { register as core } from './commands/core.js';
import { register as services } from './commands/services.js';
import { register as proxy } from './commands/proxy.js';
import { register as processFaults } from './commands/process-faults.js';
import { register as agent } from './commands/agent.js';
import { register as netns } from './commands/netns.js';
import { register as faults } from './commands/faults.js';
import { register as loop } from './commands/loop.js';
import { register as testUnderChaos } from './commands/test-under-chaos.js';
import { register as report } from './commands/report.js';
import { register as experiment } from './commands/experiment.js';
import { register as cards } from './commands/cards.js';
import { register as analyze } from './commands/analyze.js';
import { register as predict } from './commands/predict.js';
import { register as refactor } from './commands/refactor.js';
import { register as observe } from './commands/observe.js';
import { register as observeWatch } from './commands/observe-watch.js';
import { register as promote } from './commands/promote.js';
import { register as serve } from './commands/serve.js';

export const EXIT_CODES_HELP = `
Exit codes: 0 ok · 1 finding (e.g. a halted run) · 2 bad input · 3 blocked gate · 4 refused by a safe zone ·
5 runtime failure (a service did not start, a fault could not be applied) · 6 a system tool or capability is missing ·
70 internal error · 130 interrupted (every fault reverted). See docs/reference/cli.md.`;

/** The whole command tree; main.ts parses argv with it, scripts/gen-cli-doc.mjs documents it. */
export function buildProgram(): Command {
  const program = new Command('faultline')
    .description('Break Node.js services on purpose, safely, and measure what happens.')
    .version(VERSION, '-V, --version')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('-c, --config <file>', 'configuration file (default: faultline.yaml, or $FAULTLINE_CONFIG)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    // before the subcommands are added, so they inherit it: usage errors reach main.ts (exit 2)
    .exitOverride();
  const ctx = () => createContext(program.opts<GlobalOptions>());
  const registrations: RegisterCommands[] = [core, services, proxy, processFaults, agent, netns, faults, experiment, cards, analyze, predict, refactor, observe, observeWatch, promote, serve, loop, testUnderChaos, report];
  for (const r of registrations) r(program, ctx);
  return program;
}

/** Markdown reference of every command, from the commands' own help. */
export function renderCliDoc(program: Command = buildProgram()): string {
  const out: string[] = [
    '# CLI reference',
    '',
    'Generated from the commands\' own help by `node scripts/gen-cli-doc.mjs`; do not edit by hand.',
    'Every command takes the global options `--json` (machine-readable output on stdout) and `--config FILE`.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    '| 0 | success |',
    '| 1 | a finding: the run halted on a halt condition, a check failed |',
    '| 2 | bad input: invalid arguments, an invalid faultline.yaml (file:line:col field), unknown proxy/fault/PID |',
    '| 3 | a blocked gate (release gating) |',
    '| 4 | refused by a safe zone or the concurrent-fault limit (the message names the rule) |',
    '| 5 | runtime failure: a service did not start or become healthy, a fault could not be applied |',
    '| 6 | a system tool or kernel capability is missing (the message names the package) |',
    '| 70 | internal error |',
    '| 130 | interrupted by SIGINT/SIGTERM; every fault the command injected was reverted |',
    '',
    'With `--json`, errors are printed on stdout as `{"error": {"code", "message", "statusCode", "context"}}`; see',
    '`docs/errors.md` for every code.',
    '',
  ];
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      const full = [...path, sub.name()];
      const help = sub
        .helpInformation()
        // commander writes the usage line with or without the parents' names depending on how it was reached: write it whole
        .replace(/^Usage: [^\n]*/, `Usage: faultline ${full.join(' ')} ${sub.usage()}`.trimEnd())
        .trimEnd();
      out.push(`## \`faultline ${full.join(' ')}\``, '', sub.description(), '', '```', help, '```', '');
      walk(sub, full);
    }
  };
  walk(program, []);
  return out.join('\n');
}
