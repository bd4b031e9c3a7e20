/**
 * Runs one registered detector over every series of a corpus the way NAB's runner does: a fresh instance per
 * series, told the series' minimum, maximum and probationary length, fed every sample in order.
 */
import { FaultlineError } from '../../../core/errors.js';
import type { DetectorSpec, LabelledSeries } from '../types.js';
import { NAB_PROBATION_PERCENT } from './profiles.js';
import { probationaryLength } from './sweeper.js';

export interface RunDetectorOptions {
  /** called after each series */
  onProgress?(done: number, total: number): void;
  /** base seed; each series gets its own, derived from this and its name (default 1) */
  seed?: number;
  /** probationary share of each series (default NAB's 0.15) */
  probationPercent?: number;
}

/** FNV-1a of a string, for per-series seeds that do not depend on the corpus's order. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The detector's anomaly score for every sample of every series, by series name. Synchronous. */
export function runDetector(spec: DetectorSpec, corpus: readonly LabelledSeries[], opts: RunDetectorOptions = {}): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const percent = opts.probationPercent ?? NAB_PROBATION_PERCENT;
  corpus.forEach((series, k) => {
    let inputMin = Infinity;
    let inputMax = -Infinity;
    for (const v of series.values) {
      if (v < inputMin) inputMin = v;
      if (v > inputMax) inputMax = v;
    }
    const detector = spec.create({
      inputMin,
      inputMax,
      probationary: probationaryLength(series.values.length, percent),
      seed: ((opts.seed ?? 1) ^ hash32(series.name)) >>> 0,
    });
    const scores = new Array<number>(series.values.length);
    for (let i = 0; i < series.values.length; i++) {
      const s = detector.update(series.timestamps[i] as number, series.values[i] as number);
      // NAB's runner refuses the same (nab/detectors/base.py)
      if (!(s >= 0 && s <= 1)) {
        throw new FaultlineError('FL_ERR_NAB_SCORES', `detector ${spec.name} returned ${String(s)} for sample ${i} of ${series.name}; anomaly scores must be numbers in [0, 1]`, { context: { detector: spec.name, series: series.name, row: i } });
      }
      scores[i] = s;
    }
    out.set(series.name, scores);
    opts.onProgress?.(k + 1, corpus.length);
  });
  return out;
}
