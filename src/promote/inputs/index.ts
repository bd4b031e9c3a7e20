/** Inputs of the promotion gate: coverage (istanbul, lcov, cobertura), Stryker mutation score, npm audit. */
export * from './coverage-types.js';
export * from './paths.js';
export * from './xml.js';
export * from './istanbul.js';
export * from './lcov.js';
export * from './cobertura.js';
export * from './detect.js';
export * from './text-files.js';
export * from './read-coverage.js';
export * from './module-coverage.js';
export * from './mutation.js';
export * from './audit.js';
