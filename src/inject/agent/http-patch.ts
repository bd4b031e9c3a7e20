import http from 'node:http';
import https from 'node:https';
import type { AgentRuntime } from './runtime.js';

type Emit = (this: unknown, type: string | symbol, ...args: unknown[]) => boolean;

/**
 * Route faults: while at least one fault is active, Server#emit of node:http and node:https servers goes through
 * the agent (route faults, 5xx evidence); while the agent is idle the prototypes are left as they were, so an
 * idle agent costs requests nothing. The agent's own control server is excluded by `exempt`.
 */
export function patchHttpServers(rt: AgentRuntime, exempt: WeakSet<object>): void {
  const patches = [http.Server, https.Server].map((Server) => {
    const proto = Server.prototype as unknown as { emit: Emit };
    let origEmit: Emit = proto.emit;
    let hadOwn = false;
    const S = rt.state;
    const patched = function emit(this: http.Server, type: string | symbol): boolean {
      if (S.on && type === 'request' && !exempt.has(this)) return rt.onRequest(this, origEmit as (...a: unknown[]) => unknown, arguments);
      return Reflect.apply(origEmit, this, arguments) as boolean;
    } as Emit;
    let installed = false;
    return {
      install(): void {
        if (installed) return;
        installed = true;
        hadOwn = Object.hasOwn(proto, 'emit');
        origEmit = proto.emit;
        proto.emit = patched;
      },
      remove(): void {
        // someone wrapped emit after us: stay in their chain (ours passes straight through while idle)
        if (!installed || !Object.hasOwn(proto, 'emit') || proto.emit !== patched) return;
        installed = false;
        if (hadOwn) proto.emit = origEmit;
        else delete (proto as { emit?: Emit }).emit;
      },
    };
  });
  rt.onActiveChange((on) => {
    for (const p of patches) {
      if (on) p.install();
      else p.remove();
    }
  });
  if (rt.state.on) for (const p of patches) p.install();
}
