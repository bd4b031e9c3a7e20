/**
 * The vocabulary of code intelligence and prediction. `analyze` produces CodeAnalysis (from sources) and
 * GitHistory (from a repository's history); `predict` turns them, with chaos evidence, into features,
 * models and failure points. Neither imports the other: the CLI (src/cli) and src/loop wire them.
 * Paths are repository-relative, with forward slashes. Times are epoch seconds (git's unit).
 */

// ---------------------------------------------------------------------------------------------------------
// Sources and code metrics

/** One source file to analyse: its path, its text, and its git blob id when it comes from git (the cache key). */
export interface SourceFile {
  path: string;
  text: string;
  blob?: string;
}

export type SourceLanguage = 'ts' | 'tsx' | 'js' | 'jsx' | 'mts' | 'cts' | 'mjs' | 'cjs';

export interface FunctionMetrics {
  /** `name`, `Class.method`, `<anonymous>@line` */
  name: string;
  line: number;
  endLine: number;
  /** McCabe: 1 + decision points (if, ?:, case, loops, catch, &&, ||, ??) */
  cyclomatic: number;
  /** SonarSource cognitive complexity */
  cognitive: number;
  /** lines of code: non-blank, non-comment lines of the body */
  loc: number;
  /** deepest nesting of control structures */
  maxNesting: number;
  params: number;
}

export interface FileMetrics {
  path: string;
  language: SourceLanguage;
  blob?: string;
  /** non-blank, non-comment lines */
  loc: number;
  functions: FunctionMetrics[];
  /** sums and maxima over the functions (and top-level code) */
  cyclomatic: number;
  maxCyclomatic: number;
  cognitive: number;
  maxNesting: number;
  /** relative import/require/export-from specifiers, resolved to repository paths when they resolve */
  imports: string[];
  /** parse diagnostics count (a file that does not parse is still measured as far as it goes) */
  parseErrors: number;
}

export const SMELL_KINDS = [
  'no-timeout',
  'unguarded-json-parse',
  'floating-promise',
  'sync-io-on-request-path',
  'unbounded-collection',
  'missing-error-listener',
  'swallowed-error',
] as const;
export type SmellKind = (typeof SMELL_KINDS)[number];

/** A resilience smell at an exact location. */
export interface Smell {
  kind: SmellKind;
  path: string;
  line: number;
  col: number;
  /** the enclosing function */
  fn?: string;
  message: string;
  /** the refactoring recipe that addresses it (recipe ids are shared with reports and the refactoring engine) */
  recipe?: string;
}

export interface GraphNode {
  path: string;
  fanIn: number;
  fanOut: number;
  /** PageRank over the import graph (edges importer → imported), sums to 1 */
  pageRank: number;
}

export interface CodeAnalysis {
  files: FileMetrics[];
  smells: Smell[];
  graph: GraphNode[];
  stats: { files: number; parsed: number; fromCache: number; ms: number };
}

// ---------------------------------------------------------------------------------------------------------
// History

export interface CommitFileChange {
  path: string;
  /** the path before a rename */
  oldPath?: string;
  added: number;
  deleted: number;
  /** set when the commit created or deleted the file (from `git log --summary`) */
  status?: 'added' | 'deleted';
}

export interface CommitInfo {
  sha: string;
  parents: string[];
  authorEmail: string;
  authorName: string;
  /** author time, epoch seconds */
  time: number;
  subject: string;
  files: CommitFileChange[];
  /** a fix by the message heuristics (see docs): why */
  fix?: { reason: string; refs: string[] };
}

/** History features of one file as of a cut-off (only commits before it count). */
export interface FileHistory {
  path: string;
  commits: number;
  linesAdded: number;
  linesDeleted: number;
  /** lines added + deleted in the last 30/90/365 days before the cut-off */
  churn30: number;
  churn90: number;
  churn365: number;
  commits90: number;
  authors: number;
  /** authors of the last 365 days */
  recentAuthors: number;
  /** days since first and last change, at the cut-off */
  ageDays: number;
  daysSinceChange: number;
  /** fix commits that touched it */
  fixes: number;
  /** commits that SZZ found to have induced a later fix (known before the cut-off) */
  bugInducing: number;
}

/** SZZ: a fix commit, and the earlier commits that last changed the lines it removed or changed. */
export interface SzzResult {
  fix: string;
  path: string;
  /** commits that introduced the fixed lines (blamed at the fix's parent) */
  inducing: { sha: string; time: number; lines: number[] }[];
}

/** Just-in-time (commit-level) features after Kamei et al.; `buggy` is the SZZ label. */
export interface CommitFeatures {
  sha: string;
  time: number;
  /** size: lines added, lines deleted, lines in the touched files before the change */
  la: number;
  ld: number;
  lt: number;
  /** spread: subsystems (top folders), directories, files, entropy of the changed lines over files (bits) */
  ns: number;
  nd: number;
  nf: number;
  entropy: number;
  /** history: developers who changed the files before, mean days since their last change, earlier changes to them */
  ndev: number;
  age: number;
  nuc: number;
  /** experience of the author: earlier commits, the same weighted by 1/(1+years ago), earlier commits in the same subsystems */
  exp: number;
  rexp: number;
  sexp: number;
  fix: boolean;
  /** SZZ: a later fix blamed lines this commit introduced (undefined for an uncommitted diff) */
  buggy?: boolean;
}

export interface SzzSummary {
  fixes: number;
  /** fixes with at least one inducing commit found */
  traced: number;
  /** dropped: merges, very large commits, fixes that only add lines or only touch tests/docs/comments */
  untraceable: number;
  results: SzzResult[];
}

// ---------------------------------------------------------------------------------------------------------
// Prediction

export type FailureType = 'timeout' | 'unhandled-error' | 'null-value' | 'resource-leak' | 'blocking-io' | 'data-corruption' | 'crash' | 'logic';

/** One ranked failure point. */
export interface FailurePoint {
  path: string;
  line: number;
  fn?: string;
  failureType: FailureType;
  /** calibrated probability that this location has a bug found by a fix in the prediction horizon */
  confidence: number;
  severity: 'high' | 'medium' | 'low';
  /** the features that pushed the score up most, with their values */
  topFeatures: { name: string; value: number; contribution: number }[];
  /** smells, chaos evidence, fix history behind it */
  evidence: string[];
  recipe?: string;
}

/** Ranking quality figures of a model or a baseline on held-out data. */
export interface RankingFigures {
  rocAuc: number;
  prAuc: number;
  /** share of defective files found in the top 20 % of lines of code, ranked by the score */
  recallAt20Loc: number;
  /** effort-aware Popt (1 = optimal ranking by defect density) */
  popt: number;
  precisionAt10: number;
  brier?: number;
}
