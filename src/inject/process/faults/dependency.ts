/** dependency: stops a supervised service (typically something others depend on: a database, a cache); started again at the TTL. */
import { FaultlineError } from '../../../core/errors.js';
import { onlyKnown } from './params.js';
import { defineFault } from './types.js';

export const dependency = defineFault({
  kind: 'dependency',
  summary: 'stop a service others depend on; start it again at the TTL',
  target: 'service',
  validate(params) {
    onlyKnown('dependency', params, []);
    return {};
  },
  async apply(ctx, t) {
    const name = t.service?.name as string;
    const config = t.service?.config;
    if (!config || t.service?.record?.attached) {
      throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `dependency: needs --service naming a service faultline starts (it is started again at the TTL); "${name}" ${config ? 'was attached, not started by faultline' : 'is not in faultline.yaml'}`);
    }
    await ctx.services.stop([name]);
    return { plan: [{ op: 'start-service', service: config, stateDir: ctx.stateDir }], detail: { service: name, stoppedPid: t.pid } };
  },
});
