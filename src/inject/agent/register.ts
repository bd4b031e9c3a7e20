/**
 * The in-process agent: `node --import faultline/agent app.js`.
 * Installs the ESM loader hooks and the CommonJS hook that instrument the application's exported
 * functions, patches node:http/https servers for route faults, observes errors, and starts the control
 * API on 127.0.0.1 (unref'd: it never keeps the target alive). Every step is guarded: a failure is
 * logged once with the `[faultline-agent]` prefix and the target runs on.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { register as registerHooks } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, isMainThread } from 'node:worker_threads';
import { VERSION } from '../../core/version.js';
import { appendEvent } from '../../store/ledger.js';
import { announcementFile, removeAnnouncement, writeAnnouncement, type AgentAnnouncement } from './announce.js';
import { compileBreakMatcher } from './break-modules.js';
import { installCjsBreakHook, installCjsHook } from './cjs-hook.js';
import { createControlServer, listenControlServer } from './control-server.js';
import { readAgentEnv } from './env.js';
import { describeThrown } from './evidence.js';
import type { FaultSpec } from './fault-spec.js';
import { compileModuleMatcher, compileNameMatcher, compilePathFilter } from './glob.js';
import type { HookMessage, HooksData } from './hooks.js';
import { patchHttpServers } from './http-patch.js';
import { AGENT_GLOBAL } from './instrument.js';
import { installProcessMonitors } from './monitors.js';
import { AgentRuntime, type AgentRuntimeOptions } from './runtime.js';

/** A fault of FAULTLINE_AGENT_FAULTS and what became of it in this process. */
export interface StartupFaultState {
  index: number;
  kind: string;
  target: FaultSpec['target'];
  /** pending: its exact function has not loaded yet; armed: active (or ended, see `id` in the faults); dropped: refused or expired before it could be armed */
  state: 'pending' | 'armed' | 'dropped';
  id?: string;
  reason?: string;
}

/** What FAULTLINE_AGENT_EVIDENCE_DIR/<pid>.json holds. */
export interface AgentEvidenceFile {
  pid: number;
  argv: string[];
  cwd: string;
  startedAt: string;
  writtenAt: string;
  startup: StartupFaultState[];
  /** active faults, then ended ones, with their hit counts */
  faults: Array<{ id: string; kind: string; hits: number; active: boolean; reason?: string }>;
  errors: ReturnType<AgentRuntime['errors']['list']>;
  dropped: number;
}

/**
 * The runtime of a process started with FAULTLINE_AGENT_FAULTS. A fault aimed at an exact function name
 * cannot be armed before that function's module has loaded (the agent refuses an exact name that matches
 * nothing), so it waits, and is armed as soon as a matching function is instrumented. Its TTL counts from
 * the agent's start: a fault whose TTL has passed is never armed. `*` patterns, routes and process-wide faults
 * (leak) are armed at once.
 */
class StartupRuntime extends AgentRuntime {
  readonly startup: StartupFaultState[];
  private pending: Array<{ spec: FaultSpec; st: StartupFaultState }> = [];

  constructor(opts: AgentRuntimeOptions, specs: readonly FaultSpec[]) {
    super(opts);
    this.startup = specs.map((spec, index) => ({ index, kind: spec.kind, target: spec.target, state: 'pending' }));
    this.pending = specs.map((spec, i) => ({ spec, st: this.startup[i] as StartupFaultState }));
    for (const p of this.pending.slice()) {
      if (p.spec.on !== 'function' || (p.spec.target.fn ?? '').includes('*')) this.arm(p);
    }
  }

  override wrap(value: unknown, url: string, names: string[], format: 'esm' | 'cjs' = 'esm'): unknown {
    const out = super.wrap(value, url, names, format);
    if (this.pending.length > 0 && typeof value === 'function') {
      for (const p of this.pending.slice()) {
        const fn = p.spec.target.fn ?? '';
        // a class registers its methods as `C.prototype.m` / `C.s`
        if (names.some((n) => n === fn || fn.startsWith(`${n}.`)) && this.loaded(p.spec)) this.arm(p);
      }
    }
    return out;
  }

  private loaded(spec: FaultSpec): boolean {
    const mod = compileModuleMatcher(spec.target.module ?? '*');
    const name = compileNameMatcher(spec.target.fn ?? '*');
    return this.functions().some((f) => mod(f.module) && f.names.some(name));
  }

  private arm(p: { spec: FaultSpec; st: StartupFaultState }): void {
    this.pending = this.pending.filter((q) => q !== p);
    const ttlMs = p.spec.ttlMs - (Date.now() - this.startedAt);
    if (ttlMs <= 0) {
      p.st.state = 'dropped';
      p.st.reason = `its TTL of ${p.spec.ttlMs} ms passed before ${p.spec.target.fn ?? 'its function'} loaded`;
      this.logOnce(`startup:${p.st.index}`, `FAULTLINE_AGENT_FAULTS[${p.st.index}] not armed: ${p.st.reason}`);
      return;
    }
    const { kind, target, probability, params, maxHits, seed, actor } = p.spec;
    try {
      const f = this.addFault({ kind, target, probability, params, ttlMs, ...(maxHits === undefined ? {} : { maxHits }), ...(seed === undefined ? {} : { seed }), actor: actor ?? 'FAULTLINE_AGENT_FAULTS' });
      p.st.state = 'armed';
      p.st.id = f.id;
    } catch (e) {
      p.st.state = 'dropped';
      p.st.reason = describeThrown(e).message;
      this.logOnce(`startup:${p.st.index}`, `FAULTLINE_AGENT_FAULTS[${p.st.index}] not armed: ${p.st.reason}`);
    }
  }
}

/** Writes the evidence file atomically (temp file + rename). */
function writeEvidence(dir: string, rt: StartupRuntime): void {
  const active = rt.listFaults().map((f) => ({ id: f.id, kind: f.kind, hits: f.hits, active: true }));
  const ended = rt.endedFaults().map((f) => ({ id: f.id, kind: f.kind, hits: f.hits, active: false, reason: f.reason }));
  const body: AgentEvidenceFile = {
    pid: process.pid,
    argv: process.argv.slice(1),
    cwd: process.cwd(),
    startedAt: new Date(rt.startedAt).toISOString(),
    writtenAt: new Date().toISOString(),
    startup: rt.startup,
    faults: [...active, ...ended],
    errors: rt.errors.list(),
    dropped: rt.errors.dropped,
  };
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(body));
  renameSync(`${file}.tmp`, file);
}

/** How often the evidence file is rewritten while errors or hits change (a hung process is killed, not exited). */
const EVIDENCE_EVERY_MS = 250;

function start(): void {
  const key = Symbol.for(AGENT_GLOBAL);
  const g = globalThis as unknown as Record<symbol, unknown>;
  // one agent per process: not in worker threads, not twice
  if (!isMainThread || g[key] !== undefined) return;
  const { env, problems } = readAgentEnv(process.env, process.cwd());
  const faultlineDir = fileURLToPath(new URL('../../', import.meta.url));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  // problems with the settings come first, before a start-up fault may be refused
  for (const p of problems) log(`[faultline-agent] ${p}`);
  const rt = new StartupRuntime(
    {
      errorCapacity: env.errorCapacity,
      internalDirs: [faultlineDir],
      log,
      // fault expiries go to the ledger's append log; the runtime catches and logs a failing write
      ledger: { record: (e) => appendEvent(env.stateDir, e) },
      ...(env.seed === undefined ? {} : { seed: env.seed }),
    },
    env.startupFaults ?? [],
  );
  g[key] = rt.bridge();
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      rt.logOnce(`step:${what}`, `${what} is disabled: ${describeThrown(e).message}`);
    }
  };

  step('ESM instrumentation', () => {
    if (typeof registerHooks !== 'function') throw new Error('node:module register() needs Node ≥ 20.6');
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (msg: HookMessage) => {
      if (msg.type === 'skipped') rt.noteSkipped(msg.url, msg.reason, true);
    });
    port1.unref();
    const data: HooksData = { include: env.include, exclude: env.exclude, internalDirs: [faultlineDir], port: port2, ...(env.breakModules ? { breakModules: env.breakModules } : {}) };
    registerHooks('./hooks.js', import.meta.url, { data, transferList: [port2] });
  });
  step('CommonJS instrumentation', () => installCjsHook(rt, compilePathFilter(env.include, env.exclude, [faultlineDir])));
  const breakModules = env.breakModules;
  if (breakModules) step('module load failures (CommonJS)', () => installCjsBreakHook(compileBreakMatcher(breakModules, [faultlineDir])));
  const exempt = new WeakSet<object>();
  step('route faults', () => patchHttpServers(rt, exempt));
  step('error monitors', () => installProcessMonitors(rt));
  const evidenceDir = env.evidenceDir;
  if (evidenceDir !== undefined) {
    step('evidence file', () => {
      let last = '';
      const flush = (force: boolean): void => {
        const mark = `${rt.errors.lastSeq}:${rt.listFaults().reduce((n, f) => n + f.hits, 0)}:${rt.endedFaults().length}:${rt.startup.map((s) => s.state).join()}`;
        if (!force && mark === last) return;
        last = mark;
        step(`evidence file in ${evidenceDir}`, () => writeEvidence(evidenceDir, rt));
      };
      flush(true);
      setInterval(() => flush(false), EVIDENCE_EVERY_MS).unref();
      process.once('exit', () => flush(true));
    });
  }
  step('control server', () => {
    const server = createControlServer(rt, { port: env.port, version: VERSION, ...(env.token === undefined ? {} : { token: env.token }) });
    exempt.add(server);
    server.on('error', (e) => rt.logOnce('server-error', `control server error: ${describeThrown(e).message}`));
    listenControlServer(server, env.port).then(
      (port) => {
        const a: AgentAnnouncement = {
          pid: process.pid,
          host: '127.0.0.1',
          port,
          version: VERSION,
          startedAt: new Date(rt.startedAt).toISOString(),
          argv: process.argv.slice(1),
          cwd: process.cwd(),
          ...(env.token === undefined ? {} : { token: env.token }),
        };
        const files = [announcementFile(env.stateDir, process.pid), ...(env.announceFile ? [env.announceFile] : [])];
        for (const f of files) step(`announcement ${f}`, () => writeAnnouncement(f, a));
        process.once('exit', () => {
          for (const f of files) step(`removing ${f}`, () => removeAnnouncement(f));
        });
      },
      (e: unknown) => rt.logOnce('listen', `control server could not listen on 127.0.0.1:${env.port}: ${describeThrown(e).message}`),
    );
  });
}

try {
  start();
} catch (e) {
  try {
    process.stderr.write(`[faultline-agent] the agent is disabled: ${describeThrown(e).message}\n`);
  } catch {
    // nothing left to tell
  }
}
