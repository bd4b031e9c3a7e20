import { bytes } from '../attributes.js';
import type { StreamToxicDefinition } from '../types.js';

export interface LimitDataAttributes {
  bytes: number;
}

/** Toxiproxy `limit_data`: passes `bytes` bytes, then closes the connection. The count survives updates. */
export const limitData: StreamToxicDefinition<LimitDataAttributes, { sent: number }> = {
  kind: 'stream',
  type: 'limit_data',
  summary: 'closes the connection after bytes bytes went through',
  attributes: [bytes('bytes', 'bytes passed before the connection is closed')],
  createState: () => ({ sent: 0 }),
  create(ctx) {
    return {
      write(c) {
        const left = ctx.attributes.bytes - ctx.state.sent;
        const data = left < c.data.length ? c.data.subarray(0, Math.max(0, left)) : c.data;
        if (data.length > 0) {
          ctx.state.sent += data.length;
          ctx.push(data === c.data ? c : { data, ts: c.ts });
        }
        if (ctx.attributes.bytes - ctx.state.sent <= 0) ctx.close();
      },
      end: () => ctx.end(),
    };
  },
};
