import { routeAttributes, type HttpRoute } from '../http/route.js';
import type { HttpToxicDefinition } from '../types.js';

export interface HttpBodyAttributes extends HttpRoute {
  body: string;
  content_type: string;
}

/** faultline `http_body`: replaces the body of the responses to matching requests (Content-Length is set to match). */
export const httpBody: HttpToxicDefinition<HttpBodyAttributes> = {
  kind: 'http',
  type: 'http_body',
  summary: 'replaces the response body on matching requests',
  attributes: [
    ...routeAttributes,
    { name: 'body', type: 'string', default: '', maxLength: 1 << 20, doc: 'the new body (UTF-8)' },
    { name: 'content_type', type: 'string', default: '', maxLength: 256, pattern: /^[\x20-\x7e]*$/, patternDoc: 'printable ASCII', doc: 'new Content-Type; empty keeps the original' },
  ],
  decide: (a) => ({ kind: 'body', body: a.body, contentType: a.content_type === '' ? undefined : a.content_type }),
};
