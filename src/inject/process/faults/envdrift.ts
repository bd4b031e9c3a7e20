/** envdrift: restarts a supervised service with environment variables set or removed (configuration drift); reverted by a restart with its own environment. */
import type { ServiceConfig } from '../../../core/config-types.js';
import { FaultlineError } from '../../../core/errors.js';
import { assignmentsParam, listParam } from './list-params.js';
import { onlyKnown } from './params.js';
import { refuseChangedEnv, restartWithEnv, restartWithOwnEnvPlan, serviceConfigOrThrow } from './service-env.js';
import { defineFault, type ResolvedTarget } from './types.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const invalid = (param: string, msg: string): FaultlineError =>
  new FaultlineError('FL_ERR_INVALID_ARGUMENT', `envdrift: param "${param}" ${msg}`, { context: { kind: 'envdrift', param } });

function checkName(param: string, name: string): void {
  if (!NAME.test(name)) throw invalid(param, `names "${name}", which is not an environment variable name (letters, digits and _, not starting with a digit)`);
  if (name.toUpperCase().startsWith('FAULTLINE_')) {
    throw invalid(param, `names "${name}": FAULTLINE_* variables carry faultline's own settings (state folder, agent); envdrift never changes them`);
  }
}

/** True when the service loads the agent through its own NODE_OPTIONS (not `agent: true`), so changing NODE_OPTIONS would drop it. */
const agentByHand = (config: ServiceConfig): boolean => /faultline/.test(config.env.NODE_OPTIONS ?? '');

function check(t: ResolvedTarget, p: { set: Record<string, string>; unset: string[] }): ServiceConfig {
  const config = serviceConfigOrThrow('envdrift', t, 'it restarts the service with the changed environment');
  for (const [param, names] of [['set', Object.keys(p.set)], ['unset', p.unset]] as const) {
    if (names.includes('NODE_OPTIONS') && agentByHand(config)) {
      throw invalid(param, `names NODE_OPTIONS, which loads the faultline agent of service "${config.name}"; change another variable, or load the agent with \`agent: true\` in faultline.yaml (its import is then added after the change)`);
    }
  }
  refuseChangedEnv('envdrift', t);
  return config;
}

export const envdrift = defineFault({
  kind: 'envdrift',
  summary: 'restart the service with environment variables set or removed; restarted with its own environment at the TTL',
  target: 'service',
  validate(params) {
    onlyKnown('envdrift', params, ['set', 'unset']);
    const set = assignmentsParam('envdrift', params, 'set', 'LOG_LEVEL=debug') ?? {};
    const unset = listParam('envdrift', params, 'unset', 'CACHE_URL') ?? [];
    if (Object.keys(set).length === 0 && unset.length === 0) throw invalid('set', 'or param "unset" is required: set NAME=value, or unset NAME');
    for (const [name, value] of Object.entries(set)) {
      checkName('set', name);
      if (value.includes('\0')) throw invalid('set', `value of ${name} holds a NUL character, which an environment cannot carry`);
    }
    for (const name of unset) {
      checkName('unset', name);
      if (Object.hasOwn(set, name)) throw invalid('unset', `names "${name}", which param "set" sets too; give each variable once`);
    }
    return { set, unset };
  },
  planAhead: (ctx, t, p) => restartWithOwnEnvPlan(ctx, check(t, p)),
  async apply(ctx, t, p) {
    const config = check(t, p);
    const restart = await restartWithEnv(ctx, config, p);
    return { plan: restartWithOwnEnvPlan(ctx, config), detail: { ...restart, set: Object.keys(p.set), unset: p.unset } };
  },
});
