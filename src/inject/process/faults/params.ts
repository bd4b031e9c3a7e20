/** Reading fault params from CLI strings or API JSON; every error names the param and what it accepts. */
import { constants } from 'node:os';
import { parseBytes } from '../../../core/duration.js';
import { FaultlineError } from '../../../core/errors.js';

const invalid = (kind: string, name: string, msg: string): FaultlineError =>
  new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${kind}: param "${name}" ${msg}`, { context: { kind, param: name } });

/** Throws when params holds names the fault does not know. */
export function onlyKnown(kind: string, params: Record<string, unknown>, known: readonly string[]): void {
  const extra = Object.keys(params).filter((k) => params[k] !== undefined && !known.includes(k));
  if (extra.length > 0) {
    throw invalid(kind, extra[0] as string, `is not a param of ${kind}; it accepts ${known.length > 0 ? known.join(', ') : 'no params'}`);
  }
}

export function numberParam(kind: string, params: Record<string, unknown>, name: string, opts: { min: number; max: number; def?: number; integer?: boolean }): number {
  const raw = params[name];
  if (raw === undefined || raw === '') {
    if (opts.def === undefined) throw invalid(kind, name, 'is required');
    return opts.def;
  }
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < opts.min || n > opts.max || (opts.integer && !Number.isInteger(n))) {
    throw invalid(kind, name, `must be ${opts.integer ? 'an integer' : 'a number'} from ${opts.min} to ${opts.max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function bytesParam(kind: string, params: Record<string, unknown>, name: string): number {
  const raw = params[name];
  if (raw === undefined || raw === '') throw invalid(kind, name, 'is required (bytes, e.g. 256MiB, 1G)');
  if (typeof raw !== 'string' && typeof raw !== 'number') throw invalid(kind, name, 'must be a size such as 256MiB');
  const n = parseBytes(raw, `${kind}.${name}`);
  if (!Number.isFinite(n) || n <= 0) throw invalid(kind, name, `must be a positive size, got ${JSON.stringify(raw)}`);
  return n;
}

export function stringParam(kind: string, params: Record<string, unknown>, name: string, def?: string): string {
  const raw = params[name];
  if (raw === undefined || raw === '') {
    if (def === undefined) throw invalid(kind, name, 'is required');
    return def;
  }
  if (typeof raw !== 'string') throw invalid(kind, name, `must be a string, got ${JSON.stringify(raw)}`);
  return raw;
}

export function booleanParam(kind: string, params: Record<string, unknown>, name: string, def: boolean): boolean {
  const raw = params[name];
  if (raw === undefined) return def;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw invalid(kind, name, `must be true or false, got ${JSON.stringify(raw)}`);
}

export function oneOfParam<T extends string>(kind: string, params: Record<string, unknown>, name: string, allowed: readonly T[], def: T): T {
  const v = stringParam(kind, params, name, def);
  if (!(allowed as readonly string[]).includes(v)) throw invalid(kind, name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** A signal name (SIGTERM, TERM, term) normalised to SIGTERM. */
export function signalParam(kind: string, params: Record<string, unknown>, name: string, def: NodeJS.Signals): NodeJS.Signals {
  const raw = stringParam(kind, params, name, def).toUpperCase();
  const sig = raw.startsWith('SIG') ? raw : `SIG${raw}`;
  if (!(sig in constants.signals)) throw invalid(kind, name, `must be a signal name such as SIGTERM, SIGKILL, SIGINT, SIGUSR1; got ${JSON.stringify(raw)}`);
  return sig as NodeJS.Signals;
}
