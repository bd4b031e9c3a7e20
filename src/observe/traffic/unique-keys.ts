/**
 * Traffic fault kind `unique-keys`: cache-busting, high-cardinality traffic. While active, a share of the load's
 * requests (or, with `rate`, a flood of its own on top of the load: src/observe/traffic/flood.ts) is
 * `method path` with the path's `*` replaced by a key never asked before in the run
 * (`<prefix>-<n>-<6 base36 chars>`: n counts up per fault, the suffix comes from the fault's seeded generator, so
 * a replay with the same seed asks the same keys). What a crawler or a new catalogue does: it exposes a cache or
 * a per-key fallback that only helps for keys already seen, and a per-key map that grows with every new key.
 *
 * Reference: docs/reference/traffic-faults.md#unique-keys.
 */
import type { Rng } from '../../core/rng.js';
import { checkParamKeys, type RequestParams, paramError, parseExpect, parseFlood, parseHeaders, parseMethod, parsePath, parseShare } from './params.js';

export interface UniqueKeysParams extends RequestParams {
  /** the keys are `<prefix>-<n>-<suffix>` */
  prefix: string;
}

const PARAM_KEYS = ['method', 'path', 'body', 'headers', 'share', 'rate', 'connections', 'prefix', 'expect'];

/** Characters of the key's random suffix. */
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Checks the params of a `unique-keys` traffic fault and applies the defaults; throws FL_ERR_INVALID_ARGUMENT naming the param. */
export function parseUniqueKeysParams(raw: Record<string, unknown>): UniqueKeysParams {
  checkParamKeys(raw, PARAM_KEYS, 'unique-keys');
  const method = parseMethod(raw.method, 'GET', 'GET');
  const path = parsePath(raw.path, 'the path the requests go to, starting with / and with one * where the key goes (e.g. /products/*)');
  const stars = path.split('*').length - 1;
  if (stars !== 1) throw paramError('path', `must hold exactly one * (where the key goes, e.g. /products/* or /search?q=*), got ${stars} in ${JSON.stringify(path)}`);
  if (raw.body !== undefined && typeof raw.body !== 'string') throw paramError('body', `expected a string (the body as sent), got ${typeof raw.body}`);
  const body = raw.body as string | undefined;
  const headers = parseHeaders(raw.headers, body !== undefined ? { 'content-type': 'application/json' } : {});
  const flood = parseFlood(raw);
  const prefix = raw.prefix === undefined ? 'k' : raw.prefix;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._~-]{1,40}$/.test(prefix)) {
    throw paramError('prefix', `expected 1 to 40 URL-safe characters (letters, digits, - . _ ~), the start of every key, got ${JSON.stringify(prefix)}`);
  }
  const expect = parseExpect(raw.expect, '2xx');
  return { method, path, ...(body !== undefined ? { body } : {}), headers, ...(flood ?? { share: parseShare(raw.share, 0.5) }), prefix, expect };
}

/**
 * The keys of one fault: `<prefix>-1-<s>`, `<prefix>-2-<s>` … with `s` 6 base36 characters drawn from `rng`. The
 * count makes every key of the fault new; the suffix keeps two faults (or two runs with different seeds) apart,
 * and the same seed gives the same keys.
 */
export function uniqueKeys(prefix: string, rng: Rng): () => string {
  let n = 0;
  return () => {
    n++;
    let suffix = '';
    for (let i = 0; i < 6; i++) suffix += BASE36[Math.floor(rng.next() * 36)] as string;
    return `${prefix}-${n}-${suffix}`;
  };
}

/** `path` with its `*` replaced by `key`. */
export function keyedPath(path: string, key: string): string {
  return path.replace('*', key);
}
