import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../src/inject/agent/client.js';
import { createControlServer, listenControlServer } from '../../../src/inject/agent/control-server.js';
import { AgentRuntime } from '../../../src/inject/agent/runtime.js';
import { readAgentStats } from '../../../src/observe/samplers.js';

const block = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('GET /v1/stats of the agent control server', () => {
  const rt = new AgentRuntime({ seed: 1, log: () => undefined });
  const server = createControlServer(rt, { port: 0, version: '0.0.0' });
  const secured = createControlServer(rt, { port: 0, version: '0.0.0', token: 'tok' });
  let port = 0;
  let securedPort = 0;
  beforeAll(async () => {
    port = await listenControlServer(server, 0);
    securedPort = await listenControlServer(secured, 0);
  });
  afterAll(() => {
    server.close();
    secured.close();
  });

  it('starts the monitor on the first call, then reports the lag since the previous call and resets', async () => {
    const client = AgentClient.fromAddress(`127.0.0.1:${port}`);
    const first = await client.stats();
    expect(first.intervalMs).toBe(0);
    expect(first.eventLoopLagMs).toEqual({ p50: 0, p99: 0, max: 0 });
    expect(first.rssBytes).toBeGreaterThan(10_000_000);
    expect(first.heapUsedBytes).toBeGreaterThan(0);
    expect(first.uptimeMs).toBeGreaterThanOrEqual(0);
    await tick(50);
    block(150);
    await tick(50);
    const second = await client.stats();
    expect(second.intervalMs).toBeGreaterThanOrEqual(240);
    expect(second.eventLoopLagMs.max).toBeGreaterThanOrEqual(120);
    expect(second.eventLoopLagMs.max).toBeLessThan(1000);
    // reset after each read: an idle interval shows a small lag
    await tick(200);
    const third = await client.stats();
    expect(third.eventLoopLagMs.max).toBeLessThan(60);
  });

  it('is read by the observe sampler, with the token when the agent has one', async () => {
    expect(await readAgentStats(`127.0.0.1:${securedPort}`)).toBeUndefined();
    const a = await readAgentStats(`127.0.0.1:${securedPort}`, 'tok');
    expect(a?.intervalMs).toBeGreaterThanOrEqual(0);
  });

  it('answers 405 to other methods', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/stats`, { method: 'POST' });
    expect(res.status).toBe(405);
  });
});
