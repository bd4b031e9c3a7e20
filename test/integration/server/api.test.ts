// The faultline HTTP API over a real socket on 127.0.0.1:0, with the real handlers the CLI wires:
// computeFis, evaluateGate (B = 80, no raise) and listReleases on a temporary state directory.
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultlineError, isFaultlineError } from '../../../src/core/errors.js';
import type { ModuleData, ReleaseRecord } from '../../../src/core/promote.js';
import { VERSION } from '../../../src/core/version.js';
import { computeFis } from '../../../src/promote/fis.js';
import { evaluateGate } from '../../../src/promote/gate.js';
import { createApiServer, MAX_BODY_BYTES, type ApiHandlers, type ApiServer, type ApiServerOptions } from '../../../src/server/index.js';
import { appendRelease, listReleases } from '../../../src/store/releases.js';

let stateDir: string;
const servers: ApiServer[] = [];

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'faultline-serve-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function realHandlers(): ApiHandlers {
  return {
    fis: (m) => computeFis(m),
    evaluate: (req) => evaluateGate(req, { baseCoverageThreshold: 80 }),
    releases: (q) => listReleases(stateDir, q),
  };
}

async function start(opts: Partial<ApiServerOptions> = {}): Promise<{ base: string; server: ApiServer; logged: string[] }> {
  const logged: string[] = [];
  const server = createApiServer({ port: 0, handlers: realHandlers(), log: (l) => logged.push(l), ...opts });
  servers.push(server);
  const { url } = await server.listen();
  return { base: url, server, logged };
}

interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...(body === undefined || typeof body === 'string' ? {} : { 'content-type': 'application/json' }), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** node:http request that streams the body in chunks without Content-Length (chunked). */
function chunked(base: string, path: string, chunks: Buffer[]): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    const write = (i: number): void => {
      const c = chunks[i];
      if (c === undefined) {
        req.end();
        return;
      }
      if (req.destroyed) return;
      if (req.write(c)) setImmediate(() => write(i + 1));
      else req.once('drain', () => write(i + 1));
    };
    write(0);
  });
}

function release(p: Partial<ReleaseRecord> & Pick<ReleaseRecord, 'id' | 'module' | 'version' | 'status' | 'at'>): ReleaseRecord {
  return { decision: 'promote', fis: 0.1, coverage: 90, requiredCoverage: 80, ...p };
}

const api: ModuleData = { name: 'api', criticality: 'high', failureProbabilities: [0.1, 0.2], routes: 3 };

describe('faultline serve: routes', () => {
  it('GET /v1/health and GET /v1', async () => {
    const { base } = await start();
    const health = await call(base, 'GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', version: VERSION });
    expect(health.headers.get('content-type')).toMatch(/^application\/json/);
    const index = await call(base, 'GET', '/v1');
    expect(index.status).toBe(200);
    expect(index.body.routes.map((r: { method: string; path: string }) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1',
      'GET /v1/health',
      'POST /v1/fis',
      'POST /v1/promotions/evaluate',
      'GET /v1/releases',
    ]);
  });

  it('POST /v1/fis answers the FISResult of computeFis', async () => {
    const { base } = await start();
    const r = await call(base, 'POST', '/v1/fis', api);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(computeFis(api));
    // noisy-OR of 0.1 and 0.2 = 0.28; High (configured floor) weight 0.8 → 0.224
    expect(r.body).toMatchObject({ module: 'api', probability: 0.28, severity: 'High', severityWeight: 0.8, fis: 0.224, model: 'formula' });
  });

  it('POST /v1/promotions/evaluate: computes the FIS when absent, takes it when given, honours baseCoverageThreshold', async () => {
    const { base } = await start();
    const promote = await call(base, 'POST', '/v1/promotions/evaluate', { module: api, coverage: 90 });
    expect(promote.status).toBe(200);
    expect(promote.body).toEqual(evaluateGate({ module: api, coverage: 90 }, { baseCoverageThreshold: 80 }));
    // FIS 0.224 is in [0.2, 0.5): 80 × 1.1 = 88 ≤ 90
    expect(promote.body).toMatchObject({ decision: 'promote', label: 'Promote', fis: 0.224, severity: 'High', requiredCoverage: 88, multiplier: 1.1, raise: 0, coverage: 90, baseCoverageThreshold: 80, module: 'api' });
    expect(promote.body.reasons.length).toBeGreaterThan(0);

    const short = await call(base, 'POST', '/v1/promotions/evaluate', { module: api, coverage: 85 });
    expect(short.body).toMatchObject({ decision: 'insufficient-coverage', label: 'Insufficient Coverage', requiredCoverage: 88 });

    const ownBase = await call(base, 'POST', '/v1/promotions/evaluate', { module: api, coverage: 85, baseCoverageThreshold: 70 });
    expect(ownBase.body).toMatchObject({ decision: 'promote', baseCoverageThreshold: 70, requiredCoverage: 77 });

    const blocked = await call(base, 'POST', '/v1/promotions/evaluate', { module: api, coverage: 100, fis: 0.85 });
    expect(blocked.body).toMatchObject({ decision: 'blocked', label: 'Blocked — Manual Review Required', fis: 0.85, requiredCoverage: null, multiplier: null });
  });

  it('GET /v1/releases lists the registry, filtered by module and status, with limit keeping the newest', async () => {
    appendRelease(stateDir, release({ id: 'api-1', module: 'api', version: '1.0.0', status: 'stable', at: '2025-01-01T10:00:00.000Z' }));
    appendRelease(stateDir, release({ id: 'web-1', module: 'web', version: '0.3.0', status: 'stable', at: '2025-01-02T10:00:00.000Z' }));
    appendRelease(stateDir, release({
      id: 'api-2',
      module: 'api',
      version: '1.1.0',
      status: 'rolled-back',
      at: '2025-01-03T10:00:00.000Z',
      rollback: { at: '2025-01-03T11:00:00.000Z', reason: 'error rate 12%', to: 'api-1', adapter: 'symlink' },
    }));
    const { base } = await start();
    const all = await call(base, 'GET', '/v1/releases');
    expect(all.status).toBe(200);
    expect(all.body.releases.map((r: ReleaseRecord) => r.id)).toEqual(['api-1', 'web-1', 'api-2']);
    expect(all.body.releases[2]).toEqual(listReleases(stateDir).at(-1));
    expect((await call(base, 'GET', '/v1/releases?module=api')).body.releases.map((r: ReleaseRecord) => r.id)).toEqual(['api-1', 'api-2']);
    expect((await call(base, 'GET', '/v1/releases?status=stable')).body.releases.map((r: ReleaseRecord) => r.id)).toEqual(['api-1', 'web-1']);
    expect((await call(base, 'GET', '/v1/releases?module=api&status=rolled-back')).body.releases.map((r: ReleaseRecord) => r.id)).toEqual(['api-2']);
    expect((await call(base, 'GET', '/v1/releases?limit=2')).body.releases.map((r: ReleaseRecord) => r.id)).toEqual(['web-1', 'api-2']);
    expect((await call(base, 'GET', '/v1/releases?module=none')).body).toEqual({ releases: [] });
  });
});

describe('faultline serve: errors', () => {
  it('answers 400 naming the field for bad bodies', async () => {
    const { base } = await start();
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['/v1/fis', { name: 'api', failureProbabilities: [0.1, 0.2, 1.5] }, 'failureProbabilities[2]', /^failureProbabilities\[2\]: must be a probability in \[0, 1\], got 1\.5$/],
      ['/v1/fis', { name: 'api', critcality: 'high' }, 'critcality', /^critcality: unknown field; did you mean criticality\?$/],
      ['/v1/fis', { version: '1' }, 'name', /^name: missing required field$/],
      ['/v1/fis', [1], 'body', /^body: must be a JSON object \(ModuleData\)/],
      ['/v1/promotions/evaluate', { module: { name: 'api', failureProbabilities: [0, 0, -1] }, coverage: 80 }, 'module.failureProbabilities[2]', /got -1/],
      ['/v1/promotions/evaluate', { module: { name: 'api', critcality: 'high' }, coverage: 80 }, 'module.critcality', /^module\.critcality: unknown field; did you mean criticality\?$/],
      ['/v1/promotions/evaluate', { module: api }, 'coverage', /^coverage: missing required field$/],
      ['/v1/promotions/evaluate', { module: api, coverage: 180 }, 'coverage', /percentage in \[0, 100\], got 180/],
      ['/v1/promotions/evaluate', { module: api, coverage: 80, baseCoverageThreshold: '80' }, 'baseCoverageThreshold', /got "80"/],
      ['/v1/promotions/evaluate', { module: api, coverage: 80, fis: 2 }, 'fis', /score in \[0, 1\], got 2/],
      ['/v1/promotions/evaluate', { module: { ...api, trafficShare: 3 }, coverage: 80 }, 'module.trafficShare', /share in \[0, 1\], got 3/],
    ];
    for (const [path, body, field, re] of cases) {
      const r = await call(base, 'POST', path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(Object.keys(r.body).sort()).toEqual(['code', 'field', 'message', 'statusCode']);
      expect(r.body).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', statusCode: 400, field });
      expect(r.body.message).toMatch(re);
    }
  });

  it('400 for bodies that are not JSON or empty; a wrong Content-Type is tolerated when the body parses', async () => {
    const { base } = await start();
    const notJson = await call(base, 'POST', '/v1/fis', '{"name": ', { 'content-type': 'application/json' });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', field: 'body' });
    expect(notJson.body.message).toMatch(/^body is not JSON: /);
    expect(notJson.body.message).not.toMatch(/Content-Type/);
    const form = await call(base, 'POST', '/v1/fis', 'name=api', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(400);
    expect(form.body.message).toMatch(/^body is not JSON: .*Content-Type was "application\/x-www-form-urlencoded"; send a JSON ModuleData with Content-Type: application\/json/);
    const plain = await call(base, 'POST', '/v1/fis', JSON.stringify(api), { 'content-type': 'text/plain' });
    expect(plain.status).toBe(200);
    expect(plain.body.fis).toBe(0.224);
    const empty = await call(base, 'POST', '/v1/promotions/evaluate', '', { 'content-type': 'application/json' });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ field: 'body', message: 'body: empty; send a JSON PromotionRequest with Content-Type: application/json' });
  });

  it('400 naming the query parameter for bad status, limit or an unknown parameter', async () => {
    const { base } = await start();
    const status = await call(base, 'GET', '/v1/releases?status=gone');
    expect(status.status).toBe(400);
    expect(status.body).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', field: 'status' });
    expect(status.body.message).toMatch(/^query parameter status: must be one of promoted, stable, rolled-back, rejected/);
    expect((await call(base, 'GET', '/v1/releases?limit=0')).body).toMatchObject({ statusCode: 400, field: 'limit' });
    expect((await call(base, 'GET', '/v1/releases?limit=abc')).body).toMatchObject({ statusCode: 400, field: 'limit' });
    expect((await call(base, 'GET', '/v1/releases?modul=api')).body.message).toMatch(/did you mean module\?/);
    expect((await call(base, 'GET', '/v1/health?verbose=1')).body).toMatchObject({ statusCode: 400, field: 'verbose' });
  });

  it('404 for unknown routes, 405 with Allow for wrong methods', async () => {
    const { base } = await start();
    const nf = await call(base, 'GET', '/v1/fsi');
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ code: 'FL_ERR_API_ROUTE_NOT_FOUND', statusCode: 404, message: 'not found: /v1/fsi; did you mean /v1/fis?; GET /v1 lists the routes' });
    expect((await call(base, 'GET', '/')).status).toBe(404);
    const wrong = await call(base, 'GET', '/v1/fis');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.body).toMatchObject({ code: 'FL_ERR_API_METHOD_NOT_ALLOWED', statusCode: 405 });
    const del = await call(base, 'DELETE', '/v1/releases');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET');
    expect((await call(base, 'PUT', '/v1/promotions/evaluate', { module: api, coverage: 1 })).headers.get('allow')).toBe('POST');
  });

  it('400, not 500, for a request target that is not a URL', async () => {
    const { base, logged } = await start();
    const { port } = new URL(base);
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(Number(port), '127.0.0.1', () => sock.end('GET http://[bad HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      const parts: Buffer[] = [];
      sock.on('data', (d: Buffer) => parts.push(d));
      sock.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      sock.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/"field":"path"/);
    expect(logged).toEqual([]);
  });

  it('413 for a body over 1 MiB, with Content-Length and chunked; the next request works', async () => {
    const { base } = await start();
    const big = JSON.stringify({ name: 'api', dependencies: Array.from({ length: 80_000 }, (_, i) => `module-${i}`) });
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_BODY_BYTES);
    const r = await call(base, 'POST', '/v1/fis', big, { 'content-type': 'application/json' });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ code: 'FL_ERR_API_BODY_TOO_LARGE', statusCode: 413 });
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 0x20)); // 2.5 MiB of spaces, no Content-Length
    const c = await chunked(base, '/v1/fis', chunks);
    expect(c.status).toBe(413);
    expect(c.body.code).toBe('FL_ERR_API_BODY_TOO_LARGE');
    // just under the limit is read (and then judged on its content)
    const under = await chunked(base, '/v1/fis', [Buffer.from(JSON.stringify(api)), Buffer.alloc(MAX_BODY_BYTES - 200, 0x20)]);
    expect(under.status).toBe(200);
    expect((await call(base, 'GET', '/v1/health')).status).toBe(200);
  });

  it('FaultlineErrors of a handler keep their status; other errors are 500 with a generic message, logged', async () => {
    const { base, logged } = await start({
      handlers: {
        ...realHandlers(),
        fis: (m) => {
          if (m.name === 'ghost') throw new FaultlineError('FL_ERR_MODULE_NOT_FOUND', 'no module ghost', { context: { module: 'ghost' } });
          throw new TypeError('secret internals at /srv/x.ts');
        },
        releases: async () => {
          throw new FaultlineError('FL_ERR_STORE_OPEN', 'the registry could not be read');
        },
      },
    });
    expect(await call(base, 'POST', '/v1/fis', { name: 'ghost' })).toMatchObject({ status: 404, body: { code: 'FL_ERR_MODULE_NOT_FOUND', message: 'no module ghost', statusCode: 404 } });
    expect(logged).toEqual([]);
    const boom = await call(base, 'POST', '/v1/fis', { name: 'x' });
    expect(boom.status).toBe(500);
    expect(boom.body).toEqual({ code: 'FL_ERR_INTERNAL', message: 'internal error: the server logged the details', statusCode: 500 });
    expect(boom.text).not.toMatch(/secret/);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/POST \/v1\/fis → 500: TypeError: secret internals/);
    const store = await call(base, 'GET', '/v1/releases');
    expect(store).toMatchObject({ status: 500, body: { code: 'FL_ERR_STORE_OPEN', statusCode: 500 } });
    expect(logged).toHaveLength(2);
  });
});

describe('faultline serve: access', () => {
  it('with a token every request needs Authorization: Bearer <token> (401 otherwise)', async () => {
    const { base } = await start({ token: 's3cret' });
    const none = await call(base, 'GET', '/v1/health');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body).toMatchObject({ code: 'FL_ERR_UNAUTHORIZED', statusCode: 401 });
    expect((await call(base, 'POST', '/v1/fis', api, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call(base, 'POST', '/v1/fis', api, { authorization: 's3cret' })).status).toBe(401);
    expect((await call(base, 'GET', '/v1/nowhere')).status).toBe(401); // routes are not revealed without the token
    expect((await call(base, 'GET', '/v1/health', undefined, { authorization: 'Bearer s3cret' })).status).toBe(200);
    expect((await call(base, 'POST', '/v1/fis', api, { authorization: 'Bearer s3cret' })).body.fis).toBe(0.224);
  });

  it('403 for a foreign Origin and for a browser user agent without Origin; allowed origins get CORS headers', async () => {
    const { base } = await start({ allowedOrigins: ['http://127.0.0.1:9000'], token: 't' });
    const foreign = await call(base, 'POST', '/v1/fis', api, { origin: 'https://evil.example', authorization: 'Bearer t' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ code: 'FL_ERR_API_FORBIDDEN', statusCode: 403 });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const browser = await call(base, 'GET', '/v1/health', undefined, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', authorization: 'Bearer t' });
    expect(browser.status).toBe(403);
    const dash = await call(base, 'GET', '/v1/health', undefined, { origin: 'http://127.0.0.1:9000', 'user-agent': 'Mozilla/5.0', authorization: 'Bearer t' });
    expect(dash.status).toBe(200);
    expect(dash.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9000');
    const preflight = await call(base, 'OPTIONS', '/v1/fis', undefined, { origin: 'http://127.0.0.1:9000', 'access-control-request-method': 'POST' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect((await call(base, 'OPTIONS', '/v1/fis', undefined, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('refuses a non-loopback bind without a token; binds one with a token', async () => {
    const open = createApiServer({ host: '0.0.0.0', port: 0, handlers: realHandlers() });
    servers.push(open);
    const e = await open.listen().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isFaultlineError(e, 'FL_ERR_UNAUTHORIZED')).toBe(true);
    expect((e as Error).message).toMatch(/0\.0\.0\.0, which is not loopback; pass a token/);

    const withToken = createApiServer({ host: '0.0.0.0', port: 0, token: 'k', handlers: realHandlers() });
    servers.push(withToken);
    const addr = await withToken.listen();
    expect(addr.host).toBe('0.0.0.0');
    expect((await call(`http://127.0.0.1:${addr.port}`, 'GET', '/v1/health', undefined, { authorization: 'Bearer k' })).status).toBe(200);
  });

  it('binds 127.0.0.1 by default; a busy port is FL_ERR_API_LISTEN; options are checked', async () => {
    const { server, base } = await start();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(base).port);
    const second = createApiServer({ port, handlers: realHandlers() });
    servers.push(second);
    const e = await second.listen().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isFaultlineError(e, 'FL_ERR_API_LISTEN')).toBe(true);
    expect((e as Error).message).toMatch(/EADDRINUSE/);
    await expect(server.listen()).rejects.toThrow(/already listening/);
    expect(() => createApiServer({ port: 70_000, handlers: realHandlers() })).toThrow(/port: must be an integer in \[0, 65535\]/);
    expect(() => createApiServer({ token: '', handlers: realHandlers() })).toThrow(/token: must not be empty/);
    await server.close();
    await expect(fetch(`${base}/v1/health`)).rejects.toThrow();
    await server.close(); // idempotent
  });
});
