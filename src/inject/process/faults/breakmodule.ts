/**
 * breakmodule: restarts a supervised service that runs the faultline agent with FAULTLINE_AGENT_BREAK_MODULES
 * set, so importing or requiring a matching module throws `SyntaxError: faultline: injected load failure of
 * <path>` (a deploy that ships a module with a syntax error). A module loaded at start-up keeps the service from
 * starting (it is left down, `up: false`); a lazily loaded one fails where it is loaded. Reverted by a restart
 * without the variable.
 */
import type { ServiceConfig } from '../../../core/config-types.js';
import { FaultlineError } from '../../../core/errors.js';
import { BREAK_MODULES_VAR, breakPatternProblem } from '../../agent/break-modules.js';
import { listParam } from './list-params.js';
import { onlyKnown } from './params.js';
import { refuseChangedEnv, restartWithEnv, restartWithOwnEnvPlan, serviceConfigOrThrow } from './service-env.js';
import { defineFault, type ResolvedTarget } from './types.js';

const invalid = (msg: string): FaultlineError => new FaultlineError('FL_ERR_INVALID_ARGUMENT', `breakmodule: param "modules" ${msg}`, { context: { kind: 'breakmodule', param: 'modules' } });

function check(t: ResolvedTarget): ServiceConfig {
  const config = serviceConfigOrThrow('breakmodule', t, 'it restarts the service with the agent told to break the modules');
  if (!config.agent && !/faultline/.test(config.env.NODE_OPTIONS ?? '')) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `breakmodule: service "${config.name}" does not run the faultline agent, whose loader hooks make the modules fail; set \`agent: true\` on it in faultline.yaml`, {
      context: { kind: 'breakmodule', service: config.name },
    });
  }
  refuseChangedEnv('breakmodule', t);
  return config;
}

export const breakmodule = defineFault({
  kind: 'breakmodule',
  summary: 'restart an agent-enabled service so that importing the matching modules throws a SyntaxError; restarted without at the TTL',
  target: 'service',
  validate(params) {
    onlyKnown('breakmodule', params, ['modules']);
    const modules = listParam('breakmodule', params, 'modules', 'lib/report.js');
    if (modules === undefined) throw invalid('is required: module patterns as in FAULTLINE_AGENT_INCLUDE, e.g. lib/report.js or src/**/pdf-*.js');
    for (const m of modules) {
      const problem = breakPatternProblem(m);
      if (problem) throw invalid(problem);
    }
    return { modules };
  },
  planAhead: (ctx, t) => restartWithOwnEnvPlan(ctx, check(t)),
  async apply(ctx, t, p) {
    const config = check(t);
    const restart = await restartWithEnv(ctx, config, { set: { [BREAK_MODULES_VAR]: p.modules.join(',') }, unset: [] });
    return { plan: restartWithOwnEnvPlan(ctx, config), detail: { ...restart, modules: p.modules } };
  },
});
