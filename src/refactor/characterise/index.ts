/** Characterisation tests: pin a weakly covered function's behaviour before a recipe changes it, check it after. */
export { argumentsOf, arbitraryOf, fastCheck, generateInputs, seedOf } from './arbitraries.js';
export {
  type CharacterisationDecision,
  type CharacteriseTarget,
  type Characteriser,
  type CharacteriserOptions,
  type CompareMode,
  createCharacteriser,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CHARACTERISE_RUNS,
  type PinnedCase,
  type PinnedCharacterisation,
  type PinResult,
} from './characteriser.js';
export {
  type CoverageDecision,
  type CoverageMap,
  type CoverageRule,
  decideFromCoverage,
  decideFromTestNames,
  type FileCoverage,
  fileCoverage,
  functionStatements,
  isTestFile,
  parseCoverageFinal,
  readCoverageFinal,
  WEAK_COVERAGE_PCT,
} from './coverage.js';
export { type FunctionPick, type FunctionUnderTest, importSideEffect, impurity, pickFunction } from './functions.js';
export { EXPOSE_PARAM, exposedModuleUrl, hooksModuleSource } from './loader.js';
export { checkerFor, type FileChecker } from './program.js';
export { CHARACTERISATION_DIR, defaultFolder, prepareFolder, runInputs, type RunJob, type RunOptions, type RunResult } from './runner.js';
export { type CallableSpec, callOnce, canonical, decodeValue, describeCall, describeOutcome, encodeValue, errorText, type Outcome, resolveCallable, runtimeModuleSource, sameOutcome } from './runtime.js';
export { describeParams, describeShape, type ParamShape, paramShapes, type Shape, shapeOfType, withoutUndefined } from './shapes.js';
export { judgePinned, testFileSource, type Verdict } from './test-file.js';
