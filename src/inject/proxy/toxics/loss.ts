import { probability } from '../attributes.js';
import type { StreamToxicDefinition } from '../types.js';

export interface LossAttributes {
  probability: number;
}

/** faultline `loss`: drops each chunk with `probability` (packet-loss-like; dropped bytes are gone for good). */
export const loss: StreamToxicDefinition<LossAttributes> = {
  kind: 'stream',
  type: 'loss',
  summary: 'drops each chunk with the given probability',
  attributes: [probability('probability', 'chance that a chunk is dropped', 0.1)],
  create(ctx) {
    return {
      write(c) {
        if (ctx.rng.next() >= ctx.attributes.probability) ctx.push(c);
      },
      end: () => ctx.end(),
    };
  },
};
