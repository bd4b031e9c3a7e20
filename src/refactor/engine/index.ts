/** The refactoring engine: targets → worktree → recipe → checks → keep or revert → record and report. */
export { applyKept, assertClean, revertFix, type Applied, type Reverted } from './apply.js';
export { commandLine, runCheck, skippedCheck, type CheckKind, type CheckResult, type CheckSpec, type RunCheck } from './checks.js';
export { planFixes, runEngine, type EngineDeps, type EngineOptions, type PlanOptions } from './engine.js';
export { prepareFix, recipesForFailureType, type PreparedFix, type RecipeLookup } from './fix.js';
export * as gitOps from './git.js';
export { FileLocator } from './locations.js';
export { commitMessage } from './message.js';
export { characterisationLine, renderMarkdown, renderText, writeReport, type FixCharacterisation, type FixReport, type RefactorReport } from './report.js';
export { newRunId } from './run-id.js';
export {
  DEFAULT_MAX_FIXES,
  DEFAULT_MIN_CONFIDENCE,
  DEFAULT_SMELL_CONFIDENCE,
  describeTarget,
  EXPOSED_CONFIDENCE,
  mergeTargets,
  score,
  selectTargets,
  SEVERITY_WEIGHT,
  SMELL_SEVERITY,
  type Exposure,
  type RefactorTarget,
  type Severity,
  type TargetSource,
} from './targets.js';
export { isInside, openWorktree, worktreeDir, type Workspace } from './workspace.js';
