import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { FaultlineError, isFaultlineError } from '../../core/errors.js';
import { isLoopback } from '../../core/net.js';
import { describeThrown } from './evidence.js';
import { bad, optDurationMs, optNumber } from './params.js';
import type { AgentRuntime } from './runtime.js';
import type { AgentInfo } from './types.js';

export interface ControlServerOptions {
  /** 0 = ephemeral */
  port: number;
  /** required as `Authorization: Bearer <token>` when set */
  token?: string;
  version: string;
}

const MAX_BODY = 64 * 1024;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: FaultlineError, status = err.statusCode): void {
  send(res, status, { code: err.code, message: err.message, statusCode: status });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(bad('body', `is larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Refuses callers that are not local processes: non-loopback peers, browser pages (Origin), DNS-rebinding (Host). */
function refusal(req: http.IncomingMessage, token: string | undefined): FaultlineError | undefined {
  if (!isLoopback(req.socket.remoteAddress ?? '')) {
    return new FaultlineError('FL_ERR_AGENT_FORBIDDEN', `peer: ${req.socket.remoteAddress ?? '?'} is not a loopback address; the agent answers local callers only`);
  }
  if (req.headers.origin !== undefined) {
    return new FaultlineError('FL_ERR_AGENT_FORBIDDEN', 'origin: requests from browser pages (with an Origin header) are refused; call the agent from the CLI or a script');
  }
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (host !== '' && !isLoopback(host)) {
    return new FaultlineError('FL_ERR_AGENT_FORBIDDEN', `host: "${req.headers.host ?? ''}" is not a loopback name; use 127.0.0.1`);
  }
  if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
    return new FaultlineError('FL_ERR_UNAUTHORIZED', 'authorization: this agent requires "Authorization: Bearer <token>" (the token is in its announce file)');
  }
  return undefined;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw bad('body', `is not valid JSON (${describeThrown(e).message})`);
  }
}

/** The answer of GET /v1/stats. */
export interface AgentStats {
  /** event-loop delay beyond the 10 ms sampling interval, over `intervalMs` (0s on the first call) */
  eventLoopLagMs: { p50: number; p99: number; max: number };
  /** the interval the lag figures cover: since the previous call (0 on the first call, which starts the monitor) */
  intervalMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  uptimeMs: number;
}

const LAG_RESOLUTION_MS = 10;

/**
 * Event-loop lag from perf_hooks.monitorEventLoopDelay, started on the first read (an agent nobody asks pays
 * nothing) and reset after each read, so each answer covers the interval since the previous one. The histogram
 * records whole timer intervals, so the 10 ms resolution is subtracted to give the lag.
 */
function loopStats(rt: AgentRuntime): () => AgentStats {
  let h: IntervalHistogram | undefined;
  let since = 0;
  const lag = (ns: number): number => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  return () => {
    const now = performance.now();
    let eventLoopLagMs = { p50: 0, p99: 0, max: 0 };
    if (h === undefined) {
      h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
      h.enable();
    } else if (h.count > 0) {
      eventLoopLagMs = { p50: lag(h.percentile(50)), p99: lag(h.percentile(99)), max: lag(h.max) };
    }
    const intervalMs = since === 0 ? 0 : now - since;
    since = now;
    h.reset();
    const mem = process.memoryUsage();
    return { eventLoopLagMs, intervalMs, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, uptimeMs: Date.now() - rt.startedAt };
  };
}

/** The agent's control API (see docs/reference/agent.md). */
export function createControlServer(rt: AgentRuntime, opts: ControlServerOptions): http.Server {
  const stats = loopStats(rt);
  const server = http.createServer((req, res) => {
    handle(rt, opts, stats, req, res).catch((e: unknown) => {
      if (isFaultlineError(e)) sendError(res, e);
      else {
        rt.logOnce('api', `control API error: ${describeThrown(e).message}`);
        sendError(res, new FaultlineError('FL_ERR_INTERNAL', `internal error: ${describeThrown(e).message}`));
      }
    });
  });
  // neither the server nor its connections keep the target alive
  server.on('connection', (socket) => socket.unref());
  server.keepAliveTimeout = 1000;
  return server;
}

async function handle(rt: AgentRuntime, opts: ControlServerOptions, stats: () => AgentStats, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const refused = refusal(req, opts.token);
  if (refused) return sendError(res, refused);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const body = method === 'POST' ? parseJson(await readBody(req)) : undefined;
  const notAllowed = (allowed: string): void =>
    sendError(res, new FaultlineError('FL_ERR_INVALID_ARGUMENT', `method: ${method} is not allowed on ${path}; use ${allowed}`), 405);

  if (path === '/v1/agent') {
    if (method !== 'GET') return notAllowed('GET');
    const info: AgentInfo = {
      pid: process.pid,
      version: opts.version,
      node: process.version,
      argv: process.argv.slice(1),
      startedAt: new Date(rt.startedAt).toISOString(),
      uptimeMs: Date.now() - rt.startedAt,
      seed: rt.seed,
      modules: { instrumented: rt.moduleList().length, skipped: rt.skipped.length },
      functions: rt.functions().length,
      faults: rt.listFaults().length,
      errors: { recorded: rt.errors.size, dropped: rt.errors.dropped, capacity: rt.errors.capacity },
    };
    return send(res, 200, info);
  }
  if (path === '/v1/stats') {
    if (method !== 'GET') return notAllowed('GET');
    return send(res, 200, stats());
  }
  if (path === '/v1/functions') {
    if (method !== 'GET') return notAllowed('GET');
    return send(res, 200, { modules: rt.moduleList(), functions: rt.functions(), skipped: rt.skipped });
  }
  if (path === '/v1/faults') {
    if (method === 'GET') return send(res, 200, { faults: rt.listFaults(), ended: rt.endedFaults() });
    if (method === 'POST') return send(res, 201, rt.addFault(body));
    if (method === 'DELETE') {
      const reverted = rt.revertAll();
      // a kind whose stop is asynchronous (profile) records its evidence before the revert is answered
      await rt.settled();
      return send(res, 200, { reverted });
    }
    return notAllowed('GET, POST or DELETE');
  }
  const one = /^\/v1\/faults\/([^/]+)$/.exec(path);
  if (one) {
    if (method !== 'DELETE' && method !== 'GET') return notAllowed('GET or DELETE');
    const id = decodeURIComponent(one[1] as string);
    const fault = method === 'DELETE' ? rt.endFault(id, 'reverted') : rt.listFaults().find((f) => f.id === id);
    if (fault && method === 'DELETE') await rt.settled();
    if (!fault) throw new FaultlineError('FL_ERR_AGENT_FAULT_NOT_FOUND', `id: no active fault "${id}"; it may have expired or reached maxHits (GET /v1/faults lists active and ended faults)`);
    return send(res, 200, method === 'DELETE' ? { reverted: fault } : fault);
  }
  if (path === '/v1/errors') {
    if (method === 'DELETE') return send(res, 200, { cleared: rt.errors.clear() });
    if (method !== 'GET') return notAllowed('GET or DELETE');
    // a fault that just ended by its TTL may still be recording (profile): its records come with this answer
    await rt.settled();
    const since = optNumber(url.searchParams.get('since') ?? undefined, 'since', { min: 0, int: true });
    const limit = optNumber(url.searchParams.get('limit') ?? undefined, 'limit', { min: 1, int: true });
    const faultId = url.searchParams.get('fault') ?? undefined;
    const errors = rt.errors.list({
      ...(since === undefined ? {} : { sinceSeq: since }),
      ...(limit === undefined ? {} : { limit }),
      ...(faultId === undefined ? {} : { faultId }),
    });
    return send(res, 200, { errors, dropped: rt.errors.dropped, capacity: rt.errors.capacity });
  }
  if (path === '/v1/outbound') {
    if (method === 'DELETE') return send(res, 200, { cleared: rt.outbound.clear() });
    if (method !== 'GET') return notAllowed('GET or DELETE');
    const since = optNumber(url.searchParams.get('since') ?? undefined, 'since', { min: 0 });
    const until = optNumber(url.searchParams.get('until') ?? undefined, 'until', { min: 0 });
    const origin = url.searchParams.get('origin') ?? undefined;
    return send(res, 200, rt.outbound.summarize({ ...(origin ? { origin } : {}), ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) }));
  }
  if (path === '/v1/outbound/watch') {
    if (method === 'DELETE') {
      rt.outbound.stop();
      return send(res, 200, { watchingUntil: rt.outbound.watchingUntil });
    }
    if (method !== 'POST') return notAllowed('POST or DELETE');
    const b = (body ?? {}) as { ttlMs?: unknown; ttl?: unknown };
    if (typeof b !== 'object' || Array.isArray(b)) throw bad('body', 'expected {"ttlMs": <ms>}');
    const ttlMs = optDurationMs(b.ttlMs ?? b.ttl, 'ttlMs', 24 * 3_600_000);
    if (ttlMs === undefined || ttlMs <= 0) throw bad('ttlMs', 'is required: how long to record outbound calls, in ms (> 0)');
    return send(res, 200, { watchingUntil: rt.outbound.watch(ttlMs) });
  }
  return sendError(res, new FaultlineError('FL_ERR_INVALID_ARGUMENT', `path: no route ${method} ${path}; the API has /v1/agent, /v1/stats, /v1/functions, /v1/faults[/{id}], /v1/errors, /v1/outbound[/watch]`), 404);
}

/** Listens on 127.0.0.1 (never another address) and resolves with the port. */
export function listenControlServer(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      server.unref();
      resolve((server.address() as AddressInfo).port);
    });
  });
}
