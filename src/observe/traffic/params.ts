/**
 * What the kinds of layer `traffic` share: checking their params (each refusal is FL_ERR_INVALID_ARGUMENT naming
 * `params.<name>`), classing an answer and telling whether it is the expected one, and the route a fault's requests
 * go to (what safe zones and the agents' evidence watch see).
 */
import { FaultlineError } from '../../core/errors.js';

export const paramError = (param: string, message: string): FaultlineError =>
  new FaultlineError('FL_ERR_INVALID_ARGUMENT', `params.${param}: ${message}`, { context: { param } });

/** Refuses a param outside `keys`. */
export function checkParamKeys(raw: Record<string, unknown>, keys: readonly string[], kind: string): void {
  for (const k of Object.keys(raw)) if (!keys.includes(k)) throw paramError(k, `unknown; a ${kind} traffic fault takes ${keys.join(', ')}`);
}

export function parseMethod(raw: unknown, dflt: string, example: string): string {
  const method = raw === undefined ? dflt : raw;
  if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) throw paramError('method', `expected an HTTP method such as ${example}, got ${JSON.stringify(method)}`);
  return method.toUpperCase();
}

/** A path (and query) on the load's origin: starts with /, no spaces or control characters. `what` words the requirement. */
export function parsePath(raw: unknown, what: string): string {
  if (typeof raw !== 'string' || !raw.startsWith('/')) throw paramError('path', `is required: ${what}, got ${JSON.stringify(raw)}`);
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) throw paramError('path', `must not contain spaces or control characters: ${JSON.stringify(raw)}`);
  return raw;
}

/** `defaults` overridden by the param (names lower-cased, values as strings). */
export function parseHeaders(raw: unknown, defaults: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { ...defaults };
  if (raw === undefined) return headers;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw paramError('headers', 'expected a mapping of header names to strings');
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw paramError('headers', `"${k}" is not a header name`);
    if (typeof v !== 'string' && typeof v !== 'number') throw paramError('headers', `the value of "${k}" must be a string`);
    headers[k.toLowerCase()] = String(v);
  }
  return headers;
}

export function parseShare(raw: unknown, dflt: number): number {
  const share = raw === undefined ? dflt : raw;
  if (typeof share !== 'number' || !Number.isFinite(share) || share <= 0 || share > 1) throw paramError('share', `expected a number in (0, 1], the part of the load's requests replaced, got ${JSON.stringify(share)}`);
  return share;
}

/** '2xx' | '3xx' | '4xx', or one status below 500 ('400') */
export function parseExpect(raw: unknown, dflt: string): string {
  const expect = raw === undefined ? dflt : String(raw).toLowerCase();
  if (!/^[234]xx$/.test(expect) && !(/^\d{3}$/.test(expect) && Number(expect) >= 200 && Number(expect) < 500)) {
    throw paramError('expect', `expected the answer class that is correct for such a request: 2xx, 3xx, 4xx or one status below 500 (e.g. 400), got ${JSON.stringify(raw)}`);
  }
  return expect;
}

/** The class of an answer: '4xx' for a status, else the load's outcome ('timeout', 'ECONNRESET', 'aborted' …). */
export function answerClass(status: number, outcome: string): string {
  if (status > 0 && (outcome === 'ok' || outcome.startsWith('http_'))) return `${Math.floor(status / 100)}xx`;
  return outcome;
}

/** True when `status` is the answer `expect` asks for. */
export function isExpected(expect: string, status: number): boolean {
  if (status <= 0) return false;
  return /^\dxx$/.test(expect) ? Math.floor(status / 100) === Number(expect[0]) : status === Number(expect);
}

/**
 * The route of a fault's requests, `METHOD path` without the query: what safe zones (`safeZones.routes`) and the
 * agents' route matching see (an agent matches the request path without its query).
 */
export function trafficRoute(method: string, path: string): string {
  return `${method} ${path.split('?')[0] as string}`;
}

/** The most requests per second a flood (param `rate`) sends. */
export const MAX_FLOOD_RATE = 5000;
/** The default and the bounds of a flood's sockets (param `connections`). */
export const DEFAULT_FLOOD_CONNECTIONS = 16;
export const MAX_FLOOD_CONNECTIONS = 256;

/**
 * What a kind that can flood (`unique-keys`, `mix`) takes instead of a share: `rate` (requests per second, in
 * (0, 5000]) sent on top of the load over a pool of `connections` sockets (1..256, default 16). Undefined without
 * `rate`; `share` together with `rate` is refused (naming params.rate), and `connections` without `rate` too.
 */
export function parseFlood(raw: Record<string, unknown>): { rate: number; connections: number } | undefined {
  if (raw.rate === undefined) {
    if (raw.connections !== undefined) throw paramError('connections', `only goes with params.rate (the sockets of the flood's own pool); without rate the fault replaces a share of the load's requests on the load's sockets`);
    return undefined;
  }
  const rate = raw.rate;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > MAX_FLOOD_RATE) {
    throw paramError('rate', `expected a number of requests per second in (0, ${MAX_FLOOD_RATE}], sent on top of the load, got ${JSON.stringify(rate)}`);
  }
  if (raw.share !== undefined) throw paramError('rate', `cannot go with params.share: with rate the fault sends its own requests on top of the load and replaces none of them; give one of share (a part of the load replaced) or rate (a flood added)`);
  const connections = raw.connections === undefined ? DEFAULT_FLOOD_CONNECTIONS : raw.connections;
  if (typeof connections !== 'number' || !Number.isInteger(connections) || connections < 1 || connections > MAX_FLOOD_CONNECTIONS) {
    throw paramError('connections', `expected a whole number of sockets in 1..${MAX_FLOOD_CONNECTIONS} for the flood's own pool (default ${DEFAULT_FLOOD_CONNECTIONS}), got ${JSON.stringify(connections)}`);
  }
  return { rate, connections };
}

/** What every traffic fault that sends one kind of request takes (mix, unique-keys). */
export interface RequestParams {
  method: string;
  /** path (and query) on the load's origin; starts with / (unique-keys: with one `*` where the key goes) */
  path: string;
  /** sent as is (none by default) */
  body?: string;
  headers: Record<string, string>;
  /** 0 < share ≤ 1: the part of the load's requests replaced (absent with `rate`) */
  share?: number;
  /** requests per second sent on top of the load instead of replacing a share of it (a flood; absent without) */
  rate?: number;
  /** the sockets of the flood's own pool (with `rate` only; default 16) */
  connections?: number;
  /** '2xx' | '3xx' | '4xx', or one status ('201') */
  expect: string;
}
