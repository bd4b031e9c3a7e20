import { resolve } from 'node:path';
import { parseBreakModules } from './break-modules.js';
import { describeThrown } from './evidence.js';
import { parseFaultSpec, type FaultSpec } from './fault-spec.js';
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
  /** FAULTLINE_AGENT_FAULTS: faults armed at start-up (a JSON list of POST /v1/faults bodies, each with its TTL); absent when unset */
  startupFaults?: FaultSpec[];
  /** FAULTLINE_AGENT_EVIDENCE_DIR: the agent writes <dir>/<pid>.json (its faults and recorded errors) while it runs and at exit */
  evidenceDir?: string;
  /** FAULTLINE_AGENT_BREAK_MODULES (comma-separated module patterns): modules whose import/require throws an injected SyntaxError; absent when unset, blank or malformed */
  breakModules?: string[];
}

/**
 * Parses FAULTLINE_AGENT_FAULTS: a JSON list (or one object) of fault bodies as POST /v1/faults takes them
 * (`kind`, `target`, `ttlMs` required). Each invalid entry is left out and described in `problems`.
 */
export function parseStartupFaults(raw: string): { faults: FaultSpec[]; problems: string[] } {
  const problems: string[] = [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    return { faults: [], problems: [`FAULTLINE_AGENT_FAULTS is not valid JSON (${describeThrown(e).message}); no fault is armed at start-up`] };
  }
  const list = Array.isArray(value) ? value : [value];
  const faults: FaultSpec[] = [];
  list.forEach((body, i) => {
    try {
      faults.push(parseFaultSpec(body));
    } catch (e) {
      problems.push(`FAULTLINE_AGENT_FAULTS[${i}] is left out: ${describeThrown(e).message}`);
    }
  });
  return { faults, problems };
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
  let startupFaults: FaultSpec[] | undefined;
  if (env.FAULTLINE_AGENT_FAULTS !== undefined && env.FAULTLINE_AGENT_FAULTS.trim() !== '') {
    const parsed = parseStartupFaults(env.FAULTLINE_AGENT_FAULTS);
    startupFaults = parsed.faults;
    problems.push(...parsed.problems);
  }
  const broken = parseBreakModules(env.FAULTLINE_AGENT_BREAK_MODULES);
  problems.push(...broken.problems);
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
      ...(startupFaults === undefined ? {} : { startupFaults }),
      ...(env.FAULTLINE_AGENT_EVIDENCE_DIR ? { evidenceDir: resolve(cwd, env.FAULTLINE_AGENT_EVIDENCE_DIR) } : {}),
      ...(broken.patterns.length > 0 ? { breakModules: broken.patterns } : {}),
    },
    problems,
  };
}
