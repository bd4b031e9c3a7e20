import { ms } from '../attributes.js';
import type { StreamToxicDefinition } from '../types.js';

export interface SlowCloseAttributes {
  delay: number;
}

/** Toxiproxy `slow_close`: when the source closes, the close reaches the other side `delay` ms later. */
export const slowClose: StreamToxicDefinition<SlowCloseAttributes> = {
  kind: 'stream',
  type: 'slow_close',
  summary: 'delays the close (FIN) of the stream by delay milliseconds',
  attributes: [ms('delay', 'time between the source closing and the close being passed on')],
  create(ctx) {
    let pending = false;
    return {
      write: (c) => ctx.push(c),
      end() {
        pending = true;
        ctx.setTimer(() => {
          pending = false;
          ctx.end();
        }, ctx.attributes.delay);
      },
      flush() {
        if (pending) ctx.end();
      },
    };
  },
};
