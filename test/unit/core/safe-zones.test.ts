import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config.js';
import type { ActiveFault, FaultRequest } from '../../../src/core/fault.js';
import { createGuard, routeMatches, routesOverlap } from '../../../src/core/safe-zones.js';

const cfg = parseConfig(
  `services:
  api: { command: x }
  db: { command: y }
profiles:
  api:
    - { kind: pause, layer: process, duration: 10s }
safeZones:
  services: [db]
  routes: ["GET /health", "/admin/*"]
  pids: [4242]
  processes: [sshd]
  proxies: [payments]
  maxConcurrentFaults: 2
`,
  '/f.yaml',
);
const guard = createGuard(cfg, { processName: (pid) => (pid === 777 ? 'sshd' : 'node') });
const req = (r: Partial<FaultRequest>): FaultRequest => ({ kind: 'pause', layer: 'process', target: {}, params: {}, ttlMs: 1000, ...r });
const codeOf = (f: () => void): string | undefined => {
  try {
    f();
  } catch (e) {
    return `${(e as { code: string }).code} ${(e as Error).message}`;
  }
  return undefined;
};

describe('safe zones', () => {
  it('matches routes with methods and wildcards', () => {
    expect(routeMatches('GET /health', 'GET /health')).toBe(true);
    expect(routeMatches('GET /health', 'POST /health')).toBe(false);
    expect(routeMatches('/admin/*', 'DELETE /admin/users/1')).toBe(true);
    expect(routeMatches('/admin/*', '/public')).toBe(false);
  });
  it('sees overlap between a protected route and a fault aimed at a route glob', () => {
    expect(routesOverlap('GET /health', '*')).toBe(true);
    expect(routesOverlap('GET /health', 'GET /*')).toBe(true);
    expect(routesOverlap('GET /health', 'POST /*')).toBe(false);
    expect(routesOverlap('/admin/*', '/admin/users')).toBe(true);
    expect(routesOverlap('/admin/*', '/api/*')).toBe(false);
    expect(routesOverlap('/admin/*', '/ad*')).toBe(true);
    expect(codeOf(() => guard.admit(req({ layer: 'proxy', kind: 'http_status', target: { proxy: 'x', route: '*' } }), []))).toMatch(/safeZones.routes/);
  });

  it('refuses each protected target, naming the rule', () => {
    expect(codeOf(() => guard.admit(req({ target: { service: 'db' } }), []))).toMatch(/FL_ERR_SAFE_ZONE refused by safeZones.services/);
    expect(codeOf(() => guard.admit(req({ target: { route: 'GET /health' } }), []))).toMatch(/safeZones.routes/);
    expect(codeOf(() => guard.admit(req({ target: { pid: 4242 } }), []))).toMatch(/safeZones.pids/);
    expect(codeOf(() => guard.admit(req({ target: { pid: 777 } }), []))).toMatch(/safeZones.processes: process "sshd"/);
    expect(codeOf(() => guard.admit(req({ target: { pid: 1 } }), []))).toMatch(/PID 1/);
    expect(codeOf(() => guard.admit(req({ target: { pid: process.pid } }), []))).toMatch(/itself/);
    expect(codeOf(() => guard.admit(req({ layer: 'proxy', kind: 'latency', target: { proxy: 'payments' } }), []))).toMatch(/safeZones.proxies/);
  });
  it('enforces profiles: only listed faults, at most their duration', () => {
    expect(codeOf(() => guard.admit(req({ target: { service: 'api' } }), []))).toBeUndefined();
    expect(codeOf(() => guard.admit(req({ kind: 'kill', target: { service: 'api' } }), []))).toMatch(/profiles.api: service "api" allows only process\/pause/);
    expect(codeOf(() => guard.admit(req({ ttlMs: 60_000, target: { service: 'api' } }), []))).toMatch(/at most 10000 ms/);
  });
  it('limits concurrent faults and requires a ttl', () => {
    const active = [1, 2].map((i) => ({ ...req({}), id: `f${i}`, startedAt: 0, expiresAt: 1 }) as ActiveFault);
    expect(codeOf(() => guard.admit(req({ target: { service: 'api' } }), active))).toMatch(/FL_ERR_MAX_CONCURRENT_FAULTS/);
    expect(codeOf(() => guard.admit(req({ ttlMs: 0 }), []))).toMatch(/FL_ERR_TTL_REQUIRED/);
  });
});
