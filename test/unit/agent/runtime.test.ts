import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/core/clock.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { memoryLedger } from '../../../src/core/fault.js';
import { AgentRuntime } from '../../../src/inject/agent/runtime.js';

/** A clock the test moves by hand. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  let timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return { cancel: () => void (timers = timers.filter((x) => x !== t)) };
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

const URL_ = 'file:///app/lib/price.mjs';

function setup() {
  const clock = manualClock();
  const logs: string[] = [];
  const rt = new AgentRuntime({ seed: 1, clock, log: (l) => logs.push(l) });
  const fetchPrice = rt.wrap(async function fetchPrice(item: string) {
    return { item, amount: 3 };
  }, URL_, ['fetchPrice']) as (item: string) => Promise<{ item: string; amount: number }>;
  const label = rt.wrap(function formatLabel(this: { prefix?: string } | undefined, t: string) {
    return `${this?.prefix ?? 'label'}:${t}`;
  }, URL_, ['formatLabel']) as (t: string) => string;
  return { rt, clock, logs, fetchPrice, label };
}

function rejects(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(isFaultlineError(e), String(e)).toBe(true);
    expect((e as Error).message.startsWith(`${field}:`), (e as Error).message).toBe(true);
    return;
  }
  throw new Error(`expected a rejection naming ${field}`);
}

describe('AgentRuntime wrappers', () => {
  it('pass receiver, arguments, name and length through while idle', async () => {
    const { rt, fetchPrice, label } = setup();
    expect(rt.state.on).toBe(false);
    expect(await fetchPrice('apple')).toEqual({ item: 'apple', amount: 3 });
    expect(label.call({ prefix: 'p' }, 'x')).toBe('p:x');
    expect(label.name).toBe('formatLabel');
    expect(label.length).toBe(1);
    expect(rt.functions().map((f) => [f.names[0], f.async])).toEqual([['fetchPrice', true], ['formatLabel', false]]);
  });

  it('forward exactly the arguments given, however many, explicit undefined included', () => {
    const rt = new AgentRuntime();
    const echo = function (this: unknown, ...args: unknown[]): unknown[] {
      return [this, args.length, ...args];
    };
    const w = rt.wrap(echo, 'file:///app/echo.mjs', ['echo']) as (...a: unknown[]) => unknown[];
    const self = { s: 1 };
    for (let n = 0; n <= 7; n++) {
      const args = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? i : undefined));
      expect(w.apply(self, args)).toEqual([self, n, ...args]);
    }
  });

  it('keep constructors, static properties and identity of classes', () => {
    const { rt } = setup();
    function Legacy(this: { v: number }, v: number) {
      this.v = v;
    }
    (Legacy as unknown as { cache: string }).cache = 'c';
    const W = rt.wrap(Legacy, URL_, ['Legacy']) as unknown as new (v: number) => { v: number };
    const o = new W(2);
    expect(o.v).toBe(2);
    expect(o).toBeInstanceOf(Legacy);
    expect((W as unknown as { cache: string }).cache).toBe('c');
    class Cart {
      items: number[] = [];
      add(n: number) {
        this.items.push(n);
        return this.items.length;
      }
      static create() {
        return new Cart();
      }
    }
    expect(rt.wrap(Cart, URL_, ['Cart'])).toBe(Cart);
    expect(Cart.create().add(1)).toBe(1);
    expect(rt.functions().map((f) => f.names[0])).toContain('Cart.prototype.add');
    expect(rt.functions().map((f) => f.names[0])).toContain('Cart.create');
    expect(rt.wrap(42, URL_, ['n'])).toBe(42);
    expect(rt.wrap(W, URL_, ['again'])).toBe(W);
  });
});

describe('AgentRuntime faults', () => {
  it('throw: sync functions throw, async ones reject, with the class and message asked', async () => {
    const { rt, fetchPrice, label } = setup();
    rt.addFault({ kind: 'throw', target: { fn: 'formatLabel' }, ttlMs: 1000, params: { errorClass: 'DatabaseError', message: 'db down', code: 'E_DB' } });
    expect(() => label('x')).toThrow('db down');
    try {
      label('x');
    } catch (e) {
      expect((e as Error).constructor.name).toBe('DatabaseError');
      expect((e as Error & { code: string }).code).toBe('E_DB');
    }
    rt.addFault({ kind: 'throw', target: { module: 'lib/price.mjs', fn: 'fetchPrice' }, ttlMs: 1000 });
    const p = fetchPrice('apple');
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toThrow(/faultline: injected Error/);
    const errs = rt.errors.list();
    expect(errs.every((e) => e.injected)).toBe(true);
    expect(errs.map((e) => e.fn)).toEqual(['formatLabel', 'formatLabel', 'fetchPrice']);
  });

  it('null and undefined replace the result (async functions resolve to it)', async () => {
    const { rt, fetchPrice, label } = setup();
    rt.addFault({ kind: 'null', target: { fn: 'fetchPrice' }, ttlMs: 1000 });
    rt.addFault({ kind: 'undefined', target: { fn: 'formatLabel' }, ttlMs: 1000 });
    await expect(fetchPrice('apple')).resolves.toBeNull();
    expect(label('x')).toBeUndefined();
  });

  it('delay postpones async functions and refuses synchronous ones', async () => {
    const { rt, fetchPrice } = setup();
    rejects(() => rt.addFault({ kind: 'delay', target: { fn: 'formatLabel' }, ttlMs: 1000, params: { ms: 10 } }), 'target.fn');
    rejects(() => rt.addFault({ kind: 'delay', target: { fn: 'fetchPrice' }, ttlMs: 1000 }), 'params.ms');
    rt.addFault({ kind: 'delay', target: { fn: 'fetchPrice' }, ttlMs: 5000, params: { ms: 60 } });
    const t0 = performance.now();
    await fetchPrice('apple');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('block stalls the thread before the call', () => {
    const { rt, label } = setup();
    rt.addFault({ kind: 'block', target: { fn: 'formatLabel' }, ttlMs: 1000, params: { ms: '50ms' } });
    const t0 = performance.now();
    expect(label('x')).toBe('label:x');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it('corrupt changes the result, resolved values included', async () => {
    const { rt, fetchPrice, label } = setup();
    rt.addFault({ kind: 'corrupt', target: { fn: 'fetchPrice' }, ttlMs: 1000, params: { field: 'amount', mode: 'mutate' } });
    rt.addFault({ kind: 'corrupt', target: { fn: 'formatLabel' }, ttlMs: 1000 });
    expect(await fetchPrice('apple')).toEqual({ item: 'apple', amount: -4 });
    expect(label('abcd')).toBe('label');
  });

  it('probability 0 never fires, 1 always does, and a seed replays the same draws', () => {
    const { rt, label } = setup();
    const never = rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000, probability: 0 });
    for (let i = 0; i < 50; i++) expect(label('x')).toBe('label:x');
    expect(never.calls).toBe(50);
    expect(never.hits).toBe(0);
    rt.revertAll();
    const always = rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000, probability: 1 });
    for (let i = 0; i < 50; i++) expect(label('x')).toBeNull();
    expect(always.hits).toBe(50);
    rt.revertAll();
    const pattern = () => {
      const f = rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000, probability: 0.5, seed: 99 });
      const out = Array.from({ length: 40 }, () => (label('x') === null ? 1 : 0)).join('');
      rt.endFault(f.id, 'reverted');
      return out;
    };
    const a = pattern();
    expect(pattern()).toBe(a);
    expect(a).toContain('1');
    expect(a).toContain('0');
  });

  it('maxHits ends the fault after n applications', () => {
    const { rt, label } = setup();
    const f = rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000, maxHits: 2 });
    expect([label('a'), label('b'), label('c')]).toEqual([null, null, 'label:c']);
    expect(rt.listFaults()).toEqual([]);
    expect(rt.endedFaults()).toMatchObject([{ id: f.id, reason: 'maxHits', hits: 2 }]);
    expect(rt.state.on).toBe(false);
  });

  it('the TTL timer ends the fault by itself', () => {
    const { rt, clock, label } = setup();
    const f = rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttl: '2s' });
    expect(f.expiresAt - f.startedAt).toBe(2000);
    clock.advance(1999);
    expect(label('x')).toBeNull();
    clock.advance(1);
    expect(label('x')).toBe('label:x');
    expect(rt.endedFaults()).toMatchObject([{ id: f.id, reason: 'expired' }]);
  });

  it('records an expire event in the ledger at the TTL and at maxHits, none on revert', () => {
    const clock = manualClock();
    const ledger = memoryLedger();
    const rt = new AgentRuntime({ seed: 1, clock, ledger, log: () => undefined });
    const label = rt.wrap(function formatLabel(t: string) {
      return t;
    }, URL_, ['formatLabel']) as (t: string) => string;
    const byTtl = rt.addFault({ kind: 'null', target: { module: 'price.mjs', fn: 'formatLabel' }, ttlMs: 500, probability: 0 });
    label('a');
    clock.advance(500);
    const byHits = rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000, maxHits: 1, params: {} });
    label('b');
    const reverted = rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000 });
    rt.endFault(reverted.id, 'reverted');
    expect(ledger.events).toEqual([
      expect.objectContaining({ action: 'expire', faultId: byTtl.id, kind: 'null', layer: 'agent', target: 'fn=formatLabel,module=price.mjs', params: {}, actor: 'agent', outcome: 'ok', ttlMs: 500, detail: 'TTL of 500 ms reached; 0 hits in 1 calls' }),
      expect.objectContaining({ action: 'expire', faultId: byHits.id, layer: 'agent', target: 'fn=formatLabel', outcome: 'ok', detail: 'maxHits 1 reached; 1 hits in 1 calls' }),
    ]);
  });

  it('a failing ledger never reaches the target and is logged once', () => {
    const clock = manualClock();
    const logs: string[] = [];
    const rt = new AgentRuntime({ clock, log: (l) => logs.push(l), ledger: { record: () => { throw new Error('EROFS: read-only file system'); } } });
    const label = rt.wrap(function formatLabel(t: string) {
      return t;
    }, URL_, ['formatLabel']) as (t: string) => string;
    rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000, maxHits: 1 });
    expect(label('a')).toBeNull();
    rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000, maxHits: 1 });
    expect(label('b')).toBeNull();
    rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 10 });
    expect(() => clock.advance(10)).not.toThrow();
    expect(label('c')).toBe('c');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^\[faultline-agent\] could not record the end of fault .* EROFS/);
  });

  it('faults reach functions registered after them', () => {
    const { rt } = setup();
    rt.addFault({ kind: 'null', target: { fn: 'late*' }, ttlMs: 1000, params: {} });
    rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000 });
    const late = rt.wrap(function lateOne() {
      return 1;
    }, 'file:///app/late.mjs', ['lateOne']) as () => unknown;
    expect(late()).toBeNull();
    const d = rt.addFault({ kind: 'delay', target: { fn: 'slow*' }, ttlMs: 1000, params: { ms: 10 } });
    const slowSync = rt.wrap(function slowSync() {
      return 2;
    }, 'file:///app/late.mjs', ['slowSync']) as () => unknown;
    expect(slowSync()).toBe(2);
    expect(d.matched).toEqual([]);
  });

  it('revertAll removes every fault and goes idle', () => {
    const { rt, label } = setup();
    rt.addFault({ kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000 });
    rt.addFault({ kind: 'status', target: { route: '/x' }, ttlMs: 1000 });
    expect(rt.revertAll()).toHaveLength(2);
    expect(rt.state.on).toBe(false);
    expect(label('x')).toBe('label:x');
  });

  it('rejects bad attributes, naming them', () => {
    const { rt } = setup();
    const ok = { kind: 'null', target: { fn: 'formatLabel' }, ttlMs: 1000 };
    rejects(() => rt.addFault(null), 'body');
    rejects(() => rt.addFault({ ...ok, kind: 'explode' }), 'kind');
    rejects(() => rt.addFault({ ...ok, ttlMs: 0 }), 'ttlMs');
    rejects(() => rt.addFault({ kind: 'null', target: { fn: 'formatLabel' } }), 'ttlMs');
    rejects(() => rt.addFault({ ...ok, ttlMs: 'soon' }), 'ttlMs');
    rejects(() => rt.addFault({ ...ok, probability: 2 }), 'probability');
    rejects(() => rt.addFault({ ...ok, maxHits: 1.5 }), 'maxHits');
    rejects(() => rt.addFault({ ...ok, target: {} }), 'target.fn');
    rejects(() => rt.addFault({ ...ok, target: { fn: 'nope' } }), 'target.fn');
    rejects(() => rt.addFault({ ...ok, target: { fn: 'x', route: '/x' } }), 'target.route');
    rejects(() => rt.addFault({ ...ok, target: { route: 'GET x' } }), 'target.route');
    rejects(() => rt.addFault({ ...ok, target: { fnn: 'x' } }), 'target.fnn');
    rejects(() => rt.addFault({ ...ok, colour: 'red' }), 'colour');
    rejects(() => rt.addFault({ ...ok, params: { ms: 1 } }), 'params.ms');
    rejects(() => rt.addFault({ ...ok, kind: 'status' }), 'kind');
    rejects(() => rt.addFault({ kind: 'block', target: { route: '/x' }, ttlMs: 1000, params: { ms: 120_000 } }), 'params.ms');
    rejects(() => rt.addFault({ kind: 'status', target: { route: '/x' }, ttlMs: 1000, params: { status: 700 } }), 'params.status');
    rejects(() => rt.addFault({ kind: 'corrupt', target: { fn: 'formatLabel' }, ttlMs: 1000, params: { mode: 'shred' } }), 'params.mode');
    rejects(() => rt.addFault({ kind: 'throw', target: { fn: 'formatLabel' }, ttlMs: 1000, params: { errorClass: 'not a class' } }), 'params.errorClass');
    expect(rt.listFaults()).toEqual([]);
  });
});

describe('AgentRuntime evidence', () => {
  it('records errors that propagate out of wrapped functions only while a fault is active, each once', async () => {
    const { rt } = setup();
    const inner = rt.wrap(function inner() {
      throw new RangeError('inner broke');
    }, URL_, ['inner']) as () => never;
    const outer = rt.wrap(function outer() {
      return inner();
    }, URL_, ['outer']) as () => never;
    expect(outer).toThrow('inner broke');
    expect(rt.errors.size).toBe(0);
    const f = rt.addFault({ kind: 'status', target: { route: '/unrelated' }, ttlMs: 1000 });
    expect(outer).toThrow('inner broke');
    const [rec] = rt.errors.list();
    expect(rt.errors.size).toBe(1);
    expect(rec).toMatchObject({ source: 'function', class: 'RangeError', message: 'inner broke', faultIds: [f.id], injected: false, fn: 'inner', module: '/app/lib/price.mjs' });
    expect(rec?.frames[0]?.file).toMatch(/runtime\.test\.ts$/);
    const asyncFail = rt.wrap(async function asyncFail() {
      throw new TypeError('later');
    }, URL_, ['asyncFail']) as () => Promise<never>;
    await expect(asyncFail()).rejects.toThrow('later');
    expect(rt.errors.list().map((e) => e.message)).toEqual(['inner broke', 'later']);
  });

  it('keeps a bounded ring', () => {
    const rt = new AgentRuntime({ errorCapacity: 5, log: () => undefined });
    rt.addFault({ kind: 'abort', target: { route: '/x' }, ttlMs: 1000 });
    for (let i = 0; i < 12; i++) rt.recordError(new Error(`e${i}`), 'uncaughtException');
    expect(rt.errors.size).toBe(5);
    expect(rt.errors.dropped).toBe(7);
    rt.revertAll();
  });

  it('logs each problem once with the agent prefix', () => {
    const { rt, logs } = setup();
    rt.noteSkipped('file:///app/broken.mjs', 'unterminated string literal');
    rt.noteSkipped('file:///app/broken.mjs', 'unterminated string literal');
    expect(logs).toEqual(['[faultline-agent] left /app/broken.mjs uninstrumented: unterminated string literal']);
    expect(rt.skipped).toHaveLength(2);
  });
});
