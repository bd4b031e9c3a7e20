/** The latency toxic's `ramp` through a real proxy on 127.0.0.1: early round trips are fast, later ones slow. */
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, api, connect, createProxy, echoServer, rtt, startProxyServer, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function setup() {
  const { addr } = await echoServer(cleanup);
  const { server, api: base } = await startProxyServer(cleanup);
  const { port } = await createProxy(server, addr);
  return { port, reg: server.registry, base };
}

const sinceAdded = (t0: number): number => performance.now() - t0;

describe('latency ramp on real connections', () => {
  it('round trips grow from fast to the full latency over the ramp, counted from when the toxic was added', async () => {
    const { port, reg } = await setup();
    const s = await connect(port, cleanup);
    const t0 = performance.now();
    reg.addToxic('p', { type: 'latency', attributes: { latency: 600, ramp: 3000 } });
    const samples: Array<{ at: number; ms: number }> = [];
    while (sinceAdded(t0) < 4200) {
      const at = sinceAdded(t0);
      samples.push({ at, ms: await rtt(s) });
      await new Promise((r) => setTimeout(r, 100));
    }
    const early = samples.filter((x) => x.at < 300);
    const late = samples.filter((x) => x.at > 3100);
    expect(early.length).toBeGreaterThan(0);
    expect(late.length).toBeGreaterThan(0);
    // at most 300 ms in, the added delay is at most 60 ms (plus scheduling)
    for (const x of early) expect(x.ms, `rtt ${x.ms.toFixed(0)} ms at +${x.at.toFixed(0)} ms`).toBeLessThan(150);
    // after the ramp: the full 600 ms
    for (const x of late) expect(x.ms, `rtt ${x.ms.toFixed(0)} ms at +${x.at.toFixed(0)} ms`).toBeGreaterThanOrEqual(590);
    for (const x of late) expect(x.ms).toBeLessThan(900);
    // in between, each round trip is about 600 × (its send time / 3000), generous bounds
    for (const x of samples.filter((y) => y.at > 300 && y.at < 2600)) {
      const expected = (600 * x.at) / 3000;
      expect(x.ms, `rtt ${x.ms.toFixed(0)} ms at +${x.at.toFixed(0)} ms, expected ≈ ${expected.toFixed(0)}`).toBeGreaterThanOrEqual(expected - 30);
      expect(x.ms).toBeLessThan(expected + 250);
    }
  });

  it('a connection opened in the middle of the ramp starts at the ramped delay, not at 0', async () => {
    const { port, reg } = await setup();
    const t0 = performance.now();
    reg.addToxic('p', { type: 'latency', attributes: { latency: 800, ramp: 2000 } });
    await new Promise((r) => setTimeout(r, 1500));
    const s = await connect(port, cleanup);
    const at = sinceAdded(t0);
    const ms = await rtt(s);
    const expected = (800 * Math.min(at, 2000)) / 2000;
    expect(ms, `rtt ${ms.toFixed(0)} ms at +${at.toFixed(0)} ms`).toBeGreaterThanOrEqual(expected - 30);
    expect(ms).toBeLessThan(expected + 300);
  });

  it('over the API: ramp is shown only when set, validated as ms ≥ 0, and an update keeps the ramp start', async () => {
    const { port, base } = await setup();
    const plain = await api(base, 'POST', '/proxies/p/toxics', { name: 'plain', type: 'latency', attributes: { latency: 5 } });
    expect(plain.status).toBe(200);
    expect(plain.body.attributes).toEqual({ latency: 5, jitter: 0 });
    expect((await api(base, 'DELETE', '/proxies/p/toxics/plain')).status).toBe(204);

    const bad = await api(base, 'POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 5, ramp: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/attributes\.ramp/);

    const s = await connect(port, cleanup);
    const t0 = performance.now();
    const created = await api(base, 'POST', '/proxies/p/toxics', { name: 'creep', type: 'latency', attributes: { latency: 400, ramp: 2000 } });
    expect(created.body.attributes).toEqual({ latency: 400, jitter: 0, ramp: 2000 });
    await waitFor(() => sinceAdded(t0) > 1000, 3000);
    // doubling latency mid-ramp: the ramp still counts from the creation, so about 800 × (t / 2000) now
    const upd = await api(base, 'PATCH', '/proxies/p/toxics/creep', { attributes: { latency: 800 } });
    expect(upd.body.attributes).toEqual({ latency: 800, jitter: 0, ramp: 2000 });
    const at = sinceAdded(t0);
    const ms = await rtt(s);
    const expected = (800 * at) / 2000;
    expect(ms, `rtt ${ms.toFixed(0)} ms at +${at.toFixed(0)} ms`).toBeGreaterThanOrEqual(expected - 30);
    expect(ms).toBeLessThan(expected + 300);
  });
});
