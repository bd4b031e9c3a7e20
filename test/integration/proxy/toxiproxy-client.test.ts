/** The official npm client (toxiproxy-node-client), unchanged, against faultline's API. */
import { afterEach, describe, expect, it } from 'vitest';
import { Toxiproxy, type ICreateToxicBody, type Latency } from 'toxiproxy-node-client';
import { Cleanup, connect, echoServer, rtt, startProxyServer } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('toxiproxy-node-client against faultline', () => {
  it('runs its whole suite of calls', async () => {
    const { addr } = await echoServer(cleanup);
    const { api } = await startProxyServer(cleanup);
    const toxiproxy = new Toxiproxy(api);

    expect(await toxiproxy.getVersion()).toMatch(/faultline/);

    const proxy = await toxiproxy.createProxy({ name: 'echo', listen: 'localhost:0', upstream: addr });
    expect(proxy.name).toBe('echo');
    expect(proxy.enabled).toBe(true);
    const port = Number(proxy.listen.split(':')[1]);

    const got = await toxiproxy.get('echo');
    expect(got.toJson()).toEqual(proxy.toJson());
    expect(Object.keys(await toxiproxy.getAll())).toEqual(['echo']);

    const body = <ICreateToxicBody<Latency>>{ type: 'latency', attributes: { latency: 120, jitter: 0 }, stream: 'downstream', toxicity: 1, name: 'lat' };
    const toxic = await proxy.addToxic(body);
    expect(toxic.toJson()).toEqual({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 120, jitter: 0 } });
    const s = await connect(port, cleanup);
    expect(await rtt(s)).toBeGreaterThanOrEqual(115);

    const fetched = await proxy.getToxic<Latency>('lat');
    expect(fetched.attributes.latency).toBe(120);
    const updated = await toxic.update({ ...body, attributes: { latency: 10, jitter: 0 } });
    expect(updated.attributes.latency).toBe(10);
    expect(await rtt(s)).toBeLessThan(100);
    await updated.remove();
    await expect(proxy.getToxic('lat')).rejects.toThrow(/404/);

    const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(disabled.enabled).toBe(false);
    expect(disabled.listen).toBe(proxy.listen);
    const enabled = await disabled.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect(enabled.enabled).toBe(true);

    const populated = await toxiproxy.populate([
      { name: 'echo', listen: proxy.listen, upstream: addr },
      { name: 'second', listen: '127.0.0.1:0', upstream: addr },
    ]);
    expect(Object.keys(populated).sort()).toEqual(['echo', 'second']);

    await enabled.addToxic(<ICreateToxicBody<unknown>>{ type: 'timeout', attributes: { timeout: 0 }, stream: 'upstream', toxicity: 1, name: 't' });
    await populated.second?.update({ enabled: false, listen: populated.second.listen, upstream: addr });
    await toxiproxy.reset();
    const afterReset = await toxiproxy.getAll();
    expect(afterReset.echo?.enabled).toBe(true);
    expect(afterReset.second?.enabled).toBe(true);
    await expect(afterReset.echo?.getToxic('t')).rejects.toThrow();

    await populated.second?.remove();
    await expect(toxiproxy.get('second')).rejects.toThrow(/404/);
    await expect(toxiproxy.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: addr })).rejects.toThrow(/409/);
  });
});
