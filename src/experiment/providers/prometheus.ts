/**
 * faultline's `prometheus` provider: an instant PromQL query (GET /api/v1/query) against a Prometheus server on
 * this machine. Output: the sample value as a number when the result is one sample or a scalar, else the list of
 * sample values (one number per series); an empty result is [].
 */
import { localUrlProblem, timeoutMs } from './http.js';
import { ActivityFailed, isNum, isObj, type ProviderModule, type ProviderProblem } from './types.js';

export const DEFAULT_PROMETHEUS_URL = 'http://127.0.0.1:9090';

interface PromAnswer {
  status: 'success' | 'error';
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
  errorType?: string;
  error?: string;
}

const num = (v: unknown): number => (v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));

/** The numbers of an /api/v1/query answer's data. */
export function promValues(data: NonNullable<PromAnswer['data']>): number | number[] | number[][] {
  switch (data.resultType) {
    case 'scalar':
      return num((data.result as [number, string])[1]);
    case 'string':
      return num((data.result as [number, string])[1]);
    case 'vector': {
      const values = (data.result as { value: [number, string] }[]).map((s) => num(s.value[1]));
      return values.length === 1 ? (values[0] as number) : values;
    }
    case 'matrix':
      return (data.result as { values: [number, string][] }[]).map((s) => s.values.map((v) => num(v[1])));
    default:
      throw new ActivityFailed(`unexpected resultType "${String((data as { resultType: unknown }).resultType)}" in the Prometheus answer`);
  }
}

export const prometheusProvider: ProviderModule = {
  type: 'prometheus',
  validate(p) {
    const out: ProviderProblem[] = [];
    if (p.url !== undefined) {
      const problem = localUrlProblem(p.url);
      if (problem) out.push({ path: ['url'], message: problem });
    }
    if (typeof p.query !== 'string' || p.query.trim() === '') out.push({ path: ['query'], message: 'required: a PromQL expression, e.g. sum(rate(http_requests_total{code=~"5.."}[1m]))' });
    if (p.time !== undefined && typeof p.time !== 'string' && !isNum(p.time)) out.push({ path: ['time'], message: 'expected a unix timestamp (seconds) or an RFC 3339 time' });
    if (p.timeout !== undefined && (timeoutMs(p.timeout) ?? 0) <= 0) out.push({ path: ['timeout'], message: 'expected seconds (e.g. 5)' });
    return out;
  },
  async run(p, ctx) {
    const base = String(p.url ?? DEFAULT_PROMETHEUS_URL);
    const problem = localUrlProblem(base);
    if (problem) throw new ActivityFailed(`url: ${problem}`);
    const u = new URL('api/v1/query', base.endsWith('/') ? base : `${base}/`);
    u.searchParams.set('query', String(p.query));
    if (p.time !== undefined) u.searchParams.set('time', String(p.time));
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs(p.timeout) ?? 10_000)]);
    let answer: PromAnswer;
    try {
      const res = await fetch(u, { signal, headers: { accept: 'application/json' } });
      answer = (await res.json()) as PromAnswer;
    } catch (e) {
      throw new ActivityFailed(`Prometheus at ${base} did not answer the query (${(e as Error).message}); is it running?`, { cause: e });
    }
    if (!isObj(answer) || answer.status !== 'success' || !answer.data) {
      throw new ActivityFailed(`Prometheus rejected the query ${JSON.stringify(p.query)}: ${answer?.errorType ?? 'error'}: ${answer?.error ?? 'no data'}`);
    }
    return promValues(answer.data);
  },
  describe: (p) => `PromQL ${String(p.query)} at ${String(p.url ?? DEFAULT_PROMETHEUS_URL)}`,
  injects: () => false,
};
