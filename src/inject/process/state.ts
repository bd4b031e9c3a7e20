/**
 * On-disk state of the process controller, shared by the CLI, in-process supervisors and detached TTL guards:
 *   <stateDir>/services.json          running services (read-modify-write under a lock file, atomic rename)
 *   <stateDir>/faults/<id>.json       one file per active fault (written once, atomically)
 *   <stateDir>/faults/<id>.guard.json the TTL guard's PID and start time
 *   <stateDir>/events.jsonl           ledger events appended by TTL guards (JSON lines of LedgerEvent)
 *   <stateDir>/logs/<service>.log     stdout and stderr of each service
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import { EVENTS_FILE } from '../../store/ledger.js';

export const servicesFile = (stateDir: string): string => join(stateDir, 'services.json');
export const faultsDir = (stateDir: string): string => join(stateDir, 'faults');
export const eventsFile = (stateDir: string): string => join(stateDir, EVENTS_FILE);
export const logsDir = (stateDir: string): string => join(stateDir, 'logs');
export const serviceLogFile = (stateDir: string, name: string): string => join(logsDir(stateDir), `${name}.log`);

/** Writes JSON to a temporary file next to `file` and renames it over `file` (readers never see half a file). */
export function writeJsonAtomic(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(tmp, file);
}

export function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new FaultlineError('FL_ERR_INTERNAL', `${file} is not valid JSON; delete it if no faultline process is running`, { cause: e });
  }
}

const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `fn` while holding `<file>.lock` (O_EXCL); a lock older than 10 s is considered abandoned. */
export function withFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10_000) rmSync(lock, { force: true });
      } catch {
        // the holder released it between our two calls
      }
      if (Date.now() > deadline) throw new FaultlineError('FL_ERR_INTERNAL', `could not lock ${file} within 10 s; remove ${lock} if no faultline process is running`);
      sleepSync(10);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

