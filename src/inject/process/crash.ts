/**
 * Start-up crash evidence: when a fault restarts a supervised service and it exits before becoming healthy, the
 * stack it printed to stderr (kept in <stateDir>/logs/<service>.log) is the evidence of where it failed. It is
 * parsed here into the agent's error-record shape (class, message, frames with `app` marked), so it reaches run
 * reports, recommendations and the refactoring engine like any other evidence, mapped through source maps there.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { parseStack, type ErrorRecord } from '../agent/evidence.js';
import { compiledPath } from './paths.js';

/** faultline's own code (dist/ and src/ of this package): never an application frame */
const OWN = [resolve(compiledPath('../..', import.meta.url)) + sep, resolve(compiledPath('../..', import.meta.url), '../src') + sep];

/** Application frames: files of the service, not node: internals, node_modules or faultline itself. */
export function isAppFile(file: string): boolean {
  if (file.startsWith('node:') || file.includes('/node_modules/') || !file.startsWith('/')) return false;
  return !OWN.some((own) => file.startsWith(own));
}

/** The size of a log file (0 when it does not exist): where the output of a restart begins. */
export function logOffset(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

const MAX_READ = 256 * 1024;

/** The text a log file gained after `fromOffset` (at most its last 256 KiB). */
export function logSince(file: string, fromOffset: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(file).size;
    const start = Math.max(fromOffset, size - MAX_READ);
    if (size <= start) return '';
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const AT = /^\s+at /;
/** `SyntaxError: Unexpected end of JSON input`, `Error [ERR_X]: message`, `TypeError` alone */
const HEADER = /^(?:Uncaught )?([A-Za-z_$][\w$.]*)(?: \[([\w$]+)\])?(?:: (.*))?$/;

/**
 * The last uncaught error a Node process printed in `text` (the header line and its `at` lines), as an error
 * record of source 'uncaughtException'; undefined when the text holds no stack.
 */
export function crashRecordFromOutput(text: string, opts: { at?: number; faultId?: string } = {}): ErrorRecord | undefined {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let last = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (AT.test(lines[i] as string)) {
      last = i;
      break;
    }
  }
  if (last < 0) return undefined;
  let first = last;
  while (first > 0 && AT.test(lines[first - 1] as string)) first--;
  // the header: the nearest line above the frames that looks like `Name: message` (a message may span lines)
  let header = -1;
  for (let i = first - 1; i >= Math.max(0, first - 6); i--) {
    const m = HEADER.exec(lines[i] as string);
    if (m && /(?:Error|Exception|Rejection)$|^Error$/.test(m[1] as string)) {
      header = i;
      break;
    }
  }
  const m = header >= 0 ? HEADER.exec(lines[header] as string) : undefined;
  const name = m?.[1] ?? 'Error';
  const message = header >= 0 ? [m?.[3] ?? '', ...lines.slice(header + 1, first)].join('\n').trim() : '(no message)';
  const stack = lines.slice(header >= 0 ? header : first, last + 1).join('\n');
  const rec: ErrorRecord = {
    seq: 0,
    ts: new Date(opts.at ?? Date.now()).toISOString(),
    source: 'uncaughtException',
    faultIds: opts.faultId !== undefined ? [opts.faultId] : [],
    injected: false,
    class: name,
    message,
    stack,
    frames: parseStack(stack, isAppFile),
  };
  if (m?.[2] !== undefined) rec.code = m[2];
  return rec;
}

/** The crash a service printed to its log after `fromOffset` (a restart that did not come up), if any. */
export function startupCrash(logFile: string, fromOffset: number, opts: { at?: number; faultId?: string } = {}): ErrorRecord | undefined {
  return crashRecordFromOutput(logSince(logFile, fromOffset), opts);
}
