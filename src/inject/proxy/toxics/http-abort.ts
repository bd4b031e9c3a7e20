import { routeAttributes, type HttpRoute } from '../http/route.js';
import type { HttpToxicDefinition } from '../types.js';

export interface HttpAbortAttributes extends HttpRoute {
  mode: 'reset' | 'close';
}

/** faultline `http_abort`: a matching request is not forwarded; the connection is reset (RST) or closed (FIN). */
export const httpAbort: HttpToxicDefinition<HttpAbortAttributes> = {
  kind: 'http',
  type: 'http_abort',
  summary: 'resets or closes the connection on matching requests',
  attributes: [...routeAttributes, { name: 'mode', type: 'enum', values: ['reset', 'close'], default: 'reset', doc: 'reset: TCP RST (ECONNRESET); close: FIN without an answer' }],
  decide: (a) => ({ kind: 'abort', mode: a.mode }),
};
