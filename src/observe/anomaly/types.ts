/**
 * The vocabulary of anomaly detection over metric series (issue #5). Detectors are streaming: one sample at a
 * time, bounded memory; a batch run is a loop over `update`. Every detector returns a calibrated anomaly score
 * in [0, 1] per sample, the same contract as the Numenta Anomaly Benchmark's result files, so one scorer
 * (src/observe/anomaly/nab) judges them all, and halt conditions and healing triggers can threshold them.
 */

/** What a detector may know before the series starts (NAB gives every detector the same). */
export interface DetectorContext {
  /** the smallest and largest value of the series, when known in advance (NAB passes them; live use may not) */
  inputMin?: number;
  inputMax?: number;
  /**
   * samples during which the detector only learns; it should return 0 for them. NAB: 15 % of the series
   * length, capped at 750 = 0.15 × 5,000 (NAB's `probationaryPeriod`); live use: a count chosen by the caller.
   */
  probationary: number;
  /** seed for any randomness (Isolation Forest sub-sampling, LSTM initial weights) */
  seed: number;
}

/** One univariate streaming detector instance: owns the state for one series. */
export interface StreamingDetector {
  /** feed the sample at time `t` (epoch ms) with `value`; returns the anomaly score of this sample in [0, 1] */
  update(t: number, value: number): number;
  /** a rough upper bound of the memory it holds, in bytes (for bench/observe and the docs) */
  memoryBytes(): number;
}

/** One multivariate streaming detector instance (a vector of metrics per sample: latency, errors, CPU, …). */
export interface MultivariateDetector {
  update(t: number, values: readonly number[]): number;
  memoryBytes(): number;
}

/** A registered detector kind: the registry maps names to these. */
export interface DetectorSpec {
  /** kebab-case id used on the command line and in config: `robust-z`, `ewma`, `windowed-gaussian`, … */
  name: string;
  /** one sentence for `faultline observe detectors` and the docs */
  description: string;
  create(ctx: DetectorContext): StreamingDetector;
  /** detectors with a native multivariate form provide it; others are combined per metric by the registry */
  createMultivariate?(ctx: DetectorContext & { dims: number }): MultivariateDetector;
}

/** One labelled series of a corpus (NAB layout or faultline's own recorded runs). */
export interface LabelledSeries {
  /** `group/name.csv`, relative to the corpus's data directory */
  name: string;
  /** epoch ms */
  timestamps: number[];
  values: number[];
  /** anomaly windows as [start, end] epoch ms, inclusive (NAB's combined_windows.json) */
  windows: Array<[number, number]>;
}
