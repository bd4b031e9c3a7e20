/** kill: sends a signal (default SIGKILL) to the target. Not reverted; with restart: true a supervised service is started again at the TTL. */
import { FaultlineError } from '../../../core/errors.js';
import { signalChecked } from '../proc.js';
import { booleanParam, onlyKnown, signalParam } from './params.js';
import { defineFault, type ApplyContext, type ResolvedTarget } from './types.js';
import type { RevertStep } from '../plan.js';

/** Nothing to undo, or with restart: start the supervised service again (throws for attached processes and bare PIDs). */
function restartPlan(ctx: ApplyContext, t: ResolvedTarget, restart: boolean): RevertStep[] {
  if (!restart) return [];
  const config = t.service?.config;
  if (!config || t.service?.record?.attached) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'kill: param "restart" needs --service naming a service faultline started (attached processes and bare PIDs cannot be restarted)');
  }
  return [{ op: 'start-service', service: config, stateDir: ctx.stateDir }];
}

export const kill = defineFault({
  kind: 'kill',
  summary: 'send a signal (default SIGKILL); restart: true starts a supervised service again at the TTL',
  target: 'process',
  validate(params) {
    onlyKnown('kill', params, ['signal', 'restart']);
    return { signal: signalParam('kill', params, 'signal', 'SIGKILL'), restart: booleanParam('kill', params, 'restart', false) };
  },
  planAhead: (ctx, t, p) => restartPlan(ctx, t, p.restart),
  async apply(ctx, t, p) {
    const plan = restartPlan(ctx, t, p.restart);
    const pid = t.pid as number;
    if (!signalChecked(pid, t.startTimeTicks, p.signal, t.group)) {
      throw new FaultlineError('FL_ERR_PROCESS_NOT_FOUND', `kill: PID ${pid} exited before ${p.signal} could be sent`, { context: { pid } });
    }
    return {
      plan,
      detail: { pid, signal: p.signal, group: t.group },
    };
  },
});
