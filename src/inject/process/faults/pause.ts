/** pause: SIGSTOP to the target (its whole process group for a supervised service); reverted by SIGCONT. */
import { FaultlineError } from '../../../core/errors.js';
import { readProcStat, signalChecked } from '../proc.js';
import { onlyKnown } from './params.js';
import { defineFault, type ResolvedTarget } from './types.js';
import type { RevertStep } from '../plan.js';

const resume = (t: ResolvedTarget): RevertStep[] => [{ op: 'signal', pid: t.pid as number, startTimeTicks: t.startTimeTicks as number, signal: 'SIGCONT', group: t.group }];

export const pause = defineFault({
  kind: 'pause',
  summary: 'freeze the process with SIGSTOP; SIGCONT at the TTL',
  target: 'process',
  validate(params) {
    onlyKnown('pause', params, []);
    return {};
  },
  planAhead: (_ctx, t) => resume(t),
  async apply(_ctx, t) {
    const pid = t.pid as number;
    const startTimeTicks = t.startTimeTicks as number;
    if (!signalChecked(pid, startTimeTicks, 'SIGSTOP', t.group)) {
      throw new FaultlineError('FL_ERR_PROCESS_NOT_FOUND', `pause: PID ${pid} exited before SIGSTOP could be sent`, { context: { pid } });
    }
    // the stop takes effect when the target is next scheduled; confirm it (state T) for up to 2 s
    const deadline = Date.now() + 2000;
    let state = readProcStat(pid)?.state;
    while (state !== 'T' && state !== undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      state = readProcStat(pid)?.state;
    }
    return { plan: resume(t), detail: { pid, group: t.group, stopped: state === 'T' } };
  },
});
