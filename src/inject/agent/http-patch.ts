import http from 'node:http';
import https from 'node:https';
import type { AgentRuntime } from './runtime.js';

type Emit = (this: unknown, type: string | symbol, ...args: unknown[]) => boolean;

/**
 * Route faults: Server#emit of node:http and node:https servers goes through the agent, which reads
 * one boolean while no fault is active. The agent's own control server is excluded by `exempt`.
 */
export function patchHttpServers(rt: AgentRuntime, exempt: WeakSet<object>): void {
  for (const Server of [http.Server, https.Server]) {
    const proto = Server.prototype as unknown as { emit: Emit };
    const origEmit = proto.emit;
    const S = rt.state;
    proto.emit = function emit(this: http.Server, type: string | symbol): boolean {
      if (S.on && type === 'request' && !exempt.has(this)) return rt.onRequest(this, origEmit as (...a: unknown[]) => unknown, arguments);
      return Reflect.apply(origEmit, this, arguments) as boolean;
    } as Emit;
  }
}
