/** The predict stage: features, models, calibration, evaluation, failure points, change risk, feedback. */
export * from './metrics.js';
export * from './models/index.js';
export * from './calibrate.js';
export * from './dataset.js';
export * from './repo.js';
export * from './train.js';
export * from './eval.js';
export * from './points.js';
export * from './change.js';
export * from './feedback.js';
export * from './own.js';
