/**
 * faultline's own provider. Actions: `func: inject` (a fault through the run's FaultDriver, remembered under the
 * activity's name) and `func: revert` (`arguments.fault`: the name of the inject activity; none: every fault of
 * the run). Probes: `func: metric` reads the run's observer (load generator) over a recent window.
 */
import { parseDurationMs } from '../../core/duration.js';
import type { FaultLayer, FaultRequest, FaultTarget } from '../../core/fault.js';
import { ActivityFailed, isObj, type ProviderModule, type ProviderProblem } from './types.js';

export const LAYERS: readonly FaultLayer[] = ['proxy', 'process', 'agent', 'network', 'traffic'];
export const METRICS = ['errorRate', 'p50LatencyMs', 'p90LatencyMs', 'p99LatencyMs', 'throughputPerSec', 'requests'] as const;
export type MetricName = (typeof METRICS)[number];
const FUNCS = ['inject', 'revert', 'metric'] as const;
const DEFAULT_WINDOW_MS = 2000;

const durationProblem = (v: unknown): string | undefined => {
  if (typeof v !== 'string' && typeof v !== 'number') return 'expected a duration such as 500ms, 30s, 2m';
  try {
    parseDurationMs(v);
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^[^:]*: /, '');
  }
};

/** The FaultRequest of an inject activity's arguments (validated first). */
export function faultRequest(args: Record<string, unknown>, defaultTtlMs: number): FaultRequest {
  const target: FaultTarget = {};
  for (const [k, v] of Object.entries(isObj(args.target) ? args.target : {})) (target as Record<string, unknown>)[k] = k === 'pid' ? Number(v) : String(v);
  return {
    layer: args.layer as FaultLayer,
    kind: String(args.kind),
    target,
    params: isObj(args.params) ? args.params : {},
    ttlMs: args.ttl === undefined ? defaultTtlMs : parseDurationMs(args.ttl as string | number, 'ttl'),
    actor: 'experiment',
  };
}

export const faultlineProvider: ProviderModule = {
  type: 'faultline',
  validate(p, activityType) {
    const out: ProviderProblem[] = [];
    const func = p.func;
    if (!FUNCS.includes(func as (typeof FUNCS)[number])) {
      out.push({ path: ['func'], message: `expected one of ${FUNCS.join(', ')} (inject and revert are actions, metric is a probe)` });
      return out;
    }
    if (p.arguments !== undefined && !isObj(p.arguments)) return [{ path: ['arguments'], message: 'expected a mapping' }];
    const a = isObj(p.arguments) ? p.arguments : {};
    if (func === 'metric') {
      if (activityType !== 'probe') out.push({ path: ['func'], message: 'metric reads a value: declare the activity as type: probe' });
      if (!METRICS.includes(a.metric as MetricName)) out.push({ path: ['arguments', 'metric'], message: `expected one of ${METRICS.join(', ')}` });
      if (a.window !== undefined) {
        const d = durationProblem(a.window);
        if (d) out.push({ path: ['arguments', 'window'], message: d });
      }
      return out;
    }
    if (activityType !== 'action') out.push({ path: ['func'], message: `${String(func)} changes the target: declare the activity as type: action` });
    if (func === 'revert') {
      if (a.fault !== undefined && typeof a.fault !== 'string') out.push({ path: ['arguments', 'fault'], message: 'expected the name of the activity that injected the fault' });
      return out;
    }
    if (!LAYERS.includes(a.layer as FaultLayer)) out.push({ path: ['arguments', 'layer'], message: `required: one of ${LAYERS.join(', ')}` });
    if (typeof a.kind !== 'string' || a.kind === '') out.push({ path: ['arguments', 'kind'], message: 'required: the fault kind, e.g. latency (proxy), pause (process), throw (agent); see docs/reference/faults.md' });
    if (!isObj(a.target)) out.push({ path: ['arguments', 'target'], message: 'required: e.g. {proxy: pricing}, {service: api}, {service: api, module: pricing-client, fn: fetchPrice}' });
    if (a.params !== undefined && !isObj(a.params)) out.push({ path: ['arguments', 'params'], message: 'expected a mapping of fault parameters' });
    if (a.ttl !== undefined) {
      const d = durationProblem(a.ttl);
      if (d) out.push({ path: ['arguments', 'ttl'], message: d });
    }
    return out;
  },
  async run(p, ctx) {
    const a = isObj(p.arguments) ? p.arguments : {};
    switch (p.func) {
      case 'inject': {
        const f = await ctx.faultline.inject(ctx.activityName, faultRequest(a, ctx.defaultTtlMs));
        return { id: f.id, layer: f.layer, kind: f.kind, target: f.target, params: f.params, ttlMs: f.ttlMs, expiresAt: new Date(f.expiresAt).toISOString() };
      }
      case 'revert':
        return { reverted: await ctx.faultline.revert(typeof a.fault === 'string' ? a.fault : undefined) };
      case 'metric': {
        const windowMs = a.window === undefined ? DEFAULT_WINDOW_MS : parseDurationMs(a.window as string | number, 'window');
        return ctx.faultline.metric(String(a.metric), windowMs);
      }
      default:
        throw new ActivityFailed(`func: unknown faultline function ${JSON.stringify(p.func)}`);
    }
  },
  describe(p) {
    const a = isObj(p.arguments) ? p.arguments : {};
    if (p.func === 'inject') return `inject ${String(a.layer)}/${String(a.kind)} on ${JSON.stringify(a.target ?? {})} ${JSON.stringify(a.params ?? {})} ttl ${String(a.ttl ?? 'default')}`;
    if (p.func === 'revert') return a.fault ? `revert the fault of "${String(a.fault)}"` : 'revert every fault of the run';
    return `metric ${String(a.metric)} over the last ${String(a.window ?? '2s')}`;
  },
  injects: (p) => p.func === 'inject',
};
