import { ms } from '../attributes.js';
import type { Chunk, StreamToxicDefinition } from '../types.js';

export interface LatencyAttributes {
  latency: number;
  jitter: number;
}

/** Toxiproxy `latency`: each chunk leaves `latency` ± `jitter` ms after it arrived; order is kept. */
export const latency: StreamToxicDefinition<LatencyAttributes> = {
  kind: 'stream',
  type: 'latency',
  summary: 'delays every chunk by latency ± jitter milliseconds',
  attributes: [ms('latency', 'delay added to each chunk'), ms('jitter', 'uniform random variation, ± this many ms')],
  create(ctx) {
    const queue: Chunk[] = [];
    let held = 0;
    let armed = false;
    let ended = false;
    let last = 0;
    const delay = (): number => {
      const { latency: l, jitter } = ctx.attributes;
      return jitter > 0 ? Math.max(0, l + ctx.rng.int(-jitter, jitter)) : l;
    };
    const release = (): void => {
      armed = false;
      const now = ctx.now() + 0.5;
      while (queue.length > 0 && (queue[0] as Chunk).ts <= now) {
        const c = queue.shift() as Chunk;
        held -= c.data.length;
        ctx.push(c);
      }
      if (queue.length > 0) arm();
      else if (ended) ctx.end();
    };
    const arm = (): void => {
      if (armed) return;
      armed = true;
      ctx.setTimer(release, Math.max(0, (queue[0] as Chunk).ts - ctx.now()));
    };
    return {
      write(c) {
        // due time counts from arrival (like Toxiproxy), never before the chunk ahead of it
        c.ts = Math.max(c.ts + delay(), last);
        last = c.ts;
        if (queue.length === 0 && c.ts <= ctx.now()) return ctx.push(c);
        queue.push(c);
        held += c.data.length;
        arm();
      },
      end() {
        ended = true;
        if (queue.length === 0) ctx.end();
      },
      held: () => held,
      flush() {
        for (const c of queue.splice(0)) ctx.push(c);
        held = 0;
        if (ended) ctx.end();
      },
    };
  },
};
