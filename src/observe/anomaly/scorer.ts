/**
 * Detectors as `AnomalyScorerFactory` (src/core/run.ts) for halt conditions and other stages that only know the
 * core types: one fresh detector instance per call. The series is unbounded in range (no inputMin/inputMax), so
 * the range-free detectors (robust-z, ewma, seasonal) suit it best; see docs/reference/anomaly-detection.md.
 */
import type { AnomalyScorerFactory } from '../../core/run.js';
import { findDetectorOrThrow } from './registry.js';

/** Samples a detector only learns from before it scores: 8 × 250 ms = the first 2 s of a run's baseline. */
export const HALT_PROBATIONARY = 8;

export function anomalyScorerFactory(opts: { probationary?: number; seed?: number } = {}): AnomalyScorerFactory {
  return (name) => {
    const detector = findDetectorOrThrow(name).create({ probationary: opts.probationary ?? HALT_PROBATIONARY, seed: opts.seed ?? 1 });
    return (t, value) => detector.update(t, value);
  };
}
