/**
 * The faultline HTTP API (`faultline serve`) on node:http, no framework: FIS, promotion evaluation, releases.
 * Its behaviour comes in as handlers (the CLI wires computeFis, evaluateGate and listReleases), so this file is
 * only HTTP: routing, body limits, validation, auth, and `{code, message, statusCode, field?}` errors.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultlineError, isFaultlineError } from '../core/errors.js';
import { isLoopback } from '../core/net.js';
import type { FISResult, GateResult, ModuleData, PromotionRequest, ReleaseRecord } from '../core/promote.js';
import { VERSION } from '../core/version.js';
import { parseModuleData, parsePromotionRequest, parseQuery, parseReleaseQuery, suggest, type ReleaseQuery } from './validate.js';

export const DEFAULT_API_PORT = 8475;
/** Largest request body accepted, bytes (1 MiB). */
export const MAX_BODY_BYTES = 1 << 20;

/** What the API does; each may be synchronous or return a promise. Errors they throw become the response. */
export interface ApiHandlers {
  /** POST /v1/fis */
  fis(m: ModuleData): FISResult | Promise<FISResult>;
  /** POST /v1/promotions/evaluate (the FIS is computed from `module` when `fis` is absent) */
  evaluate(req: PromotionRequest): GateResult | Promise<GateResult>;
  /**
   * GET /v1/releases, oldest first (as listReleases answers). The handler may apply `limit` itself; the server
   * keeps the last `limit` entries of what it returns (the newest ones) in any case.
   */
  releases(q: ReleaseQuery): ReleaseRecord[] | Promise<ReleaseRecord[]>;
}

export interface ApiServerOptions {
  /** address to bind (default 127.0.0.1); a non-loopback address requires `token` */
  host?: string;
  /** port (default 8475; 0 = any free port) */
  port?: number;
  /** when set, every request needs `Authorization: Bearer <token>` */
  token?: string;
  /** browser origins allowed to call the API (e.g. the dashboard's); any other Origin gets 403 */
  allowedOrigins?: readonly string[];
  handlers: ApiHandlers;
  /** receives one line per unexpected error (default: stderr) */
  log?: (line: string) => void;
}

export interface ApiAddress {
  host: string;
  port: number;
  /** base URL, e.g. http://127.0.0.1:8475 */
  url: string;
}

export interface ApiServer {
  /** starts listening; resolves with the address actually bound */
  listen(): Promise<ApiAddress>;
  /** closes the listener and every open connection */
  close(): Promise<void>;
  /** the node:http request handler (for embedding and in-process tests) */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/** The body of every error answer. */
export interface ApiErrorBody {
  code: string;
  message: string;
  statusCode: number;
  /** the field (or query parameter) at fault, for 400s about the request */
  field?: string;
}

interface Context {
  req: IncomingMessage;
  url: URL;
}

interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** the query parameters it takes */
  query: readonly string[];
  description: string;
  run(ctx: Context): Promise<unknown>;
}

/** A FaultlineError plus response headers. */
class ApiError extends FaultlineError {
  constructor(
    code: ConstructorParameters<typeof FaultlineError>[0],
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    .end(text);
}

function isJsonType(type: string | undefined): boolean {
  if (type === undefined) return false;
  const t = (type.split(';')[0] ?? '').trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json');
}

/** Reads the body (at most MAX_BODY_BYTES) and parses it as JSON; `what` names the expected shape in messages. */
async function readJson(req: IncomingMessage, what: string): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  const tooLarge = (): ApiError =>
    new ApiError('FL_ERR_API_BODY_TOO_LARGE', `body is larger than ${MAX_BODY_BYTES} bytes (1 MiB); send one ${what} per request`, { connection: 'close' });
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge();
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `body: empty; send a JSON ${what} with Content-Type: application/json`, { context: { field: 'body' } });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const type = req.headers['content-type'];
    const note = isJsonType(type) ? '' : ` (Content-Type was ${type === undefined ? 'missing' : JSON.stringify(type)}; send a JSON ${what} with Content-Type: application/json)`;
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `body is not JSON: ${(e as Error).message}${note}`, { context: { field: 'body' } });
  }
}

/** Compares in constant time (over SHA-256 digests, so lengths do not leak either). */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function errorBody(e: FaultlineError): ApiErrorBody {
  const field = e.context.field;
  return { code: e.code, message: e.message, statusCode: e.statusCode, ...(typeof field === 'string' ? { field } : {}) };
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_API_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `port: must be an integer in [0, 65535] (0 picks a free port), got ${port}`, { context: { field: 'port' } });
  }
  const token = opts.token;
  if (token !== undefined && token.trim() === '') {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'token: must not be empty; leave it out to run without one (loopback only)', { context: { field: 'token' } });
  }
  const allowedOrigins = new Set(opts.allowedOrigins ?? []);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { handlers } = opts;

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/v1',
      query: [],
      description: 'this list of routes',
      run: async () => ({ version: VERSION, routes: routes.map((r) => ({ method: r.method, path: r.path, query: r.query, description: r.description })) }),
    },
    {
      method: 'GET',
      path: '/v1/health',
      query: [],
      description: 'liveness: {status: "ok", version}',
      run: async () => ({ status: 'ok', version: VERSION }),
    },
    {
      method: 'POST',
      path: '/v1/fis',
      query: [],
      description: 'Failure Impact Score of one module: ModuleData → FISResult',
      run: async ({ req }) => handlers.fis(parseModuleData(await readJson(req, 'ModuleData'), '')),
    },
    {
      method: 'POST',
      path: '/v1/promotions/evaluate',
      query: [],
      description: 'promotion gate: PromotionRequest → GateResult (decision, requiredCoverage, fis, severity, reasons)',
      run: async ({ req }) => handlers.evaluate(parsePromotionRequest(await readJson(req, 'PromotionRequest'))),
    },
    {
      method: 'GET',
      path: '/v1/releases',
      query: ['module', 'status', 'limit'],
      description: 'the release registry, oldest first: {releases: ReleaseRecord[]}, filtered by module and status; limit keeps the newest',
      run: async ({ url }) => {
        const q = parseReleaseQuery(url.searchParams);
        const releases = await handlers.releases(q);
        return { releases: q.limit !== undefined && releases.length > q.limit ? releases.slice(-q.limit) : releases };
      },
    },
  ];
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);

  /** Origin / browser / token checks; returns CORS headers for an allowed origin. */
  const admit = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      throw new ApiError('FL_ERR_API_FORBIDDEN', `origin not allowed: ${origin}; the faultline API refuses browser cross-origin calls (allowedOrigins lists the ones it accepts)`);
    }
    if (origin === undefined && (req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      throw new ApiError('FL_ERR_API_FORBIDDEN', 'user agent not allowed: the faultline API refuses browsers; call it from a script or curl');
    }
    return origin === undefined ? {} : { 'access-control-allow-origin': origin, vary: 'Origin' };
  };

  const authorize = (req: IncomingMessage): void => {
    if (token === undefined) return;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (m === null || !sameToken(m[1] as string, token)) {
      throw new ApiError('FL_ERR_UNAUTHORIZED', 'unauthorized: send the token as "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer' });
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://faultline');
    } catch {
      throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `bad request target: ${JSON.stringify(req.url)}`, { context: { field: 'path' } });
    }
    const method = req.method ?? 'GET';
    const candidates = byPath.get(url.pathname);
    const allow = (candidates ?? []).map((r) => r.method).join(', ');
    if (method === 'OPTIONS' && req.headers.origin !== undefined && candidates !== undefined) {
      // a CORS preflight from an allowed origin (admit() refused the others); browsers send it without the token
      res.writeHead(204, { ...cors, allow, 'access-control-allow-methods': allow, 'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600' }).end();
      return;
    }
    authorize(req);
    if (candidates === undefined) {
      const hint = suggest(url.pathname, [...byPath.keys()]);
      throw new ApiError('FL_ERR_API_ROUTE_NOT_FOUND', `not found: ${url.pathname}${hint !== undefined ? `; did you mean ${hint}?` : ''}; GET /v1 lists the routes`);
    }
    const r = candidates.find((c) => c.method === method);
    if (r === undefined) {
      throw new ApiError('FL_ERR_API_METHOD_NOT_ALLOWED', `method ${method} not allowed on ${url.pathname}; use ${allow}`, { allow });
    }
    parseQuery(url.searchParams, r.query);
    sendJson(res, 200, await r.run({ req, url }), cors);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let cors: Record<string, string> = {};
    let run: Promise<void>;
    try {
      cors = admit(req);
      run = route(req, res, cors);
    } catch (e) {
      run = Promise.reject(e);
    }
    run.catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (isFaultlineError(e)) {
        if (e.statusCode >= 500) log(`faultline serve: ${req.method} ${req.url} → ${e.statusCode} ${e.code}: ${e.stack ?? e.message}`);
        const headers = { ...cors, ...(e instanceof ApiError ? e.headers : {}) };
        return sendJson(res, e.statusCode, errorBody(e), headers);
      }
      log(`faultline serve: ${req.method} ${req.url} → 500: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return sendJson(res, 500, { code: 'FL_ERR_INTERNAL', message: 'internal error: the server logged the details', statusCode: 500 } satisfies ApiErrorBody, cors);
    });
  };

  let server: Server | undefined;
  return {
    handle,
    async listen() {
      if (server !== undefined) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'the API is already listening; close() it first');
      if (!isLoopback(host) && token === undefined) {
        throw new FaultlineError('FL_ERR_UNAUTHORIZED', `the faultline API would listen on ${host}, which is not loopback; pass a token (--token) so only callers who know it can use it`, {
          context: { host },
        });
      }
      const s = createServer({ keepAliveTimeout: 5_000, requestTimeout: 30_000 }, handle);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ host, port }, () => {
          s.removeListener('error', reject);
          resolve();
        });
      }).catch((e: NodeJS.ErrnoException) => {
        throw new FaultlineError('FL_ERR_API_LISTEN', `the faultline API could not listen on ${host}:${port} (${e.code ?? e.message}); is another faultline serve running? Use --port`, { cause: e, context: { host, port } });
      });
      server = s;
      const addr = s.address() as AddressInfo;
      const shown = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
      return { host: addr.address, port: addr.port, url: `http://${shown}:${addr.port}` };
    },
    async close() {
      const s = server;
      server = undefined;
      if (s === undefined) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
