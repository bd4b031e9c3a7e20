import { MAX_TIMER_MS, ms } from '../attributes.js';
import type { Chunk, StreamToxicDefinition } from '../types.js';

export interface LatencyAttributes {
  latency: number;
  jitter: number;
  /** ms over which the delay grows from 0 to `latency`, counted from when the toxic was added (absent or 0 = at once) */
  ramp?: number;
}

/**
 * The delay before jitter of a chunk that arrives `elapsedMs` after the toxic was added: it grows linearly from 0 to
 * `latencyMs` over `rampMs`, then stays at `latencyMs` (a gradual fault: a link that gets slower and slower).
 */
export function rampedLatencyMs(latencyMs: number, rampMs: number, elapsedMs: number): number {
  if (rampMs <= 0 || elapsedMs >= rampMs) return latencyMs;
  if (elapsedMs <= 0) return 0;
  return (latencyMs * elapsedMs) / rampMs;
}

/**
 * Toxiproxy `latency`: each chunk leaves `latency` ± `jitter` ms after it arrived; order is kept. faultline's `ramp`
 * (default 0, Toxiproxy's behaviour) makes the delay grow from 0 to `latency` over `ramp` ms after the toxic was
 * added, the same for every connection; jitter applies on top.
 */
export const latency: StreamToxicDefinition<LatencyAttributes> = {
  kind: 'stream',
  type: 'latency',
  summary: 'delays every chunk by latency ± jitter milliseconds (reached gradually over ramp ms)',
  attributes: [
    ms('latency', 'delay added to each chunk'),
    ms('jitter', 'uniform random variation, ± this many ms'),
    {
      name: 'ramp',
      type: 'integer',
      unit: 'ms',
      min: 0,
      max: MAX_TIMER_MS,
      default: 0,
      doc: 'faultline extension: the delay grows linearly from 0 to latency over this many ms after the toxic was added; 0 = the full delay at once',
      omitDefault: true,
    },
  ],
  create(ctx) {
    const queue: Chunk[] = [];
    let held = 0;
    let armed = false;
    let ended = false;
    let last = 0;
    const delay = (arrivedAt: number): number => {
      const { latency: l, jitter, ramp } = ctx.attributes;
      const base = rampedLatencyMs(l, ramp ?? 0, arrivedAt - ctx.addedAt);
      return jitter > 0 ? Math.max(0, base + ctx.rng.int(-jitter, jitter)) : base;
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
        c.ts = Math.max(c.ts + delay(c.ts), last);
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
