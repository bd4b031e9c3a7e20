import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, connect, createProxy, echoServer, ending, readBytes, rtt, startProxyServer, waitFor, within } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** an upstream that writes `payload` on connect, then optionally ends */
async function sender(payload: Buffer, end = true): Promise<string> {
  const { addr } = await echoServer(cleanup, (s) => {
    s.write(payload);
    if (end) s.end();
  });
  return addr;
}

async function setup(upstream?: string) {
  const up = upstream ?? (await echoServer(cleanup)).addr;
  const { server } = await startProxyServer(cleanup);
  const { port } = await createProxy(server, up);
  return { server, port, reg: server.registry, links: () => [...server.registry.findProxyOrThrow('p').links] };
}

describe('proxy data path without toxics', () => {
  it('forwards both ways with pipe() and no pipeline', async () => {
    const { port, links } = await setup();
    const s = await connect(port, cleanup);
    const t = await rtt(s, Buffer.from('hello'));
    expect(t).toBeLessThan(50);
    const [l] = links();
    expect(l?.up.inPipeline).toBe(false);
    expect(l?.down.inPipeline).toBe(false);
  });

  it('passes a half-close through (allowHalfOpen)', async () => {
    const { addr } = await echoServer(cleanup, (s) => {
      const parts: Buffer[] = [];
      s.on('data', (d) => parts.push(d));
      s.on('end', () => s.end(Buffer.concat(parts).toString().toUpperCase()));
    });
    const { port } = await setup(addr);
    const s = await connect(port, cleanup);
    const e = ending(s);
    s.end('abc');
    expect((await e).data.toString()).toBe('ABC');
  });
});

describe('Toxiproxy toxics on real connections', () => {
  it('latency delays each response by latency ms (downstream) and upstream too', async () => {
    const { port, reg } = await setup();
    const s = await connect(port, cleanup);
    reg.addToxic('p', { type: 'latency', attributes: { latency: 100 } });
    const t1 = await rtt(s);
    expect(t1).toBeGreaterThanOrEqual(95);
    expect(within(t1, 100, 60)).toBe(true);
    reg.addToxic('p', { type: 'latency', stream: 'upstream', attributes: { latency: 50 } });
    const t2 = await rtt(s);
    expect(t2).toBeGreaterThanOrEqual(145);
    expect(within(t2, 150, 70)).toBe(true);
    reg.updateToxic('p', 'latency_downstream', { attributes: { latency: 10 } });
    const t3 = await rtt(s);
    expect(within(t3, 60, 40)).toBe(true);
  });

  it('latency jitter varies the delay within latency ± jitter', async () => {
    const { port, reg } = await setup();
    const s = await connect(port, cleanup);
    reg.addToxic('p', { type: 'latency', attributes: { latency: 60, jitter: 40 } });
    const times: number[] = [];
    for (let i = 0; i < 12; i++) times.push(await rtt(s));
    for (const t of times) expect(t).toBeGreaterThanOrEqual(18);
    for (const t of times) expect(t).toBeLessThan(160);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(10);
  });

  it('bandwidth limits the rate to about rate KB/s', async () => {
    const payload = Buffer.alloc(300_000, 7);
    const { port, reg } = await setup(await sender(payload));
    reg.addToxic('p', { type: 'bandwidth', attributes: { rate: 300 } });
    const t0 = performance.now();
    const s = await connect(port, cleanup);
    const got = await readBytes(s, payload.length);
    const ms = performance.now() - t0;
    expect(got.length).toBe(payload.length);
    expect(within(ms, 1000, 350)).toBe(true);
  });

  it('slow_close delays the close by delay ms', async () => {
    const { port, reg } = await setup(await sender(Buffer.from('bye')));
    reg.addToxic('p', { type: 'slow_close', attributes: { delay: 300 } });
    const s = await connect(port, cleanup);
    const t0 = performance.now();
    const e = await ending(s);
    expect(e.how).toBe('end');
    expect(e.data.toString()).toBe('bye');
    expect(e.at - t0).toBeGreaterThanOrEqual(280);
    expect(within(e.at - t0, 300, 200)).toBe(true);
  });

  it('timeout drops data and closes the connection after timeout ms', async () => {
    const { port, reg } = await setup();
    reg.addToxic('p', { type: 'timeout', attributes: { timeout: 200 } });
    const t0 = performance.now();
    const s = await connect(port, cleanup);
    const e = ending(s);
    s.write('lost');
    const r = await e;
    expect(r.how).toBe('end');
    expect(r.data.length).toBe(0);
    expect(within(r.at - t0, 200, 150)).toBe(true);
  });

  it('timeout 0 drops data but keeps the connection open', async () => {
    const { port, reg } = await setup();
    reg.addToxic('p', { type: 'timeout', attributes: { timeout: 0 } });
    const s = await connect(port, cleanup);
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.write('lost');
    await new Promise((r) => setTimeout(r, 300));
    expect(got.length).toBe(0);
    expect(s.destroyed).toBe(false);
    expect(s.readableEnded).toBe(false);
  });

  it('reset_peer resets the connection: the client sees ECONNRESET', async () => {
    const { port, reg } = await setup();
    reg.addToxic('p', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const s = await connect(port, cleanup);
    const e = ending(s);
    s.write('x');
    expect((await e).how).toBe('reset');
  });

  it('reset_peer with timeout resets timeout ms after data arrives', async () => {
    const { port, reg } = await setup();
    reg.addToxic('p', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 200 } });
    const s = await connect(port, cleanup);
    const e = ending(s);
    const t0 = performance.now();
    s.write('x');
    const r = await e;
    expect(r.how).toBe('reset');
    expect(within(r.at - t0, 200, 150)).toBe(true);
  });

  it('slicer splits data into slices of about average_size', async () => {
    const payload = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const { port, reg } = await setup(await sender(payload, false));
    reg.addToxic('p', { type: 'slicer', attributes: { average_size: 100, size_variation: 20, delay: 2000 } });
    const s = await connect(port, cleanup);
    const sizes: number[] = [];
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      sizes.push(d.length);
      parts.push(d);
    });
    await waitFor(() => parts.reduce((n, p) => n + p.length, 0) >= payload.length, 5000);
    expect(Buffer.concat(parts).equals(payload)).toBe(true);
    expect(sizes.length).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(400);
  });

  it('limit_data closes the connection after exactly bytes bytes', async () => {
    const payload = Buffer.alloc(5000, 1);
    const { port, reg } = await setup(await sender(payload, false));
    reg.addToxic('p', { type: 'limit_data', attributes: { bytes: 1000 } });
    const s = await connect(port, cleanup);
    const e = await ending(s);
    expect(e.how).toBe('end');
    expect(e.data.length).toBe(1000);
  });

  it('toxicity 0 leaves connections untouched (still piped); 1 affects every connection', async () => {
    const { port, reg, links } = await setup();
    reg.addToxic('p', { type: 'latency', toxicity: 0, attributes: { latency: 300 } });
    const s = await connect(port, cleanup);
    expect(await rtt(s)).toBeLessThan(100);
    expect(links()[0]?.down.inPipeline).toBe(false);
    reg.updateToxic('p', 'latency_downstream', { toxicity: 1 });
    expect(await rtt(s)).toBeGreaterThanOrEqual(290);
    const s2 = await connect(port, cleanup);
    expect(await rtt(s2)).toBeGreaterThanOrEqual(290);
  });

  it('toxicity p affects about p of the connections, drawn once per connection', async () => {
    const { port, reg } = await setup();
    reg.addToxic('p', { type: 'latency', toxicity: 0.5, attributes: { latency: 80 } });
    let slow = 0;
    for (let i = 0; i < 30; i++) {
      const s = await connect(port, cleanup);
      const a = await rtt(s);
      const b = await rtt(s);
      // drawn once per connection: both round trips agree
      expect(a >= 75).toBe(b >= 75);
      if (a >= 75) slow++;
      s.destroy();
    }
    expect(slow).toBeGreaterThanOrEqual(6);
    expect(slow).toBeLessThanOrEqual(24);
  });
});

describe('faultline toxics on real connections', () => {
  it('loss drops chunks with the given probability', async () => {
    const { addr } = await echoServer(cleanup, (s) => {
      let i = 0;
      const t = setInterval(() => {
        if (s.destroyed || i === 60) {
          clearInterval(t);
          return;
        }
        s.write(Buffer.from([i++]));
      }, 3);
    });
    const { port, reg } = await setup(addr);
    reg.addToxic('p', { type: 'loss', attributes: { probability: 0.5 } });
    const s = await connect(port, cleanup);
    const got: number[] = [];
    s.on('data', (d: Buffer) => got.push(...d));
    await new Promise((r) => setTimeout(r, 600));
    expect(got.length).toBeGreaterThan(5);
    expect(got.length).toBeLessThan(55);
    // what arrives is in order
    expect([...got].sort((a, b) => a - b)).toEqual(got);
  });

  it('loss probability 1 drops everything, 0 nothing', async () => {
    const { port, reg } = await setup();
    reg.addToxic('p', { type: 'loss', attributes: { probability: 1 } });
    const s = await connect(port, cleanup);
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.write('gone');
    await new Promise((r) => setTimeout(r, 150));
    expect(got.length).toBe(0);
    reg.updateToxic('p', 'loss_downstream', { attributes: { probability: 0 } });
    s.write('kept');
    await waitFor(() => Buffer.concat(got).toString() === 'kept');
  });

  it('stall holds data for duration ms, then releases it unchanged', async () => {
    const { port, reg } = await setup();
    const s = await connect(port, cleanup);
    reg.addToxic('p', { type: 'stall', attributes: { duration: 300 } });
    const t = await rtt(s, Buffer.from('held'));
    expect(within(t, 300, 150)).toBe(true);
    expect(await rtt(s)).toBeLessThan(100);
  });

  it('stall 0 holds until the toxic is removed, without losing a byte', async () => {
    const { port, reg } = await setup();
    const s = await connect(port, cleanup);
    reg.addToxic('p', { type: 'stall', attributes: { duration: 0 } });
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.write('one ');
    s.write('two');
    await new Promise((r) => setTimeout(r, 200));
    expect(got.length).toBe(0);
    reg.removeToxic('p', 'stall_downstream');
    await waitFor(() => Buffer.concat(got).toString() === 'one two');
  });

  it('blackhole drops everything both ways and keeps the connection open', async () => {
    let received = 0;
    const { addr } = await echoServer(cleanup, (s) => {
      s.on('data', (d) => {
        received += d.length;
        s.write(d);
      });
    });
    const { port, reg } = await setup(addr);
    const s = await connect(port, cleanup);
    reg.addToxic('p', { type: 'blackhole' });
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.write('void');
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toBe(0);
    expect(got.length).toBe(0);
    expect(s.destroyed).toBe(false);
    reg.removeToxic('p', 'blackhole_downstream');
    s.write('back');
    await waitFor(() => Buffer.concat(got).toString() === 'back');
    expect(received).toBe(4);
  });

  it('noop routes through the pipeline and changes nothing', async () => {
    const { port, reg, links } = await setup();
    const s = await connect(port, cleanup);
    reg.addToxic('p', { type: 'noop' });
    expect(await rtt(s, Buffer.from('same'))).toBeLessThan(50);
    expect(links()[0]?.down.inPipeline).toBe(true);
    reg.removeToxic('p', 'noop_downstream');
    expect(links()[0]?.down.inPipeline).toBe(false);
    expect(await rtt(s, Buffer.from('same'))).toBeLessThan(50);
  });
});

describe('proxy enable/disable', () => {
  it('enabled=false closes the listener and connections; re-enabling listens again on the same port', async () => {
    const { port, reg } = await setup();
    const s = await connect(port, cleanup);
    const e = ending(s);
    await reg.updateProxy('p', { enabled: false });
    await e;
    await expect(new Promise((resolve, reject) => net.connect(port, '127.0.0.1').once('connect', resolve).once('error', reject))).rejects.toThrow(/ECONNREFUSED/);
    const j = await reg.updateProxy('p', { enabled: true });
    expect(j.listen).toBe(`127.0.0.1:${port}`);
    const s2 = await connect(port, cleanup);
    expect(await rtt(s2)).toBeLessThan(50);
  });
});
