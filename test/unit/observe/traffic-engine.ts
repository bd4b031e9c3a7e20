/** An injection engine whose safe zones protect one route, recording every route it was asked to admit. */
import { memoryLedger } from '../../../src/core/fault.js';
import { InjectionEngine } from '../../../src/inject/engine.js';
import { TrafficFaults } from '../../../src/observe/malformed.js';

export function routeGuardedEngine(protectedRoute: string): { engine: InjectionEngine; seen: unknown[] } {
  const seen: unknown[] = [];
  const engine = new InjectionEngine({
    stateDir: '/nonexistent-faultline-state',
    ledger: memoryLedger(),
    guard: {
      admit: (r) => {
        seen.push(r.target.route);
        if (r.target.route === protectedRoute) throw Object.assign(new Error('protected'), { code: 'FL_ERR_SAFE_ZONE' });
      },
    },
    services: {} as never,
    traffic: new TrafficFaults(),
  });
  return { engine, seen };
}
