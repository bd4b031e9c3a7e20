/**
 * Shared by the faults that restart a supervised service with a changed environment (timeskew, clockdrift,
 * envdrift, hidebinary, breakmodule): the target check, the revert plan (restart with the service's own
 * environment) and the restart itself.
 */
import type { ServiceConfig } from '../../../core/config-types.js';
import { FaultlineError } from '../../../core/errors.js';
import type { ErrorRecord } from '../../agent/evidence.js';
import { logOffset, startupCrash } from '../crash.js';
import type { RevertStep } from '../plan.js';
import { serviceLogFile } from '../state.js';
import { startServiceProcess, stopServiceProcess } from '../supervisor.js';
import type { ApplyContext, ResolvedTarget } from './types.js';

/** The configuration of the target service; throws unless faultline starts it (`why` says what the fault does with it). */
export function serviceConfigOrThrow(kind: string, t: ResolvedTarget, why: string): ServiceConfig {
  const name = t.service?.name as string;
  const config = t.service?.config;
  if (!config || t.service?.record?.attached) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${kind}: needs --service naming a service faultline starts (${why}); "${name}" ${config ? 'was attached, not started by faultline' : 'is not in faultline.yaml'}`);
  }
  return config;
}

/** The revert plan: stop the service and start it again with its own environment. */
export function restartWithOwnEnvPlan(ctx: ApplyContext, config: ServiceConfig): RevertStep[] {
  return [{ op: 'restart-service', service: config, stateDir: ctx.stateDir }];
}

/**
 * Throws when the service already runs with an environment another fault changed (timeskew, envdrift, …):
 * a second restart would drop that change and the first fault's revert would drop this one.
 */
export function refuseChangedEnv(kind: string, t: ResolvedTarget): void {
  const overrides = t.service?.record?.overrides;
  if (overrides === undefined) return;
  const names = Object.keys(overrides);
  throw new FaultlineError(
    'FL_ERR_PROCESS_FAULT',
    `${kind}: service "${t.service?.name ?? ''}" already runs with an environment another fault changed${names.length > 0 ? ` (${names.join(', ')})` : ''}; revert that fault first (\`faultline faults\` lists it, \`faultline revert ID\` ends it)`,
    { context: { service: t.service?.name, overrides: names } },
  );
}

export interface EnvChange {
  /** variables added or replaced */
  set: Record<string, string>;
  /** variables removed from the service's environment (its own `env` and the inherited one) */
  unset: readonly string[];
}

/** What the restart gave: the new PID, or why the service did not come up (which may be the fault's very effect). */
export interface EnvRestart {
  service: string;
  up: boolean;
  pid?: number;
  startError?: string;
  /** the error the service printed when it exited during start-up (the fault's evidence) */
  crash?: ErrorRecord;
}

function without<V>(env: Readonly<Record<string, V>>, names: readonly string[]): Record<string, V> {
  const out = { ...env };
  for (const n of names) delete out[n];
  return out;
}

/**
 * Stops the service and starts it with `change` applied (recorded in services.json as its overrides, so the
 * revert plan knows a restart is due). A service that then exits or fails its health check within its
 * health timeout is left down and reported with `up: false`: a changed environment that keeps a service from
 * starting is the incident these faults reproduce, and the revert plan starts it again.
 */
export async function restartWithEnv(ctx: ApplyContext, config: ServiceConfig, change: EnvChange): Promise<EnvRestart> {
  await stopServiceProcess(ctx.stateDir, config.name, config.stopTimeoutMs);
  const svc: ServiceConfig = { ...config, env: without(config.env, change.unset) };
  const log = serviceLogFile(ctx.stateDir, config.name);
  const from = logOffset(log);
  try {
    const rec = await startServiceProcess(svc, { stateDir: ctx.stateDir, env: without(process.env, change.unset), overrides: { ...change.set } });
    return { service: config.name, up: true, pid: rec.pid };
  } catch (e) {
    if (e instanceof FaultlineError && e.code === 'FL_ERR_SERVICE_START') {
      const crash = startupCrash(log, from, { faultId: ctx.id });
      return { service: config.name, up: false, startError: e.message, ...(crash ? { crash } : {}) };
    }
    throw e;
  }
}
