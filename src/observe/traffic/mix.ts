/**
 * Traffic fault kind `mix`: blend another, valid request into the load. While active, a share of the load's
 * requests becomes one given request (`POST /orders` with a real order body while the load only reads
 * `/products/…`): the write traffic a read-only load lacks, so a fault on the write path (a slow disk, a lock) is
 * felt under load. Nothing is drawn besides the share: every replacement is the same request.
 *
 * Reference: docs/reference/traffic-faults.md#mix.
 */
import { checkParamKeys, paramError, parseExpect, parseHeaders, parseMethod, parsePath, parseShare } from './params.js';

export interface MixParams {
  method: string;
  /** path (and query) on the load's origin; starts with / */
  path: string;
  /** sent as is (none by default) */
  body?: string;
  headers: Record<string, string>;
  /** 0 < share ≤ 1: the part of the load's requests replaced */
  share: number;
  /** '2xx' | '3xx' | '4xx', or one status ('201') */
  expect: string;
}

const PARAM_KEYS = ['method', 'path', 'body', 'headers', 'share', 'expect'];

/** Checks the params of a `mix` traffic fault and applies the defaults; throws FL_ERR_INVALID_ARGUMENT naming the param. */
export function parseMixParams(raw: Record<string, unknown>): MixParams {
  checkParamKeys(raw, PARAM_KEYS, 'mix');
  const method = parseMethod(raw.method, 'POST', 'POST');
  const path = parsePath(raw.path, 'the path the mixed-in requests go to, starting with / (e.g. /orders)');
  if (raw.body !== undefined && typeof raw.body !== 'string') throw paramError('body', `expected a string (the body as sent, e.g. '{"sku":"sku-42","quantity":1}'), got ${typeof raw.body}`);
  const body = raw.body as string | undefined;
  // content-type: application/json only with a body, and only when the headers do not set one
  const headers = parseHeaders(raw.headers, body !== undefined ? { 'content-type': 'application/json' } : {});
  const share = parseShare(raw.share, 0.2);
  const expect = parseExpect(raw.expect, '2xx');
  return { method, path, ...(body !== undefined ? { body } : {}), headers, share, expect };
}

/** The request a `mix` fault sends each time it replaces one of the load's: always the same. */
export function mixRequest(p: MixParams): { path: string; body?: string; headers: Record<string, string> } {
  return { path: p.path, ...(p.body !== undefined ? { body: p.body } : {}), headers: p.headers };
}
