import type { Command } from 'commander';
import type { FaultlineConfig } from '../core/config-types.js';
import type { InjectionGuard, LedgerSink } from '../core/fault.js';

/** What every command gets. Heavy things (config, ledger) load on first use, so `proxy serve` starts fast. */
export interface CliContext {
  json: boolean;
  /** path given with --config (default faultline.yaml in the cwd) */
  configPath: string;
  /** loads and validates faultline.yaml (throws FL_ERR_CONFIG_*); falls back to defaults when the default path does not exist */
  config(): FaultlineConfig;
  /** absolute state folder (.faultline next to the config), created on demand */
  stateDir(): string;
  /** the ledger (SQLite + JSONL) in stateDir, opened on first use */
  ledger(): LedgerSink;
  /** safe zones and max concurrent faults from the config */
  guard(): InjectionGuard;
  /** prints `data` as JSON with --json, else the human text */
  print(data: unknown, human: string | (() => string)): void;
  /** progress line on stderr, only on a TTY and not with --json */
  progress(message: string): void;
}

export type RegisterCommands = (program: Command, ctx: () => CliContext) => void;
