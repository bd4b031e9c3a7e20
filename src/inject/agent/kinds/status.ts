import { onlyKeys, optNumber, optString } from '../params.js';
import { defineKind } from '../types.js';

interface StatusParams {
  status: number;
  body: string;
  contentType: string;
}

/** status: the agent answers the request itself (default 503) and the application never sees it. */
export const statusKind = defineKind<StatusParams>({
  name: 'status',
  summary: 'answer the request with params.status (default 503) and params.body without calling the app',
  parse(raw) {
    onlyKeys(raw, ['status', 'body', 'contentType'], 'status');
    const status = optNumber(raw.status, 'params.status', { min: 100, max: 599, int: true }) ?? 503;
    const body = optString(raw.body, 'params.body');
    return {
      status,
      body: body ?? JSON.stringify({ error: 'faultline: injected status', status }),
      contentType: optString(raw.contentType, 'params.contentType') ?? (body === undefined ? 'application/json' : 'text/plain; charset=utf-8'),
    };
  },
  request(c) {
    c.req.resume();
    c.res.writeHead(c.params.status, { 'content-type': c.params.contentType, 'content-length': Buffer.byteLength(c.params.body), 'x-faultline-fault': c.fault.id });
    c.res.end(c.params.body);
    return true;
  },
});
