import { ms } from '../attributes.js';
import type { StreamToxicDefinition } from '../types.js';

export interface ResetPeerAttributes {
  timeout: number;
}

/**
 * Toxiproxy `reset_peer`: when data (or the close) first arrives on the stream, wait `timeout` ms, then reset the
 * connection (TCP RST to both peers: they see ECONNRESET). The data is dropped.
 */
export const resetPeer: StreamToxicDefinition<ResetPeerAttributes> = {
  kind: 'stream',
  type: 'reset_peer',
  summary: 'resets the connection (TCP RST) timeout milliseconds after data arrives',
  attributes: [ms('timeout', 'time between the first data and the reset; 0 = at once')],
  create(ctx) {
    let triggered = false;
    const trigger = (): void => {
      if (triggered) return;
      triggered = true;
      if (ctx.attributes.timeout === 0) ctx.reset();
      else ctx.setTimer(() => ctx.reset(), ctx.attributes.timeout);
    };
    return {
      write: trigger,
      end: trigger,
      flush() {
        if (triggered) ctx.reset();
      },
    };
  },
};
