/** List and mapping params of the environment faults (envdrift, hidebinary, breakmodule), from CLI strings or API JSON. */
import { FaultlineError } from '../../../core/errors.js';

const invalid = (kind: string, name: string, msg: string): FaultlineError =>
  new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${kind}: param "${name}" ${msg}`, { context: { kind, param: name } });

/**
 * A list of strings: a YAML/JSON list, or one string of comma-separated items (the CLI's repeated option gives a
 * list). Items are trimmed, blanks and repeats dropped. Undefined when absent; throws when present but empty.
 */
export function listParam(kind: string, params: Record<string, unknown>, name: string, example: string): string[] | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? (raw as string[]) : undefined;
  if (items === undefined) throw invalid(kind, name, `must be a list of strings or one comma-separated string, e.g. ${example}; got ${JSON.stringify(raw)}`);
  const out = [...new Set(items.map((s) => s.trim()).filter((s) => s !== ''))];
  if (out.length === 0) throw invalid(kind, name, `must name at least one item, e.g. ${example}`);
  return out;
}

/**
 * A mapping of names to string values: a YAML/JSON mapping (numbers and booleans become strings), or
 * "NAME=value" strings (one string, or a list of them; the value may hold `=` and commas). Undefined when absent.
 */
export function assignmentsParam(kind: string, params: Record<string, unknown>, name: string, example: string): Record<string, string> | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  const put = (k: string, v: unknown): void => {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalid(kind, name, `value of ${JSON.stringify(k)} must be a string, a number or a boolean, got ${JSON.stringify(v)}`);
    if (Object.hasOwn(out, k)) throw invalid(kind, name, `sets ${k} twice`);
    out[k] = String(v);
  };
  const assignments = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : undefined;
  if (assignments) {
    for (const a of assignments) {
      const eq = typeof a === 'string' ? a.indexOf('=') : -1;
      if (typeof a !== 'string' || eq <= 0) throw invalid(kind, name, `must hold NAME=value assignments, e.g. ${example}; got ${JSON.stringify(a)}`);
      put(a.slice(0, eq).trim(), a.slice(eq + 1));
    }
  } else if (typeof raw === 'object' && raw !== null) {
    for (const [k, v] of Object.entries(raw)) put(k, v);
  } else {
    throw invalid(kind, name, `must be a mapping {NAME: value} or NAME=value strings, e.g. ${example}; got ${JSON.stringify(raw)}`);
  }
  if (Object.keys(out).length === 0) throw invalid(kind, name, `must set at least one variable, e.g. ${example}`);
  return out;
}
