/**
 * Switching in and out of the toxic pipeline while data flows must not lose, duplicate or reorder bytes, and must
 * not stall. A client streams a position-keyed byte sequence through the proxy to an echo server and checks every
 * byte that comes back, while toxics are added, patched and removed on both streams as fast as the API allows.
 */
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import type { ToxicSpec } from '../../../src/inject/proxy/types.js';
import { Cleanup, connect, createProxy, echoServer, startProxyServer, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const byteAt = (i: number): number => (Math.imul(i, 1103515245) + 12345) >>> 16 & 0xff;

function fill(buf: Buffer, from: number): void {
  for (let k = 0; k < buf.length; k++) buf[k] = byteAt(from + k);
}

interface Stream {
  sent: number;
  received: number;
  error?: string;
  maxGapMs: number;
  stop(): void;
}

/** streams bytes through `s`, verifying the echo; keeps at most `window` bytes in flight */
function stream(s: net.Socket, seed: number, window = 2 << 20): Stream {
  const rng = createRng(seed);
  const st: Stream = { sent: 0, received: 0, maxGapMs: 0, stop: () => (stopped = true) };
  let stopped = false;
  let last = performance.now();
  s.on('data', (d: Buffer) => {
    const now = performance.now();
    st.maxGapMs = Math.max(st.maxGapMs, now - last);
    last = now;
    for (let k = 0; k < d.length; k++) {
      if (d[k] !== byteAt(st.received + k)) {
        st.error ??= `byte ${st.received + k}: got ${d[k]}, expected ${byteAt(st.received + k)}`;
        break;
      }
    }
    st.received += d.length;
    if (st.received > st.sent) st.error ??= `received ${st.received} > sent ${st.sent} (duplication)`;
    pump();
  });
  const pump = (): void => {
    while (!stopped && st.sent - st.received < window) {
      const n = rng.int(1, 64 * 1024);
      const buf = Buffer.allocUnsafe(n);
      fill(buf, st.sent);
      st.sent += n;
      if (!s.write(buf)) {
        s.once('drain', pump);
        return;
      }
    }
  };
  pump();
  return st;
}

function randomToxic(rng: ReturnType<typeof createRng>, name: string): ToxicSpec {
  const stream = rng.next() < 0.5 ? 'upstream' : 'downstream';
  const pick = rng.int(0, 6);
  switch (pick) {
    case 0:
      return { name, type: 'latency', stream, attributes: { latency: rng.int(0, 5), jitter: rng.int(0, 2) } };
    case 1:
      return { name, type: 'slicer', stream, attributes: { average_size: rng.int(200, 4000), size_variation: 100, delay: 0 } };
    case 2:
      return { name, type: 'bandwidth', stream, attributes: { rate: rng.int(20_000, 200_000) } };
    case 3:
      return { name, type: 'stall', stream, attributes: { duration: rng.int(1, 20) } };
    case 4:
      return { name, type: 'noop', stream };
    case 5:
      return { name, type: 'http_delay', stream, attributes: { path: '/never/*', delay: 5 } };
    default:
      return { name, type: 'latency', stream, toxicity: 0.5, attributes: { latency: 2 } };
  }
}

describe('switching toxics under load', () => {
  it('loses, duplicates and reorders nothing and never stalls while toxics churn', async () => {
    const { addr } = await echoServer(cleanup);
    const { server } = await startProxyServer(cleanup, { seed: 7 });
    const { port } = await createProxy(server, addr);
    const reg = server.registry;
    const sockets = await Promise.all([1, 2, 3].map(() => connect(port, cleanup)));
    const streams = sockets.map((s, i) => stream(s, 100 + i));
    const rng = createRng(3);
    const names = ['a', 'b', 'c', 'd'];
    let ops = 0;
    const end = performance.now() + 3000;
    while (performance.now() < end) {
      const name = names[rng.int(0, names.length - 1)] as string;
      const existing = reg.findToxic('p', name);
      const r = rng.next();
      if (!existing) reg.addToxic('p', randomToxic(rng, name));
      else if (r < 0.4) reg.removeToxic('p', name);
      else if (r < 0.8 && existing.type === 'latency') reg.updateToxic('p', name, { attributes: { latency: rng.int(0, 5) } });
      else if (r < 0.8 && existing.type === 'bandwidth') reg.updateToxic('p', name, { attributes: { rate: rng.int(20_000, 200_000) } });
      else if (r < 0.8) reg.updateToxic('p', name, { toxicity: rng.next() < 0.5 ? 0 : 1 });
      else reg.removeToxic('p', name);
      ops++;
      await new Promise((res) => setTimeout(res, rng.int(0, 8)));
    }
    // data keeps flowing while toxics stay in place (entering the pipeline resumed the sources)
    reg.removeAllToxics();
    reg.addToxic('p', { name: 'hold-up', type: 'noop', stream: 'upstream' });
    reg.addToxic('p', { name: 'hold-down', type: 'slicer', attributes: { average_size: 8000 } });
    const before = streams.map((st) => st.received);
    await new Promise((res) => setTimeout(res, 400));
    streams.forEach((st, i) => expect(st.received - (before[i] as number)).toBeGreaterThan(100_000));
    reg.removeAllToxics();
    for (const st of streams) st.stop();
    await waitFor(() => streams.every((st) => st.received === st.sent || st.error !== undefined), 15_000);
    const links = [...reg.findProxyOrThrow('p').links];
    for (const st of streams) {
      expect(st.error).toBeUndefined();
      expect(st.received).toBe(st.sent);
      expect(st.sent).toBeGreaterThan(1_000_000);
      expect(st.maxGapMs).toBeLessThan(1500);
    }
    expect(ops).toBeGreaterThan(80);
    // every toxic gone: both directions are back on pipe()
    await waitFor(() => links.every((l) => !l.up.inPipeline && !l.down.inPipeline));
  });

  it('HTTP layer attaching to and detaching from a busy keep-alive connection keeps the bytes intact', async () => {
    const { addr } = await echoServer(cleanup);
    const { server } = await startProxyServer(cleanup, { seed: 9 });
    const { port } = await createProxy(server, addr);
    const reg = server.registry;
    const s = await connect(port, cleanup);
    const st = stream(s, 5);
    const end = performance.now() + 1500;
    let i = 0;
    while (performance.now() < end) {
      reg.addToxic('p', { name: 'h', type: i++ % 2 === 0 ? 'http_header' : 'http_status', attributes: { path: '/nothing-matches' } });
      await new Promise((r) => setTimeout(r, 3));
      reg.removeToxic('p', 'h');
      await new Promise((r) => setTimeout(r, 3));
    }
    st.stop();
    await waitFor(() => st.received === st.sent || st.error !== undefined, 15_000);
    expect(st.error).toBeUndefined();
    expect(st.received).toBe(st.sent);
  });
});
