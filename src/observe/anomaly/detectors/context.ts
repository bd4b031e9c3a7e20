/**
 * Contextual novelty: how much of the current context has never been seen before. Each value is quantised into
 * `levels` bins of the value range (on `grids` grids shifted by a fraction of a bin, so a value near a bin edge
 * is not all-or-nothing); the context is the sequence of the last 1 … `orders` bins, optionally also the last
 * 1 … `timeOrders` bins tagged with the time of day (`timeBuckets` per day; off by default: neither NAB, 70.8
 * standard either way, nor in-range spikes on a synthetic daily wave, the same 8 of 12 found, showed a gain). The
 * raw score is the fraction of those contexts that are new — 0 on a pattern the series has played before, 1 on a
 * value or a sequence never seen. Calibrated by the anomaly likelihood, it reacts to changes of pattern (a new
 * level, a broken rhythm, a flat line where there was a wave) rather than to size alone.
 *
 * Memory is bounded: contexts are hashed into a bitset of 2^`bits` bits; when the current generation is half
 * full it becomes the old one and a fresh one starts, so the detector forgets contexts unseen for two generations
 * and the chance that a new context collides with an old one stays under one half (far lower in practice).
 * The idea follows the contextual detectors in NAB (contextOSE, HTM) — novelty of a value in its context —
 * with a much simpler model.
 */
import { calibrated, type CalibrationOptions, type RawScorer } from '../calibrate.js';
import type { DetectorContext, DetectorSpec, StreamingDetector } from '../types.js';
import { checkInt } from './options.js';

export interface ContextOptions {
  /** bins of the value range */
  levels?: number;
  /** quantisation grids, each shifted by 1/grids of a bin */
  grids?: number;
  /** longest sequence of bins that forms a context */
  orders?: number;
  /** time-of-day buckets per day for the time-tagged contexts; 0 (the default) disables them */
  timeBuckets?: number;
  /** longest sequence of bins tagged with the time bucket */
  timeOrders?: number;
  /** log2 of the bitset size per generation (memory: 2 × 2^bits / 8 bytes) */
  bits?: number;
  calibration?: CalibrationOptions;
}

export const CONTEXT_DEFAULTS = {
  levels: 10,
  grids: 2,
  orders: 6,
  timeBuckets: 0,
  timeOrders: 2,
  bits: 18,
  calibration: { mode: 'likelihood', spatialTolerance: 0.05 },
} as const satisfies ContextOptions;

const DAY_MS = 86_400_000;
const SEED_PLAIN = 0x2545f491;
const SEED_TIME = 0x6c8e9cf5;

/** one step of an incremental 32-bit hash: the value mixed in, then murmur3's finaliser (no cheap collisions) */
function mix(h: number, v: number): number {
  let x = (h ^ Math.imul((v + 0x7f4a7c15) | 0, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export function contextScorer(ctx: DetectorContext, o: ContextOptions = {}): RawScorer {
  const n = 'context';
  const D = CONTEXT_DEFAULTS;
  const levels = checkInt(n, 'levels', o.levels ?? D.levels, 2);
  const grids = checkInt(n, 'grids', o.grids ?? D.grids, 1);
  const orders = checkInt(n, 'orders', o.orders ?? D.orders, 1);
  const timeBuckets = checkInt(n, 'timeBuckets', o.timeBuckets ?? D.timeBuckets, 0);
  const timeOrders = checkInt(n, 'timeOrders', o.timeOrders ?? D.timeOrders, 0);
  const bits = checkInt(n, 'bits', o.bits ?? D.bits, 8);
  if (bits > 28) checkInt(n, 'bits (≤ 28)', 29, 30);
  const words = 1 << (bits - 5);
  const mask = (1 << bits) - 1;
  let cur = new Uint32Array(words);
  let old = new Uint32Array(words);
  let curSet = 0;
  // last `orders` bins per grid, newest last
  const hist = new Int32Array(grids * orders);
  let histLen = 0;
  let min = ctx.inputMin ?? Infinity;
  let max = ctx.inputMax ?? -Infinity;
  let fresh = 0;
  let total = 0;

  const visit = (key: number): void => {
    const slot = key & mask;
    const w = slot >>> 5;
    const b = 1 << (slot & 31);
    total++;
    const inCur = ((cur[w] as number) & b) !== 0;
    if (!inCur && ((old[w] as number) & b) === 0) fresh++;
    if (!inCur) {
      cur[w] = (cur[w] as number) | b;
      if (++curSet > (words << 5) >>> 1) {
        const t = old;
        old = cur;
        cur = t;
        cur.fill(0);
        curSet = 0;
      }
    }
  };

  return {
    update(t, value) {
      if (value < min) min = value;
      if (value > max) max = value;
      const range = max > min ? max - min : 1;
      const x = ((value - min) / range) * levels;
      // shift the history and append the new bins
      if (histLen === orders) hist.copyWithin(0, grids);
      else histLen++;
      for (let g = 0; g < grids; g++) hist[(histLen - 1) * grids + g] = Math.floor(x + g / grids);
      fresh = 0;
      total = 0;
      const tb = timeBuckets > 0 ? Math.floor(((((t % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS) * timeBuckets) : 0;
      for (let g = 0; g < grids; g++) {
        let key = mix(SEED_PLAIN, g);
        let tkey = mix(mix(SEED_TIME, g), tb);
        for (let k = 1; k <= histLen; k++) {
          const bin = hist[(histLen - k) * grids + g] as number;
          key = mix(key, bin);
          visit(key);
          if (timeBuckets > 0 && k <= timeOrders) {
            tkey = mix(tkey, bin);
            visit(tkey);
          }
        }
      }
      return total > 0 ? fresh / total : 0;
    },
    memoryBytes: () => 2 * words * 4 + hist.length * 4 + 96,
  };
}

export function createContext(ctx: DetectorContext, o: ContextOptions = {}): StreamingDetector {
  return calibrated(contextScorer(ctx, o), ctx, o.calibration ?? CONTEXT_DEFAULTS.calibration);
}

export const context: DetectorSpec = {
  name: 'context',
  description: 'Contextual novelty: the share of never-seen contexts (the last 1–6 values, quantised to tenths of the range), calibrated by the anomaly likelihood.',
  create: (ctx) => createContext(ctx),
};
