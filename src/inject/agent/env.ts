import { resolve } from 'node:path';
import { DEFAULT_EXCLUDE, splitList } from './glob.js';

/** The agent's settings, from environment variables (see docs/reference/agent.md). */
export interface AgentEnv {
  /** FAULTLINE_AGENT_PORT, default 0 (ephemeral) */
  port: number;
  /** FAULTLINE_AGENT_ANNOUNCE: a file that receives the announcement too */
  announceFile?: string;
  /** FAULTLINE_STATE_DIR, default ./.faultline */
  stateDir: string;
  /** FAULTLINE_AGENT_INCLUDE (comma-separated globs), default: every file */
  include: string[];
  /** FAULTLINE_AGENT_EXCLUDE (comma-separated globs), default: **\/node_modules/** */
  exclude: string[];
  /** FAULTLINE_AGENT_SEED */
  seed?: number;
  /** FAULTLINE_AGENT_TOKEN */
  token?: string;
  /** FAULTLINE_AGENT_ERRORS: error ring size, default 1000 */
  errorCapacity: number;
}

/** Reads the settings; a malformed value is reported in `problems` and its default used (the agent never stops the target). */
export function readAgentEnv(env: NodeJS.ProcessEnv, cwd: string): { env: AgentEnv; problems: string[] } {
  const problems: string[] = [];
  const int = (name: string, min: number, max: number, dflt: number | undefined): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return dflt;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    problems.push(`${name}=${raw} is not an integer in ${min}..${max}; using ${dflt ?? 'none'}`);
    return dflt;
  };
  const seed = int('FAULTLINE_AGENT_SEED', 0, 4_294_967_295, undefined);
  const exclude = env.FAULTLINE_AGENT_EXCLUDE === undefined ? [...DEFAULT_EXCLUDE] : splitList(env.FAULTLINE_AGENT_EXCLUDE);
  return {
    env: {
      port: int('FAULTLINE_AGENT_PORT', 0, 65535, 0) ?? 0,
      stateDir: resolve(cwd, env.FAULTLINE_STATE_DIR || '.faultline'),
      include: splitList(env.FAULTLINE_AGENT_INCLUDE),
      exclude,
      errorCapacity: int('FAULTLINE_AGENT_ERRORS', 1, 1_000_000, 1000) ?? 1000,
      ...(env.FAULTLINE_AGENT_ANNOUNCE ? { announceFile: resolve(cwd, env.FAULTLINE_AGENT_ANNOUNCE) } : {}),
      ...(seed === undefined ? {} : { seed }),
      ...(env.FAULTLINE_AGENT_TOKEN ? { token: env.FAULTLINE_AGENT_TOKEN } : {}),
    },
    problems,
  };
}
