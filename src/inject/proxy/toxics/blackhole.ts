import type { StreamToxicDefinition } from '../types.js';

/**
 * faultline `blackhole` (alias `partition`): while present, nothing gets through in either direction and
 * connections stay open. Dropped bytes are lost for good (use `stall` for a partition that heals without loss).
 */
export const blackhole: StreamToxicDefinition<Record<string, never>> = {
  kind: 'stream',
  type: 'blackhole',
  summary: 'drops everything in both directions while present; connections stay open',
  bothStreams: true,
  attributes: [],
  create(ctx) {
    let ended = false;
    return {
      write: () => undefined,
      end() {
        ended = true;
      },
      flush() {
        if (ended) ctx.end();
      },
    };
  },
};

export const partition: StreamToxicDefinition<Record<string, never>> = { ...blackhole, type: 'partition', summary: 'alias of blackhole' };
