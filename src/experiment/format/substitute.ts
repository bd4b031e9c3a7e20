/**
 * Configuration, secrets and `${name}` substitution, with Chaos Toolkit semantics: `--var name=value` overrides
 * the experiment's configuration; a configuration entry may read an environment variable ({type: env, key,
 * default}); `${name}` is replaced in every string of an activity when it runs; unknown names are left as they are.
 * A string that is exactly one `${name}` takes the value with its type (so `timeout: ${t}` stays a number).
 */
import { FaultlineError } from '../../core/errors.js';
import { isObj } from '../providers/types.js';

export type Scope = Readonly<Record<string, unknown>>;

const WHOLE = /^\$\{([A-Za-z_][\w.-]*)\}$/;
const ANY = /\$\{([A-Za-z_][\w.-]*)\}/g;

function envValue(name: string, spec: Record<string, unknown>, env: NodeJS.ProcessEnv): unknown {
  const key = String(spec.key);
  const v = env[key];
  if (v !== undefined) {
    const t = spec.env_var_type;
    if (t === 'int' || t === 'float') return Number(v);
    if (t === 'bool') return v === '1' || v.toLowerCase() === 'true';
    if (t === 'json') {
      try {
        return JSON.parse(v);
      } catch {
        throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `configuration.${name}: environment variable ${key} is not JSON`);
      }
    }
    return v;
  }
  if ('default' in spec) return spec.default;
  throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `configuration.${name}: environment variable ${key} is not set and the entry has no default; export ${key} or pass --var ${name}=VALUE`, { context: { name, key } });
}

/** The configuration values of a run: the experiment's entries (env entries read now), then `vars` over them. */
export function resolveConfiguration(configuration: Record<string, unknown> | undefined, vars: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(configuration ?? {})) {
    if (name in vars) continue;
    out[name] = isObj(v) && v.type === 'env' ? envValue(name, v, env) : v;
  }
  return { ...out, ...vars };
}

/** Secrets of every scope, flattened (a name in two scopes: the later scope wins). */
export function resolveSecrets(secrets: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const scope of Object.values(secrets ?? {})) {
    if (!isObj(scope)) continue;
    for (const [name, v] of Object.entries(scope)) out[name] = isObj(v) && v.type === 'env' ? envValue(name, v, env) : v;
  }
  return out;
}

/** Replaces `${name}` from `scope` in every string of `value` (deep); returns a new value. */
export function substitute<T>(value: T, scope: Scope): T {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole && Object.hasOwn(scope, whole[1] as string)) return scope[whole[1] as string] as T;
    return value.replace(ANY, (m, name: string) => (Object.hasOwn(scope, name) ? stringify(scope[name]) : m)) as T;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, scope)) as T;
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, scope)])) as T;
  return value;
}

const stringify = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');

/** Names referenced with `${name}` anywhere in `value`. */
export function referencedNames(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(ANY)) out.add(m[1] as string);
  else if (Array.isArray(value)) for (const v of value) referencedNames(v, out);
  else if (isObj(value)) for (const v of Object.values(value)) referencedNames(v, out);
  return out;
}

/** Parses `--var name=value` or `--var name:type=value` (type: str (default), int, float, bool, json), as Chaos Toolkit does. */
export function parseVar(spec: string): [string, unknown] {
  const m = /^([A-Za-z_][\w.-]*?)(?::(str|int|float|bool|json))?=(.*)$/s.exec(spec);
  if (!m) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--var: "${spec}" is not NAME=VALUE or NAME:TYPE=VALUE with TYPE str, int, float, bool or json (e.g. --var base_url=http://127.0.0.1:3000, --var rate:int=50)`);
  const name = m[1] as string;
  const raw = m[3] as string;
  switch (m[2]) {
    case 'int':
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (m[2] === 'int' && !Number.isInteger(n))) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--var ${name}: "${raw}" is not ${m[2] === 'int' ? 'an integer' : 'a number'}`);
      return [name, n];
    }
    case 'bool':
      return [name, raw === '1' || raw.toLowerCase() === 'true'];
    case 'json':
      try {
        return [name, JSON.parse(raw)];
      } catch {
        throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--var ${name}: "${raw}" is not JSON`);
      }
    default:
      return [name, raw];
  }
}
