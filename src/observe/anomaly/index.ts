/** Anomaly detection over metric series (issue #5): streaming detectors, calibration, the registry, NAB evaluation. */
export type { DetectorContext, DetectorSpec, LabelledSeries, MultivariateDetector, StreamingDetector } from './types.js';
export { AnomalyLikelihood, RestPeriod, SpatialGuard, SCORE_DECADES, calibrated, erfc, normalTail, pToScore, scoreToP, sidak, twoSidedP, type CalibrationMode, type CalibrationOptions, type LikelihoodOptions, type RawScorer } from './calibrate.js';
export { DETECTORS, DEFAULT_DETECTOR, combineMultivariate, createMultivariate, findDetector, findDetectorOrThrow, type MultivariateContext } from './registry.js';
export { context, contextScorer, createContext, CONTEXT_DEFAULTS, type ContextOptions } from './detectors/context.js';
export { robustZ, robustZScorer, createRobustZ, ROBUST_Z_DEFAULTS, type RobustZOptions } from './detectors/robust-z.js';
export { ewma, ewmaScorer, createEwma, EWMA_DEFAULTS, type EwmaOptions } from './detectors/ewma.js';
export { windowedGaussian, windowedGaussianScorer, createWindowedGaussian, WINDOWED_GAUSSIAN_DEFAULTS, type WindowedGaussianOptions } from './detectors/windowed-gaussian.js';
export { seasonal, seasonalScorer, createSeasonal, detectPeriod, SEASONAL_DEFAULTS, type SeasonalOptions } from './detectors/seasonal.js';
export { isolationForest, isolationForestScorer, createIsolationForest, createIsolationForestMultivariate, IsolationForest, averagePathLength, ISOLATION_FOREST_DEFAULTS, type IsolationForestOptions } from './detectors/isolation-forest.js';
export { lstm, lstmScorer, createLstm, Lstm, LSTM_DEFAULTS, type LstmOptions } from './detectors/lstm.js';
export * from './nab/index.js';
export { anomalyScorerFactory, HALT_PROBATIONARY } from './scorer.js';
