import { onlyKeys } from '../params.js';
import { defineKind } from '../types.js';

/** abort: the connection is destroyed when the request arrives; the client sees a reset / socket hang up. */
export const abortKind = defineKind<null>({
  name: 'abort',
  summary: 'destroy the connection without an answer',
  parse(raw) {
    onlyKeys(raw, [], 'abort');
    return null;
  },
  request(c) {
    c.req.socket.destroy();
    return true;
  },
});
