/** dependency: stops a supervised service (typically something others depend on: a database, a cache); started again at the TTL. */
import { FaultlineError } from '../../../core/errors.js';
import { onlyKnown } from './params.js';
import { defineFault, type ApplyContext, type ResolvedTarget } from './types.js';
import type { RevertStep } from '../plan.js';

/** Starting the service again; throws unless faultline starts it (an attached process cannot be started again). */
function startAgain(ctx: ApplyContext, t: ResolvedTarget): RevertStep[] {
  const name = t.service?.name as string;
  const config = t.service?.config;
  if (!config || t.service?.record?.attached) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `dependency: needs --service naming a service faultline starts (it is started again at the TTL); "${name}" ${config ? 'was attached, not started by faultline' : 'is not in faultline.yaml'}`);
  }
  return [{ op: 'start-service', service: config, stateDir: ctx.stateDir }];
}

export const dependency = defineFault({
  kind: 'dependency',
  summary: 'stop a service others depend on; start it again at the TTL',
  target: 'service',
  validate(params) {
    onlyKnown('dependency', params, []);
    return {};
  },
  planAhead: startAgain,
  async apply(ctx, t) {
    const plan = startAgain(ctx, t);
    const name = t.service?.name as string;
    await ctx.services.stop([name]);
    return { plan, detail: { service: name, stoppedPid: t.pid } };
  },
});
