/**
 * cpu: burns CPU for the TTL. stress-ng (`--cpu N --cpu-load P --timeout TTL`) when installed, otherwise a
 * detached node process whose worker threads busy-loop at the load and which exits by itself at the TTL.
 */
import { compiledPath } from '../paths.js';
import { spawnHelper } from '../helper-process.js';
import { findExecutable, requireExecutable } from '../tools.js';
import { numberParam, oneOfParam, onlyKnown } from './params.js';
import { defineFault } from './types.js';

const TOOLS = ['auto', 'stress-ng', 'node'] as const;

export const cpu = defineFault({
  kind: 'cpu',
  summary: 'load N CPUs at P percent with stress-ng (or node worker threads) until the TTL',
  target: 'optional',
  validate(params) {
    onlyKnown('cpu', params, ['workers', 'load', 'tool']);
    return {
      workers: numberParam('cpu', params, 'workers', { min: 1, max: 256, def: 1, integer: true }),
      load: numberParam('cpu', params, 'load', { min: 1, max: 100, def: 100, integer: true }),
      tool: oneOfParam('cpu', params, 'tool', TOOLS, 'auto'),
    };
  },
  async apply(ctx, _t, p) {
    const stressNg = p.tool === 'stress-ng' ? requireExecutable('stress-ng', 'stress-ng', 'the cpu fault with tool=stress-ng') : p.tool === 'auto' ? findExecutable('stress-ng') : undefined;
    const helper = stressNg
      ? await spawnHelper(stressNg, ['--cpu', String(p.workers), '--cpu-load', String(p.load), '--timeout', `${Math.ceil(ctx.ttlMs / 1000)}s`, '--quiet'], 'stress-ng CPU stressor')
      : await spawnHelper(process.execPath, [compiledPath('../holders/cpu-holder.js', import.meta.url), String(p.workers), String(p.load), String(ctx.ttlMs)], 'node CPU stressor');
    return {
      plan: [{ op: 'terminate', pid: helper.pid, startTimeTicks: helper.startTimeTicks }],
      detail: { stressorPid: helper.pid, tool: stressNg ? 'stress-ng' : 'node', workers: p.workers, load: p.load },
    };
  },
});
