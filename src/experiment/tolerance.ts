/**
 * Chaos Toolkit tolerances, pure: does a probe's output meet its tolerance? Same dispatch as chaoslib's
 * `within_tolerance`: bool/string exact; number against `status` when the output has one (http, process) else
 * the value; a list is "status in list" for outputs with a status, a [lo, hi] range for two numbers, else
 * membership; mappings are {type: range|regex|jsonpath|probe}. The value actually compared is returned too.
 */
import { jsonPathProblem, jsonPathValues } from './jsonpath.js';
import { isNum, isObj } from './providers/types.js';

export interface ToleranceResult {
  met: boolean;
  /** the value compared with the tolerance (e.g. the status of an http output, the jsonpath matches) */
  checked: unknown;
  /** why it was not met, when that is not obvious from the value */
  note?: string;
}

export interface ToleranceProblem {
  path: (string | number)[];
  message: string;
}

const TYPES = ['range', 'regex', 'jsonpath', 'probe'] as const;

/** deep equality of JSON values */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

const hasStatus = (v: unknown): v is { status: unknown } => isObj(v) && 'status' in v;
const targetOf = (tol: Record<string, unknown>, value: unknown): unknown => (typeof tol.target === 'string' && isObj(value) && tol.target in value ? value[tol.target] : value);

/** A number from a number or a numeric string (as Python's Decimal accepts), else undefined. */
export function toNumber(v: unknown): number | undefined {
  if (isNum(v)) return v;
  if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** Checks `value` against a tolerance; `{type: probe}` tolerances are run by the runner, not here. */
export function withinTolerance(tolerance: unknown, value: unknown): ToleranceResult {
  if (typeof tolerance === 'boolean' || typeof tolerance === 'string') return { met: value === tolerance, checked: value };
  if (typeof tolerance === 'number') {
    const checked = hasStatus(value) ? value.status : value;
    return { met: checked === tolerance, checked };
  }
  if (Array.isArray(tolerance)) {
    if (hasStatus(value)) return { met: tolerance.some((t) => jsonEqual(t, value.status)), checked: value.status };
    if (tolerance.length === 2 && isNum(tolerance[0]) && isNum(tolerance[1])) {
      const n = toNumber(value);
      return { met: n !== undefined && tolerance[0] <= n && n <= tolerance[1], checked: value };
    }
    return { met: tolerance.some((t) => jsonEqual(t, value)), checked: value };
  }
  if (isObj(tolerance)) {
    switch (tolerance.type) {
      case 'range': {
        const v = targetOf(tolerance, value);
        const range = tolerance.range as [number, number];
        const n = toNumber(v);
        if (n === undefined) return { met: false, checked: v, note: 'a range tolerance needs a number' };
        return { met: range[0] <= n && n <= range[1], checked: n };
      }
      case 'regex': {
        const v = targetOf(tolerance, value);
        const text = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
        return { met: new RegExp(String(tolerance.pattern)).test(text), checked: v };
      }
      case 'jsonpath': {
        let v = targetOf(tolerance, value);
        if (typeof v === 'string') {
          try {
            v = JSON.parse(v);
          } catch {
            // not JSON: nothing can match
          }
        }
        const values = jsonPathValues(String(tolerance.path), v);
        let met = values.length > 0;
        if (tolerance.count !== undefined) met = values.length === tolerance.count;
        if ('expect' in tolerance) met = jsonEqual(values, Array.isArray(tolerance.expect) ? tolerance.expect : [tolerance.expect]);
        return { met, checked: values };
      }
      default:
        return { met: false, checked: value, note: `tolerance type ${JSON.stringify(tolerance.type)} is checked by the runner` };
    }
  }
  return { met: false, checked: value, note: 'no tolerance' };
}

/** Problems of a tolerance as written in an experiment (paths relative to the tolerance). */
export function toleranceProblems(t: unknown): ToleranceProblem[] {
  if (typeof t === 'boolean' || typeof t === 'string' || isNum(t)) return [];
  if (Array.isArray(t)) return t.length === 0 ? [{ path: [], message: 'an empty list matches nothing; list the accepted values, or [lo, hi] for a range' }] : [];
  if (!isObj(t)) return [{ path: [], message: 'expected a bool, number, string, list, or a mapping with type range, regex, jsonpath or probe' }];
  const out: ToleranceProblem[] = [];
  if (!TYPES.includes(t.type as (typeof TYPES)[number])) return [{ path: ['type'], message: `expected one of ${TYPES.join(', ')}` }];
  if (t.target !== undefined && typeof t.target !== 'string') out.push({ path: ['target'], message: 'expected the name of a field of the output, e.g. body or status' });
  switch (t.type) {
    case 'range': {
      const r = t.range;
      if (!Array.isArray(r) || r.length !== 2 || !isNum(r[0]) || !isNum(r[1])) out.push({ path: ['range'], message: 'expected [lower, upper], two numbers (inclusive)' });
      else if (r[0] > r[1]) out.push({ path: ['range'], message: `lower bound ${r[0]} is above upper bound ${r[1]}` });
      break;
    }
    case 'regex':
      if (typeof t.pattern !== 'string') out.push({ path: ['pattern'], message: 'required: a regular expression' });
      else {
        try {
          new RegExp(t.pattern);
        } catch (e) {
          out.push({ path: ['pattern'], message: (e as Error).message });
        }
      }
      break;
    case 'jsonpath': {
      if (typeof t.path !== 'string') out.push({ path: ['path'], message: 'required: a JSONPath expression, e.g. $.status' });
      else {
        const p = t.path.includes('${') ? undefined : jsonPathProblem(t.path);
        if (p) out.push({ path: ['path'], message: p });
      }
      if (t.count !== undefined && !(Number.isInteger(t.count) && (t.count as number) >= 0)) out.push({ path: ['count'], message: 'expected a non-negative integer' });
      break;
    }
    case 'probe':
      if (!isObj(t.provider) || typeof t.provider.type !== 'string') out.push({ path: ['provider'], message: 'required: a provider ({type: http|process|prometheus, ...}) run with the value as arguments.value' });
      break;
  }
  return out;
}
