import { routeAttributes, type HttpRoute } from '../http/route.js';
import type { HttpToxicDefinition } from '../types.js';

export interface HttpStatusAttributes extends HttpRoute {
  status: number;
  body: string;
  content_type: string;
}

/** faultline `http_status`: matching requests are answered by the proxy with `status` and `body`; the server never sees them. */
export const httpStatus: HttpToxicDefinition<HttpStatusAttributes> = {
  kind: 'http',
  type: 'http_status',
  summary: 'answers matching requests with a status code and body instead of forwarding them',
  attributes: [
    ...routeAttributes,
    { name: 'status', type: 'integer', unit: 'HTTP status', min: 200, max: 599, default: 503, doc: 'status code of the answer' },
    { name: 'body', type: 'string', default: '', maxLength: 1 << 20, doc: 'body of the answer (UTF-8)' },
    { name: 'content_type', type: 'string', default: 'text/plain; charset=utf-8', maxLength: 256, pattern: /^[\x20-\x7e]*$/, patternDoc: 'printable ASCII', doc: 'Content-Type of the answer' },
  ],
  decide: (a) => ({ kind: 'respond', status: a.status, body: a.body, contentType: a.content_type }),
};
