import { attributeError } from '../attributes.js';
import { routeAttributes, type HttpRoute } from '../http/route.js';
import type { HttpToxicDefinition } from '../types.js';

export interface HttpHeaderAttributes extends HttpRoute {
  set: Record<string, string>;
  remove: string[];
}

const FRAMING = new Set(['content-length', 'transfer-encoding']);

/** faultline `http_header`: sets and removes headers of the responses to matching requests. */
export const httpHeader: HttpToxicDefinition<HttpHeaderAttributes> = {
  kind: 'http',
  type: 'http_header',
  summary: 'sets or removes response headers on matching requests',
  attributes: [
    ...routeAttributes,
    { name: 'set', type: 'headers', default: {}, doc: 'headers to set (replacing any with the same name)' },
    { name: 'remove', type: 'names', default: [], doc: 'header names to remove' },
  ],
  check(a) {
    for (const k of Object.keys(a.set as object)) if (FRAMING.has(k.toLowerCase())) throw attributeError('http_header', 'set', `${k} frames the message and cannot be changed (use http_body)`);
    for (const k of a.remove as string[]) if (FRAMING.has(k.toLowerCase())) throw attributeError('http_header', 'remove', `${k} frames the message and cannot be removed`);
  },
  decide: (a) => ({ kind: 'headers', set: a.set, remove: a.remove }),
};
