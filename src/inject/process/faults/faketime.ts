/** Shared by timeskew and clockdrift: restart a supervised service under libfaketime; revert restarts it without. */
import type { ServiceConfig } from '../../../core/config-types.js';
import type { RevertStep } from '../plan.js';
import { requireLibfaketime } from '../tools.js';
import { restartWithOwnEnvPlan, serviceConfigOrThrow } from './service-env.js';
import type { ApplyContext, Applied, ResolvedTarget } from './types.js';

/** libfaketime's relative offset: "+2h", "-30m", "+90s", "-1d", "+1y", or seconds ("+120"). */
export const FAKETIME_OFFSET = /^[+-]\d+(\.\d+)?[smhdy]?$/;

const configOrThrow = (kind: string, t: ResolvedTarget): ServiceConfig => serviceConfigOrThrow(kind, t, 'it restarts the service under libfaketime');

/** The revert plan of timeskew and clockdrift: restart the service with its own environment (checks libfaketime and the target first). */
export function restartWithoutFaketime(kind: string, ctx: ApplyContext, t: ResolvedTarget): RevertStep[] {
  requireLibfaketime(`the ${kind} fault`);
  return restartWithOwnEnvPlan(ctx, configOrThrow(kind, t));
}

export async function restartUnderFaketime(kind: string, ctx: ApplyContext, t: ResolvedTarget, faketime: string): Promise<Applied> {
  const library = requireLibfaketime(`the ${kind} fault`);
  const name = t.service?.name as string;
  const config = configOrThrow(kind, t);
  const preload = config.env.LD_PRELOAD ? `${library}:${config.env.LD_PRELOAD}` : library;
  const rec = await ctx.services.restart(name, { overrides: { LD_PRELOAD: preload, FAKETIME: faketime, FAKETIME_DONT_FAKE_MONOTONIC: '1' } });
  return { plan: restartWithoutFaketime(kind, ctx, t), detail: { service: name, pid: rec.pid, faketime } };
}
