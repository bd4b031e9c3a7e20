/** Option checks shared by the detectors: each throws FL_ERR_DETECTOR_OPTIONS naming the detector and option. */
import { FaultlineError } from '../../../core/errors.js';

export function checkInt(detector: string, option: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new FaultlineError('FL_ERR_DETECTOR_OPTIONS', `${detector}: ${option} must be an integer ≥ ${min}, got ${v}`, { context: { detector, option, value: v } });
  return v;
}

export function checkRange(detector: string, option: string, v: number, min: number, max: number): number {
  if (!(v >= min && v <= max)) throw new FaultlineError('FL_ERR_DETECTOR_OPTIONS', `${detector}: ${option} must be in [${min}, ${max}], got ${v}`, { context: { detector, option, value: v } });
  return v;
}

/** The value range used to keep scales away from 0: inputMax − inputMin when known, else the range seen so far. */
export class RangeTracker {
  private min: number;
  private max: number;
  constructor(inputMin?: number, inputMax?: number) {
    this.min = inputMin ?? Infinity;
    this.max = inputMax ?? -Infinity;
  }
  see(v: number): void {
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  /** the range, or 1 when nothing (or a single value) was seen */
  get range(): number {
    const r = this.max - this.min;
    return r > 0 && Number.isFinite(r) ? r : 1;
  }
}
