import { mkdirSync } from 'node:fs';
import type { FaultlineConfig } from '../core/config-types.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../core/config.js';
import type { InjectionGuard, LedgerSink } from '../core/fault.js';
import { createGuard } from '../core/safe-zones.js';
import { openLedger } from '../store/ledger.js';
import type { CliContext } from './context.js';

export interface GlobalOptions {
  json?: boolean;
  config?: string;
}

export function createContext(opts: GlobalOptions): CliContext {
  const configPath = opts.config ?? process.env.FAULTLINE_CONFIG ?? DEFAULT_CONFIG_FILE;
  const explicit = opts.config !== undefined || process.env.FAULTLINE_CONFIG !== undefined;
  const json = opts.json === true;
  let config: FaultlineConfig | undefined;
  let ledger: LedgerSink | undefined;
  let guard: InjectionGuard | undefined;
  const ctx: CliContext = {
    json,
    configPath,
    config: () => (config ??= loadConfig(configPath, { explicit })),
    stateDir() {
      const dir = process.env.FAULTLINE_STATE_DIR ?? ctx.config().stateDir;
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    ledger() {
      if (!ledger) {
        // opened on first record: better-sqlite3 stays out of the start-up path of `proxy serve`
        const dir = ctx.stateDir();
        let sink: LedgerSink | undefined;
        ledger = { record: (e) => (sink ??= openLedger(dir)).record(e) };
      }
      return ledger;
    },
    guard: () => (guard ??= createGuard(ctx.config())),
    print(data, human) {
      if (json) process.stdout.write(JSON.stringify(data, null, 2) + '\n');
      else process.stdout.write((typeof human === 'function' ? human() : human).replace(/\n?$/, '\n'));
    },
    progress(message) {
      if (!json && process.stderr.isTTY && !process.env.CI) process.stderr.write(`${message}\n`);
    },
  };
  return ctx;
}
