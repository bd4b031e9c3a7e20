/**
 * The registered anomaly detectors, the default one (chosen by evaluation on the Numenta Anomaly Benchmark, see
 * docs/reference/anomaly-detection.md), and the per-metric combination for detectors without a native
 * multivariate form.
 */
import { FaultlineError } from '../../core/errors.js';
import { pToScore, scoreToP, sidak } from './calibrate.js';
import { context } from './detectors/context.js';
import { ewma } from './detectors/ewma.js';
import { isolationForest } from './detectors/isolation-forest.js';
import { lstm } from './detectors/lstm.js';
import { checkInt } from './detectors/options.js';
import { robustZ } from './detectors/robust-z.js';
import { seasonal } from './detectors/seasonal.js';
import { windowedGaussian } from './detectors/windowed-gaussian.js';
import type { DetectorContext, DetectorSpec, MultivariateDetector, StreamingDetector } from './types.js';

export const DETECTORS: readonly DetectorSpec[] = Object.freeze([context, robustZ, ewma, windowedGaussian, seasonal, isolationForest, lstm]);

/**
 * `context`: the highest NAB score of the registered detectors on all three profiles (standard, low FP, low FN),
 * and one of the cheapest to run.
 */
export const DEFAULT_DETECTOR: DetectorSpec = context;

export function findDetector(name: string): DetectorSpec | undefined {
  return DETECTORS.find((d) => d.name === name);
}

export function findDetectorOrThrow(name: string): DetectorSpec {
  const d = findDetector(name);
  if (d === undefined) throw new FaultlineError('FL_ERR_DETECTOR_NOT_FOUND', `no anomaly detector named ${JSON.stringify(name)}; known: ${DETECTORS.map((x) => x.name).join(', ')}`, { context: { name } });
  return d;
}

/** The multivariate context, with optional per-metric ranges (the univariate inputMin/inputMax do not apply). */
export type MultivariateContext = DetectorContext & { dims: number; inputMins?: readonly number[]; inputMaxs?: readonly number[] };

/**
 * A multivariate detector from a univariate one: one instance per metric, and per sample the most surprising
 * metric, corrected for having looked at `dims` of them (Šidák: p = 1 − (1 − p_min)^dims, where each p comes
 * back from its calibrated score). Chosen over Fisher's method because the metrics of one service are correlated
 * (latency and errors move together), which makes Fisher's independent-evidence sum over-confident, and because
 * an incident usually shows in one or two metrics first: the minimum keeps that signal instead of diluting it.
 * Each instance keeps its own probationary period, spatial rule and rest.
 */
export function combineMultivariate(spec: DetectorSpec, ctx: MultivariateContext): MultivariateDetector {
  const dims = checkInt(spec.name, 'dims', ctx.dims, 1);
  const parts: StreamingDetector[] = [];
  for (let j = 0; j < dims; j++) {
    parts.push(spec.create({ probationary: ctx.probationary, seed: (ctx.seed + j * 0x9e3779b1) >>> 0, inputMin: ctx.inputMins?.[j], inputMax: ctx.inputMaxs?.[j] }));
  }
  return {
    update(t, values) {
      if (values.length !== dims) throw new FaultlineError('FL_ERR_DETECTOR_OPTIONS', `${spec.name}: expected ${dims} values per sample, got ${values.length}`, { context: { detector: spec.name, dims, got: values.length } });
      let best = 0;
      for (let j = 0; j < dims; j++) {
        const s = (parts[j] as StreamingDetector).update(t, values[j] as number);
        if (s > best) best = s;
      }
      return best > 0 ? pToScore(sidak(scoreToP(best), dims)) : 0;
    },
    memoryBytes: () => parts.reduce((a, p) => a + p.memoryBytes(), 64),
  };
}

/** The detector's native multivariate form when it has one, else `combineMultivariate`. */
export function createMultivariate(spec: DetectorSpec, ctx: MultivariateContext): MultivariateDetector {
  return spec.createMultivariate !== undefined ? spec.createMultivariate(ctx) : combineMultivariate(spec, ctx);
}
