import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { compiledPath } from '../../../src/inject/process/paths.js';
import { agentImportPath, effectiveHealth, serviceEnv, shellArgs, startOrder } from '../../../src/inject/process/supervisor.js';

const svc = (name: string, dependsOn: string[] = [], extra: Partial<ServiceConfig> = {}): ServiceConfig => ({ name, command: 'node s.js', cwd: '/tmp', env: {}, dependsOn, agent: false, stopTimeoutMs: 1000, ...extra });
const map = (...s: ServiceConfig[]) => Object.fromEntries(s.map((x) => [x.name, x]));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isFaultlineError(e) ? e.code : String(e);
  }
}

describe('startOrder', () => {
  it('puts dependencies first and pulls them in for named services', () => {
    const s = map(svc('web', ['api']), svc('api', ['db', 'cache']), svc('db'), svc('cache'), svc('other'));
    expect(startOrder(s, ['web']).map((x) => x.name)).toEqual(['db', 'cache', 'api', 'web']);
    expect(startOrder(s).map((x) => x.name)).toEqual(['db', 'cache', 'api', 'web', 'other']);
  });

  it('names the cycle, unknown dependencies and unknown services', () => {
    expect(codeOf(() => startOrder(map(svc('a', ['b']), svc('b', ['c']), svc('c', ['a']))))).toBe('FL_ERR_CONFIG_INVALID');
    try {
      startOrder(map(svc('a', ['b']), svc('b', ['a'])));
    } catch (e) {
      expect((e as Error).message).toContain('a -> b -> a');
    }
    expect(codeOf(() => startOrder(map(svc('a', ['ghost']))))).toBe('FL_ERR_CONFIG_INVALID');
    expect(codeOf(() => startOrder(map(svc('a')), ['b']))).toBe('FL_ERR_SERVICE_NOT_FOUND');
  });
});

describe('service environment and command', () => {
  it('adds the agent with --import of the compiled register.js to NODE_OPTIONS', () => {
    const env = serviceEnv(svc('a', [], { agent: true, env: { NODE_OPTIONS: '--max-old-space-size=256' } }), {});
    expect(env.NODE_OPTIONS).toBe(`--max-old-space-size=256 --import ${agentImportPath()}`);
    expect(agentImportPath()).toMatch(/^\/.*\/dist\/inject\/agent\/register\.js$/);
    expect(serviceEnv(svc('b'), {}).NODE_OPTIONS).toBeUndefined();
  });

  it('drops libfaketime inherited from the caller, keeps other preloads, applies overrides last', () => {
    const env = serviceEnv(svc('a', [], { env: { A: '1', B: '1' } }), { FAKETIME: '+1h', LD_PRELOAD: '/x/libfaketime.so.1:/y/other.so', PATH: '/bin' }, { B: '2' });
    expect(env).toEqual({ LD_PRELOAD: '/y/other.so', PATH: '/bin', A: '1', B: '2' });
  });

  it('execs simple commands so the PID is the program, and leaves shell pipelines alone', () => {
    expect(shellArgs('node server.js --port 3000')).toEqual(['-c', 'exec node server.js --port 3000']);
    expect(shellArgs('npm run build && node dist/x.js')).toEqual(['-c', 'npm run build && node dist/x.js']);
  });

  it('maps compiled helper paths from src/ to dist/', () => {
    expect(compiledPath('./ttl-guard.js', 'file:///repo/src/inject/process/active.ts')).toBe('/repo/dist/inject/process/ttl-guard.js');
    expect(compiledPath('./ttl-guard.js', 'file:///repo/dist/inject/process/active.js')).toBe('/repo/dist/inject/process/ttl-guard.js');
  });

  it('falls back to a TCP check on the port when no health check is configured', () => {
    expect(effectiveHealth(svc('a', [], { port: 3000 }))).toEqual({ tcp: '127.0.0.1:3000', timeoutMs: 10_000, intervalMs: 100 });
    expect(effectiveHealth(svc('a'))).toBeUndefined();
  });
});
