/**
 * A small LSTM forecaster in plain TypeScript (no ML runtime): one LSTM layer with a linear read-out, trained
 * online. At every sample the last `seqLength` inputs (scaled value + time-of-day as sin/cos) run forward from a
 * zero state; the last output is the forecast of the next value, the earlier outputs are trained against the
 * values that followed them (truncated back-propagation through time over the window, Adam, gradient-norm
 * clipping) every `trainEvery` samples. The absolute forecast error, in value-range units, is the raw score,
 * calibrated by the anomaly likelihood. Weights start from the seeded RNG, so runs repeat exactly.
 */
import { createRng, type Rng } from '../../../core/rng.js';
import { calibrated, type CalibrationOptions, type RawScorer } from '../calibrate.js';
import type { DetectorContext, DetectorSpec, StreamingDetector } from '../types.js';
import { checkInt, checkRange } from './options.js';

export interface LstmOptions {
  /** hidden units */
  hidden?: number;
  /** inputs per forward/backward pass (the truncation length of BPTT) */
  seqLength?: number;
  learningRate?: number;
  /** one Adam step every this many samples */
  trainEvery?: number;
  /** add sin/cos of the time of day to the inputs */
  timeOfDay?: boolean;
  calibration?: CalibrationOptions;
}

export const LSTM_DEFAULTS = {
  hidden: 12,
  seqLength: 16,
  learningRate: 0.005,
  trainEvery: 1,
  timeOfDay: true,
  calibration: { mode: 'likelihood', spatialTolerance: 0.05, likelihood: { minMean: 0, minVariance: 0.0001 } },
} as const satisfies LstmOptions;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * One-layer LSTM + linear read-out over sequences of `inputs`-wide vectors, predicting one number per step.
 * Parameters live in one Float64Array: W (4H × (I + H), gate order i, f, g, o), b (4H), Wy (H), by (1).
 */
export class Lstm {
  readonly params: Float64Array;
  readonly grads: Float64Array;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private step = 0;
  private readonly cols: number;
  // activations of the last forward pass, per step t: gates (4H), c (H), h (H), tanh(c) (H), output (1)
  private gates = new Float64Array(0);
  private cs = new Float64Array(0);
  private hs = new Float64Array(0);
  private tcs = new Float64Array(0);
  private ys = new Float64Array(0);
  private xs: Float64Array = new Float64Array(0);
  private steps = 0;

  constructor(
    readonly inputs: number,
    readonly hidden: number,
    rng: Rng,
  ) {
    const H = hidden;
    this.cols = inputs + H;
    const n = 4 * H * this.cols + 4 * H + H + 1;
    this.params = new Float64Array(n);
    this.grads = new Float64Array(n);
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
    const scale = 1 / Math.sqrt(this.cols);
    for (let i = 0; i < 4 * H * this.cols; i++) this.params[i] = (rng.next() * 2 - 1) * scale;
    const bOff = 4 * H * this.cols;
    for (let j = 0; j < H; j++) this.params[bOff + H + j] = 1; // forget-gate bias 1
    const wyOff = bOff + 4 * H;
    for (let j = 0; j < H; j++) this.params[wyOff + j] = (rng.next() * 2 - 1) / Math.sqrt(H);
  }

  /** runs `steps` input vectors (row-major, steps × inputs) from a zero state; returns the outputs (one per step) */
  forward(x: Float64Array, steps: number): Float64Array {
    const H = this.hidden;
    const I = this.inputs;
    const C = this.cols;
    if (this.gates.length < steps * 4 * H) {
      this.gates = new Float64Array(steps * 4 * H);
      this.cs = new Float64Array(steps * H);
      this.hs = new Float64Array(steps * H);
      this.tcs = new Float64Array(steps * H);
      this.ys = new Float64Array(steps);
    }
    this.xs = x;
    this.steps = steps;
    const p = this.params;
    const bOff = 4 * H * C;
    const wyOff = bOff + 4 * H;
    for (let t = 0; t < steps; t++) {
      const g0 = t * 4 * H;
      for (let r = 0; r < 4 * H; r++) {
        let s = p[bOff + r] as number;
        const row = r * C;
        for (let k = 0; k < I; k++) s += (p[row + k] as number) * (x[t * I + k] as number);
        if (t > 0) for (let k = 0; k < H; k++) s += (p[row + I + k] as number) * (this.hs[(t - 1) * H + k] as number);
        this.gates[g0 + r] = r >= 2 * H && r < 3 * H ? Math.tanh(s) : sigmoid(s);
      }
      let y = p[wyOff + H] as number;
      for (let j = 0; j < H; j++) {
        const ig = this.gates[g0 + j] as number;
        const fg = this.gates[g0 + H + j] as number;
        const gg = this.gates[g0 + 2 * H + j] as number;
        const og = this.gates[g0 + 3 * H + j] as number;
        const cPrev = t > 0 ? (this.cs[(t - 1) * H + j] as number) : 0;
        const c = fg * cPrev + ig * gg;
        const tc = Math.tanh(c);
        const h = og * tc;
        this.cs[t * H + j] = c;
        this.tcs[t * H + j] = tc;
        this.hs[t * H + j] = h;
        y += (p[wyOff + j] as number) * h;
      }
      this.ys[t] = y;
    }
    return this.ys;
  }

  /**
   * gradients of ½ Σ_t w_t (y_t − target_t)² over the last forward pass into `grads` (overwritten); `weights`
   * of 0 leave a step out. Returns the loss.
   */
  backward(targets: ArrayLike<number>, weights: ArrayLike<number>): number {
    const H = this.hidden;
    const I = this.inputs;
    const C = this.cols;
    const T = this.steps;
    const p = this.params;
    const g = this.grads;
    g.fill(0);
    const bOff = 4 * H * C;
    const wyOff = bOff + 4 * H;
    const dhNext = new Float64Array(H);
    const dcNext = new Float64Array(H);
    const dz = new Float64Array(4 * H);
    let loss = 0;
    for (let t = T - 1; t >= 0; t--) {
      const w = weights[t] as number;
      const err = w === 0 ? 0 : ((this.ys[t] as number) - (targets[t] as number)) * w;
      loss += 0.5 * err * ((this.ys[t] as number) - (targets[t] as number));
      g[wyOff + H] = (g[wyOff + H] as number) + err;
      const g0 = t * 4 * H;
      for (let j = 0; j < H; j++) {
        const h = this.hs[t * H + j] as number;
        g[wyOff + j] = (g[wyOff + j] as number) + err * h;
        const dh = err * (p[wyOff + j] as number) + (dhNext[j] as number);
        const ig = this.gates[g0 + j] as number;
        const fg = this.gates[g0 + H + j] as number;
        const gg = this.gates[g0 + 2 * H + j] as number;
        const og = this.gates[g0 + 3 * H + j] as number;
        const tc = this.tcs[t * H + j] as number;
        const dc = dh * og * (1 - tc * tc) + (dcNext[j] as number);
        const cPrev = t > 0 ? (this.cs[(t - 1) * H + j] as number) : 0;
        dz[j] = dc * gg * ig * (1 - ig);
        dz[H + j] = dc * cPrev * fg * (1 - fg);
        dz[2 * H + j] = dc * ig * (1 - gg * gg);
        dz[3 * H + j] = dh * tc * og * (1 - og);
        dcNext[j] = dc * fg;
      }
      dhNext.fill(0);
      for (let r = 0; r < 4 * H; r++) {
        const d = dz[r] as number;
        if (d === 0) continue;
        const row = r * C;
        g[bOff + r] = (g[bOff + r] as number) + d;
        for (let k = 0; k < I; k++) g[row + k] = (g[row + k] as number) + d * (this.xs[t * I + k] as number);
        if (t > 0) {
          for (let k = 0; k < H; k++) {
            g[row + I + k] = (g[row + I + k] as number) + d * (this.hs[(t - 1) * H + k] as number);
            dhNext[k] = (dhNext[k] as number) + d * (p[row + I + k] as number);
          }
        }
      }
    }
    return loss;
  }

  /** one Adam step with the gradients in `grads`, clipped to a global norm of `clip` */
  adam(lr: number, clip = 1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): void {
    const g = this.grads;
    let norm = 0;
    for (let i = 0; i < g.length; i++) norm += (g[i] as number) ** 2;
    norm = Math.sqrt(norm);
    const k = norm > clip ? clip / norm : 1;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    const p = this.params;
    for (let i = 0; i < p.length; i++) {
      const gi = (g[i] as number) * k;
      const mi = beta1 * (this.m[i] as number) + (1 - beta1) * gi;
      const vi = beta2 * (this.v[i] as number) + (1 - beta2) * gi * gi;
      this.m[i] = mi;
      this.v[i] = vi;
      p[i] = (p[i] as number) - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }

  memoryBytes(): number {
    return (this.params.length * 4 + this.gates.length + this.cs.length * 3 + this.ys.length) * 8 + 128;
  }
}

const DAY_MS = 86_400_000;

export function lstmScorer(ctx: DetectorContext, o: LstmOptions = {}): RawScorer {
  const n = 'lstm';
  const D = LSTM_DEFAULTS;
  const H = checkInt(n, 'hidden', o.hidden ?? D.hidden, 1);
  const S = checkInt(n, 'seqLength', o.seqLength ?? D.seqLength, 2);
  const lr = checkRange(n, 'learningRate', o.learningRate ?? D.learningRate, 1e-9, 1);
  const every = checkInt(n, 'trainEvery', o.trainEvery ?? D.trainEvery, 1);
  const tod = o.timeOfDay ?? D.timeOfDay;
  const I = tod ? 3 : 1;
  const net = new Lstm(I, H, createRng(ctx.seed));
  // ring of the last S input vectors and scaled values
  const xRing = new Float64Array(S * I);
  const vRing = new Float64Array(S);
  const x = new Float64Array(S * I);
  const targets = new Float64Array(S);
  const weights = new Float64Array(S).fill(1);
  weights[S - 1] = 0; // the last output forecasts a value not seen yet
  let min = ctx.inputMin ?? Infinity;
  let max = ctx.inputMax ?? -Infinity;
  let count = 0;
  let pos = 0;
  let forecast = NaN;
  return {
    update(t, value) {
      if (value < min) min = value;
      if (value > max) max = value;
      const range = max > min ? max - min : 1;
      const s = (value - min) / range;
      const err = Number.isNaN(forecast) ? 0 : Math.abs(s - forecast);
      xRing[pos * I] = s;
      if (tod) {
        const a = (2 * Math.PI * (((t % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
        xRing[pos * I + 1] = Math.sin(a);
        xRing[pos * I + 2] = Math.cos(a);
      }
      vRing[pos] = s;
      pos = (pos + 1) % S;
      count++;
      if (count < S) return err;
      // the window in time order; targets are the next step's scaled value
      for (let k = 0; k < S; k++) {
        const src = (pos + k) % S;
        for (let q = 0; q < I; q++) x[k * I + q] = xRing[src * I + q] as number;
        targets[k] = k + 1 < S ? (vRing[(src + 1) % S] as number) : 0;
      }
      const ys = net.forward(x, S);
      forecast = ys[S - 1] as number;
      if (count % every === 0) {
        net.backward(targets, weights);
        net.adam(lr);
      }
      return err;
    },
    memoryBytes: () => net.memoryBytes() + (xRing.length + vRing.length + x.length + targets.length + weights.length) * 8 + 96,
  };
}

export function createLstm(ctx: DetectorContext, o: LstmOptions = {}): StreamingDetector {
  return calibrated(lstmScorer(ctx, o), ctx, o.calibration ?? LSTM_DEFAULTS.calibration);
}

export const lstm: DetectorSpec = {
  name: 'lstm',
  description: 'A 12-unit LSTM trained online (truncated BPTT over 16 steps, Adam) forecasting the next value; the forecast error, calibrated by the anomaly likelihood.',
  create: (ctx) => createLstm(ctx),
};
