/**
 * The rollback adapters, registered by name: `promote.rollback.adapter` of faultline.yaml picks one, and
 * `createRollbackAdapter` builds it from that section. What the config cannot hold (the function that
 * restarts the module's service) comes in `deps`.
 */
import type { FaultlineConfig } from '../../core/config-types.js';
import { FaultlineError } from '../../core/errors.js';
import { createCommandAdapter } from './command.js';
import { createKubectlAdapter, type KubectlExec } from './kubectl.js';
import { createSymlinkAdapter } from './symlink.js';
import type { RollbackAdapter, RollbackAdapterName } from './types.js';

export { createCommandAdapter, type CommandAdapterOptions } from './command.js';
export { createKubectlAdapter, type ExecResult, type KubectlAdapterOptions, type KubectlExec } from './kubectl.js';
export { commandLine, outputTail, runProcess, type RunOptions, type RunResult } from './run.js';
export { createSymlinkAdapter, releaseDirOf, type SymlinkAdapterOptions } from './symlink.js';
export { ROLLBACK_ADAPTER_NAMES, targetOf, type AdapterOutcome, type ReleaseTarget, type RollbackAdapter, type RollbackAdapterName } from './types.js';

/** promote.rollback of the loaded config (paths absolute, timeout in ms). */
export type RollbackConfig = NonNullable<FaultlineConfig['promote']>['rollback'];

export interface AdapterDeps {
  /** symlink: restarts the module's service after the link switched (the CLI restarts the configured service) */
  restart?: () => Promise<void>;
  /** command: the folder the command runs in (the project) */
  cwd?: string;
  /** kubectl: replaces spawning the binary (tests) */
  exec?: KubectlExec;
}

export interface RollbackAdapterEntry {
  name: RollbackAdapterName;
  description: string;
  create(config: RollbackConfig, deps: AdapterDeps): RollbackAdapter;
}

export const ROLLBACK_ADAPTERS: Readonly<Record<RollbackAdapterName, RollbackAdapterEntry>> = {
  symlink: {
    name: 'symlink',
    description: 'switches the `current` symlink among release folders atomically (releasesDir/<version>), then restarts the service',
    create: (c, d) => createSymlinkAdapter({ releasesDir: c.releasesDir, currentLink: c.current, ...(d.restart ? { restart: d.restart } : {}) }),
  },
  kubectl: {
    name: 'kubectl',
    description: '`kubectl rollout undo` (and `set image` to deploy) of a Deployment, waiting with `kubectl rollout status`',
    create: (c, d) => {
      if (!c.kubectl) throw new FaultlineError('FL_ERR_CONFIG_INVALID', 'promote.rollback.kubectl: the kubectl adapter needs kubectl.deployment (and namespace, context, container as needed)');
      const k = c.kubectl;
      return createKubectlAdapter({
        deployment: k.deployment,
        ...(k.namespace !== undefined ? { namespace: k.namespace } : {}),
        ...(k.context !== undefined ? { context: k.context } : {}),
        ...(k.container !== undefined ? { container: k.container } : {}),
        kubectl: k.binary,
        timeoutMs: c.timeoutMs,
        ...(d.exec ? { exec: d.exec } : {}),
      });
    },
  },
  command: {
    name: 'command',
    description: 'runs your script with /bin/sh -c, FAULTLINE_ACTION / _MODULE / _FROM_VERSION / _TO_VERSION / _TO_ARTIFACT in its environment',
    create: (c, d) => {
      if (!c.command) throw new FaultlineError('FL_ERR_CONFIG_INVALID', 'promote.rollback.command: the command adapter needs a command line, e.g. ./deploy.sh');
      return createCommandAdapter({ command: c.command, timeoutMs: c.timeoutMs, ...(d.cwd !== undefined ? { cwd: d.cwd } : {}) });
    },
  },
};

/** The adapter promote.rollback asks for. */
export function createRollbackAdapter(config: RollbackConfig, deps: AdapterDeps = {}): RollbackAdapter {
  const entry = Object.prototype.hasOwnProperty.call(ROLLBACK_ADAPTERS, config.adapter) ? ROLLBACK_ADAPTERS[config.adapter] : undefined;
  if (entry === undefined) throw new FaultlineError('FL_ERR_CONFIG_INVALID', `promote.rollback.adapter: unknown adapter ${JSON.stringify(config.adapter)}; use one of ${Object.keys(ROLLBACK_ADAPTERS).join(', ')}`);
  return entry.create(config, deps);
}
