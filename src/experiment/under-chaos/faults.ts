/**
 * The faults of `faultline test`: the `--fault` grammar, and the default set chosen from the failure-card
 * scenarios that act in-process (random exceptions, null values, slow responses) plus dependency latency
 * and resets on the proxy links of faultline.yaml.
 *
 *   LAYER:KIND[:key=value]…      agent:throw:fn=fetchPrice:p=1   proxy:latency:link=pricing:latency=500
 *
 * A segment without `=` continues the previous value (`message=a:b`). Values that look like numbers are
 * numbers, `true`/`false` are booleans, anything else a string.
 */
import { FaultlineError } from '../../core/errors.js';
import type { FaultRequest } from '../../core/fault.js';
import type { Rng } from '../../core/rng.js';

/** A fault the in-process agent arms at start-up (one entry of FAULTLINE_AGENT_FAULTS, without its TTL). */
export interface AgentStartFault {
  kind: string;
  target: { fn?: string; module?: string; route?: string };
  probability?: number;
  seed?: number;
  maxHits?: number;
  params: Record<string, unknown>;
}

export type ChaosFault =
  | { label: string; layer: 'agent'; scenario?: string; agent: AgentStartFault }
  | { label: string; layer: 'proxy'; scenario?: string; proxy: Omit<FaultRequest, 'ttlMs'> };

export const AGENT_KINDS = ['throw', 'null', 'undefined', 'delay', 'block', 'corrupt', 'status', 'abort'] as const;
const AGENT_TARGET_KEYS: Record<string, 'fn' | 'module' | 'route'> = { fn: 'fn', module: 'module', route: 'route' };

function invalid(spec: string, why: string): FaultlineError {
  return new FaultlineError('FL_ERR_TEST_FAULT_SPEC', `--fault ${JSON.stringify(spec)}: ${why}`, { context: { attribute: '--fault', spec } });
}

function value(raw: string): string | number | boolean {
  if (/^-?\d+(?:\.\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return raw;
}

/** Splits `key=value` segments; a segment without `=` is appended (with its `:`) to the previous value. */
function pairs(spec: string, segments: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const seg of segments) {
    const eq = seg.indexOf('=');
    const last = out[out.length - 1];
    if (eq <= 0) {
      if (!last) throw invalid(spec, `expected key=value after the kind, got ${JSON.stringify(seg)}`);
      last[1] += `:${seg}`;
      continue;
    }
    out.push([seg.slice(0, eq).trim(), seg.slice(eq + 1)]);
  }
  return out;
}

/**
 * Parses one `--fault` value. `links` are the proxy link names of faultline.yaml (a proxy fault must name one).
 * Throws FL_ERR_TEST_FAULT_SPEC naming what is wrong.
 */
export function parseChaosFault(spec: string, links: readonly string[] = []): ChaosFault {
  const [layer, kind, ...rest] = spec.split(':');
  if (!layer || !kind) throw invalid(spec, 'expected LAYER:KIND[:key=value…], e.g. agent:throw:fn=fetchPrice or proxy:latency:link=pricing:latency=500');
  const kv = pairs(spec, rest);
  switch (layer) {
    case 'agent': {
      if (!(AGENT_KINDS as readonly string[]).includes(kind)) throw invalid(spec, `agent kind must be one of ${AGENT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
      const f: AgentStartFault = { kind, target: {}, params: {} };
      for (const [k, raw] of kv) {
        const tk = AGENT_TARGET_KEYS[k];
        if (tk) f.target[tk] = raw;
        else if (k === 'p' || k === 'probability') {
          const p = Number(raw);
          if (!(p >= 0 && p <= 1)) throw invalid(spec, `${k} must be a probability in 0..1, got ${JSON.stringify(raw)}`);
          f.probability = p;
        } else if (k === 'seed' || k === 'maxHits') {
          const n = Number(raw);
          if (!Number.isInteger(n) || n < (k === 'seed' ? 0 : 1)) throw invalid(spec, `${k} must be an integer${k === 'seed' ? ' ≥ 0' : ' ≥ 1'}, got ${JSON.stringify(raw)}`);
          f[k] = n;
        } else f.params[k] = value(raw);
      }
      if (f.target.route === undefined && f.target.fn === undefined) throw invalid(spec, 'an agent fault needs fn=NAME (an exported function, * allowed) or route="METHOD /path"');
      if (f.target.route !== undefined && (f.target.fn !== undefined || f.target.module !== undefined)) throw invalid(spec, 'give either route= or fn= (with module=), not both');
      return { label: spec, layer: 'agent', agent: f };
    }
    case 'proxy': {
      const params: Record<string, unknown> = {};
      let link: string | undefined;
      for (const [k, raw] of kv) {
        if (k === 'link' || k === 'proxy') link = raw;
        else params[k] = value(raw);
      }
      if (!link) throw invalid(spec, `a proxy fault needs link=NAME, one of the proxy links of faultline.yaml${links.length ? ` (${links.join(', ')})` : ' (there are none)'}`);
      if (!links.includes(link)) throw invalid(spec, `link=${link} is not a proxy link of faultline.yaml; links: ${links.length ? links.join(', ') : '(none)'}`);
      return { label: spec, layer: 'proxy', proxy: { kind, layer: 'proxy', target: { proxy: link }, params, actor: 'faultline test' } };
    }
    default:
      throw invalid(spec, `layer must be agent or proxy, got ${JSON.stringify(layer)}`);
  }
}

/**
 * The default faults (agent faults get their seeds from seedFaults), from the failure-card scenarios that apply to a test run: random exceptions, null
 * values and slow responses in every exported function of the application (a seeded 30 % of calls), and,
 * per proxy link, latency and connection resets.
 */
export function defaultChaosFaults(links: readonly string[]): ChaosFault[] {
  const out: ChaosFault[] = [
    { label: 'agent:throw:fn=*:p=0.3', scenario: 'random exceptions', layer: 'agent', agent: { kind: 'throw', target: { fn: '*' }, probability: 0.3, params: {} } },
    { label: 'agent:null:fn=*:p=0.3', scenario: 'null values', layer: 'agent', agent: { kind: 'null', target: { fn: '*' }, probability: 0.3, params: {} } },
    { label: 'agent:delay:fn=*:ms=200', scenario: 'slow responses', layer: 'agent', agent: { kind: 'delay', target: { fn: '*' }, probability: 1, params: { ms: 200 } } },
  ];
  for (const link of links) {
    out.push(
      { label: `proxy:latency:link=${link}:latency=500`, scenario: 'network latency', layer: 'proxy', proxy: { kind: 'latency', layer: 'proxy', target: { proxy: link }, params: { latency: 500 }, actor: 'faultline test' } },
      { label: `proxy:reset_peer:link=${link}:timeout=0`, scenario: 'dependency failure', layer: 'proxy', proxy: { kind: 'reset_peer', layer: 'proxy', target: { proxy: link }, params: { timeout: 0 }, actor: 'faultline test' } },
    );
  }
  return out;
}

/** Gives every agent fault without a seed one drawn from `rng`, so a run can be replayed with the same --seed. */
export function seedFaults(faults: readonly ChaosFault[], rng: Rng): ChaosFault[] {
  return faults.map((f) => (f.layer === 'agent' && f.agent.seed === undefined ? { ...f, agent: { ...f.agent, seed: rng.int(0, 4_294_967_295) } } : f));
}
