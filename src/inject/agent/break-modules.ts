/**
 * FAULTLINE_AGENT_BREAK_MODULES: modules that fail to load. The ESM load hook and the CommonJS hook throw
 * `SyntaxError: faultline: injected load failure of <path>` when the application imports or requires a
 * matching module, as a module with a syntax error would. Patterns are matched like FAULTLINE_AGENT_INCLUDE
 * (glob.ts compileModuleMatcher); faultline's own files are never broken.
 */
import { compileModuleMatcher, splitList } from './glob.js';

export const BREAK_MODULES_VAR = 'FAULTLINE_AGENT_BREAK_MODULES';

/** Paths every real module pattern leaves out at least one of; a pattern matching all of them would break the entry point too. */
const PROBE_PATHS = ['/faultline-probe/a', '/faultline-probe/b.js', '/faultline-probe/c.mjs', '/faultline-probe/d.cjs'];

/** Why a pattern cannot name modules to break, or undefined when it can. */
export function breakPatternProblem(pattern: string): string | undefined {
  let matches: (path: string) => boolean;
  try {
    matches = compileModuleMatcher(pattern);
  } catch (e) {
    return `"${pattern}" is not a module pattern (${e instanceof Error ? e.message : String(e)})`;
  }
  if (PROBE_PATHS.every(matches)) return `"${pattern}" matches every module (the entry point too); name the module, e.g. lib/report.js or src/**/pdf-*.js`;
  return undefined;
}

/**
 * Parses the comma-separated list. A value with a bad pattern is ignored as a whole and described in `problems`
 * (the agent never stops the target by itself); a blank value means no module is broken.
 */
export function parseBreakModules(raw: string | undefined): { patterns: string[]; problems: string[] } {
  const patterns = splitList(raw);
  const problems = patterns.map(breakPatternProblem).filter((p): p is string => p !== undefined);
  if (problems.length > 0) return { patterns: [], problems: problems.map((p) => `${BREAK_MODULES_VAR}: ${p}; no module is broken`) };
  return { patterns, problems: [] };
}

/** The predicate the hooks use: true for a file path that matches a pattern and is not under `internalDirs`. */
export function compileBreakMatcher(patterns: readonly string[], internalDirs: readonly string[]): (path: string) => boolean {
  const matchers = patterns.map(compileModuleMatcher);
  if (matchers.length === 0) return () => false;
  return (path) => !internalDirs.some((d) => path.startsWith(d)) && matchers.some((m) => m(path));
}

/** The error a broken module's import or require throws; its stack points at the module, as a syntax error's does. */
export function injectedLoadFailure(path: string): SyntaxError {
  const e = new SyntaxError(`faultline: injected load failure of ${path}`);
  e.stack = `${e.name}: ${e.message}\n    at ${path}:1:1`;
  return e;
}
