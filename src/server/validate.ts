/**
 * Strict validation of the HTTP API's bodies and query strings (src/core/promote.ts has the shapes).
 * Every problem throws FL_ERR_INVALID_ARGUMENT whose message starts with the exact field path
 * (`module.failureProbabilities[2]: …`) and whose context carries `{ field }`; the first problem wins.
 * Unknown fields are refused, with a did-you-mean when a known field is a small edit away.
 */
import { FaultlineError } from '../core/errors.js';
import {
  CRITICALITIES,
  RELEASE_STATUSES,
  type Criticality,
  type GateExtras,
  type ModuleData,
  type PromotionRequest,
  type ReleaseStatus,
} from '../core/promote.js';

/** The query of GET /v1/releases. */
export interface ReleaseQuery {
  module?: string;
  status?: ReleaseStatus;
  /** at most this many records (a positive integer) */
  limit?: number;
}

type Check<T> = (v: unknown, field: string) => T;
type Plain = Record<string, unknown>;

const MODULE_FIELDS = [
  'name',
  'version',
  'path',
  'dependencies',
  'dependents',
  'totalModules',
  'criticality',
  'failureProbabilities',
  'failureProbability',
  'routes',
  'trafficShare',
  'loadRps',
  'history',
] as const satisfies readonly (keyof ModuleData)[];
const HISTORY_FIELDS = ['promotions', 'rollbacks'] as const;
const REQUEST_FIELDS = ['module', 'coverage', 'fis', 'baseCoverageThreshold', 'extras'] as const satisfies readonly (keyof PromotionRequest)[];
const EXTRAS_FIELDS = ['mutationScore', 'dependencyHealth'] as const satisfies readonly (keyof GateExtras)[];
const HEALTH_FIELDS = ['critical', 'high', 'moderate', 'low', 'info', 'total'] as const;
const RELEASE_QUERY = ['module', 'status', 'limit'] as const;

function fail(field: string, problem: string): never {
  throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: ${problem}`, { context: { field } });
}

/** A short, safe rendering of a value for messages. */
export function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string': {
      const s = JSON.stringify(v);
      return s.length > 42 ? `${s.slice(0, 40)}…"` : s;
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidate closest to `word` (case-insensitive), when it is a small edit away (a third of its length) or
 * starts with `word` (4 letters or more: `mutation` → `mutationScore`); undefined otherwise.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length >= 4) {
    const prefixed = candidates.find((c) => c.toLowerCase().startsWith(lower));
    if (prefixed !== undefined) return prefixed;
  }
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  return bestD <= limit ? best : undefined;
}

function join(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks that `v` is an object whose keys are all in `known`; `self` names the object, `prefix` its fields. */
function objectOf(v: unknown, self: string, prefix: string, known: readonly string[], what: string): Plain {
  if (!isPlain(v)) fail(self, `must be a JSON object (${what}), got ${show(v)}`);
  for (const key of Object.keys(v)) {
    if (known.includes(key)) continue;
    const hint = suggest(key, known);
    fail(join(prefix, key), hint !== undefined ? `unknown field; did you mean ${hint}?` : `unknown field; ${what} has ${known.join(', ')}`);
  }
  return v;
}

function has(o: Plain, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function need<T>(o: Plain, prefix: string, key: string, check: Check<T>): T {
  const field = join(prefix, key);
  if (!has(o, key)) fail(field, 'missing required field');
  return check(o[key], field);
}

/** Copies o[key] into `out` after checking it, when present. */
function copy<O extends object, K extends keyof O & string>(out: O, o: Plain, prefix: string, key: K, check: Check<O[K]>): void {
  if (has(o, key)) out[key] = check(o[key], join(prefix, key));
}

const string: Check<string> = (v, field) => (typeof v === 'string' ? v : fail(field, `must be a string, got ${show(v)}`));

const nonEmptyString: Check<string> = (v, field) => {
  const s = string(v, field);
  return s.trim() === '' ? fail(field, 'must not be empty') : s;
};

const number: Check<number> = (v, field) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(field, `must be a finite number, got ${show(v)}`));

function inRange(lo: number, hi: number, what: string): Check<number> {
  return (v, field) => {
    const n = typeof v === 'number' && Number.isFinite(v) ? v : fail(field, `must be ${what} in [${lo}, ${hi}], got ${show(v)}`);
    return n < lo || n > hi ? fail(field, `must be ${what} in [${lo}, ${hi}], got ${n}`) : n;
  };
}

const probability = inRange(0, 1, 'a probability');
const share = inRange(0, 1, 'a share');
const score = inRange(0, 1, 'a score');
const percent = inRange(0, 100, 'a percentage');

const count: Check<number> = (v, field) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(field, `must be a non-negative integer, got ${show(v)}`));

const positive: Check<number> = (v, field) => (Number.isSafeInteger(v) && (v as number) >= 1 ? (v as number) : fail(field, `must be an integer ≥ 1, got ${show(v)}`));

const nonNegative: Check<number> = (v, field) => {
  const n = number(v, field);
  return n < 0 ? fail(field, `must be ≥ 0, got ${n}`) : n;
};

function arrayOf<T>(item: Check<T>): Check<T[]> {
  return (v, field) => {
    if (!Array.isArray(v)) return fail(field, `must be an array, got ${show(v)}`);
    return v.map((x, i) => item(x, `${field}[${i}]`));
  };
}

function distinct(check: Check<string[]>): Check<string[]> {
  return (v, field) => {
    const xs = check(v, field);
    const seen = new Map<string, number>();
    xs.forEach((x, i) => {
      const first = seen.get(x);
      if (first !== undefined) fail(`${field}[${i}]`, `duplicate of ${field}[${first}] (${show(x)})`);
      seen.set(x, i);
    });
    return xs;
  };
}

function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (v, field) => {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    const hint = typeof v === 'string' ? suggest(v, values) : undefined;
    return fail(field, `must be one of ${values.join(', ')}, got ${show(v)}${hint !== undefined ? `; did you mean ${hint}?` : ''}`);
  };
}

const criticality: Check<Criticality> = oneOf(CRITICALITIES);

const repoPath: Check<string> = (v, field) => {
  const p = string(v, field);
  if (p.includes('\\')) fail(field, `must use forward slashes, got ${show(p)}`);
  if (p.startsWith('/')) fail(field, `must be relative to the repository root ('' for the root itself), got ${show(p)}`);
  if (p.endsWith('/')) fail(field, `must not end with a slash, got ${show(p)}`);
  return p;
};

const history: Check<{ promotions: number; rollbacks: number }> = (v, field) => {
  const o = objectOf(v, field, field, HISTORY_FIELDS, 'history');
  return { promotions: need(o, field, 'promotions', count), rollbacks: need(o, field, 'rollbacks', count) };
};

/**
 * Validates a ModuleData. `at` is the path of the object in the request ('module' inside a PromotionRequest,
 * '' when it is the whole body: fields then have no prefix and the object itself is called `body`).
 */
export function parseModuleData(body: unknown, at = 'module'): ModuleData {
  const o = objectOf(body, at === '' ? 'body' : at, at, MODULE_FIELDS, 'ModuleData');
  const m: ModuleData = { name: need(o, at, 'name', nonEmptyString) };
  copy(m, o, at, 'version', nonEmptyString);
  copy(m, o, at, 'path', repoPath);
  copy(m, o, at, 'dependencies', arrayOf(nonEmptyString));
  copy(m, o, at, 'dependents', distinct(arrayOf(nonEmptyString)));
  copy(m, o, at, 'totalModules', positive);
  copy(m, o, at, 'criticality', criticality);
  copy(m, o, at, 'failureProbabilities', arrayOf(probability));
  copy(m, o, at, 'failureProbability', probability);
  copy(m, o, at, 'routes', count);
  copy(m, o, at, 'trafficShare', share);
  copy(m, o, at, 'loadRps', nonNegative);
  copy(m, o, at, 'history', history);
  if (m.dependents !== undefined && m.totalModules !== undefined && m.dependents.length > m.totalModules - 1) {
    fail(join(at, 'dependents'), `has ${m.dependents.length} modules, more than the other ${m.totalModules - 1} of totalModules ${m.totalModules}`);
  }
  return m;
}

function extras(v: unknown, field: string): GateExtras {
  const o = objectOf(v, field, field, EXTRAS_FIELDS, 'GateExtras');
  const x: GateExtras = {};
  copy(x, o, field, 'mutationScore', percent);
  if (has(o, 'dependencyHealth')) {
    const f = join(field, 'dependencyHealth');
    const h = objectOf(o.dependencyHealth, f, f, HEALTH_FIELDS, 'dependencyHealth (npm audit counts)');
    x.dependencyHealth = {
      critical: need(h, f, 'critical', count),
      high: need(h, f, 'high', count),
      moderate: need(h, f, 'moderate', count),
      low: need(h, f, 'low', count),
      info: need(h, f, 'info', count),
      total: need(h, f, 'total', count),
    };
  }
  return x;
}

/** Validates the body of POST /v1/promotions/evaluate; top-level fields have no prefix, the module's are `module.…`. */
export function parsePromotionRequest(body: unknown): PromotionRequest {
  const o = objectOf(body, 'body', '', REQUEST_FIELDS, 'PromotionRequest');
  const r: PromotionRequest = {
    module: need(o, '', 'module', (v, field) => parseModuleData(v, field)),
    coverage: need(o, '', 'coverage', percent),
  };
  copy(r, o, '', 'fis', score);
  copy(r, o, '', 'baseCoverageThreshold', percent);
  copy(r, o, '', 'extras', extras);
  return r;
}

function queryFail(name: string, problem: string): never {
  throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `query parameter ${name}: ${problem}`, { context: { field: name } });
}

/**
 * Checks a query string against the parameters a route accepts (each at most once, none empty) and returns
 * their values. Unknown parameters are refused with a did-you-mean.
 */
export function parseQuery(params: URLSearchParams, known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of params) {
    if (!known.includes(name)) {
      const hint = suggest(name, known);
      queryFail(name, hint !== undefined ? `unknown; did you mean ${hint}?` : known.length === 0 ? 'unknown; this route takes no query parameters' : `unknown; this route takes ${known.join(', ')}`);
    }
    if (out.has(name)) queryFail(name, 'given more than once');
    if (value === '') queryFail(name, 'must not be empty (leave it out instead)');
    out.set(name, value);
  }
  return out;
}

/** Validates the query of GET /v1/releases (`module`, `status`, `limit`). */
export function parseReleaseQuery(params: URLSearchParams): ReleaseQuery {
  const values = parseQuery(params, RELEASE_QUERY);
  const q: ReleaseQuery = {};
  const module = values.get('module');
  if (module !== undefined) q.module = module;
  const status = values.get('status');
  if (status !== undefined) {
    if (!(RELEASE_STATUSES as readonly string[]).includes(status)) {
      const hint = suggest(status, RELEASE_STATUSES);
      queryFail('status', `must be one of ${RELEASE_STATUSES.join(', ')}, got ${show(status)}${hint !== undefined ? `; did you mean ${hint}?` : ''}`);
    }
    q.status = status as ReleaseStatus;
  }
  const limit = values.get('limit');
  if (limit !== undefined) {
    const n = /^\d+$/.test(limit) ? Number(limit) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) queryFail('limit', `must be a positive integer, got ${show(limit)}`);
    q.limit = n;
  }
  return q;
}
