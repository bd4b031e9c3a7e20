import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowAll, memoryLedger, type FaultRequest } from '../../../src/core/fault.js';
import { createRng } from '../../../src/core/rng.js';
import { InjectionEngine } from '../../../src/inject/engine.js';
import { keyedPath, parseUniqueKeysParams, TRAFFIC_KINDS, TrafficFaults, uniqueKeys } from '../../../src/observe/malformed.js';
import { KNOWN_KINDS } from '../../../src/experiment/cards/load.js';
import { recommend } from '../../../src/report/recommend.js';
import { oneFaultRun, traffic } from '../report/helpers.js';
import { routeGuardedEngine } from './traffic-engine.js';

const req = (params: Record<string, unknown>, ttlMs = 10_000): FaultRequest => ({ layer: 'traffic', kind: 'unique-keys', target: {}, params, ttlMs });
const KEY = /^k-(\d+)-[0-9a-z]{6}$/;

describe('unique-keys traffic fault: params', () => {
  it('applies the defaults: GET, no body, no headers, share 0.5, prefix k, expect 2xx', () => {
    expect(parseUniqueKeysParams({ path: '/products/*' })).toEqual({ method: 'GET', path: '/products/*', headers: {}, share: 0.5, prefix: 'k', expect: '2xx' });
    expect(parseUniqueKeysParams({ path: '/search?q=*&n=1', method: 'post', body: '{}', headers: { 'X-N': 1 }, share: 1, prefix: 'crawl_1.x~', expect: 404 })).toEqual({
      method: 'POST',
      path: '/search?q=*&n=1',
      body: '{}',
      headers: { 'content-type': 'application/json', 'x-n': '1' },
      share: 1,
      prefix: 'crawl_1.x~',
      expect: '404',
    });
  });

  it('refuses bad params with FL_ERR_INVALID_ARGUMENT naming the param', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'path'],
      [{ path: 'products/*' }, 'path'],
      [{ path: '/products' }, 'path'],
      [{ path: '/a/*/b/*' }, 'path'],
      [{ path: '/a */x' }, 'path'],
      [{ path: '/a/*\u0001' }, 'path'],
      [{ path: '/p/*', method: 'G ET' }, 'method'],
      [{ path: '/p/*', body: 3 }, 'body'],
      [{ path: '/p/*', headers: 'x' }, 'headers'],
      [{ path: '/p/*', headers: { 'a b': 'x' } }, 'headers'],
      [{ path: '/p/*', share: 0 }, 'share'],
      [{ path: '/p/*', share: 1.01 }, 'share'],
      [{ path: '/p/*', prefix: '' }, 'prefix'],
      [{ path: '/p/*', prefix: 'a/b' }, 'prefix'],
      [{ path: '/p/*', prefix: 'a b' }, 'prefix'],
      [{ path: '/p/*', prefix: 'x'.repeat(41) }, 'prefix'],
      [{ path: '/p/*', prefix: 7 }, 'prefix'],
      [{ path: '/p/*', expect: '5xx' }, 'expect'],
      [{ path: '/p/*', keys: 10 }, 'keys'],
    ];
    for (const [p, param] of cases) {
      expect(() => parseUniqueKeysParams(p), JSON.stringify(p)).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT', message: expect.stringContaining(`params.${param}`), context: { param } }));
    }
  });

  it('is a known traffic kind (registry and failure-card kinds)', () => {
    expect(TRAFFIC_KINDS).toContain('unique-keys');
    expect(KNOWN_KINDS.traffic).toEqual([...TRAFFIC_KINDS]);
  });
});

describe('unique-keys: the keys', () => {
  it('counts up per fault with a seeded base36 suffix: every key new, the same seed the same keys', () => {
    const keys = (seed: number, n: number): string[] => {
      const next = uniqueKeys('k', createRng(seed));
      return Array.from({ length: n }, next);
    };
    const a = keys(42, 5000);
    expect(new Set(a).size).toBe(5000);
    a.forEach((k, i) => expect(KEY.exec(k)?.[1]).toBe(String(i + 1)));
    expect(keys(42, 5000)).toEqual(a);
    const b = keys(43, 5000);
    expect(b.filter((k, i) => k === a[i])).toEqual([]);
    expect(keyedPath('/products/*', 'k-1-abc123')).toBe('/products/k-1-abc123');
    expect(keyedPath('/search?q=*', 'k-1-abc123')).toBe('/search?q=k-1-abc123');
  });

  it('property: any valid prefix and seed gives distinct URL-safe keys', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (prefix, seed) => {
        const { prefix: p } = parseUniqueKeysParams({ path: '/p/*', prefix });
        const next = uniqueKeys(p, createRng(seed));
        const ks = Array.from({ length: 50 }, next);
        expect(new Set(ks).size).toBe(50);
        for (const k of ks) {
          expect(encodeURIComponent(k)).toBe(k);
          expect(new URL(keyedPath('/p/*', k), 'http://127.0.0.1').pathname).toBe(`/p/${k}`);
        }
      }),
      { numRuns: 200, interruptAfterTimeLimit: 5000 },
    );
  });
});

describe('unique-keys: mixing into the load', () => {
  it('replaces about `share` of the requests, each with a new key; the same seed replays the same requests and keys', () => {
    const run = (seed: number): Array<string | undefined> => {
      const tf = new TrafficFaults({ rng: createRng(seed) });
      tf.inject(req({ path: '/products/*', share: 0.3 }));
      return Array.from({ length: 2000 }, () => tf.draw()?.path);
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    const paths = a.filter((p): p is string => p !== undefined);
    expect(paths.length).toBeGreaterThan(2000 * 0.3 - 100);
    expect(paths.length).toBeLessThan(2000 * 0.3 + 100);
    expect(new Set(paths).size).toBe(paths.length);
    paths.forEach((p, i) => expect(p).toMatch(new RegExp(`^/products/k-${i + 1}-[0-9a-z]{6}$`)));
    const other = run(43).filter((p): p is string => p !== undefined);
    expect(other.filter((p) => paths.includes(p))).toEqual([]);
  });

  it('counts answers outside expect under unique_ kinds, summarises them, and shows the route without the query', () => {
    const tf = new TrafficFaults({ rng: createRng(1) });
    const f = tf.inject(req({ path: '/products/*', share: 1 }));
    expect(f.target.route).toBe('GET /products/*');
    expect(f.params).toEqual({ method: 'GET', path: '/products/*', headers: {}, share: 1, prefix: 'k', expect: '2xx' });
    const first = tf.draw()!;
    expect(first).toMatchObject({ faultId: f.id, method: 'GET', headers: {} });
    expect(first.body).toBeUndefined();
    const outcomes = [
      first.settle(200, 'ok'),
      tf.draw()!.settle(500, 'http_5xx'),
      tf.draw()!.settle(404, 'http_4xx'),
      tf.draw()!.settle(0, 'timeout'),
      tf.draw()!.settle(0, 'ECONNRESET'),
      tf.draw()!.settle(0, 'aborted'),
    ];
    expect(outcomes).toEqual(['ok', 'unique_http_5xx', 'unique_http_4xx', 'unique_timeout', 'unique_ECONNRESET', 'aborted']);
    expect(tf.summary(f.id)).toEqual({ request: 'GET /products/*', expect: '2xx', sent: 6, asExpected: 1, byClass: { '2xx': 1, '5xx': 1, '4xx': 1, timeout: 1, ECONNRESET: 1, aborted: 1 } });

    const q = new TrafficFaults({ rng: createRng(1) }).inject(req({ path: '/search?q=*', method: 'post', body: '{"q":1}' }));
    expect(q.target.route).toBe('POST /search');
    // malformed's route leaves the query out too (the agents match the path without it)
    expect(new TrafficFaults().inject({ ...req({ path: '/orders?x=1' }), kind: 'malformed' }).target.route).toBe('POST /orders');
  });

  it('stops at the TTL by itself (recorded as expire)', () => {
    let now = 1000;
    const ledger = memoryLedger();
    const tf = new TrafficFaults({ rng: createRng(7), now: () => now, ledger });
    const f = tf.inject(req({ path: '/p/*', share: 1 }, 500));
    expect(tf.draw()?.path).toMatch(/^\/p\/k-1-/);
    now = 1500;
    expect(tf.draw()).toBeUndefined();
    expect(tf.summary(f.id)?.sent).toBe(1);
    expect(ledger.events.map((e) => [e.action, e.kind, e.target])).toEqual([
      ['inject', 'unique-keys', 'GET /p/*'],
      ['expire', 'unique-keys', 'GET /p/*'],
    ]);
  });

  it('a bad param is refused before it draws from the run Rng', () => {
    const rng = createRng(5);
    const tf = new TrafficFaults({ rng });
    expect(() => tf.inject(req({ path: '/p' }))).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT', context: { param: 'path' } }));
    expect(rng.next()).toBe(createRng(5).next());
  });
});

describe('the injection engine: safe zones see the unique-keys route', () => {
  it('with its default method GET and without the query', async () => {
    const { engine, seen } = routeGuardedEngine('GET /products/*');
    await expect(engine.inject(req({ path: '/products/*' }))).rejects.toMatchObject({ code: 'FL_ERR_SAFE_ZONE' });
    const { fault } = await engine.inject(req({ path: '/search?q=*' }));
    expect(seen).toEqual(['GET /products/*', 'GET /search']);
    expect(fault.kind).toBe('unique-keys');
    await expect(engine.inject(req({ path: '/p/*', share: 2 }))).rejects.toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', context: { param: 'share' } });
    await expect(new InjectionEngine({ stateDir: '/x', ledger: memoryLedger(), guard: allowAll, services: {} as never }).inject(req({ path: '/p/*' }))).rejects.toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT' });
  });
});

describe('the report does not read unique-keys errors as malformed input', () => {
  it('no guard-json-parse / error-status for unknown keys answered 500', () => {
    const fault = { id: 'u1', layer: 'traffic', kind: 'unique-keys', target: 'route=GET /products/*', params: { path: '/products/*' } } as const;
    const summary = { request: 'GET /products/*', expect: '2xx', sent: 60, asExpected: 0, byClass: { '5xx': 60 } };
    const site = { location: 'src/api.ts:12', fn: 'getProduct', message: 'Error: 500 GET /products/k-1-abc123: no such product', count: 60, faultIds: ['u1'] };
    const recs = recommend(oneFaultRun({ ...fault, traffic: summary }, { during: traffic({ errors: 60, errorsByKind: { unique_http_5xx: 60 } }) }, { evidence: [site] }));
    expect(recs.filter((r) => r.recipe === 'guard-json-parse' || r.recipe === 'error-status')).toEqual([]);
  });
});
