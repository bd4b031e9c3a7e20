/** The agent's `leak` fault in a real target process: its resident set grows by about what was asked, and stops. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO, runNode, startTarget, waitFor, type Target } from './helpers.js';

const LEAK_JS = pathToFileURL(join(REPO, 'dist/inject/agent/kinds/leak.js')).href;

const MiB = 1024 * 1024;

/** VmRSS of a process, from /proc (bytes). */
function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the leak takes no more steps (it reached maxBytes); returns the ms from t0 to its last step. */
async function untilFull(target: Target, t0: number): Promise<number> {
  let last = -1;
  let lastAt = t0;
  return waitFor(async () => {
    const calls = (await target.client.faults()).faults[0]?.calls ?? -1;
    if (calls !== last) {
      last = calls;
      lastAt = performance.now();
      return undefined;
    }
    return performance.now() - lastAt > 400 ? lastAt - t0 : undefined;
  }, 'the leak to reach maxBytes', 15_000);
}

let t: Target | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe.skipIf(process.platform !== 'linux')('leak in a real target', () => {
  it('heap: RSS and the JS heap grow by about maxBytes at bytesPerSec, then hold; after the revert they grow no more', async () => {
    t = await startTarget();
    const target = t;
    const rss0 = rssOf(target.pid);
    const heap0 = (await target.client.stats()).heapUsedBytes;
    const t0 = performance.now();
    const f = await target.client.inject({ kind: 'leak', target: {}, ttlMs: 60_000, params: { bytesPerSec: '40MiB', maxBytes: '120MiB' } });
    expect(f).toMatchObject({ kind: 'leak', layer: 'agent', target: {} });
    // halfway: about half of it (the leak is gradual, not a step)
    await waitFor(async () => (performance.now() - t0 > 1500 ? true : undefined), 'halfway');
    const half = rssOf(target.pid) - rss0;
    // 120 MiB at 40 MiB/s: full after 3 s, then no more steps
    const fullAfterMs = await untilFull(target, t0);
    const grown = rssOf(target.pid) - rss0;
    const heapGrown = (await target.client.stats()).heapUsedBytes - heap0;
    expect(fullAfterMs, 'time to 120 MiB at 40 MiB/s').toBeGreaterThan(2500);
    expect(half, `RSS +${(half / MiB).toFixed(0)} MiB after 1.5 s`).toBeGreaterThan(25 * MiB);
    expect(half).toBeLessThan(grown);
    expect(grown, `RSS +${(grown / MiB).toFixed(0)} MiB`).toBeGreaterThan(90 * MiB);
    expect(grown).toBeLessThan(260 * MiB);
    expect(heapGrown, `heap +${(heapGrown / MiB).toFixed(0)} MiB`).toBeGreaterThan(100 * MiB);
    expect(heapGrown).toBeLessThan(200 * MiB);
    // at maxBytes it holds: no more growth while the fault stays
    await sleep(600);
    expect(rssOf(target.pid) - rss0).toBeLessThan(grown + 24 * MiB);

    await target.client.revert(f.id);
    const atRevert = rssOf(target.pid);
    let max = atRevert;
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      max = Math.max(max, rssOf(target.pid));
    }
    expect(max - atRevert, 'RSS growth after the revert').toBeLessThan(16 * MiB);
    expect((await target.client.faults()).ended).toEqual([expect.objectContaining({ id: f.id, kind: 'leak', reason: 'reverted' })]);
    // the target still answers
    expect((await target.client.info()).faults).toBe(0);
  }, 40_000);

  it('buffers: RSS grows outside the JS heap; the TTL ends the leak inside the target, and RSS grows no more', async () => {
    t = await startTarget();
    const target = t;
    const rss0 = rssOf(target.pid);
    const heap0 = (await target.client.stats()).heapUsedBytes;
    const f = await target.client.inject({ kind: 'leak', target: {}, ttlMs: 2500, params: { bytesPerSec: '64MiB', maxBytes: '96MiB', retain: 'buffers' } });
    await untilFull(target, performance.now());
    const grown = rssOf(target.pid) - rss0;
    expect(grown, `RSS +${(grown / MiB).toFixed(0)} MiB`).toBeGreaterThan(80 * MiB);
    expect(grown).toBeLessThan(200 * MiB);
    expect((await target.client.stats()).heapUsedBytes - heap0, 'buffers are not JS heap').toBeLessThan(16 * MiB);
    // the TTL (2.5 s) ends it without anybody asking
    await waitFor(async () => ((await target.client.faults()).ended.some((e) => e.id === f.id && e.reason === 'expired') ? true : undefined), 'the TTL', 10_000);
    const atEnd = rssOf(target.pid);
    await sleep(1000);
    expect(rssOf(target.pid) - atEnd, 'RSS growth after the TTL').toBeLessThan(16 * MiB);
  }, 40_000);

  it('the memory is given back at the next full GC after the end (node --expose-gc, heap and buffers)', async () => {
    const script = `
      import { Leak } from ${JSON.stringify(LEAK_JS)};
      let now = 0; const timers = [];
      const clock = { now: () => now, setTimeout(fn) { timers.push(fn); return { cancel() {} }; } };
      // array buffers are swept after the GC, concurrently: collect, wait a moment, collect again
      const mem = async () => { gc(); await new Promise((r) => setTimeout(r, 200)); gc(); const m = process.memoryUsage(); return { heap: m.heapUsed, external: m.external }; };
      const out = {};
      for (const retain of ['heap', 'buffers']) {
        const before = await mem();
        const leak = new Leak({ bytesPerSec: 640 * 1048576, maxBytes: 64 * 1048576, retain }, clock);
        leak.start();
        while (timers.length > 0) { now += 100; timers.shift()(); }
        const held = await mem();
        const accounted = leak.retainedBytes;
        leak.stop();
        const after = await mem();
        out[retain] = { accounted, heldHeap: held.heap - before.heap, heldExternal: held.external - before.external, afterHeap: after.heap - before.heap, afterExternal: after.external - before.external };
      }
      console.log(JSON.stringify(out));`;
    const r = await runNode(['--expose-gc', '--input-type=module', '-e', script], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<'heap' | 'buffers', { accounted: number; heldHeap: number; heldExternal: number; afterHeap: number; afterExternal: number }>;
    // heap records: 64 MiB accounted is 64 MiB of JS heap (a record is 56 bytes on x64), all of it back after the GC
    expect(out.heap.accounted / MiB).toBeGreaterThan(63.9);
    expect(out.heap.heldHeap / out.heap.accounted).toBeGreaterThan(0.9);
    expect(out.heap.heldHeap / out.heap.accounted).toBeLessThan(1.15);
    expect(out.heap.afterHeap / MiB).toBeLessThan(2);
    // buffers: 64 MiB outside the heap, back after the GC
    expect(out.buffers.heldExternal / MiB).toBeGreaterThan(63);
    expect(out.buffers.heldHeap / MiB).toBeLessThan(2);
    expect(out.buffers.afterExternal / MiB).toBeLessThan(2);
  }, 40_000);
});
