/**
 * Evaluation of anomaly detectors on a corpus in the Numenta Anomaly Benchmark's layout, with a port of NAB's own
 * scorer (see docs/reference/anomaly-evaluation.md).
 */
export { readNabCorpus, parseSeries, parseWindows, DEFAULT_LABELS, type ReadCorpusOptions } from './corpus.js';
export { runDetector, type RunDetectorOptions } from './run.js';
export { scoreCorpus, labelsOf, type CorpusScore, type ProfileResult, type ScoreOptions } from './score.js';
export { readPublishedResults, readPublishedFinal, readNabThresholds, parseResultCsv, type PublishedScores } from './published.js';
export { NAB_PROFILES, NAB_PROFILE_KEYS, NAB_PROBATION_PERCENT, PROFILE_NAMES, parseProfiles, readProfiles, type CostMatrix, type ProfileName, type Profiles } from './profiles.js';
export {
  buildSweep,
  labelSeries,
  MAX_TP,
  NO_DETECTION_THRESHOLD,
  optimizeThreshold,
  probationaryLength,
  scaledSigmoid,
  scoreAtThreshold,
  sweepScores,
  thresholdCurve,
  type SeriesLabels,
  type SeriesScore,
  type Sweep,
  type ThresholdScore,
} from './sweeper.js';
export { parseNabTimestamp } from './csv.js';
