import { attributeError } from '../attributes.js';
import type { Chunk, StreamToxicDefinition } from '../types.js';
import type { Rng } from '../../../core/rng.js';

export interface SlicerAttributes {
  average_size: number;
  size_variation: number;
  delay: number;
}

/** Toxiproxy's recursive halving: boundaries of slices of about average_size ± size_variation bytes. */
export function sliceBoundaries(len: number, a: SlicerAttributes, rng: Rng): number[] {
  const out: number[] = [0];
  const rec = (start: number, end: number): void => {
    if (end - start - a.average_size <= a.size_variation) {
      out.push(end);
      return;
    }
    let mid = start + Math.floor((end - start) / 2);
    if (a.size_variation > 0) mid += rng.int(-a.size_variation, a.size_variation - 1);
    mid = Math.min(end - 1, Math.max(start + 1, mid));
    rec(start, mid);
    rec(mid, end);
  };
  if (len > 0) rec(0, len);
  return out;
}

/** Toxiproxy `slicer`: cuts chunks into slices of about average_size bytes, `delay` µs apart. */
export const slicer: StreamToxicDefinition<SlicerAttributes> = {
  kind: 'stream',
  type: 'slicer',
  summary: 'slices data into pieces of average_size ± size_variation bytes, delay µs apart',
  attributes: [
    { name: 'average_size', type: 'integer', unit: 'bytes', min: 1, max: 1 << 30, default: 1, doc: 'average slice size' },
    { name: 'size_variation', type: 'integer', unit: 'bytes', min: 0, max: 1 << 30, default: 0, doc: 'slices vary by up to this many bytes (less than average_size)' },
    { name: 'delay', type: 'integer', unit: 'µs', min: 0, max: 2_147_483_647, default: 0, doc: 'pause between slices in microseconds (Node timers round up to 1 ms)' },
  ],
  check(a) {
    if ((a.size_variation as number) >= (a.average_size as number)) throw attributeError('slicer', 'size_variation', 'must be smaller than average_size');
  },
  create(ctx) {
    const queue: Chunk[] = [];
    let held = 0;
    let armed = false;
    let ended = false;
    let nextAt = 0;
    const pump = (): void => {
      armed = false;
      const gap = ctx.attributes.delay / 1000;
      while (queue.length > 0 && ctx.now() + 0.5 >= nextAt) {
        const c = queue.shift() as Chunk;
        held -= c.data.length;
        ctx.push(c);
        nextAt = ctx.now() + gap;
      }
      if (queue.length > 0) {
        armed = true;
        ctx.setTimer(pump, Math.max(0, nextAt - ctx.now()));
      } else if (ended) ctx.end();
    };
    return {
      write(c) {
        const b = sliceBoundaries(c.data.length, ctx.attributes, ctx.rng);
        for (let i = 1; i < b.length; i++) {
          const piece = c.data.subarray(b[i - 1], b[i]);
          queue.push({ data: piece, ts: c.ts });
          held += piece.length;
        }
        if (!armed) pump();
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
