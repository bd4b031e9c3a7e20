import { FaultlineError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "250ms", "30s", "2m", "1h", "1m30s" or a number of milliseconds. */
export function parseDurationMs(value: string | number, field = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: expected a non-negative number of milliseconds, got ${value}`);
    return value;
  }
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (matched !== s.length || s.length === 0) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: "${value}" is not a duration; use e.g. 500ms, 30s, 2m, 1h`);
  }
  return total;
}

/** Parses "10MB", "512KiB", "1G" or a number of bytes. */
export function parseBytes(value: string | number, field = 'size'): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(value);
  if (!m) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: "${value}" is not a size; use e.g. 512KiB, 10MB, 1G`);
  const pow = ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** pow);
}
