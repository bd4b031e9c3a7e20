import { Command, CommanderError } from 'commander';
import { ERROR_CODES } from '../core/error-codes.js';
import { FaultlineError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import type { RegisterCommands } from './context.js';
import { createContext, type GlobalOptions } from './create-context.js';
import { register as core } from './commands/core.js';
import { register as services } from './commands/services.js';
import { register as proxy } from './commands/proxy.js';
import { register as processFaults } from './commands/process-faults.js';
import { register as agent } from './commands/agent.js';
import { register as netns } from './commands/netns.js';
import { register as loop } from './commands/loop.js';

const program = new Command('faultline')
  .description('Break Node.js services on purpose, safely, and measure what happens.')
  .version(VERSION, '-V, --version')
  .option('--json', 'print machine-readable JSON on stdout')
  .option('-c, --config <file>', 'configuration file (default: faultline.yaml, or $FAULTLINE_CONFIG)')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Exit codes: 0 ok · 1 finding (e.g. a deviated run) · 2 bad input · 3 blocked gate · 4 refused by a safe zone ·
5 runtime failure (a service did not start, a fault could not be applied) · 6 a system tool or capability is missing ·
70 internal error. See docs/reference/cli.md.`,
  );

const ctx = () => createContext(program.opts<GlobalOptions>());
const registrations: RegisterCommands[] = [core, services, proxy, processFaults, agent, netns, loop];
for (const r of registrations) r(program, ctx);
program.exitOverride();

function fail(err: unknown): never {
  const json = program.opts<GlobalOptions>().json === true;
  if (err instanceof FaultlineError) {
    if (json) process.stdout.write(JSON.stringify({ error: err.toJSON() }, null, 2) + '\n');
    else process.stderr.write(`faultline: ${err.message}\n  (${err.code}) ${ERROR_CODES[err.code].hint}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  process.stderr.write(`faultline: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(70);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}
