/**
 * A small JSON Schema (draft 2020-12 subset) validator that also applies defaults.
 * faultline's file formats are described once as JSON Schema objects; the same object is written out for
 * editors (`faultline schema`) and drives validation here. Supported keywords: type, properties, required,
 * additionalProperties (boolean or schema), items, enum, minimum, maximum, minLength, pattern, default,
 * oneOf of types (via `type: [...]`), and `format: duration | bytes | hostport`.
 */
import { parseBytes, parseDurationMs } from './duration.js';
import { splitHostPort } from './net.js';

export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | Array<'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean'>;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: 'duration' | 'bytes' | 'hostport';
  default?: unknown;
}

export interface SchemaProblem {
  /** path of keys from the root, e.g. ['services', 'api', 'port'] */
  path: (string | number)[];
  message: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Validates `value` against `schema`, returning a copy with defaults filled in and every problem found. */
export function validate(schema: JsonSchema, value: unknown, path: (string | number)[] = []): { value: unknown; problems: SchemaProblem[] } {
  const problems: SchemaProblem[] = [];
  const out = walk(schema, value, path, problems);
  return { value: out, problems };
}

function walk(schema: JsonSchema, value: unknown, path: (string | number)[], problems: SchemaProblem[]): unknown {
  if (value === undefined) {
    if (schema.default === undefined) return undefined;
    value = clone(schema.default); // walked below, so nested defaults apply too
  }
  const got = typeOf(value);
  if (schema.type !== undefined) {
    const wants = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!wants.some((w) => typeMatches(w, got))) {
      problems.push({ path, message: `expected ${wants.join(' or ')}, got ${got === 'null' ? 'null' : `${got} ${JSON.stringify(value)}`}` });
      return value;
    }
  }
  if (schema.enum && !schema.enum.includes(value)) {
    problems.push({ path, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}; got ${JSON.stringify(value)}` });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push({ path, message: `must be ≥ ${schema.minimum}; got ${value}` });
    if (schema.maximum !== undefined && value > schema.maximum) problems.push({ path, message: `must be ≤ ${schema.maximum}; got ${value}` });
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) problems.push({ path, message: `must not be empty` });
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) problems.push({ path, message: `must match ${schema.pattern}; got ${JSON.stringify(value)}` });
  }
  if (schema.format !== undefined && (typeof value === 'string' || typeof value === 'number')) {
    try {
      if (schema.format === 'duration') parseDurationMs(value);
      else if (schema.format === 'bytes') parseBytes(value);
      else splitHostPort(String(value));
    } catch (e) {
      problems.push({ path, message: (e as Error).message.replace(/^[^:]*: /, '') });
    }
  }
  if (got === 'array' && schema.items) {
    return (value as unknown[]).map((item, i) => walk(schema.items as JsonSchema, item, [...path, i], problems));
  }
  if (got === 'object' && (schema.properties || schema.additionalProperties !== undefined)) {
    const obj = value as Record<string, unknown>;
    const result: Record<string, unknown> = {};
    for (const req of schema.required ?? []) {
      if (obj[req] === undefined) problems.push({ path: [...path, req], message: 'is required' });
    }
    const props = schema.properties ?? {};
    for (const [key, sub] of Object.entries(props)) {
      const v = walk(sub, obj[key], [...path, key], problems);
      if (v !== undefined) result[key] = v;
    }
    for (const [key, v] of Object.entries(obj)) {
      if (key in props) continue;
      if (schema.additionalProperties === false || schema.additionalProperties === undefined) {
        const known = Object.keys(props);
        const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || levenshtein(k, key) <= 2);
        problems.push({ path: [...path, key], message: `unknown field${near ? `; did you mean "${near}"?` : known.length ? `; expected one of ${known.join(', ')}` : ''}` });
      } else if (schema.additionalProperties !== true) {
        result[key] = walk(schema.additionalProperties, v, [...path, key], problems);
      } else {
        result[key] = v;
      }
    }
    return result;
  }
  return value;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}
