/**
 * faultline's own metrics during a run, in the Prometheus text exposition format 0.0.4, on GET /metrics.
 * A run feeds RunMetrics (completed buckets, timeline events, active faults, run info); the endpoint binds
 * 127.0.0.1 by default and refuses a non-loopback address unless a bearer token is set.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultlineError } from '../core/errors.js';
import { isLoopback } from '../core/net.js';
import type { SteadyStateBounds, TimelineBucket, TimelineEvent } from '../core/run.js';

export interface RunInfo {
  id: string;
  title: string;
  kind: string;
  /** when set, faultline_steady_state_met follows each bucket against these bounds */
  bounds?: SteadyStateBounds;
}

/** label values: backslash, double quote and newline escaped */
const labelValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
/** HELP text: backslash and newline escaped */
const helpText = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function sampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

type Labels = Record<string, string>;
interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'summary';
  help: string;
  samples: Array<{ suffix?: string; labels?: Labels; value: number }>;
}

/** Renders metric families in the text exposition format 0.0.4. */
export function renderExposition(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${helpText(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}` : '';
      lines.push(`${f.name}${s.suffix ?? ''}${l} ${sampleValue(s.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

const QUANTILES: Array<[string, (b: TimelineBucket) => number]> = [
  ['0.5', (b) => b.latencyMs.p50],
  ['0.9', (b) => b.latencyMs.p90],
  ['0.99', (b) => b.latencyMs.p99],
  ['0.999', (b) => b.latencyMs.p999],
];

function steady(b: TimelineBucket, bounds: SteadyStateBounds): boolean {
  if (b.errorRate > bounds.maxErrorRate) return false;
  if (bounds.maxP99LatencyMs !== undefined && b.requests > 0 && b.latencyMs.p99 > bounds.maxP99LatencyMs) return false;
  if (bounds.minThroughputPerSec !== undefined && b.throughputPerSec < bounds.minThroughputPerSec) return false;
  return true;
}

/** The metrics of the current run; feed it from the observer's onBucket and the run's timeline events. */
export class RunMetrics {
  private readonly outcomes = new Map<string, number>();
  private latest: TimelineBucket | undefined;
  private latencySumS = 0;
  private latencyCount = 0;
  private readonly active = new Set<string>();
  private activeOverride: number | undefined;
  private readonly injected = new Map<string, { layer: string; kind: string; n: number }>();
  private halts = 0;
  private run: RunInfo | undefined;
  private steadyMet: boolean | undefined;

  /** a completed bucket: adds its requests by outcome and latency, and becomes the latest window */
  onBucket(b: TimelineBucket): void {
    if (b.ok > 0) this.outcomes.set('ok', (this.outcomes.get('ok') ?? 0) + b.ok);
    for (const [kind, n] of Object.entries(b.errorsByKind)) if (n > 0) this.outcomes.set(kind, (this.outcomes.get(kind) ?? 0) + n);
    this.latencySumS += (b.latencyMs.mean * b.requests) / 1000;
    this.latencyCount += b.requests;
    this.latest = b;
    if (this.run?.bounds) this.steadyMet = steady(b, this.run.bounds);
  }

  /**
   * A timeline event. inject (with the fault's layer and kind) counts an injection and, with a faultId, makes
   * the fault active until its revert or expire event; halt counts a halt.
   */
  onEvent(e: TimelineEvent, fault?: { layer: string; kind: string }): void {
    if (e.kind === 'inject') {
      const layer = fault?.layer ?? 'unknown';
      const kind = fault?.kind ?? 'unknown';
      const key = `${layer}\0${kind}`;
      const cur = this.injected.get(key) ?? { layer, kind, n: 0 };
      cur.n++;
      this.injected.set(key, cur);
      if (e.faultId !== undefined) this.active.add(e.faultId);
      this.activeOverride = undefined;
    } else if ((e.kind === 'revert' || e.kind === 'expire') && e.faultId !== undefined) {
      this.active.delete(e.faultId);
      this.activeOverride = undefined;
    } else if (e.kind === 'halt') {
      this.halts++;
    }
  }

  /** sets faultline_faults_active (until the next inject/revert/expire event) */
  setFaultsActive(n: number): void {
    this.activeOverride = n;
  }

  setRun(info: RunInfo): void {
    this.run = info;
  }

  /** the latest steady-state verdict from the run's own probes (overrides the bounds until the next bucket) */
  setSteadyStateMet(met: boolean): void {
    this.steadyMet = met;
  }

  families(): Family[] {
    const b = this.latest;
    const families: Family[] = [
      {
        name: 'faultline_requests_total',
        type: 'counter',
        help: 'Requests the load generator completed, by outcome: ok, or the error kind (http_5xx, http_4xx, timeout, ECONNREFUSED, ...).',
        samples: [...this.outcomes.entries()].sort(([a], [c]) => a.localeCompare(c)).map(([outcome, value]) => ({ labels: { outcome }, value })),
      },
      {
        name: 'faultline_request_duration_seconds',
        type: 'summary',
        help: 'Request latency from the intended send time: quantiles of the latest completed bucket; sum and count over the run.',
        samples: [...(b ? QUANTILES.map(([q, pick]) => ({ labels: { quantile: q }, value: pick(b) / 1000 })) : []), { suffix: '_sum', value: this.latencySumS }, { suffix: '_count', value: this.latencyCount }],
      },
      { name: 'faultline_error_rate', type: 'gauge', help: 'Errors / requests in the latest completed bucket (0..1).', samples: b ? [{ value: b.errorRate }] : [] },
      { name: 'faultline_throughput_per_second', type: 'gauge', help: 'Successful responses per second in the latest completed bucket.', samples: b ? [{ value: b.throughputPerSec }] : [] },
      { name: 'faultline_faults_active', type: 'gauge', help: 'Faults the run has active now.', samples: [{ value: this.activeOverride ?? this.active.size }] },
      {
        name: 'faultline_faults_injected_total',
        type: 'counter',
        help: 'Faults the run injected, by layer and kind.',
        samples: [...this.injected.values()].map((x) => ({ labels: { layer: x.layer, kind: x.kind }, value: x.n })),
      },
      { name: 'faultline_halts_total', type: 'counter', help: 'Runs stopped by a halt condition.', samples: [{ value: this.halts }] },
      { name: 'faultline_run_info', type: 'gauge', help: 'The current run (always 1).', samples: this.run ? [{ labels: { id: this.run.id, title: this.run.title, kind: this.run.kind }, value: 1 }] : [] },
      { name: 'faultline_steady_state_met', type: 'gauge', help: '1 when the latest bucket (or probe verdict) met the steady state, 0 when not; absent until known.', samples: this.steadyMet === undefined ? [] : [{ value: this.steadyMet ? 1 : 0 }] },
    ];
    return families;
  }

  /** the exposition text served on /metrics */
  render(): string {
    return renderExposition(this.families());
  }
}

export interface MetricsServerOptions {
  /** default 127.0.0.1; a non-loopback address requires `token` */
  host?: string;
  /** default 0 (a free port) */
  port?: number;
  /** when set, every request needs `Authorization: Bearer <token>` (Prometheus: `authorization: {credentials: …}`) */
  token?: string;
  /** serve these metrics (default: a new RunMetrics) */
  metrics?: RunMetrics;
}

export interface MetricsServer {
  /** http://host:port/metrics */
  url: string;
  metrics: RunMetrics;
  close(): Promise<void>;
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** Serves GET /metrics for the run's RunMetrics. */
export async function startMetricsServer(opts: MetricsServerOptions = {}): Promise<MetricsServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  const token = opts.token;
  const metrics = opts.metrics ?? new RunMetrics();
  if (!isLoopback(host) && token === undefined) {
    throw new FaultlineError('FL_ERR_UNAUTHORIZED', `the metrics endpoint would listen on ${host}, which is not loopback; pass a token so only scrapers that know it can read the run's metrics`, { context: { host } });
  }
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.headers.origin !== undefined) return answer(res, 403, 'origin: browser cross-origin requests are refused; scrape /metrics from Prometheus or curl\n');
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (token === undefined && hostHeader !== '' && !isLoopback(hostHeader)) return answer(res, 403, `host: "${req.headers.host ?? ''}" is not a loopback name; use 127.0.0.1\n`);
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) return answer(res, 401, 'authorization: send the token as "Authorization: Bearer <token>"\n', { 'www-authenticate': 'Bearer' });
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path !== '/metrics') return answer(res, 404, `not found: ${path}; the metrics are on /metrics\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, `method: ${req.method ?? ''} is not allowed on /metrics; use GET\n`, { allow: 'GET, HEAD' });
    const body = metrics.render();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const server = createServer({ keepAliveTimeout: 5_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    throw new FaultlineError('FL_ERR_METRICS_LISTEN', `the metrics endpoint could not listen on ${host}:${port} (${e.code ?? e.message}); pass another port (0 picks a free one)`, { cause: e, context: { host, port } });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/metrics`,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
