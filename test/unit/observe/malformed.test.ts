import { describe, expect, it } from 'vitest';
import { memoryLedger, type FaultRequest } from '../../../src/core/fault.js';
import { createRng } from '../../../src/core/rng.js';
import { answerClass, DEFAULT_MALFORMED_BODY, isExpected, parseMalformedParams, TrafficFaults } from '../../../src/observe/malformed.js';
import { InjectionEngine } from '../../../src/inject/engine.js';
import { allowAll } from '../../../src/core/fault.js';

const req = (params: Record<string, unknown>, ttlMs = 10_000): FaultRequest => ({ layer: 'traffic', kind: 'malformed', target: {}, params, ttlMs });

describe('malformed traffic fault: params', () => {
  it('applies the defaults: POST, a torn JSON body, share 0.2, expect 4xx, content-type json', () => {
    expect(parseMalformedParams({ path: '/orders' })).toEqual({ method: 'POST', path: '/orders', body: DEFAULT_MALFORMED_BODY, headers: { 'content-type': 'application/json' }, share: 0.2, expect: '4xx' });
    expect(() => JSON.parse(DEFAULT_MALFORMED_BODY)).toThrow(SyntaxError);
    expect(parseMalformedParams({ path: '/x?y=1', method: 'put', body: '<xml', headers: { 'Content-Type': 'text/xml', 'x-n': 1 }, share: 1, expect: 422 })).toEqual({
      method: 'PUT',
      path: '/x?y=1',
      body: '<xml',
      headers: { 'content-type': 'text/xml', 'x-n': '1' },
      share: 1,
      expect: '422',
    });
  });

  it('refuses bad params with FL_ERR_INVALID_ARGUMENT naming the param', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'path'],
      [{ path: 'orders' }, 'path'],
      [{ path: '/a b' }, 'path'],
      [{ path: '/o', method: 'PO ST' }, 'method'],
      [{ path: '/o', body: 3 }, 'body'],
      [{ path: '/o', headers: ['a'] }, 'headers'],
      [{ path: '/o', headers: { 'bad name': 'x' } }, 'headers'],
      [{ path: '/o', share: 0 }, 'share'],
      [{ path: '/o', share: 1.5 }, 'share'],
      [{ path: '/o', share: '0.2' }, 'share'],
      [{ path: '/o', expect: '5xx' }, 'expect'],
      [{ path: '/o', expect: 503 }, 'expect'],
      [{ path: '/o', status: 400 }, 'status'],
    ];
    for (const [p, param] of cases) {
      expect(() => parseMalformedParams(p), JSON.stringify(p)).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT', message: expect.stringContaining(`params.${param}`), context: { param } }));
    }
  });

  it('classifies answers: the expect class is ok, 5xx/reset/timeout are not', () => {
    expect([answerClass(400, 'http_4xx'), answerClass(503, 'http_5xx'), answerClass(201, 'ok'), answerClass(0, 'timeout'), answerClass(0, 'ECONNRESET')]).toEqual(['4xx', '5xx', '2xx', 'timeout', 'ECONNRESET']);
    expect([isExpected('4xx', 400), isExpected('4xx', 422), isExpected('4xx', 500), isExpected('400', 422), isExpected('400', 400), isExpected('4xx', 0)]).toEqual([true, true, false, false, true, false]);
  });
});

describe('malformed traffic fault: mixing', () => {
  it('replaces about `share` of the requests, the same ones for the same seed, and counts their answers apart', () => {
    const draws = (seed: number): boolean[] => {
      const tf = new TrafficFaults({ rng: createRng(seed) });
      tf.inject(req({ path: '/orders', share: 0.3 }));
      return Array.from({ length: 2000 }, () => tf.draw() !== undefined);
    };
    const a = draws(42);
    expect(draws(42)).toEqual(a);
    expect(draws(43)).not.toEqual(a);
    const n = a.filter(Boolean).length;
    expect(n).toBeGreaterThan(2000 * 0.3 - 100);
    expect(n).toBeLessThan(2000 * 0.3 + 100);

    const tf = new TrafficFaults({ rng: createRng(1) });
    const f = tf.inject(req({ path: '/orders', share: 1 }));
    expect(f.target.route).toBe('POST /orders');
    const outcomes = [
      tf.draw()!.settle(400, 'http_4xx'),
      tf.draw()!.settle(500, 'http_5xx'),
      tf.draw()!.settle(500, 'http_5xx'),
      tf.draw()!.settle(201, 'ok'),
      tf.draw()!.settle(0, 'timeout'),
      tf.draw()!.settle(0, 'ECONNRESET'),
    ];
    expect(outcomes).toEqual(['ok', 'malformed_http_5xx', 'malformed_http_5xx', 'malformed_http_2xx', 'malformed_timeout', 'malformed_ECONNRESET']);
    expect(tf.summary(f.id)).toEqual({ request: 'POST /orders', expect: '4xx', sent: 6, asExpected: 1, byClass: { '4xx': 1, '5xx': 2, '2xx': 1, timeout: 1, ECONNRESET: 1 } });
  });

  it('stops at the TTL by itself (recorded as expire), and after a revert; the summary stays', () => {
    let now = 1000;
    const ledger = memoryLedger();
    const tf = new TrafficFaults({ rng: createRng(7), now: () => now, ledger });
    const f = tf.inject(req({ path: '/orders', share: 1 }, 500));
    expect(tf.draw()?.faultId).toBe(f.id);
    expect(tf.active().map((x) => x.id)).toEqual([f.id]);
    now = 1500;
    expect(tf.draw()).toBeUndefined();
    expect(tf.active()).toEqual([]);
    expect(tf.revert(f.id)).toBe(false);
    expect(tf.summary(f.id)?.sent).toBe(1);
    const g = tf.inject(req({ path: '/orders', share: 1 }));
    expect(tf.revert(g.id)).toBe(true);
    expect(tf.draw()).toBeUndefined();
    expect(ledger.events.map((e) => [e.action, e.layer])).toEqual([
      ['inject', 'traffic'],
      ['expire', 'traffic'],
      ['inject', 'traffic'],
      ['revert', 'traffic'],
    ]);
  });

  it('is left out of JSON, so a LoadSpec carrying it can be written into a report', () => {
    const tf = new TrafficFaults();
    expect(JSON.stringify({ url: 'http://127.0.0.1:1/', traffic: tf })).toBe('{"url":"http://127.0.0.1:1/"}');
  });
});

describe('the injection engine routes layer traffic to the load', () => {
  const engineWith = (traffic?: TrafficFaults): InjectionEngine =>
    new InjectionEngine({ stateDir: '/nonexistent-faultline-state', ledger: memoryLedger(), guard: allowAll, services: { runningOrThrow: () => ({ pid: 0 }) } as never, ...(traffic ? { traffic } : {}) });

  it('injects, counts it among the active faults, reverts it', async () => {
    const tf = new TrafficFaults({ rng: createRng(3) });
    const e = engineWith(tf);
    const { fault } = await e.inject(req({ path: '/orders' }));
    expect(fault.layer).toBe('traffic');
    expect((await e.activeFaults()).map((f) => f.id)).toContain(fault.id);
    await e.revert(fault.id);
    expect(tf.active()).toEqual([]);
  });

  it('refuses without a load, and a safe-zone route through the guard', async () => {
    await expect(engineWith().inject(req({ path: '/orders' }))).rejects.toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT' });
    const guarded = new InjectionEngine({
      stateDir: '/nonexistent-faultline-state',
      ledger: memoryLedger(),
      guard: { admit: (r) => { if (r.target.route === 'GET /health') throw Object.assign(new Error('protected'), { code: 'FL_ERR_SAFE_ZONE' }); } },
      services: {} as never,
      traffic: new TrafficFaults(),
    });
    await expect(guarded.inject(req({ path: '/health', method: 'GET' }))).rejects.toMatchObject({ code: 'FL_ERR_SAFE_ZONE' });
    await expect(guarded.inject(req({ path: '/orders', share: 2 }))).rejects.toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', context: { param: 'share' } });
  });
});
