/**
 * The Chaos Toolkit experiment format, as faultline reads it (YAML or JSON). Field names are Chaos Toolkit's
 * (kebab-case `steady-state-hypothesis`, snake_case `expected_status`), so a CTK experiment loads unchanged.
 * See docs/reference/experiments.md.
 */

export type ActivityType = 'action' | 'probe';

/** A provider as written in the file; its `type` selects a provider module (src/experiment/providers). */
export interface ProviderSpec {
  type: string;
  [field: string]: unknown;
}

export interface Pauses {
  /** seconds */
  before?: number;
  /** seconds */
  after?: number;
}

export interface Activity {
  type: ActivityType;
  name: string;
  provider: ProviderSpec;
  tolerance?: unknown;
  pauses?: Pauses;
  background?: boolean;
  /** accepted and ignored (faultline has no control modules) */
  controls?: unknown;
}

/** A reference to an activity declared elsewhere in the experiment, by name. */
export interface ActivityRef {
  ref: string;
}

export type ActivityOrRef = Activity | ActivityRef;

export interface SteadyStateHypothesis {
  title: string;
  probes?: ActivityOrRef[];
}

/** A configuration value read from the environment. */
export interface EnvValue {
  type: 'env';
  key: string;
  default?: unknown;
}

export interface Experiment {
  version?: string;
  title: string;
  description?: string;
  tags?: string[];
  configuration?: Record<string, unknown>;
  /** scope → name → value or {type: env, key} */
  secrets?: Record<string, Record<string, unknown>>;
  'steady-state-hypothesis'?: SteadyStateHypothesis;
  method: ActivityOrRef[];
  rollbacks?: ActivityOrRef[];
  [field: string]: unknown;
}

export interface LoadedExperiment {
  experiment: Experiment;
  /** absolute path, or the name given to parseExperiment */
  file: string;
  /** non-fatal notes, each `file:line:col field: message` (e.g. ignored controls) */
  warnings: string[];
}

export const isRef = (a: ActivityOrRef): a is ActivityRef => typeof (a as ActivityRef).ref === 'string' && (a as Activity).type === undefined;
