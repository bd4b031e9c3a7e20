import { ms } from '../attributes.js';
import type { Chunk, StreamToxicDefinition } from '../types.js';

export interface StallAttributes {
  duration: number;
}

/** faultline `stall`: holds every byte from the moment the toxic starts on a connection for `duration` ms (0 = until removed), then releases it all. */
export const stall: StreamToxicDefinition<StallAttributes> = {
  kind: 'stream',
  type: 'stall',
  summary: 'holds all data for duration milliseconds, then lets it through (nothing lost)',
  attributes: [ms('duration', 'how long data is held; 0 = until the toxic is removed or expires')],
  create(ctx) {
    const queue: Chunk[] = [];
    let held = 0;
    let holding = true;
    let ended = false;
    const release = (): void => {
      holding = false;
      for (const c of queue.splice(0)) ctx.push(c);
      held = 0;
      if (ended) ctx.end();
    };
    if (ctx.attributes.duration > 0) ctx.setTimer(release, ctx.attributes.duration);
    return {
      write(c) {
        if (!holding) return ctx.push(c);
        queue.push(c);
        held += c.data.length;
      },
      end() {
        ended = true;
        if (!holding) ctx.end();
      },
      held: () => held,
      flush: release,
    };
  },
};
