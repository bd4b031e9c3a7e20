import { ms } from '../attributes.js';
import type { StreamToxicDefinition } from '../types.js';

export interface TimeoutAttributes {
  timeout: number;
}

/**
 * Toxiproxy `timeout`: no data gets through; the connection is closed `timeout` ms after the toxic starts on it
 * (0 = never). Removing the toxic from a connection that lost data closes that connection too.
 */
export const timeout: StreamToxicDefinition<TimeoutAttributes> = {
  kind: 'stream',
  type: 'timeout',
  summary: 'drops all data and closes the connection after timeout milliseconds (0 = never)',
  attributes: [ms('timeout', 'time until the connection is closed; 0 keeps it open (data is still dropped)')],
  create(ctx) {
    let dropped = false;
    if (ctx.attributes.timeout > 0) ctx.setTimer(() => ctx.close(), ctx.attributes.timeout);
    return {
      write() {
        dropped = true;
      },
      end: () => ctx.end(),
      flush() {
        if (dropped) ctx.close();
      },
    };
  },
};
