/** The agent's `leak` kind: the retention schedule on a hand-driven clock, its params, and its life in the runtime. */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/core/clock.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { memoryLedger } from '../../../src/core/fault.js';
import { DEFAULT_LEAK_MAX_BYTES, LEAK_RECORD_BYTES, LEAK_TICK_MS, Leak, leakKind, type LeakParams } from '../../../src/inject/agent/kinds/leak.js';
import { AgentRuntime } from '../../../src/inject/agent/runtime.js';

const MiB = 1024 * 1024;

/** A clock the test moves by hand; counts its pending timers. */
function manualClock(): Clock & { advance(ms: number): void; pending(): number; jump(ms: number): void } {
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
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.fn();
      }
      now = end;
    },
    /** time passes without the timers firing (a blocked event loop) */
    jump(ms) {
      now += ms;
    },
    pending: () => timers.length,
  };
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

const parse = (raw: Record<string, unknown>): LeakParams => leakKind.parse(raw, 'process', []) as LeakParams;

describe('Leak (the retention schedule)', () => {
  it('retains bytesPerSec × elapsed in 100 ms steps, in whole records on the heap', () => {
    const clock = manualClock();
    const leak = new Leak({ bytesPerSec: 10 * MiB, maxBytes: 512 * MiB, retain: 'heap' }, clock);
    leak.start();
    expect(leak.retainedBytes).toBe(0);
    clock.advance(LEAK_TICK_MS);
    // 100 ms of 10 MiB/s = 1 MiB, rounded down to whole 72-byte records
    expect(leak.retainedBytes).toBe(Math.floor(MiB / LEAK_RECORD_BYTES) * LEAK_RECORD_BYTES);
    clock.advance(900);
    expect(leak.steps).toBe(10);
    expect(Math.abs(leak.retainedBytes - 10 * MiB)).toBeLessThan(LEAK_RECORD_BYTES);
    clock.advance(2000);
    expect(Math.abs(leak.retainedBytes - 30 * MiB)).toBeLessThan(LEAK_RECORD_BYTES);
    leak.stop();
  });

  it('buffers: exactly the bytes asked for, each one written', () => {
    const clock = manualClock();
    const leak = new Leak({ bytesPerSec: 2 * MiB, maxBytes: 512 * MiB, retain: 'buffers' }, clock);
    leak.start();
    clock.advance(1000);
    expect(leak.retainedBytes).toBe(2 * MiB);
    expect(leak.held).toBe(10);
    leak.stop();
  });

  it('stops growing at maxBytes, then holds without timers', () => {
    const clock = manualClock();
    const leak = new Leak({ bytesPerSec: 8 * MiB, maxBytes: 3 * MiB, retain: 'buffers' }, clock);
    leak.start();
    clock.advance(10_000);
    expect(leak.retainedBytes).toBe(3 * MiB);
    expect(leak.full).toBe(true);
    expect(clock.pending()).toBe(0);
    // 3 MiB at 8 MiB/s is reached in the 4th step (400 ms)
    expect(leak.steps).toBe(4);
  });

  it('catches up after a late timer (a blocked event loop), never beyond the rate', () => {
    const clock = manualClock();
    const leak = new Leak({ bytesPerSec: 1 * MiB, maxBytes: 512 * MiB, retain: 'buffers' }, clock);
    leak.start();
    clock.jump(2000); // the timer could not fire for 2 s
    clock.advance(LEAK_TICK_MS);
    expect(leak.retainedBytes).toBe(Math.floor(1 * MiB * 2.1));
  });

  it('stop() releases everything and cancels its timer', () => {
    const clock = manualClock();
    const leak = new Leak({ bytesPerSec: 4 * MiB, maxBytes: 512 * MiB, retain: 'heap' }, clock);
    leak.start();
    clock.advance(500);
    expect(leak.held).toBeGreaterThan(0);
    leak.stop();
    expect(leak.held).toBe(0);
    expect(leak.retainedBytes).toBe(0);
    expect(clock.pending()).toBe(0);
    clock.advance(1000);
    expect(leak.retainedBytes).toBe(0);
  });

  it('an allocation that fails stops the growth and is reported, never thrown', () => {
    const clock = manualClock();
    const errors: unknown[] = [];
    // more than a Buffer can hold in one step
    const leak = new Leak({ bytesPerSec: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER, retain: 'buffers' }, clock, { onError: (e) => errors.push(e) });
    leak.start();
    expect(() => clock.advance(LEAK_TICK_MS)).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(clock.pending()).toBe(0);
    leak.stop();
  });
});

describe('leak params', () => {
  it('reads sizes as the process faults do ("16MiB", "512KiB", bytes), maxBytes defaults to 512 MiB, retain to heap', () => {
    expect(parse({ bytesPerSec: '16MiB' })).toEqual({ bytesPerSec: 16 * MiB, maxBytes: DEFAULT_LEAK_MAX_BYTES, retain: 'heap' });
    expect(parse({ bytesPerSec: 1000, maxBytes: '64MiB', retain: 'buffers' })).toEqual({ bytesPerSec: 1000, maxBytes: 64 * MiB, retain: 'buffers' });
    expect(parse({ bytesPerSec: '512KiB', maxBytes: '1G' })).toMatchObject({ bytesPerSec: 512 * 1024, maxBytes: 1024 * MiB });
  });

  it('refuses what it cannot do, naming the attribute', () => {
    rejects(() => parse({}), 'params.bytesPerSec');
    rejects(() => parse({ bytesPerSec: 'lots' }), 'params.bytesPerSec');
    rejects(() => parse({ bytesPerSec: 0 }), 'params.bytesPerSec');
    rejects(() => parse({ bytesPerSec: '1MiB', maxBytes: true }), 'params.maxBytes');
    rejects(() => parse({ bytesPerSec: '1MiB', retain: 'disk' }), 'params.retain');
    rejects(() => parse({ bytesPerSec: '1MiB', rate: 3 }), 'params.rate');
    // never up to the heap limit: that would kill the target
    rejects(() => parse({ bytesPerSec: '1MiB', maxBytes: '64G' }), 'params.maxBytes');
  });
});

describe('leak in the agent runtime', () => {
  function setup() {
    const clock = manualClock();
    const ledger = memoryLedger();
    const rt = new AgentRuntime({ seed: 1, clock, log: () => undefined, ledger });
    rt.wrap(function formatLabel(t: string) {
      return t;
    }, 'file:///app/lib/label.mjs', ['formatLabel']);
    return { rt, clock, ledger };
  }

  it('is a process-wide fault (empty target); calls count steps and hits the steps that grew', () => {
    const { rt, clock } = setup();
    const f = rt.addFault({ kind: 'leak', target: {}, ttlMs: 60_000, params: { bytesPerSec: '1MiB', maxBytes: '300KiB', retain: 'buffers' } });
    expect(f).toMatchObject({ kind: 'leak', target: {}, matched: [], calls: 0, hits: 0 });
    expect(rt.state.on).toBe(true);
    clock.advance(1000);
    // 300 KiB at 1 MiB/s is reached in the 3rd step; no step after that
    expect(rt.listFaults()[0]).toMatchObject({ calls: 3, hits: 3 });
    clock.advance(1000);
    expect(rt.listFaults()[0]).toMatchObject({ calls: 3, hits: 3 });
  });

  it('a revert stops it: no timer of the leak is left', () => {
    const { rt, clock } = setup();
    const f = rt.addFault({ kind: 'leak', target: {}, ttlMs: 60_000, params: { bytesPerSec: '1MiB' } });
    clock.advance(350);
    expect(rt.listFaults()[0]?.hits).toBe(3);
    expect(clock.pending()).toBe(2); // the TTL and the next step
    rt.endFault(f.id, 'reverted');
    expect(clock.pending()).toBe(0);
    expect(rt.state.on).toBe(false);
    expect(rt.endedFaults()).toEqual([expect.objectContaining({ id: f.id, kind: 'leak', reason: 'reverted', hits: 3 })]);
  });

  it('the TTL ends it inside the target and records an expire event', () => {
    const { rt, clock, ledger } = setup();
    const f = rt.addFault({ kind: 'leak', target: {}, ttlMs: 2000, params: { bytesPerSec: '1MiB' } });
    clock.advance(2500);
    expect(rt.listFaults()).toEqual([]);
    expect(clock.pending()).toBe(0);
    expect(rt.endedFaults()[0]).toMatchObject({ id: f.id, reason: 'expired' });
    expect(ledger.events).toEqual([expect.objectContaining({ action: 'expire', faultId: f.id, kind: 'leak', layer: 'agent' })]);
  });

  it('refuses a function or route target for leak, and an empty target for the kinds that act on calls', () => {
    const { rt } = setup();
    const leak = { kind: 'leak', ttlMs: 1000, params: { bytesPerSec: '1MiB' } };
    rejects(() => rt.addFault({ ...leak, target: { fn: 'formatLabel' } }), 'target');
    rejects(() => rt.addFault({ ...leak, target: { route: '/x' } }), 'target');
    rejects(() => rt.addFault({ ...leak, target: {}, probability: 0.5 }), 'probability');
    rejects(() => rt.addFault({ ...leak, target: {}, maxHits: 3 }), 'maxHits');
    rejects(() => rt.addFault({ ...leak, target: {}, params: {} }), 'params.bytesPerSec');
    rejects(() => rt.addFault({ kind: 'throw', target: {}, ttlMs: 1000 }), 'target.fn');
    rejects(() => rt.addFault({ kind: 'status', target: {}, ttlMs: 1000 }), 'target.fn');
    expect(rt.listFaults()).toEqual([]);
  });
});
