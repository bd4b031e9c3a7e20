import { parseBytes, parseDurationMs } from '../../core/duration.js';
import { FaultlineError, isFaultlineError } from '../../core/errors.js';

/** Validation helpers for fault attributes; every error names the attribute (`params.ms`). */
export function bad(field: string, message: string): FaultlineError {
  return new FaultlineError('FL_ERR_AGENT_FAULT', `${field}: ${message}`, { context: { field } });
}

export function optNumber(raw: unknown, field: string, opts: { min?: number; max?: number; int?: boolean } = {}): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, `expected a number, got ${JSON.stringify(raw)}`);
  if (opts.int && !Number.isInteger(v)) throw bad(field, `expected an integer, got ${v}`);
  if (opts.min !== undefined && v < opts.min) throw bad(field, `must be at least ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw bad(field, `must be at most ${opts.max}, got ${v}`);
  return v;
}

export function reqNumber(raw: unknown, field: string, opts: { min?: number; max?: number; int?: boolean } = {}): number {
  const v = optNumber(raw, field, opts);
  if (v === undefined) throw bad(field, 'is required');
  return v;
}

/** A duration in ms: a number of milliseconds or a string like "250ms", "2s". */
export function optDurationMs(raw: unknown, field: string, maxMs = 2_147_483_647): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' && typeof raw !== 'string') throw bad(field, `expected milliseconds or a duration like "500ms", got ${JSON.stringify(raw)}`);
  let ms: number;
  try {
    ms = parseDurationMs(raw, field);
  } catch (e) {
    if (isFaultlineError(e)) throw bad(field, `expected milliseconds or a duration like "500ms", got ${JSON.stringify(raw)}`);
    throw e;
  }
  if (ms > maxMs) throw bad(field, `must be at most ${maxMs} ms, got ${ms}`);
  return ms;
}

/** A size in bytes: a number, or a string like "8MiB", "512KiB", "1G" (binary units, as the process faults read them). */
export function optBytes(raw: unknown, field: string, opts: { min?: number; max?: number } = {}): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' && typeof raw !== 'string') throw bad(field, `expected bytes or a size like "8MiB", got ${JSON.stringify(raw)}`);
  let n: number;
  try {
    n = parseBytes(raw, field);
  } catch (e) {
    if (isFaultlineError(e)) throw bad(field, `expected bytes or a size like "8MiB", got ${JSON.stringify(raw)}`);
    throw e;
  }
  if (!Number.isFinite(n)) throw bad(field, `expected bytes or a size like "8MiB", got ${JSON.stringify(raw)}`);
  if (opts.min !== undefined && n < opts.min) throw bad(field, `must be at least ${opts.min} bytes, got ${n}`);
  if (opts.max !== undefined && n > opts.max) throw bad(field, `must be at most ${opts.max} bytes, got ${n}`);
  return n;
}

export function optString(raw: unknown, field: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw bad(field, `expected a string, got ${JSON.stringify(raw)}`);
  return raw;
}

export function optBoolean(raw: unknown, field: string): boolean | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw bad(field, `expected true or false, got ${JSON.stringify(raw)}`);
}

export function oneOf<T extends string>(raw: unknown, field: string, allowed: readonly T[]): T | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw)) throw bad(field, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

/** Rejects attributes a kind does not know, so a typo ("param.ms" vs "params.msec") is not silently ignored. */
export function onlyKeys(raw: Record<string, unknown>, allowed: readonly string[], kind: string): void {
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) throw bad(`params.${k}`, `is not an attribute of ${kind}; it accepts ${allowed.length ? allowed.join(', ') : 'none'}`);
  }
}

/** Blocks the thread for ms (the event loop stalls): Atomics.wait sleeps, `spin` burns CPU instead. */
export function blockFor(ms: number, spin: boolean): void {
  if (ms <= 0) return;
  if (spin) {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // burning CPU on purpose: this is the fault
    }
    return;
  }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
