/**
 * Traffic fault kind `mix`: blend another, valid request into the load. While active, a share of the load's
 * requests (or, with `rate`, a flood of its own on top of the load: src/observe/traffic/flood.ts) is one given
 * request (`POST /orders` with a real order body while the load only reads `/products/…`): the write traffic a
 * read-only load lacks, so a fault on the write path (a slow disk, a lock) is felt under load; with `rate`, a flood
 * of requests to an expensive endpoint while the load's own requests are measured undisturbed. Nothing is drawn
 * besides the share: every request is the same.
 *
 * Reference: docs/reference/traffic-faults.md#mix.
 */
import { checkParamKeys, type RequestParams, paramError, parseExpect, parseFlood, parseHeaders, parseMethod, parsePath, parseShare } from './params.js';

export interface MixParams extends RequestParams {
  /**
   * false: the mixed-in requests are sent and summarised (the fault's `traffic`), but left out of the load's
   * samples, so the steady state judges the rest of the traffic — for a hypothesis that the *other* requests keep
   * their latency while the mixed-in ones use a slow path (default true: they count like any request). Always
   * false with `rate`: a flood is never measured (measure: true with rate is refused)
   */
  measure: boolean;
}

const PARAM_KEYS = ['method', 'path', 'body', 'headers', 'share', 'rate', 'connections', 'expect', 'measure'];

/** Checks the params of a `mix` traffic fault and applies the defaults; throws FL_ERR_INVALID_ARGUMENT naming the param. */
export function parseMixParams(raw: Record<string, unknown>): MixParams {
  checkParamKeys(raw, PARAM_KEYS, 'mix');
  const method = parseMethod(raw.method, 'POST', 'POST');
  const path = parsePath(raw.path, 'the path the mixed-in requests go to, starting with / (e.g. /orders)');
  if (raw.body !== undefined && typeof raw.body !== 'string') throw paramError('body', `expected a string (the body as sent, e.g. '{"sku":"sku-42","quantity":1}'), got ${typeof raw.body}`);
  const body = raw.body as string | undefined;
  // content-type: application/json only with a body, and only when the headers do not set one
  const headers = parseHeaders(raw.headers, body !== undefined ? { 'content-type': 'application/json' } : {});
  const flood = parseFlood(raw);
  const expect = parseExpect(raw.expect, '2xx');
  if (raw.measure !== undefined && typeof raw.measure !== 'boolean') throw paramError('measure', `expected true (the mixed-in requests count in the steady state) or false (only in the fault's own summary), got ${JSON.stringify(raw.measure)}`);
  if (flood && raw.measure === true) throw paramError('measure', `cannot be true with params.rate: a flood's requests are only in the fault's own summary, never in the load's figures; leave measure out (or use share to have mixed-in requests measured)`);
  return { method, path, ...(body !== undefined ? { body } : {}), headers, ...(flood ?? { share: parseShare(raw.share, 0.2) }), expect, measure: !flood && raw.measure !== false };
}

/** The request a `mix` fault sends each time it replaces one of the load's: always the same. */
export function mixRequest(p: MixParams): { path: string; body?: string; headers: Record<string, string> } {
  return { path: p.path, ...(p.body !== undefined ? { body: p.body } : {}), headers: p.headers };
}
