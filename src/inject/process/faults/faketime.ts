/** Shared by timeskew and clockdrift: restart a supervised service under libfaketime; revert restarts it without. */
import type { ServiceConfig } from '../../../core/config-types.js';
import { FaultlineError } from '../../../core/errors.js';
import type { RevertStep } from '../plan.js';
import { requireLibfaketime } from '../tools.js';
import type { ApplyContext, Applied, ResolvedTarget } from './types.js';

/** libfaketime's relative offset: "+2h", "-30m", "+90s", "-1d", "+1y", or seconds ("+120"). */
export const FAKETIME_OFFSET = /^[+-]\d+(\.\d+)?[smhdy]?$/;

function configOrThrow(kind: string, t: ResolvedTarget): ServiceConfig {
  const name = t.service?.name as string;
  const config = t.service?.config;
  if (!config || t.service?.record?.attached) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${kind}: needs --service naming a service faultline starts (it restarts the service under libfaketime); "${name}" ${config ? 'was attached, not started by faultline' : 'is not in faultline.yaml'}`);
  }
  return config;
}

/** The revert plan of timeskew and clockdrift: restart the service with its own environment (checks libfaketime and the target first). */
export function restartWithoutFaketime(kind: string, ctx: ApplyContext, t: ResolvedTarget): RevertStep[] {
  requireLibfaketime(`the ${kind} fault`);
  return [{ op: 'restart-service', service: configOrThrow(kind, t), stateDir: ctx.stateDir }];
}

export async function restartUnderFaketime(kind: string, ctx: ApplyContext, t: ResolvedTarget, faketime: string): Promise<Applied> {
  const library = requireLibfaketime(`the ${kind} fault`);
  const name = t.service?.name as string;
  const config = configOrThrow(kind, t);
  const preload = config.env.LD_PRELOAD ? `${library}:${config.env.LD_PRELOAD}` : library;
  const rec = await ctx.services.restart(name, { overrides: { LD_PRELOAD: preload, FAKETIME: faketime, FAKETIME_DONT_FAKE_MONOTONIC: '1' } });
  return { plan: restartWithoutFaketime(kind, ctx, t), detail: { service: name, pid: rec.pid, faketime } };
}
