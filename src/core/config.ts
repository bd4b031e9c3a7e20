/**
 * faultline.yaml: its schema (with defaults), and loadConfig(), which returns a frozen typed config or throws
 * one FL_ERR_CONFIG_INVALID error that lists every problem as file:line:col field: message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import type { FaultlineConfig, FaultProfileEntry, HaltCondition, PromoteModuleConfig, ServiceConfig } from './config-types.js';
import { parseBytes, parseDurationMs } from './duration.js';
import { FaultlineError } from './errors.js';
import { validate, type JsonSchema, type SchemaProblem } from './schema.js';
import { assertLocalTarget } from './net.js';

const duration: JsonSchema = { type: ['string', 'integer'], format: 'duration' };
const hostport: JsonSchema = { type: 'string', format: 'hostport' };

const serviceSchema: JsonSchema = {
  type: 'object',
  description: 'A service faultline starts, supervises and injects faults into.',
  required: ['command'],
  properties: {
    command: { type: 'string', minLength: 1, description: 'Shell command that starts the service (run with /bin/sh -c).' },
    cwd: { type: 'string', default: '.', description: 'Working folder, relative to this file.' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    env: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, default: {} },
    health: {
      type: 'object',
      properties: {
        http: { type: 'string', pattern: '^https?://' },
        tcp: hostport,
        timeout: { ...duration, default: '15s' },
        interval: { ...duration, default: '100ms' },
      },
    },
    dependsOn: { type: 'array', items: { type: 'string' }, default: [] },
    agent: { type: 'boolean', default: false, description: 'Start with `node --import faultline/agent`.' },
    stopTimeout: { ...duration, default: '5s' },
  },
};

const profileEntrySchema: JsonSchema = {
  type: 'object',
  required: ['kind', 'layer'],
  properties: {
    kind: { type: 'string', minLength: 1 },
    layer: { type: 'string', enum: ['proxy', 'process', 'agent', 'network', 'traffic'] },
    target: { type: 'object', additionalProperties: { type: ['string', 'integer'] }, default: {} },
    params: { type: 'object', additionalProperties: true, default: {} },
    intensity: { type: 'number', minimum: 0, maximum: 1, default: 1 },
    frequency: { ...duration, default: '1m' },
    duration: { ...duration, default: '10s' },
  },
};

export const configSchema: JsonSchema = {
  type: 'object',
  description: 'faultline.yaml: services, proxies, fault profiles and safe zones.',
  properties: {
    version: { type: 'integer', enum: [1], default: 1 },
    stateDir: { type: 'string', default: '.faultline' },
    services: { type: 'object', additionalProperties: serviceSchema, default: {} },
    proxy: {
      type: 'object',
      default: {},
      properties: {
        listen: { ...hostport, default: '127.0.0.1:8474' },
        proxies: {
          type: 'array',
          default: [],
          items: { type: 'object', required: ['name', 'listen', 'upstream'], properties: { name: { type: 'string', minLength: 1 }, listen: hostport, upstream: hostport } },
        },
      },
    },
    profiles: { type: 'object', additionalProperties: { type: 'array', items: profileEntrySchema }, default: {} },
    safeZones: {
      type: 'object',
      default: {},
      properties: {
        services: { type: 'array', items: { type: 'string' }, default: [] },
        routes: { type: 'array', items: { type: 'string' }, default: [] },
        pids: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [] },
        processes: { type: 'array', items: { type: 'string' }, default: [] },
        proxies: { type: 'array', items: { type: 'string' }, default: [] },
        maxConcurrentFaults: { type: 'integer', minimum: 1, default: 5 },
        haltConditions: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            required: ['metric'],
            properties: { metric: { type: 'string', enum: ['errorRate', 'p99LatencyMs', 'health'] }, above: { type: 'number' }, below: { type: 'number' }, service: { type: 'string' }, detector: { type: 'string', description: 'an anomaly detector scoring the metric; `above` is then its score (0–1)' } },
          },
        },
      },
    },
    load: {
      type: 'object',
      description: 'The traffic `faultline loop` sends while it injects faults (open loop, constant rate).',
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], default: 'GET' },
        body: { type: 'string' },
        rate: { type: 'number', minimum: 1, maximum: 10000, default: 50 },
        timeout: { ...duration, default: '2s' },
        headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'request headers' },
        connections: { type: 'integer', minimum: 1, maximum: 1024, default: 64, description: 'maximum sockets' },
      },
    },
    steadyState: {
      type: 'object',
      description: 'Bounds of the steady state used by the resilience figures; each one left out is derived from the baseline (docs/reference/resilience-figures.md).',
      properties: {
        maxErrorRate: { type: 'number', minimum: 0, maximum: 1 },
        maxP99Latency: { ...duration },
        minThroughput: { type: 'number', minimum: 0, description: 'successful responses per second' },
        maxHeapGrowth: {
          type: ['string', 'integer'],
          format: 'bytes',
          description: "retained JS heap growth (after a full GC) of a service across a fault, measured by the agent's profile probe when a card runs one (e.g. 1MiB)",
        },
      },
    },
    cards: {
      type: 'object',
      default: {},
      description: 'Failure cards: folders of card files besides the built-in catalogue, and values for their placeholders.',
      properties: {
        dirs: { type: 'array', default: [], items: { type: 'string' } },
        bind: { type: 'object', default: {}, additionalProperties: { type: 'string' } },
        loop: { type: 'array', items: { type: 'string' }, description: 'card ids `faultline loop` drills, in order (default: the fault profiles)' },
      },
    },
    reports: {
      type: 'object',
      default: {},
      properties: {
        dir: { type: 'string', default: 'runs', description: 'where runs write their reports; relative to stateDir' },
        formats: { type: 'array', default: ['json', 'html', 'junit'], items: { type: 'string', enum: ['json', 'html', 'junit'] } },
      },
    },
    metrics: {
      type: 'object',
      description: 'A Prometheus endpoint exposing faultline\'s metrics during runs.',
      properties: { listen: { type: 'string', description: 'host:port, e.g. 127.0.0.1:9464 (port 0 picks one)' } },
    },
    defaults: { type: 'object', default: {}, properties: { ttl: { ...duration, default: '60s' }, seed: { type: 'integer', minimum: 0 } } },
    refactor: {
      type: 'object',
      description: '`faultline refactor`: how fixes are verified and chosen, and the values recipes write into code (docs/reference/refactor.md, docs/reference/recipes.md).',
      properties: {
        test: { type: 'string', description: 'test command line run in the worktree (default: `npm test` when package.json has a test script)' },
        typecheck: { type: ['string', 'boolean'], description: 'type-check command line, or false for none (default: the project\'s tsc when tsconfig.json exists)' },
        checkTimeout: { ...duration, default: '10m', description: 'time limit of each check run' },
        minConfidence: { type: 'number', minimum: 0, maximum: 1, description: 'skip targets below this confidence (default 0.5)' },
        maxFixes: { type: 'integer', minimum: 1, description: 'fixes attempted per run (default 10)' },
        recipes: { type: 'array', items: { type: 'string' }, description: 'allow-list of recipe ids' },
        options: { type: 'object', description: 'recipe options: timeoutMs, retries, … (validated by the refactor stage)' },
        characterise: {
          type: 'object',
          description: 'characterisation tests: before a fix touches a weakly covered function, pin its behaviour on generated inputs and require the same after',
          properties: {
            enabled: { type: 'boolean', default: true },
            runs: { type: 'integer', minimum: 1, maximum: 10000, default: 100, description: 'generated inputs per function' },
            coverage: { type: 'string', description: 'istanbul coverage-final.json deciding what is weakly covered (default coverage/coverage-final.json when it exists, else: no test mentions the function)' },
          },
        },
      },
    },
    promote: {
      type: 'object',
      description: '`faultline gate`, `promote`, `rollback` and `serve`: modules, the base coverage threshold, its raise after rollbacks, the watch window and the rollback adapter (docs/reference/promote.md).',
      properties: {
        baseCoverage: { type: 'number', minimum: 0, maximum: 100, default: 80, description: 'base line-coverage threshold B, percent; FIS raises it ×1.10 / ×1.20 and blocks at FIS ≥ 0.8' },
        coverage: { type: 'string', description: 'coverage report (istanbul coverage-summary.json / coverage-final.json, lcov.info, cobertura XML); default: the first found under coverage/' },
        mutation: { type: 'string', description: 'Stryker mutation report (mutation.json), shown beside decisions' },
        audit: { type: 'string', description: 'saved `npm audit --json` output, shown beside decisions' },
        modules: {
          type: 'array',
          description: 'the modules (default: the workspace packages of package.json, else the whole project as one module)',
          items: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string', minLength: 1 },
              path: { type: 'string', description: 'folder or file of the module, relative to the project' },
              paths: { type: 'array', items: { type: 'string' }, description: 'several folders or files' },
              criticality: { type: 'string', enum: ['critical', 'high', 'medium', 'low', 'negligible'] },
              version: { type: 'string' },
              service: { type: 'string', description: 'the service of faultline.yaml that runs this module (restarted on rollback, watched after promotion)' },
              routes: { type: 'integer', minimum: 0, description: 'HTTP routes that depend on the module' },
            },
          },
        },
        raise: {
          type: 'object',
          default: {},
          description: 'after a rollback the module needs more coverage: +step points per rollback, one step less after decayAfter successful promotions in a row',
          properties: {
            step: { type: 'number', minimum: 0, maximum: 100, default: 5 },
            decayAfter: { type: 'integer', minimum: 1, default: 3 },
            max: { type: 'number', minimum: 0, maximum: 100, default: 20 },
          },
        },
        watch: {
          type: 'object',
          default: {},
          description: 'the window after a promotion in which a failing module is rolled back',
          properties: {
            window: { ...duration, default: '60s' },
            interval: { ...duration, default: '1s' },
            failAfter: { type: 'integer', minimum: 1, default: 2, description: 'consecutive bad samples that fail the window' },
            health: { type: 'string', pattern: '^https?://', description: 'health URL (default: the service\'s health.http)' },
            load: { type: 'string', pattern: '^https?://', description: 'URL to send traffic to during the window, measuring error rate and p99 (default: load.url)' },
            rate: { type: 'number', minimum: 1, default: 20, description: 'requests per second of that traffic' },
            maxErrorRate: { type: 'number', minimum: 0, maximum: 1, description: 'default steadyState.maxErrorRate' },
            maxP99Latency: { ...duration, description: 'default steadyState.maxP99Latency' },
            prometheus: {
              type: 'object',
              required: ['url', 'query'],
              properties: { url: { type: 'string', pattern: '^https?://' }, query: { type: 'string', minLength: 1 }, above: { type: 'number' }, below: { type: 'number' } },
            },
          },
        },
        rollback: {
          type: 'object',
          default: {},
          properties: {
            adapter: { type: 'string', enum: ['symlink', 'kubectl', 'command'], default: 'symlink' },
            releasesDir: { type: 'string', default: 'releases', description: 'symlink: folder of release folders, one per version' },
            current: { type: 'string', default: 'current', description: 'symlink: the link switched among release folders' },
            timeout: { ...duration, default: '2m' },
            command: { type: 'string', description: 'command: run with /bin/sh -c, FAULTLINE_MODULE / _FROM_VERSION / _TO_VERSION / _TO_ARTIFACT / _ACTION in its environment' },
            kubectl: {
              type: 'object',
              required: ['deployment'],
              properties: { deployment: { type: 'string' }, namespace: { type: 'string' }, context: { type: 'string' }, container: { type: 'string' }, binary: { type: 'string', default: 'kubectl' } },
            },
          },
        },
      },
    },
  },
};

export const DEFAULT_CONFIG_FILE = 'faultline.yaml';

/** Position of a path of keys in the YAML document, 1-based. */
function locate(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: (string | number)[]): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best: YamlNode | undefined = node as YamlNode;
  let parentKey: YamlNode | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) {
        // a missing field: point at the key of the mapping that lacks it
        if (parentKey) best = parentKey;
        break;
      }
      parentKey = pair.key as YamlNode;
      // point at the key for unknown/missing fields, at the value otherwise
      best = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
      if (key === path[path.length - 1]) best = pair.key as YamlNode;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      if (node) best = node as YamlNode;
      else break;
    } else break;
  }
  const offset = best?.range?.[0] ?? 0;
  const pos = lc.linePos(offset);
  return { line: pos.line, col: pos.col };
}

const fieldName = (path: (string | number)[]): string => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(root)';

function configError(file: string, items: { line: number; col: number; field: string; message: string }[]): FaultlineError {
  const lines = items.map((p) => `${file}:${p.line}:${p.col} ${p.field}: ${p.message}`);
  return new FaultlineError('FL_ERR_CONFIG_INVALID', `${file} is invalid (${items.length} problem${items.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`, { context: { file, problems: items } });
}

/** Parses and validates text; `file` is used in messages and to resolve relative paths. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): FaultlineConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const items = doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return { line: pos.line, col: pos.col, field: '(syntax)', message: e.message.split('\n')[0] ?? e.message };
    });
    const err = configError(file, items);
    throw new FaultlineError('FL_ERR_CONFIG_PARSE', err.message, { context: err.context });
  }
  const raw = interpolate(doc.toJS() ?? {}, env);
  const { value, problems } = validate(configSchema, raw);
  // cross-field rules assume the shapes are right; where the schema already failed they may not hold
  let extra: SchemaProblem[] = [];
  try {
    extra = semanticProblems(value as RawConfig);
  } catch (e) {
    if (problems.length === 0) throw e;
  }
  const all: SchemaProblem[] = [...problems, ...extra];
  if (all.length > 0) {
    const located = all.map((p) => ({ ...locate(doc, lc, p.path), field: fieldName(p.path), message: p.message }));
    throw configError(file, located.sort((a, b) => a.line - b.line || a.col - b.col));
  }
  return normalize(value as RawConfig, file);
}

/**
 * Replaces ${VAR} and ${VAR:-default} in string values with environment variables (as docker compose does).
 * A value that is wholly one reference and yields a number becomes a number, so `port: ${API_PORT:-3000}` works.
 */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def: string | undefined) => env[name] ?? def ?? '');
    return /^\$\{[^}]+\}$/.test(value) && /^-?\d+(\.\d+)?$/.test(out) ? Number(out) : out;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

interface RawConfig {
  version: 1;
  stateDir: string;
  services: Record<string, { command: string; cwd: string; port?: number; env: Record<string, string | number | boolean>; health?: { http?: string; tcp?: string; timeout: string | number; interval: string | number }; dependsOn: string[]; agent: boolean; stopTimeout: string | number }>;
  proxy: { listen: string; proxies: { name: string; listen: string; upstream: string }[] };
  profiles: Record<string, { kind: string; layer: FaultProfileEntry['layer']; target: Record<string, string | number>; params: Record<string, unknown>; intensity: number; frequency: string | number; duration: string | number }[]>;
  safeZones: { services: string[]; routes: string[]; pids: number[]; processes: string[]; proxies: string[]; maxConcurrentFaults: number; haltConditions: HaltCondition[] };
  defaults: { ttl: string | number; seed?: number };
  load?: { url?: string; method: string; body?: string; rate: number; timeout: string | number; headers?: Record<string, string>; connections: number };
  steadyState?: { maxErrorRate?: number; maxP99Latency?: string | number; minThroughput?: number; maxHeapGrowth?: string | number };
  cards: { dirs: string[]; bind: Record<string, string>; loop?: string[] };
  reports: { dir: string; formats: ('json' | 'html' | 'junit')[] };
  metrics?: { listen?: string };
  refactor?: { test?: string; typecheck?: string | false; checkTimeout: string | number; minConfidence?: number; maxFixes?: number; recipes?: string[]; options?: Record<string, unknown>; characterise?: { enabled: boolean; runs: number; coverage?: string } };
  promote?: {
    baseCoverage: number;
    coverage?: string;
    mutation?: string;
    audit?: string;
    modules?: { name: string; path?: string; paths?: string[]; criticality?: PromoteModuleConfig['criticality']; version?: string; service?: string; routes?: number }[];
    raise: { step: number; decayAfter: number; max: number };
    watch: { window: string | number; interval: string | number; failAfter: number; health?: string; load?: string; rate: number; maxErrorRate?: number; maxP99Latency?: string | number; prometheus?: { url: string; query: string; above?: number; below?: number } };
    rollback: { adapter: 'symlink' | 'kubectl' | 'command'; releasesDir: string; current: string; timeout: string | number; command?: string; kubectl?: { deployment: string; namespace?: string; context?: string; container?: string; binary: string } };
  };
}

function urlHostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
}

/** Cross-field rules the schema cannot express. */
function semanticProblems(c: RawConfig): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const [i, h] of (c.safeZones?.haltConditions ?? []).entries()) {
    if (h.detector === undefined) continue;
    if (h.metric === 'health') out.push({ path: ['safeZones', 'haltConditions', i, 'detector'], message: 'a detector scores a metric series: use errorRate or p99LatencyMs' });
    if (h.above === undefined || !(h.above > 0 && h.above <= 1)) out.push({ path: ['safeZones', 'haltConditions', i, 'above'], message: 'with a detector, above is the anomaly score that halts, between 0 and 1 (e.g. 0.999)' });
    if (h.below !== undefined) out.push({ path: ['safeZones', 'haltConditions', i, 'below'], message: 'with a detector, only above (an anomaly score) applies' });
  }
  for (const [i, m] of (c.promote?.modules ?? []).entries()) {
    if (m.path !== undefined && m.paths !== undefined) out.push({ path: ['promote', 'modules', i, 'paths'], message: 'give path or paths, not both' });
    if (m.service !== undefined && !Object.prototype.hasOwnProperty.call(c.services ?? {}, m.service)) out.push({ path: ['promote', 'modules', i, 'service'], message: `unknown service "${m.service}"; services are: ${Object.keys(c.services ?? {}).join(', ') || '(none)'}` });
    if ((c.promote?.modules ?? []).findIndex((o) => o.name === m.name) !== i) out.push({ path: ['promote', 'modules', i, 'name'], message: `module "${m.name}" is listed twice` });
  }
  if (c.promote?.rollback?.adapter === 'command' && !c.promote.rollback.command) out.push({ path: ['promote', 'rollback', 'command'], message: 'the command adapter needs a command line' });
  if (c.promote?.rollback?.adapter === 'kubectl' && !c.promote.rollback.kubectl) out.push({ path: ['promote', 'rollback', 'kubectl'], message: 'the kubectl adapter needs kubectl.deployment' });
  for (const key of ['health', 'load'] as const) {
    const v = c.promote?.watch?.[key];
    if (v === undefined) continue;
    try {
      assertLocalTarget(urlHostPort(v), key);
    } catch (e) {
      out.push({ path: ['promote', 'watch', key], message: (e as Error).message.replace(/^[^:]*: /, '') });
    }
  }
  if (c.refactor?.typecheck === (true as unknown)) out.push({ path: ['refactor', 'typecheck'], message: 'give a command line, or false for no type-check (the default is the project\'s tsc when tsconfig.json exists)' });
  const names = new Set(Object.keys(c.services ?? {}));
  for (const [name, s] of Object.entries(c.services ?? {})) {
    for (const [i, dep] of (s.dependsOn ?? []).entries()) {
      if (!names.has(dep)) out.push({ path: ['services', name, 'dependsOn', i], message: `unknown service "${dep}"; services are: ${[...names].join(', ')}` });
      if (dep === name) out.push({ path: ['services', name, 'dependsOn', i], message: 'a service cannot depend on itself' });
    }
    for (const key of ['http', 'tcp'] as const) {
      const v = s.health?.[key];
      if (v === undefined) continue;
      try {
        assertLocalTarget(key === 'http' ? urlHostPort(v) : v, `health.${key}`);
      } catch (e) {
        out.push({ path: ['services', name, 'health', key], message: (e as Error).message.replace(/^[^:]*: /, '') });
      }
    }
  }
  for (const [i, p] of (c.proxy?.proxies ?? []).entries()) {
    try {
      assertLocalTarget(p.upstream, 'upstream');
    } catch (e) {
      out.push({ path: ['proxy', 'proxies', i, 'upstream'], message: (e as Error).message.replace(/^[^:]*: /, '') });
    }
  }
  if (c.metrics?.listen) {
    try {
      assertLocalTarget(c.metrics.listen, 'listen');
    } catch (e) {
      out.push({ path: ['metrics', 'listen'], message: (e as Error).message.replace(/^[^:]*: /, '') });
    }
  }
  for (const [svc, entries] of Object.entries(c.profiles ?? {})) {
    if (!names.has(svc)) out.push({ path: ['profiles', svc], message: `no service named "${svc}"; profiles are keyed by service name` });
    for (const [i, e] of (entries ?? []).entries()) {
      if (c.safeZones?.services?.includes(svc)) out.push({ path: ['profiles', svc, i], message: `service "${svc}" is in safeZones.services; a profile cannot target it` });
      if (e.duration !== undefined && e.frequency !== undefined) {
        try {
          if (parseDurationMs(e.duration) > parseDurationMs(e.frequency)) out.push({ path: ['profiles', svc, i, 'duration'], message: 'duration is longer than frequency; faults would overlap' });
        } catch {
          /* reported by the schema */
        }
      }
    }
  }
  if (c.load?.url) {
    try {
      assertLocalTarget(urlHostPort(c.load.url), 'load.url');
    } catch (e) {
      out.push({ path: ['load', 'url'], message: (e as Error).message.replace(/^[^:]*: /, '') });
    }
  }
  for (const [i, h] of (c.safeZones?.haltConditions ?? []).entries()) {
    if (h.metric !== 'health' && h.above === undefined && h.below === undefined) out.push({ path: ['safeZones', 'haltConditions', i], message: 'needs "above" or "below"' });
  }
  return out;
}

function normalize(c: RawConfig, file: string): FaultlineConfig {
  const base = dirname(file);
  const services: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(c.services)) {
    services[name] = {
      name,
      command: s.command,
      cwd: isAbsolute(s.cwd) ? s.cwd : resolve(base, s.cwd),
      ...(s.port !== undefined ? { port: s.port } : {}),
      env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, String(v)])),
      ...(s.health ? { health: { ...(s.health.http ? { http: s.health.http } : {}), ...(s.health.tcp ? { tcp: s.health.tcp } : {}), timeoutMs: parseDurationMs(s.health.timeout), intervalMs: parseDurationMs(s.health.interval) } } : {}),
      dependsOn: s.dependsOn,
      agent: s.agent,
      stopTimeoutMs: parseDurationMs(s.stopTimeout),
    };
  }
  const profiles: Record<string, FaultProfileEntry[]> = {};
  for (const [svc, entries] of Object.entries(c.profiles)) {
    profiles[svc] = entries.map((e) => ({ kind: e.kind, layer: e.layer, target: e.target, params: e.params, intensity: e.intensity, frequencyMs: parseDurationMs(e.frequency), durationMs: parseDurationMs(e.duration) }));
  }
  const cfg: FaultlineConfig = {
    version: 1,
    file,
    stateDir: isAbsolute(c.stateDir) ? c.stateDir : resolve(base, c.stateDir),
    services,
    proxy: { listen: c.proxy.listen, proxies: c.proxy.proxies },
    profiles,
    safeZones: c.safeZones,
    ...(c.load?.url
      ? { load: { url: c.load.url, method: c.load.method, ...(c.load.body !== undefined ? { body: c.load.body } : {}), ...(c.load.headers ? { headers: c.load.headers } : {}), ratePerSec: c.load.rate, timeoutMs: parseDurationMs(c.load.timeout), connections: c.load.connections } }
      : {}),
    ...(c.steadyState
      ? {
          steadyState: {
            ...(c.steadyState.maxErrorRate !== undefined ? { maxErrorRate: c.steadyState.maxErrorRate } : {}),
            ...(c.steadyState.maxP99Latency !== undefined ? { maxP99LatencyMs: parseDurationMs(c.steadyState.maxP99Latency) } : {}),
            ...(c.steadyState.minThroughput !== undefined ? { minThroughputPerSec: c.steadyState.minThroughput } : {}),
            ...(c.steadyState.maxHeapGrowth !== undefined ? { maxHeapGrowthBytes: parseBytes(c.steadyState.maxHeapGrowth, 'steadyState.maxHeapGrowth') } : {}),
          },
        }
      : {}),
    cards: { dirs: c.cards.dirs.map((d) => (isAbsolute(d) ? d : resolve(base, d))), bind: c.cards.bind, ...(c.cards.loop ? { loop: c.cards.loop } : {}) },
    reports: { dir: isAbsolute(c.reports.dir) ? c.reports.dir : resolve(isAbsolute(c.stateDir) ? c.stateDir : resolve(base, c.stateDir), c.reports.dir), formats: c.reports.formats },
    ...(c.metrics?.listen ? { metrics: { listen: c.metrics.listen } } : {}),
    ...(c.refactor
      ? {
          refactor: {
            ...(c.refactor.test !== undefined ? { test: c.refactor.test } : {}),
            ...(c.refactor.typecheck !== undefined ? { typecheck: c.refactor.typecheck } : {}),
            checkTimeoutMs: parseDurationMs(c.refactor.checkTimeout),
            ...(c.refactor.minConfidence !== undefined ? { minConfidence: c.refactor.minConfidence } : {}),
            ...(c.refactor.maxFixes !== undefined ? { maxFixes: c.refactor.maxFixes } : {}),
            ...(c.refactor.recipes ? { recipes: c.refactor.recipes } : {}),
            ...(c.refactor.options ? { options: c.refactor.options } : {}),
            ...(c.refactor.characterise
              ? { characterise: { enabled: c.refactor.characterise.enabled, runs: c.refactor.characterise.runs, ...(c.refactor.characterise.coverage ? { coverage: resolve(base, c.refactor.characterise.coverage) } : {}) } }
              : {}),
          },
        }
      : {}),
    ...(c.promote ? { promote: normalizePromote(c.promote, base) } : {}),
    defaults: { ttlMs: parseDurationMs(c.defaults.ttl), ...(c.defaults.seed !== undefined ? { seed: c.defaults.seed } : {}) },
  };
  return deepFreeze(cfg);
}

function normalizePromote(p: NonNullable<RawConfig['promote']>, base: string): NonNullable<FaultlineConfig['promote']> {
  const w = p.watch;
  const r = p.rollback;
  return {
    baseCoverage: p.baseCoverage,
    ...(p.coverage ? { coverage: resolve(base, p.coverage) } : {}),
    ...(p.mutation ? { mutation: resolve(base, p.mutation) } : {}),
    ...(p.audit ? { audit: resolve(base, p.audit) } : {}),
    ...(p.modules
      ? {
          modules: p.modules.map((m) => ({
            name: m.name,
            paths: m.paths ?? (m.path !== undefined ? [m.path] : []),
            ...(m.criticality ? { criticality: m.criticality } : {}),
            ...(m.version ? { version: m.version } : {}),
            ...(m.service ? { service: m.service } : {}),
            ...(m.routes !== undefined ? { routes: m.routes } : {}),
          })),
        }
      : {}),
    raise: { stepPct: p.raise.step, decayAfter: p.raise.decayAfter, maxPct: p.raise.max },
    watch: {
      windowMs: parseDurationMs(w.window),
      intervalMs: parseDurationMs(w.interval),
      failAfter: w.failAfter,
      ...(w.health ? { health: w.health } : {}),
      ...(w.load ? { load: w.load } : {}),
      ratePerSec: w.rate,
      ...(w.maxErrorRate !== undefined ? { maxErrorRate: w.maxErrorRate } : {}),
      ...(w.maxP99Latency !== undefined ? { maxP99LatencyMs: parseDurationMs(w.maxP99Latency) } : {}),
      ...(w.prometheus ? { prometheus: w.prometheus } : {}),
    },
    rollback: {
      adapter: r.adapter,
      releasesDir: resolve(base, r.releasesDir),
      current: resolve(base, r.current),
      timeoutMs: parseDurationMs(r.timeout),
      ...(r.command ? { command: r.command } : {}),
      ...(r.kubectl ? { kubectl: r.kubectl } : {}),
    },
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Loads faultline.yaml. When `path` is the default and does not exist, returns the defaults (rooted at cwd);
 * an explicitly named file that does not exist is an error.
 */
export function loadConfig(path: string = DEFAULT_CONFIG_FILE, opts: { explicit?: boolean; cwd?: string; env?: NodeJS.ProcessEnv } = {}): FaultlineConfig {
  const file = resolve(opts.cwd ?? process.cwd(), path);
  if (!existsSync(file)) {
    if (opts.explicit) throw new FaultlineError('FL_ERR_CONFIG_NOT_FOUND', `${path} does not exist; pass --config FILE or run \`faultline init\``, { context: { file } });
    const cfg = parseConfig('{}', file);
    return deepFreeze({ ...cfg, file: undefined });
  }
  return parseConfig(readFileSync(file, 'utf8'), file, opts.env);
}
