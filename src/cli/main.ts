import { CommanderError } from 'commander';
import { ERROR_CODES } from '../core/error-codes.js';
import { FaultlineError } from '../core/errors.js';
import { buildProgram } from './program.js';

const program = buildProgram();

function fail(err: unknown): never {
  const json = program.opts<{ json?: boolean }>().json === true;
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
