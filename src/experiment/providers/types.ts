import type { ActiveFault, FaultRequest } from '../../core/fault.js';
import type { ActivityType, ProviderSpec } from '../format/types.js';

/** A validation problem, `path` relative to the provider object. */
export interface ProviderProblem {
  path: (string | number)[];
  message: string;
}

/** What the runner lends the faultline provider: injection with bookkeeping, and the observer's metrics. */
export interface FaultlineHooks {
  /** injects through the run's FaultDriver and remembers the fault under the activity's name */
  inject(activityName: string, req: FaultRequest): Promise<ActiveFault>;
  /** reverts the fault injected by the activity `name`, or every fault of the run when undefined */
  revert(name?: string): Promise<string[]>;
  /** one metric of the observer's last `windowMs`; throws when the run has no observer */
  metric(metric: string, windowMs: number): number;
}

export interface ProviderContext {
  activityName: string;
  activityType: ActivityType;
  /** aborted when the run is halted or interrupted: providers stop waiting */
  signal: AbortSignal;
  /** folder relative paths resolve against (the experiment file's folder) */
  cwd: string;
  /** ttl of a faultline inject that does not set one */
  defaultTtlMs: number;
  faultline: FaultlineHooks;
}

/** One provider type: one file each, registered in providers/index.ts. */
export interface ProviderModule {
  type: string;
  validate(p: ProviderSpec, activityType: ActivityType): ProviderProblem[];
  run(p: ProviderSpec, ctx: ProviderContext): Promise<unknown>;
  /** one line for the dry-run plan */
  describe(p: ProviderSpec): string;
  /** true when running it injects a fault (a dry run must not) */
  injects(p: ProviderSpec): boolean;
}

/** A provider ran but failed (connection refused, timeout, unexpected status, exit by signal). */
export class ActivityFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActivityFailed';
  }
}

/** Helpers for validation. */
export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
