/** Reading /proc: liveness, start time (PID-reuse guard), ancestry, memory. Linux only. */
import { readFileSync } from 'node:fs';
import { FaultlineError } from '../../core/errors.js';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, T (stopped), Z (zombie), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** clock ticks of user time */
  utimeTicks: number;
  stimeTicks: number;
  /** field 22: start time after boot in clock ticks; with the PID it identifies one process */
  startTimeTicks: number;
}

/** Parses the text of /proc/<pid>/stat (the comm field may contain spaces and parentheses). */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new FaultlineError('FL_ERR_INTERNAL', `unexpected /proc stat format: ${text.slice(0, 80)}`);
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); field N is rest[N - 3]
  const field = (n: number): number => Number(rest[n - 3]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(4),
    pgrp: field(5),
    utimeTicks: field(14),
    stimeTicks: field(15),
    startTimeTicks: field(22),
  };
}

/** The stat of a live (non-zombie) process, or undefined. */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const st = parseProcStat(text);
  return st.state === 'Z' || st.state === 'X' ? undefined : st;
}

/** True when `pid` is alive and (if given) still the process that started at `startTimeTicks`. */
export function isSameProcess(pid: number, startTimeTicks?: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && (startTimeTicks === undefined || st.startTimeTicks === startTimeTicks);
}

export function readProcStatOrThrow(pid: number): ProcStat {
  const st = readProcStat(pid);
  if (!st) {
    throw new FaultlineError('FL_ERR_PROCESS_NOT_FOUND', `no running process with PID ${pid} (checked /proc/${pid}); check the PID with \`ps\` or \`faultline status\``, { context: { pid } });
  }
  return st;
}

/** The command line of a process, arguments joined by spaces. */
export function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '').join(' ');
  } catch {
    return '';
  }
}

/** Resident set size in bytes (VmRSS of /proc/<pid>/status), or undefined when the process is gone. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return undefined;
  }
}

/** MemAvailable of /proc/meminfo in bytes. */
export function memAvailableBytes(): number {
  const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** PIDs of `pid` and every ancestor up to (and including) PID 1. */
export function ancestry(pid: number): number[] {
  const out: number[] = [];
  let cur = pid;
  while (cur > 0 && !out.includes(cur)) {
    out.push(cur);
    const st = readProcStat(cur);
    if (!st) break;
    cur = st.ppid;
  }
  return out;
}

/** Boot time in ms since the epoch (btime of /proc/stat). */
export function bootTimeMs(): number {
  const m = /^btime\s+(\d+)/m.exec(readFileSync('/proc/stat', 'utf8'));
  return m ? Number(m[1]) * 1000 : 0;
}

/** USER_HZ; 100 on every Linux this runs on (sysconf(_SC_CLK_TCK) is not reachable from Node). */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Sends `signal` to `pid` (or its process group when `group` and the process leads one) only when the process
 * is still the one identified by `startTimeTicks`. Returns false when it is gone or the PID was reused.
 */
export function signalChecked(pid: number, startTimeTicks: number | undefined, signal: NodeJS.Signals, group = false): boolean {
  const st = readProcStat(pid);
  if (!st || (startTimeTicks !== undefined && st.startTimeTicks !== startTimeTicks)) return false;
  try {
    process.kill(group && st.pgrp === pid ? -pid : pid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw new FaultlineError('FL_ERR_PROCESS_FAULT', `could not send ${signal} to PID ${pid}: ${(e as Error).message}; faultline needs permission to signal the target (same user or root)`, { cause: e, context: { pid, signal } });
  }
}

/** Polls until the process is gone (or was replaced); true when it went away within `timeoutMs`. */
export async function waitForExit(pid: number, startTimeTicks: number | undefined, timeoutMs: number, pollMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isSameProcess(pid, startTimeTicks)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
