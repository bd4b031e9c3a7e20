/**
 * Rollback adapters: how a module's release is switched (deploy) and switched back (rollback). One file per
 * adapter, registered by name in ./index.ts. Failures throw FL_ERR_ROLLBACK_FAILED naming the command or file
 * operation and its error.
 */
import type { ReleaseRecord } from '../../core/promote.js';

export const ROLLBACK_ADAPTER_NAMES = ['symlink', 'kubectl', 'command'] as const;
export type RollbackAdapterName = (typeof ROLLBACK_ADAPTER_NAMES)[number];

/** A release as an adapter sees it. */
export interface ReleaseTarget {
  module: string;
  version: string;
  /** a release directory, an image, a tarball: what the adapter switches to */
  artifact?: string;
}

/** What an adapter did. */
export interface AdapterOutcome {
  adapter: RollbackAdapterName;
  /** what it did, human-readable, in order: "current → releases/1.0.0", "kubectl -n shop rollout undo deployment/api" */
  actions: string[];
  ms: number;
}

export interface RollbackAdapter {
  name: RollbackAdapterName;
  /** switch the module to `to` (absent: the adapter cannot deploy, only roll back) */
  deploy?(to: ReleaseTarget): Promise<AdapterOutcome>;
  /** switch the module back from `from` to `to` */
  rollback(to: ReleaseTarget, from: ReleaseTarget): Promise<AdapterOutcome>;
}

/** The target of a registry entry. */
export function targetOf(r: Pick<ReleaseRecord, 'module' | 'version' | 'artifact'>): ReleaseTarget {
  return { module: r.module, version: r.version, ...(r.artifact !== undefined ? { artifact: r.artifact } : {}) };
}
