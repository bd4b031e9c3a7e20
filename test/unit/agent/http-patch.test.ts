import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchHttpServers } from '../../../src/inject/agent/http-patch.js';
import { AgentRuntime } from '../../../src/inject/agent/runtime.js';

type Emit = (this: unknown, type: string | symbol, ...args: unknown[]) => boolean;
const proto = http.Server.prototype as unknown as { emit: Emit };

function statusOf(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/x', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

describe('node:http patch', () => {
  const rt = new AgentRuntime({ log: () => undefined });
  const server = http.createServer((_req, res) => res.end('app'));
  let port = 0;
  beforeAll(async () => {
    patchHttpServers(rt, new WeakSet());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    rt.revertAll();
    await new Promise((r) => server.close(r));
  });

  it('is in place only while a fault is active, so an idle agent leaves Server#emit untouched', async () => {
    expect(Object.hasOwn(proto, 'emit')).toBe(false);
    expect(Object.hasOwn(https.Server.prototype, 'emit')).toBe(false);
    expect(await statusOf(port)).toBe(200);
    const f = rt.addFault({ kind: 'status', target: { route: '/x' }, ttlMs: 10_000, params: { status: 418 } });
    expect(Object.hasOwn(proto, 'emit')).toBe(true);
    expect(Object.hasOwn(https.Server.prototype, 'emit')).toBe(true);
    expect(await statusOf(port)).toBe(418);
    rt.endFault(f.id, 'reverted');
    expect(Object.hasOwn(proto, 'emit')).toBe(false);
    expect(Object.hasOwn(https.Server.prototype, 'emit')).toBe(false);
    expect(await statusOf(port)).toBe(200);
  });

  it('stays in the chain of an emit wrapped after it, without wrapping itself twice', async () => {
    rt.addFault({ kind: 'status', target: { route: '/x' }, ttlMs: 10_000, params: { status: 503 } });
    const ours = proto.emit;
    let seen = 0;
    proto.emit = function (this: unknown, ...args: Parameters<Emit>): boolean {
      if (args[0] === 'request') seen++;
      return Reflect.apply(ours, this, args) as boolean;
    };
    const theirs = proto.emit;
    rt.revertAll();
    expect(proto.emit).toBe(theirs);
    expect(await statusOf(port)).toBe(200);
    rt.addFault({ kind: 'status', target: { route: '/x' }, ttlMs: 10_000, params: { status: 503 } });
    expect(proto.emit).toBe(theirs);
    expect(await statusOf(port)).toBe(503);
    rt.revertAll();
    expect(seen).toBe(2);
    delete (proto as { emit?: Emit }).emit;
  });
});
