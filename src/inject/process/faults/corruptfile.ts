/**
 * corruptfile: corrupts a data file of a supervised service on disk (a torn write, a truncated copy, bytes
 * overwritten in the middle) and restarts the service, so it reads the corrupt file at start-up the way it would
 * after a crash-and-restart. A service that does not come up is left down (`up: false`), and the stack it printed
 * becomes the fault's evidence (`crash`). The original bytes (or the file's absence) are kept in the fault's revert
 * plan, which writes them back exactly and restarts the service — early (`faultline revert`) or at the TTL by the
 * fault's TTL guard, also when the controller died.
 *
 * Params: path (relative to the service's cwd, or absolute; must lie inside the service's cwd or the state folder),
 * mode (append | truncate | garbage, default append), text (the appended line, default a torn JSON line),
 * bytes (how many bytes `garbage` overwrites, default 8), restart (default true).
 */
import { existsSync, readFileSync, realpathSync, statSync, truncateSync, appendFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ServiceConfig } from '../../../core/config-types.js';
import { FaultlineError } from '../../../core/errors.js';
import { logOffset, startupCrash } from '../crash.js';
import type { RevertStep } from '../plan.js';
import { serviceLogFile } from '../state.js';
import { startServiceProcess, stopServiceProcess } from '../supervisor.js';
import { booleanParam, numberParam, onlyKnown, oneOfParam, stringParam } from './params.js';
import { serviceConfigOrThrow } from './service-env.js';
import { defineFault, type ApplyContext, type ResolvedTarget } from './types.js';

export const CORRUPT_MODES = ['append', 'truncate', 'garbage'] as const;
export type CorruptMode = (typeof CORRUPT_MODES)[number];

/** the default appended line: a JSON record torn in the middle of a write */
export const DEFAULT_CORRUPT_TEXT = '{"id": "faultline-corrupt", "totalCents": ';
/** the original bytes travel in the fault's revert plan, so the file is bounded */
export const MAX_CORRUPT_FILE_BYTES = 4 * 1024 * 1024;
const GARBAGE = Buffer.from('#~faultline~#');

export interface CorruptFileParams extends Record<string, unknown> {
  path: string;
  mode: CorruptMode;
  text: string;
  bytes: number;
  restart: boolean;
}

const invalid = (param: string, msg: string, more: Record<string, unknown> = {}): FaultlineError =>
  new FaultlineError('FL_ERR_INVALID_ARGUMENT', `corruptfile: param "${param}" ${msg}`, { context: { kind: 'corruptfile', param, ...more } });

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (a file `append` will create). */
function realish(p: string): string {
  let dir = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(dir), ...rest);
    } catch {
      const up = dirname(dir);
      if (up === dir) return p;
      rest.unshift(dir.slice(up.length + 1));
      dir = up;
    }
  }
}

const inside = (file: string, root: string): boolean => {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
};

/**
 * The absolute file `path` names for this service: relative paths are resolved against the service's cwd; the file
 * (after symlinks) must lie inside the service's cwd or the state folder.
 */
export function resolveCorruptPath(path: string, cwd: string, stateDir: string): string {
  const abs = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  const real = realish(abs);
  const roots = [realish(resolve(cwd)), realish(resolve(stateDir))];
  if (!roots.some((r) => inside(real, r))) {
    throw invalid('path', `(${path}) resolves to ${real}, outside the service's working directory (${cwd}) and the state folder (${stateDir}); corruptfile only touches the service's own files`, { path });
  }
  return abs;
}

interface Target {
  config: ServiceConfig;
  file: string;
}

function check(ctx: ApplyContext, t: ResolvedTarget, p: CorruptFileParams): Target {
  const config = serviceConfigOrThrow('corruptfile', t, 'it corrupts a file in its working directory and restarts it');
  const file = resolveCorruptPath(p.path, config.cwd, ctx.stateDir);
  const st = statSync(file, { throwIfNoEntry: false });
  if (st && !st.isFile()) throw invalid('path', `(${file}) is not a regular file`, { path: p.path });
  if (!st && p.mode !== 'append') throw invalid('path', `(${file}) does not exist; mode ${p.mode} needs an existing file (mode append creates it)`, { path: p.path });
  if (st && st.size > MAX_CORRUPT_FILE_BYTES) {
    throw invalid('path', `(${file}) has ${st.size} bytes, more than the ${MAX_CORRUPT_FILE_BYTES} corruptfile keeps to restore it; point it at a smaller file`, { path: p.path });
  }
  return { config, file };
}

/** The revert plan: the bytes read now (or the file's absence) written back, then the service restarted (or started). */
function planFor(ctx: ApplyContext, { config, file }: Target, restart: boolean): RevertStep[] {
  const restore: RevertStep = existsSync(file) ? { op: 'restore-file', path: file, contentBase64: readFileSync(file).toString('base64') } : { op: 'restore-file', path: file, absent: true };
  const again: RevertStep = restart ? { op: 'restart-service', service: config, stateDir: ctx.stateDir, always: true } : { op: 'start-service', service: config, stateDir: ctx.stateDir };
  return [restore, again];
}

/** Corrupts `file` in place as `mode` says; returns what it did, for the fault's detail. */
export function corruptFile(file: string, p: Pick<CorruptFileParams, 'mode' | 'text' | 'bytes'>): Record<string, unknown> {
  const before = existsSync(file) ? readFileSync(file) : undefined;
  switch (p.mode) {
    case 'append': {
      // on a line of its own, like a record whose write was torn
      const sepNl = before && before.length > 0 && before[before.length - 1] !== 0x0a ? '\n' : '';
      appendFileSync(file, `${sepNl}${p.text}\n`);
      return { appendedBytes: Buffer.byteLength(`${sepNl}${p.text}\n`) };
    }
    case 'truncate': {
      const buf = before ?? Buffer.alloc(0);
      let end = buf.length;
      while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
      if (end === 0) throw invalid('path', `(${file}) is empty; mode truncate cuts its last line in half, so it needs one`);
      const start = buf.lastIndexOf(0x0a, end - 1) + 1;
      const cut = start + Math.max(1, Math.floor((end - start) / 2));
      truncateSync(file, cut);
      return { truncatedTo: cut, removedBytes: buf.length - cut };
    }
    case 'garbage': {
      const size = before?.length ?? 0;
      if (size === 0) throw invalid('path', `(${file}) is empty; mode garbage overwrites bytes in its middle, so it needs some`);
      const n = Math.min(p.bytes, size);
      const at = Math.floor((size - n) / 2);
      const junk = Buffer.alloc(n);
      for (let i = 0; i < n; i++) junk[i] = GARBAGE[i % GARBAGE.length] as number;
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, junk, 0, n, at);
      } finally {
        closeSync(fd);
      }
      return { overwrittenAt: at, overwrittenBytes: n };
    }
  }
}

export const corruptfile = defineFault<CorruptFileParams>({
  kind: 'corruptfile',
  summary: "corrupt a service's data file on disk (append a torn line, truncate, overwrite bytes) and restart it; the original bytes are restored at the TTL",
  target: 'service',
  validate(params) {
    onlyKnown('corruptfile', params, ['path', 'mode', 'text', 'bytes', 'restart']);
    const path = stringParam('corruptfile', params, 'path');
    if (path.includes('\0')) throw invalid('path', 'must not contain NUL characters');
    const mode = oneOfParam('corruptfile', params, 'mode', CORRUPT_MODES, 'append');
    const text = stringParam('corruptfile', params, 'text', DEFAULT_CORRUPT_TEXT);
    if (text.includes('\n')) throw invalid('text', 'must be one line (no newline): it is appended as one corrupt record');
    const bytes = numberParam('corruptfile', params, 'bytes', { min: 1, max: 1024 * 1024, def: 8, integer: true });
    const restart = booleanParam('corruptfile', params, 'restart', true);
    return { path, mode, text, bytes, restart };
  },
  planAhead: (ctx, t, p) => planFor(ctx, check(ctx, t, p), p.restart),
  async apply(ctx, t, p) {
    const target = check(ctx, t, p);
    // the bytes as they are now: what the revert writes back
    const plan = planFor(ctx, target, p.restart);
    const existed = (plan[0] as { absent?: boolean }).absent !== true;
    const did = corruptFile(target.file, p);
    const detail: Record<string, unknown> = { service: target.config.name, file: target.file, mode: p.mode, existed, ...did };
    if (!p.restart) return { plan, detail };
    const name = target.config.name;
    const log = serviceLogFile(ctx.stateDir, name);
    await stopServiceProcess(ctx.stateDir, name, target.config.stopTimeoutMs);
    const from = logOffset(log);
    try {
      const rec = await startServiceProcess(target.config, { stateDir: ctx.stateDir });
      return { plan, detail: { ...detail, up: true, pid: rec.pid } };
    } catch (e) {
      if (!(e instanceof FaultlineError && e.code === 'FL_ERR_SERVICE_START')) throw e;
      // the incident this fault reproduces: left down; the revert restores the file and starts it again
      const crash = startupCrash(log, from, { faultId: ctx.id });
      return { plan, detail: { ...detail, up: false, startError: e.message, ...(crash ? { crash } : {}) } };
    }
  },
});
