import { FaultlineError } from '../../core/errors.js';
import { compileRouteMatcher } from './glob.js';
import { bad, optDurationMs, optNumber, optString } from './params.js';
import { AGENT_FAULT_KINDS, type AgentFaultKindName, type AgentFaultTarget, type TargetType } from './types.js';

/** A validated POST /v1/faults body (kind-specific params are validated by the kind). */
export interface FaultSpec {
  kind: AgentFaultKindName;
  on: TargetType;
  target: AgentFaultTarget;
  probability: number;
  ttlMs: number;
  maxHits?: number;
  seed?: number;
  params: Record<string, unknown>;
  actor?: string;
}

const TOP_LEVEL = ['kind', 'target', 'probability', 'ttlMs', 'ttl', 'maxHits', 'seed', 'params', 'actor'];
const TARGET_KEYS = ['module', 'fn', 'route'];
export const FN_REQUIRED = 'is required for a function fault (an exported function name such as "fetchPrice" or "Cart.prototype.add"); use target.route for an HTTP route';
/** setTimeout's limit (about 24.8 days) */
export const MAX_TTL_MS = 2_147_483_647;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Validates the attributes common to every agent fault; each error names the attribute. */
export function parseFaultSpec(body: unknown): FaultSpec {
  if (!isRecord(body)) throw bad('body', 'expected a JSON object such as {"kind":"throw","target":{"fn":"fetchPrice"},"ttlMs":30000}');
  for (const k of Object.keys(body)) {
    if (!TOP_LEVEL.includes(k)) throw bad(k, `unknown attribute; a fault accepts ${TOP_LEVEL.join(', ')} (kind-specific ones go in params)`);
  }
  const kind = body.kind;
  if (typeof kind !== 'string' || !(AGENT_FAULT_KINDS as readonly string[]).includes(kind)) {
    throw bad('kind', `expected one of ${AGENT_FAULT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  if (!isRecord(body.target)) throw bad('target', 'expected an object: {"module":"lib/price.mjs","fn":"fetchPrice"}, {"route":"GET /items/*"}, or {} (the whole process, for leak and iolatency)');
  for (const k of Object.keys(body.target)) {
    if (!TARGET_KEYS.includes(k)) throw bad(`target.${k}`, `unknown attribute; a target accepts module, fn (a function) or route (an HTTP route)`);
  }
  const module = optString(body.target.module, 'target.module');
  const fn = optString(body.target.fn, 'target.fn');
  const route = optString(body.target.route, 'target.route');
  let on: TargetType;
  const target: AgentFaultTarget = {};
  if (route !== undefined) {
    if (fn !== undefined || module !== undefined) throw bad('target.route', 'give either target.route (an HTTP route) or target.module/target.fn (a function), not both');
    if (!compileRouteMatcher(route)) throw bad('target.route', `expected "METHOD /path" or "/path" (* matches any characters), got ${JSON.stringify(route)}`);
    on = 'route';
    target.route = route.trim();
  } else if (fn === undefined && module === undefined) {
    // no function and no route: the whole process (leak); kinds that act on calls refuse it in the runtime
    on = 'process';
  } else {
    if (fn === undefined || fn.trim() === '') throw bad('target.fn', FN_REQUIRED);
    on = 'function';
    target.fn = fn.trim();
    if (module !== undefined && module.trim() !== '') target.module = module.trim();
  }
  const ttlRaw = body.ttlMs ?? body.ttl;
  const field = body.ttlMs !== undefined ? 'ttlMs' : 'ttl';
  const ttlMs = optDurationMs(ttlRaw, field, MAX_TTL_MS);
  if (ttlMs === undefined || ttlMs <= 0) {
    throw new FaultlineError('FL_ERR_TTL_REQUIRED', `ttlMs: every agent fault needs a positive time-to-live in ms (or "ttl": "30s"); got ${JSON.stringify(ttlRaw)}`, { context: { field: 'ttlMs' } });
  }
  const probability = optNumber(body.probability, 'probability', { min: 0, max: 1 }) ?? 1;
  const maxHits = optNumber(body.maxHits, 'maxHits', { min: 1, int: true });
  const seed = optNumber(body.seed, 'seed', { min: 0, max: 4_294_967_295, int: true });
  if (body.params !== undefined && !isRecord(body.params)) throw bad('params', 'expected an object of kind-specific attributes, e.g. {"ms": 500}');
  const actor = optString(body.actor, 'actor');
  return {
    kind: kind as AgentFaultKindName,
    on,
    target,
    probability,
    ttlMs,
    params: isRecord(body.params) ? body.params : {},
    ...(maxHits === undefined ? {} : { maxHits }),
    ...(seed === undefined ? {} : { seed }),
    ...(actor === undefined ? {} : { actor }),
  };
}
