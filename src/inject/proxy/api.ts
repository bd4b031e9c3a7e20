/**
 * The Toxiproxy-compatible HTTP API on node:http (no framework, so `faultline proxy serve` starts fast).
 * Errors answer `{"error": message, "status": code}` like Toxiproxy, plus faultline's `code`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultlineError, isFaultlineError } from '../../core/errors.js';
import { isLoopback } from '../../core/net.js';
import { VERSION } from '../../core/version.js';
import { toxicJson } from './entry.js';
import { renderMetrics } from './metrics.js';
import { isGuardRefusal, ProxyRegistry, type RegistryOptions } from './registry.js';
import type { ProxyPatch, ProxySpec, ToxicPatch, ToxicSpec } from './types.js';

export interface ProxyServerOptions extends RegistryOptions {
  /** API address (default 127.0.0.1); a non-loopback address requires `token` */
  host?: string;
  /** API port (default 8474; 0 = any free port) */
  port?: number;
  /** when set, every request needs `Authorization: Bearer <token>`; it also allows non-loopback proxy listeners */
  token?: string;
  /** browser origins allowed to call the API (e.g. the dashboard's); any other Origin gets 403 */
  allowedOrigins?: readonly string[];
  /** receives unexpected errors (default: stderr) */
  onError?: (err: unknown) => void;
  /** use this registry instead of creating one from the options */
  registry?: ProxyRegistry;
}

export interface ProxyServer {
  readonly registry: ProxyRegistry;
  /** starts the API; resolves with the address actually bound */
  listen(): Promise<{ host: string; port: number }>;
  /** reverts every toxic, closes every proxy and the API */
  close(): Promise<void>;
  /** the node:http handler (for embedding and in-process tests) */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
}

const MAX_BODY = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `bad request body: larger than ${MAX_BODY} bytes`);
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, `bad request body: ${(e as Error).message}`);
  }
}

function errorStatus(e: unknown): number {
  if (isGuardRefusal(e)) return 403;
  if (isFaultlineError(e)) return e.statusCode;
  return 500;
}

export function createProxyServer(opts: ProxyServerOptions = {}): ProxyServer {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8474;
  const token = opts.token;
  const registry = opts.registry ?? new ProxyRegistry({ ...opts, allowNonLoopbackListen: opts.allowNonLoopbackListen ?? token !== undefined });
  const allowedOrigins = new Set(opts.allowedOrigins ?? []);
  const onError = opts.onError ?? ((e: unknown) => process.stderr.write(`faultline proxy: ${(e as Error)?.stack ?? String(e)}\n`));

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) throw new HttpError(403, `origin not allowed: ${origin}; the proxy API refuses browser cross-origin calls`);
    if (origin === undefined && (req.headers['user-agent'] ?? '').startsWith('Mozilla/')) throw new HttpError(403, 'User agent not allowed: the proxy API refuses browsers');
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      throw new HttpError(401, 'unauthorized: send the token as "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer' });
    }
    const url = new URL(req.url ?? '/', 'http://proxy');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    } catch {
      throw new HttpError(400, `bad path: ${url.pathname}`);
    }
    const method = req.method ?? 'GET';
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) throw new HttpError(405, `method ${method} not allowed on ${url.pathname}; use ${methods.join(', ')}`, { allow: methods.join(', ') });
    };
    const [a, b, c, d, ...rest] = parts;
    if (rest.length > 0) throw new HttpError(404, `not found: ${url.pathname}`);
    if (a === 'version' && b === undefined) {
      allow('GET');
      return sendText(res, 200, `faultline ${VERSION}\n`);
    }
    if (a === 'metrics' && b === undefined) {
      allow('GET');
      return sendText(res, 200, renderMetrics(registry), 'text/plain; version=0.0.4; charset=utf-8');
    }
    if (a === 'reset' && b === undefined) {
      allow('POST');
      await readJson(req);
      await registry.reset();
      return send(res, 204);
    }
    if (a === 'populate' && b === undefined) {
      allow('POST');
      const body = await readJson(req);
      try {
        return send(res, 201, { proxies: await registry.populate(body) });
      } catch (e) {
        const created = isFaultlineError(e) ? e.context.created : undefined;
        if (!Array.isArray(created)) throw e;
        const status = errorStatus(e);
        return send(res, status, { error: (e as Error).message, status, code: (e as FaultlineError).code, proxies: created });
      }
    }
    if (a !== 'proxies') throw new HttpError(404, `not found: ${url.pathname}`);
    if (b === undefined) {
      allow('GET', 'POST');
      if (method === 'GET') return send(res, 200, Object.fromEntries(registry.list().map((p) => [p.name, p])));
      return send(res, 201, await registry.createProxy((await readJson(req)) as ProxySpec));
    }
    if (c === undefined) {
      allow('GET', 'POST', 'PATCH', 'DELETE');
      if (method === 'GET') return send(res, 200, registry.findProxyOrThrow(b).toJSON());
      if (method === 'DELETE') {
        await registry.deleteProxy(b);
        return send(res, 204);
      }
      return send(res, 200, await registry.updateProxy(b, ((await readJson(req)) ?? {}) as ProxyPatch));
    }
    if (c !== 'toxics') throw new HttpError(404, `not found: ${url.pathname}`);
    if (d === undefined) {
      allow('GET', 'POST');
      if (method === 'GET') return send(res, 200, registry.listToxics(b));
      registry.findProxyOrThrow(b);
      return send(res, 200, registry.addToxic(b, (await readJson(req)) as ToxicSpec));
    }
    allow('GET', 'POST', 'PATCH', 'DELETE');
    if (method === 'GET') return send(res, 200, toxicJson(registry.findToxicOrThrow(b, d)));
    if (method === 'DELETE') {
      registry.removeToxic(b, d);
      return send(res, 204);
    }
    return send(res, 200, registry.updateToxic(b, d, ((await readJson(req)) ?? {}) as ToxicPatch));
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) {
        for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
        return send(res, e.status, { error: e.message, status: e.status });
      }
      const status = errorStatus(e);
      if (status >= 500 && !isFaultlineError(e, 'FL_ERR_PROXY_LISTEN')) onError(e);
      const message = e instanceof Error ? e.message : String(e);
      send(res, status, isFaultlineError(e) ? { error: message, status, code: e.code } : { error: `internal error: ${message}`, status });
    });
  };

  let server: Server | undefined;
  return {
    registry,
    handler,
    async listen() {
      if (!isLoopback(host) && token === undefined) {
        throw new FaultlineError('FL_ERR_UNAUTHORIZED', `the proxy API would listen on ${host}, which is not loopback; pass a token (--token) so only callers who know it can inject faults`, {
          context: { host },
        });
      }
      const s = createServer({ keepAliveTimeout: 5_000 }, handler);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ host, port }, () => {
          s.removeListener('error', reject);
          resolve();
        });
      }).catch((e: NodeJS.ErrnoException) => {
        throw new FaultlineError('FL_ERR_PROXY_LISTEN', `the proxy API could not listen on ${host}:${port} (${e.code ?? e.message}); is another Toxiproxy or faultline running? Use --port`, { cause: e });
      });
      server = s;
      const addr = s.address() as AddressInfo;
      return { host: addr.address, port: addr.port };
    },
    async close() {
      await registry.close();
      const s = server;
      server = undefined;
      if (s) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
