import { ms } from '../attributes.js';
import { routeAttributes, type HttpRoute } from '../http/route.js';
import type { HttpToxicDefinition } from '../types.js';

export interface HttpDelayAttributes extends HttpRoute {
  delay: number;
}

/** faultline `http_delay`: matching requests reach the server `delay` ms late (later requests on the connection wait behind them). */
export const httpDelay: HttpToxicDefinition<HttpDelayAttributes> = {
  kind: 'http',
  type: 'http_delay',
  summary: 'delays matching requests by delay milliseconds',
  attributes: [...routeAttributes, ms('delay', 'delay before the request is forwarded')],
  decide: (a) => ({ kind: 'delay', ms: a.delay }),
};
