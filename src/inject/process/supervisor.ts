/**
 * Starts the services of faultline.yaml as child processes (dependency order, env, cwd, logs, health), stops
 * them (SIGTERM to the process group, SIGKILL after stopTimeoutMs), restarts them, and attaches to processes it
 * did not start. Every running service is recorded in <stateDir>/services.json, so the CLI, in-process
 * supervisors and detached TTL guards all see the same services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { HealthCheck, ServiceConfig } from '../../core/config-types.js';
import { FaultlineError } from '../../core/errors.js';
import { nullLedger, type LedgerSink } from '../../core/fault.js';
import { assertLocalTarget, splitHostPort } from '../../core/net.js';
import { compiledPath } from './paths.js';
import { CLOCK_TICKS_PER_SECOND, bootTimeMs, isSameProcess, readCmdline, readProcStat, readProcStatOrThrow, signalChecked, waitForExit } from './proc.js';
import { logsDir, readJson, serviceLogFile, servicesFile, withFileLock, writeJsonAtomic } from './state.js';

/** Absolute path of the compiled in-process agent (dist/inject/agent/register.js), used in NODE_OPTIONS. */
export function agentImportPath(): string {
  return compiledPath('../agent/register.js', import.meta.url);
}

export interface ServiceRecord {
  name: string;
  pid: number;
  /** field 22 of /proc/<pid>/stat at start: guards every later signal against PID reuse */
  startTimeTicks: number;
  command: string;
  cwd?: string;
  port?: number;
  /** ms since the epoch */
  startedAt: number;
  /** true when recorded with `up --attach`: faultline did not start it and never stops it */
  attached: boolean;
  log?: string;
  /** environment a fault added on top of the service's own (e.g. libfaketime) */
  overrides?: Record<string, string>;
}

interface ServicesState {
  version: 1;
  services: Record<string, ServiceRecord>;
}

export function readServiceRecords(stateDir: string): Record<string, ServiceRecord> {
  return readJson<ServicesState>(servicesFile(stateDir))?.services ?? {};
}

function updateServiceRecords(stateDir: string, fn: (s: Record<string, ServiceRecord>) => void): void {
  const file = servicesFile(stateDir);
  withFileLock(file, () => {
    const services = readJson<ServicesState>(file)?.services ?? {};
    fn(services);
    writeJsonAtomic(file, { version: 1, services } satisfies ServicesState);
  });
}

/** The record when the process is still alive and still the same process (start time matches). */
export function liveServiceRecord(stateDir: string, name: string): ServiceRecord | undefined {
  const rec = readServiceRecords(stateDir)[name];
  return rec && isSameProcess(rec.pid, rec.startTimeTicks) ? rec : undefined;
}

/**
 * The services to start for `names` (all when empty) plus everything they depend on, dependencies first.
 * Throws FL_ERR_SERVICE_NOT_FOUND for unknown names and FL_ERR_CONFIG_INVALID for unknown dependencies or cycles.
 */
export function startOrder(services: Record<string, ServiceConfig>, names: readonly string[] = []): ServiceConfig[] {
  for (const n of names) {
    if (!services[n]) throw serviceNotFound(n, services);
  }
  const roots = names.length > 0 ? names : Object.keys(services);
  const order: ServiceConfig[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
      throw new FaultlineError('FL_ERR_CONFIG_INVALID', `services.dependsOn forms a cycle: ${cycle}; remove one of these dependsOn entries`, { context: { cycle } });
    }
    const svc = services[name];
    if (!svc) {
      const from = path[path.length - 1] ?? '';
      throw new FaultlineError('FL_ERR_CONFIG_INVALID', `services.${from}.dependsOn: "${name}" is not a service in faultline.yaml; known services: ${Object.keys(services).join(', ')}`);
    }
    state.set(name, 'visiting');
    for (const dep of svc.dependsOn) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(svc);
  };
  for (const r of roots) visit(r, []);
  return order;
}

function serviceNotFound(name: string, services: Record<string, unknown>): FaultlineError {
  return new FaultlineError('FL_ERR_SERVICE_NOT_FOUND', `no service "${name}" in faultline.yaml; known services: ${Object.keys(services).join(', ') || '(none)'}`, { context: { service: name } });
}

/** A copy of `base` without libfaketime (FAKETIME* variables and its LD_PRELOAD entry). */
export function withoutFaketime(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of Object.keys(env)) if (k.startsWith('FAKETIME')) delete env[k];
  const preload = (env.LD_PRELOAD ?? '').split(/[\s:]+/).filter((p) => p !== '' && !p.includes('libfaketime'));
  if (preload.length > 0) env.LD_PRELOAD = preload.join(':');
  else delete env.LD_PRELOAD;
  return env;
}

/** The environment of a service: the caller's environment (without libfaketime), the service's env, then overrides. */
export function serviceEnv(svc: ServiceConfig, base: NodeJS.ProcessEnv, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = withoutFaketime(base);
  Object.assign(env, svc.env, overrides);
  if (svc.agent) {
    const path = agentImportPath();
    const entry = `--import ${/\s/.test(path) ? JSON.stringify(path) : path}`;
    env.NODE_OPTIONS = env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ${entry}` : entry;
  }
  return env;
}

/**
 * `/bin/sh -c` arguments for a command. A simple command (no shell operators) is run with `exec`, so the
 * recorded PID is the program itself rather than a shell around it.
 */
export function shellArgs(command: string): string[] {
  return ['-c', /[;&|()`\n]/.test(command) ? command : `exec ${command}`];
}

/** One health probe: HTTP 2xx or a TCP connect, each bounded by `timeoutMs`. Only loopback targets. */
export function probeHealth(health: Pick<HealthCheck, 'http' | 'tcp'>, timeoutMs: number): Promise<boolean> {
  if (health.http) {
    const url = new URL(health.http);
    assertLocalTarget(`${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`, 'health.http');
    return new Promise((resolve) => {
      const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }
  if (health.tcp) {
    assertLocalTarget(health.tcp, 'health.tcp');
    const { host, port } = splitHostPort(health.tcp, 'health.tcp');
    return new Promise((resolve) => {
      const sock = connect({ host, port, timeout: timeoutMs });
      const done = (ok: boolean): void => {
        sock.destroy();
        resolve(ok);
      };
      sock.once('connect', () => done(true));
      sock.once('timeout', () => done(false));
      sock.once('error', () => done(false));
    });
  }
  return Promise.resolve(true);
}

/** The health check of a service: its own, or a TCP connect to 127.0.0.1:port when only a port is set. */
export function effectiveHealth(svc: ServiceConfig): HealthCheck | undefined {
  if (svc.health && (svc.health.http || svc.health.tcp)) return svc.health;
  if (svc.port !== undefined) return { tcp: `127.0.0.1:${svc.port}`, timeoutMs: svc.health?.timeoutMs ?? 10_000, intervalMs: svc.health?.intervalMs ?? 100 };
  return undefined;
}

function tailOfFile(file: string, lines = 10): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface StartOptions {
  stateDir: string;
  /** base environment (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** extra environment on top of the service's own, recorded as `overrides` */
  overrides?: Record<string, string>;
  /** called with the child right after spawn (the in-process supervisor listens for its exit) */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Starts one service detached (own session and process group, stdio to its log file, unref'd so the caller
 * may exit), waits until it is healthy and records it in services.json. On early exit or health timeout the
 * process group is killed and FL_ERR_SERVICE_START names the log file.
 */
export async function startServiceProcess(svc: ServiceConfig, opts: StartOptions): Promise<ServiceRecord> {
  mkdirSync(logsDir(opts.stateDir), { recursive: true });
  const log = serviceLogFile(opts.stateDir, svc.name);
  const fd = openSync(log, 'a');
  let child: ChildProcess;
  try {
    writeSync(fd, `--- faultline: starting ${svc.name} at ${new Date().toISOString()}: ${svc.command}${opts.overrides ? ` (with ${Object.keys(opts.overrides).join(', ')})` : ''}\n`);
    child = spawn('/bin/sh', shellArgs(svc.command), {
      cwd: svc.cwd,
      // FAULTLINE_STATE_DIR: where the in-process agent announces itself, so `inject --service` finds it
      env: { ...serviceEnv(svc, opts.env ?? process.env, opts.overrides), FAULTLINE_STATE_DIR: svc.env.FAULTLINE_STATE_DIR ?? opts.stateDir },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
  if (spawnError || child.pid === undefined) {
    throw new FaultlineError('FL_ERR_SERVICE_START', `service "${svc.name}" could not be started in ${svc.cwd}: ${spawnError?.message ?? 'no PID'}; check services.${svc.name}.cwd`, { cause: spawnError, context: { service: svc.name, log } });
  }
  child.unref();
  opts.onSpawn?.(child);
  const pid = child.pid;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  });
  const startTimeTicks = readProcStat(pid)?.startTimeTicks ?? 0;
  const health = effectiveHealth(svc);
  const timeoutMs = health?.timeoutMs ?? 10_000;
  const intervalMs = Math.max(10, health?.intervalMs ?? 100);
  const deadline = Date.now() + timeoutMs;
  const fail = async (why: string): Promise<never> => {
    await stopProcessGroup(pid, startTimeTicks, 2000);
    const tail = tailOfFile(log);
    throw new FaultlineError('FL_ERR_SERVICE_START', `service "${svc.name}" ${why}; see its log ${log}${tail ? `, which ends with:\n${tail}` : ''}`, { context: { service: svc.name, log } });
  };
  if (!health) {
    // no health check: the service counts as started when it is still running shortly after spawn
    await new Promise((r) => setTimeout(r, Math.min(200, timeoutMs)));
  }
  for (;;) {
    if (exited !== undefined) return fail(`${exited} before becoming healthy`);
    if (!health) break;
    if (await probeHealth(health, Math.max(100, Math.min(2000, intervalMs * 5)))) break;
    if (exited !== undefined) return fail(`${exited} before becoming healthy`);
    if (Date.now() >= deadline) return fail(`did not become healthy within ${timeoutMs} ms (${health.http ? `GET ${health.http}` : `TCP ${health.tcp}`})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const record: ServiceRecord = { name: svc.name, pid, startTimeTicks, command: svc.command, cwd: svc.cwd, startedAt: Date.now(), attached: false, log };
  if (svc.port !== undefined) record.port = svc.port;
  if (opts.overrides) record.overrides = opts.overrides;
  updateServiceRecords(opts.stateDir, (s) => {
    s[svc.name] = record;
  });
  return record;
}

/**
 * SIGTERM (followed by SIGCONT, so a paused process can handle it) to the process group led by `pid`, then
 * SIGKILL when it is still there after `stopTimeoutMs`. True when the process is gone.
 */
export async function stopProcessGroup(pid: number, startTimeTicks: number | undefined, stopTimeoutMs: number): Promise<boolean> {
  if (!signalChecked(pid, startTimeTicks, 'SIGTERM', true)) return true;
  signalChecked(pid, startTimeTicks, 'SIGCONT', true);
  if (await waitForExit(pid, startTimeTicks, stopTimeoutMs)) return true;
  signalChecked(pid, startTimeTicks, 'SIGKILL', true);
  return waitForExit(pid, startTimeTicks, 5000);
}

/** Stops the recorded service (unless attached) and removes its record. True when something was stopped. */
export async function stopServiceProcess(stateDir: string, name: string, stopTimeoutMs: number): Promise<boolean> {
  const rec = readServiceRecords(stateDir)[name];
  if (!rec) return false;
  let stopped = false;
  if (!rec.attached && isSameProcess(rec.pid, rec.startTimeTicks)) {
    if (!(await stopProcessGroup(rec.pid, rec.startTimeTicks, stopTimeoutMs))) {
      throw new FaultlineError('FL_ERR_PROCESS_FAULT', `service "${name}" (PID ${rec.pid}) did not exit after SIGKILL; check it with \`ps -o pid,stat,cmd -p ${rec.pid}\``, { context: { service: name, pid: rec.pid } });
    }
    stopped = true;
  }
  updateServiceRecords(stateDir, (s) => {
    if (s[name]?.pid === rec.pid) delete s[name];
  });
  return stopped;
}

export interface ServiceStatus {
  name: string;
  state: 'up' | 'down';
  pid?: number;
  attached: boolean;
  /** undefined when the service has no health check or is down */
  healthy?: boolean;
  uptimeMs?: number;
  overrides?: Record<string, string>;
  log?: string;
}

export interface ServiceExit {
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisorOptions {
  services: readonly ServiceConfig[] | Readonly<Record<string, ServiceConfig>>;
  /** absolute folder for services.json, logs/, faults/ */
  stateDir: string;
  ledger?: LedgerSink;
  /** base environment of the services (default process.env) */
  env?: NodeJS.ProcessEnv;
  actor?: string;
}

/**
 * Programmatic supervisor. Services are started detached and recorded in services.json, so they outlive this
 * object (call stop() when done); while this process lives, it emits 'exit' (ServiceExit) when a service it
 * started exits.
 */
export class Supervisor extends EventEmitter {
  readonly stateDir: string;
  private readonly services: Record<string, ServiceConfig>;
  private readonly ledger: LedgerSink;
  private readonly env: NodeJS.ProcessEnv;
  private readonly actor: string;

  constructor(opts: SupervisorOptions) {
    super();
    this.stateDir = opts.stateDir;
    this.services = Array.isArray(opts.services)
      ? Object.fromEntries((opts.services as readonly ServiceConfig[]).map((s) => [s.name, s]))
      : { ...(opts.services as Record<string, ServiceConfig>) };
    this.ledger = opts.ledger ?? nullLedger;
    this.env = opts.env ?? process.env;
    this.actor = opts.actor ?? 'supervisor';
  }

  /** Names of the configured services. */
  names(): string[] {
    return Object.keys(this.services);
  }

  configOf(name: string): ServiceConfig | undefined {
    return this.services[name];
  }

  configOrThrow(name: string): ServiceConfig {
    const svc = this.services[name];
    if (!svc) throw serviceNotFound(name, this.services);
    return svc;
  }

  /** The record of a running service (alive, same start time), or undefined. */
  running(name: string): ServiceRecord | undefined {
    return liveServiceRecord(this.stateDir, name);
  }

  runningOrThrow(name: string): ServiceRecord {
    const rec = this.running(name);
    if (!rec) {
      if (!this.services[name] && !readServiceRecords(this.stateDir)[name]) throw serviceNotFound(name, this.services);
      throw new FaultlineError('FL_ERR_PROCESS_NOT_FOUND', `service "${name}" is not running; start it with \`faultline up ${name}\``, { context: { service: name } });
    }
    return rec;
  }

  /** Starts `names` (default all) and their dependencies in dependency order; running ones are left alone. */
  async start(names: readonly string[] = []): Promise<ServiceRecord[]> {
    const out: ServiceRecord[] = [];
    for (const svc of startOrder(this.services, names)) {
      out.push(this.running(svc.name) ?? (await this.launch(svc)));
    }
    return out;
  }

  /** Stops `names` (default every recorded or configured service) in reverse dependency order. Attached services are forgotten, not stopped. */
  async stop(names: readonly string[] = []): Promise<string[]> {
    const recorded = readServiceRecords(this.stateDir);
    const wanted = names.length > 0 ? [...names] : [...new Set([...Object.keys(this.services), ...Object.keys(recorded)])];
    for (const n of wanted) {
      if (!this.services[n] && !recorded[n]) throw serviceNotFound(n, this.services);
    }
    // dependents before their dependencies (post-order over dependents); stopping works even with a cycle
    const visited = new Set<string>();
    const ordered: string[] = [];
    const visit = (n: string): void => {
      if (visited.has(n)) return;
      visited.add(n);
      for (const [other, svc] of Object.entries(this.services)) if (svc.dependsOn.includes(n)) visit(other);
      if (wanted.includes(n)) ordered.push(n);
    };
    for (const n of wanted) visit(n);
    const stopped: string[] = [];
    for (const name of ordered) {
      const rec = recorded[name];
      if (!rec) continue;
      const stopTimeoutMs = this.services[name]?.stopTimeoutMs ?? 5000;
      if (await stopServiceProcess(this.stateDir, name, stopTimeoutMs)) stopped.push(name);
      this.record('stop', name, rec.attached ? 'forgotten (attached)' : `pid ${rec.pid}`);
    }
    return stopped;
  }

  /** Stops the service (if running) and starts it again, with optional extra environment. */
  async restart(name: string, opts: { overrides?: Record<string, string> } = {}): Promise<ServiceRecord> {
    const svc = this.configOrThrow(name);
    const rec = readServiceRecords(this.stateDir)[name];
    if (rec?.attached && isSameProcess(rec.pid, rec.startTimeTicks)) {
      throw new FaultlineError('FL_ERR_PROCESS_FAULT', `service "${name}" was attached (PID ${rec.pid}), not started by faultline, so it cannot be restarted; start it with \`faultline up ${name}\` instead`, { context: { service: name } });
    }
    await stopServiceProcess(this.stateDir, name, svc.stopTimeoutMs);
    return this.launch(svc, opts.overrides);
  }

  /** Records an existing process as service `name`. Throws FL_ERR_PROCESS_NOT_FOUND when the PID does not exist. */
  attach(name: string, pid: number): ServiceRecord {
    if (!Number.isInteger(pid) || pid <= 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `attach: "${pid}" is not a PID; use name=PID with a positive integer`);
    const st = readProcStatOrThrow(pid);
    const record: ServiceRecord = {
      name,
      pid,
      startTimeTicks: st.startTimeTicks,
      command: readCmdline(pid) || st.comm,
      startedAt: bootTimeMs() + (st.startTimeTicks * 1000) / CLOCK_TICKS_PER_SECOND,
      attached: true,
    };
    const port = this.services[name]?.port;
    if (port !== undefined) record.port = port;
    updateServiceRecords(this.stateDir, (s) => {
      s[name] = record;
    });
    this.record('attach', name, `pid ${pid}`);
    return record;
  }

  /** Each configured or recorded service: up/down, PID, health (one probe), uptime. */
  async status(): Promise<ServiceStatus[]> {
    const recorded = readServiceRecords(this.stateDir);
    const names = [...new Set([...Object.keys(this.services), ...Object.keys(recorded)])];
    return Promise.all(
      names.map(async (name): Promise<ServiceStatus> => {
        const rec = recorded[name];
        const alive = rec !== undefined && isSameProcess(rec.pid, rec.startTimeTicks);
        const st: ServiceStatus = { name, state: alive ? 'up' : 'down', attached: rec?.attached ?? false };
        if (rec && alive) {
          st.pid = rec.pid;
          st.uptimeMs = Date.now() - rec.startedAt;
          const svc = this.services[name];
          const health = svc ? effectiveHealth(svc) : undefined;
          if (health) st.healthy = await probeHealth(health, 1000);
          if (rec.overrides) st.overrides = rec.overrides;
        }
        if (rec?.log) st.log = rec.log;
        return st;
      }),
    );
  }

  private async launch(svc: ServiceConfig, overrides?: Record<string, string>): Promise<ServiceRecord> {
    try {
      const rec = await startServiceProcess(svc, {
        stateDir: this.stateDir,
        env: this.env,
        ...(overrides ? { overrides } : {}),
        onSpawn: (child) => {
          child.once('exit', (code, signal) => {
            if (child.pid !== undefined) this.emit('exit', { name: svc.name, pid: child.pid, code, signal } satisfies ServiceExit);
          });
        },
      });
      this.record('start', svc.name, `pid ${rec.pid}`);
      return rec;
    } catch (e) {
      this.record('start', svc.name, (e as Error).message, 'error');
      throw e;
    }
  }

  private record(kind: string, name: string, detail: string, outcome: 'ok' | 'error' = 'ok'): void {
    this.ledger.record({ action: 'service', faultId: '-', kind, layer: 'supervisor', target: `service=${name}`, params: {}, actor: this.actor, outcome, detail });
  }
}
