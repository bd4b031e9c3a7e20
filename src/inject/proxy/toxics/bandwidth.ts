import type { Chunk, StreamToxicDefinition } from '../types.js';

export interface BandwidthAttributes {
  rate: number;
}

interface Piece {
  chunk: Chunk;
  due: number;
}

/**
 * Toxiproxy `bandwidth`: at most `rate` KB/s (1 KB = 1000 bytes; rate 0 = unlimited). Chunks larger than
 * 100 ms worth of data are cut so the rate stays smooth.
 */
export const bandwidth: StreamToxicDefinition<BandwidthAttributes> = {
  kind: 'stream',
  type: 'bandwidth',
  summary: 'limits the stream to rate KB/s',
  attributes: [{ name: 'rate', type: 'integer', unit: 'KB/s', min: 0, max: 10_000_000, default: 0, doc: 'maximum rate in kilobytes (1000 bytes) per second; 0 = unlimited' }],
  create(ctx) {
    const queue: Piece[] = [];
    let held = 0;
    let armed = false;
    let ended = false;
    let nextFree = 0;
    const release = (): void => {
      armed = false;
      const now = ctx.now() + 0.5;
      while (queue.length > 0 && (queue[0] as Piece).due <= now) {
        const p = queue.shift() as Piece;
        held -= p.chunk.data.length;
        ctx.push(p.chunk);
      }
      if (queue.length > 0) arm();
      else if (ended) ctx.end();
    };
    const arm = (): void => {
      if (armed) return;
      armed = true;
      ctx.setTimer(release, Math.max(0, (queue[0] as Piece).due - ctx.now()));
    };
    return {
      write(c) {
        const rate = ctx.attributes.rate; // bytes per ms
        if (rate === 0) {
          if (queue.length === 0) return ctx.push(c);
          queue.push({ chunk: c, due: 0 });
          held += c.data.length;
          return;
        }
        const max = rate * 100;
        for (let off = 0; off < c.data.length; off += max) {
          const data = off === 0 && c.data.length <= max ? c.data : c.data.subarray(off, off + max);
          nextFree = Math.max(ctx.now(), nextFree) + data.length / rate;
          queue.push({ chunk: { data, ts: c.ts }, due: nextFree });
          held += data.length;
        }
        arm();
      },
      end() {
        ended = true;
        if (queue.length === 0) ctx.end();
      },
      held: () => held,
      flush() {
        for (const p of queue.splice(0)) ctx.push(p.chunk);
        held = 0;
        if (ended) ctx.end();
      },
    };
  },
};
