import { describe, expect, it } from 'vitest';
import { readAgentEnv } from '../../../src/inject/agent/env.js';

describe('readAgentEnv', () => {
  it('has safe defaults', () => {
    const { env, problems } = readAgentEnv({}, '/srv/app');
    expect(env).toEqual({ port: 0, stateDir: '/srv/app/.faultline', include: [], exclude: ['**/node_modules/**'], errorCapacity: 1000 });
    expect(problems).toEqual([]);
  });

  it('reads every variable', () => {
    const { env } = readAgentEnv(
      {
        FAULTLINE_AGENT_PORT: '7777',
        FAULTLINE_AGENT_ANNOUNCE: 'ann.json',
        FAULTLINE_STATE_DIR: '/var/fl',
        FAULTLINE_AGENT_INCLUDE: 'src/**, lib/*.mjs',
        FAULTLINE_AGENT_EXCLUDE: '',
        FAULTLINE_AGENT_SEED: '42',
        FAULTLINE_AGENT_TOKEN: 't',
        FAULTLINE_AGENT_ERRORS: '50',
      },
      '/srv/app',
    );
    expect(env).toEqual({ port: 7777, announceFile: '/srv/app/ann.json', stateDir: '/var/fl', include: ['src/**', 'lib/*.mjs'], exclude: [], seed: 42, token: 't', errorCapacity: 50 });
  });

  it('reports malformed values and uses the default', () => {
    const { env, problems } = readAgentEnv({ FAULTLINE_AGENT_PORT: '70000', FAULTLINE_AGENT_SEED: 'abc' }, '/srv');
    expect(env.port).toBe(0);
    expect(env.seed).toBeUndefined();
    expect(problems).toHaveLength(2);
    expect(problems.some((p) => p.startsWith('FAULTLINE_AGENT_PORT=70000 is not an integer'))).toBe(true);
  });
});
