/** The typed, frozen shape of faultline.yaml after loading (defaults applied). See docs/reference/config.md. */

export interface HealthCheck {
  /** HTTP URL that must answer 2xx, e.g. http://127.0.0.1:3000/health */
  http?: string;
  /** host:port that must accept a TCP connection */
  tcp?: string;
  timeoutMs: number;
  intervalMs: number;
}

export interface ServiceConfig {
  name: string;
  command: string;
  /** absolute, resolved against the config file's folder */
  cwd: string;
  port?: number;
  env: Record<string, string>;
  health?: HealthCheck;
  dependsOn: string[];
  /** start the service with `node --import faultline/agent` (Node services only) */
  agent: boolean;
  stopTimeoutMs: number;
}

export interface ProxyLinkConfig {
  name: string;
  listen: string;
  upstream: string;
}

export interface FaultProfileEntry {
  kind: string;
  layer: 'proxy' | 'process' | 'agent' | 'network' | 'traffic';
  target: Record<string, string | number>;
  params: Record<string, unknown>;
  /** 0..1, scales the fault (e.g. toxicity, probability) */
  intensity: number;
  /** how often continuous chaos picks it, ms between injections */
  frequencyMs: number;
  durationMs: number;
}

export interface HaltCondition {
  metric: 'errorRate' | 'p99LatencyMs' | 'health';
  /** the metric's value over the last second; with `detector`, the anomaly score (0–1) of the metric's series */
  above?: number;
  below?: number;
  service?: string;
  /** an anomaly detector (`faultline observe detectors`) scoring the metric's series, fed every 250 ms from the run's start */
  detector?: string;
}

export interface SafeZones {
  services: string[];
  /** route patterns, "*" wildcard, optional method prefix: "GET /health", "/admin/*" */
  routes: string[];
  pids: number[];
  /** process names (comm) never touched */
  processes: string[];
  proxies: string[];
  maxConcurrentFaults: number;
  haltConditions: HaltCondition[];
}

export interface FaultlineConfig {
  version: 1;
  /** absolute path of the file, or undefined when defaults were used */
  file?: string;
  /** absolute folder for ledger, logs, state */
  stateDir: string;
  services: Record<string, ServiceConfig>;
  proxy: { listen: string; proxies: ProxyLinkConfig[] };
  profiles: Record<string, FaultProfileEntry[]>;
  safeZones: SafeZones;
  defaults: { ttlMs: number; seed?: number };
  /** the traffic `faultline loop` sends (open loop, constant rate) */
  load?: { url: string; method: string; body?: string; headers?: Record<string, string>; ratePerSec: number; timeoutMs: number; connections: number };
  /** bounds of the steady state for the resilience figures; those left out are derived from the baseline */
  steadyState?: {
    maxErrorRate?: number;
    maxP99LatencyMs?: number;
    minThroughputPerSec?: number;
    /** retained heap growth (after a full GC) of a service across a fault, judged where an agent `profile` probe measured it */
    maxHeapGrowthBytes?: number;
  };
  /** failure-card folders besides the built-in catalogue (absolute), and values of their variables */
  cards: { dirs: string[]; bind: Record<string, string>; loop?: string[] };
  /** where runs write their reports (absolute) and which formats */
  reports: { dir: string; formats: ('json' | 'html' | 'junit')[] };
  /** a Prometheus endpoint during runs */
  metrics?: { listen: string };
  /** `faultline refactor`: verification commands, selection, and the values recipes write into code */
  refactor?: {
    /** the test command line (run with /bin/sh in the worktree); default `npm test` when package.json has a test script */
    test?: string;
    /** the type-check command line, or false for none; default the project's own tsc when tsconfig.json exists */
    typecheck?: string | false;
    checkTimeoutMs?: number;
    minConfidence?: number;
    maxFixes?: number;
    recipes?: string[];
    /** recipe options (timeoutMs, retries, …); validated by the refactor stage (docs/reference/recipes.md) */
    options?: Record<string, unknown>;
    /** characterisation tests of weakly covered functions (absolute coverage path) */
    characterise?: { enabled: boolean; runs: number; coverage?: string };
  };
  /** `faultline gate`, `promote`, `rollback`, `serve` (docs/reference/promote.md); paths absolute */
  promote?: {
    /** base coverage threshold B, percent */
    baseCoverage: number;
    coverage?: string;
    mutation?: string;
    audit?: string;
    modules?: PromoteModuleConfig[];
    raise: { stepPct: number; decayAfter: number; maxPct: number };
    watch: {
      windowMs: number;
      intervalMs: number;
      failAfter: number;
      health?: string;
      load?: string;
      ratePerSec: number;
      maxErrorRate?: number;
      maxP99LatencyMs?: number;
      prometheus?: { url: string; query: string; above?: number; below?: number };
    };
    rollback: {
      adapter: 'symlink' | 'kubectl' | 'command';
      releasesDir: string;
      current: string;
      timeoutMs: number;
      command?: string;
      kubectl?: { deployment: string; namespace?: string; context?: string; container?: string; binary: string };
    };
  };
}

/** A module of promote.modules: repository-relative folders or files. */
export interface PromoteModuleConfig {
  name: string;
  paths: string[];
  criticality?: 'critical' | 'high' | 'medium' | 'low' | 'negligible';
  version?: string;
  service?: string;
  routes?: number;
}
