/**
 * Route matching for HTTP toxics: `method` ("*" or a method) and `path` (a glob on the path without query), plus
 * `probability`, the share of matching requests the toxic acts on (drawn per request by the HTTP layer).
 */
import { probability, type AttributeSpec } from '../attributes.js';
import type { RequestHead } from './parser.js';

export interface HttpRoute {
  method: string;
  path: string;
  /** 0..1; absent means 1 (the attribute stays out of the toxic's JSON until it is given) */
  probability?: number;
}

export const routeAttributes: readonly AttributeSpec[] = [
  { name: 'method', type: 'string', default: '*', maxLength: 32, pattern: /^(\*|[A-Za-z]+)$/, patternDoc: 'a method name or *', doc: 'request method to match, or * for any' },
  {
    name: 'path',
    type: 'string',
    default: '*',
    maxLength: 2048,
    pattern: /^(\*|\/[^\s]*)$/,
    patternDoc: 'a path glob starting with / (or *)',
    doc: 'path glob without the query string: * matches any characters (including /), ? one character',
  },
  probability('probability', 'share of matching requests the toxic acts on, drawn per request (toxicity is per connection)', 1, true),
];

/** the route's per-request probability; 1 when it was never given */
export function routeProbability(route: HttpRoute): number {
  return route.probability ?? 1;
}

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    let src = '';
    for (const ch of glob) src += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    re = new RegExp(`^${src}$`, 's');
    if (cache.size > 1000) cache.clear();
    cache.set(glob, re);
  }
  return re;
}

export function routeMatches(route: HttpRoute, req: RequestHead): boolean {
  if (route.method !== '*' && route.method.toUpperCase() !== req.method) return false;
  return route.path === '*' || globToRegExp(route.path).test(req.path);
}

/** "GET /users/*", "/users/*", for safe-zone checks. */
export function describeRoute(route: HttpRoute): string {
  return route.method === '*' ? route.path : `${route.method.toUpperCase()} ${route.path}`;
}
