/**
 * The injection engine: one entry point for a FaultRequest whatever layer applies it (proxy, process, agent,
 * network). It admits each request against the guard with the faults active on EVERY layer (so
 * maxConcurrentFaults holds across layers), dispatches to the layer, and reverts all it injected on demand.
 * The TTL stays with each layer's applier; the engine only remembers how to revert early.
 */
import { FaultlineError, assertNever } from '../core/errors.js';
import type { ActiveFault, FaultApplier, FaultRequest, InjectionGuard, LedgerSink } from '../core/fault.js';
import { AgentClient } from './agent/client.js';
import type { ErrorRecord } from './agent/evidence.js';
import type { AgentFaultKindName } from './agent/types.js';
import { activeNetworkFaults, applyNetworkFault, revertNetworkFault } from './netem/index.js';
import { injectProcessFault, listActiveFaults, revertFault, type Supervisor } from './process/index.js';
import type { ProxyRegistry } from './proxy/registry.js';

export interface EngineDeps {
  stateDir: string;
  ledger: LedgerSink;
  guard: InjectionGuard;
  /** the services faultline supervises (process faults, agent lookup by service) */
  services: Supervisor;
  /** an in-process proxy registry (proxy faults) */
  proxies?: ProxyRegistry;
  /** the applier of `traffic` faults: the run's load generator (src/observe/malformed.ts, wired by the loop) */
  traffic?: FaultApplier & { routeOf?(req: FaultRequest): string | undefined };
  actor?: string;
}

export interface InjectedFault {
  fault: ActiveFault;
  /** for agent faults: the agent holding it */
  agent?: AgentClient;
}

export class InjectionEngine {
  private readonly injected = new Map<string, InjectedFault>();
  private readonly agents = new Map<number, AgentClient>();
  /** the agent that held each agent fault, kept after the revert so its evidence can still be read */
  private readonly heldBy = new Map<string, AgentClient>();
  /** the start-up crash a process fault caused (a restarted service that exited), kept after the revert as its evidence */
  private readonly crashes = new Map<string, ErrorRecord>();

  constructor(private readonly deps: EngineDeps) {}

  /** Faults active on every layer, as far as this machine's state shows. */
  async activeFaults(): Promise<ActiveFault[]> {
    const out: ActiveFault[] = [...listActiveFaults(this.deps.stateDir), ...activeNetworkFaults(this.deps.stateDir), ...(this.deps.proxies?.activeFaults() ?? []), ...(this.deps.traffic?.active() ?? [])];
    for (const f of this.injected.values()) if (f.fault.layer === 'agent' && f.fault.expiresAt > Date.now()) out.push(f.fault);
    return out;
  }

  /** A guard that sees the faults of every layer, not only those of the layer asking. */
  private crossLayerGuard(others: ActiveFault[]): InjectionGuard {
    return {
      admit: (req, active) => {
        const ids = new Set(active.map((a) => a.id));
        this.deps.guard.admit(req, [...active, ...others.filter((o) => !ids.has(o.id))]);
      },
    };
  }

  async inject(req: FaultRequest): Promise<InjectedFault> {
    const actor = req.actor ?? this.deps.actor ?? 'faultline';
    const all = await this.activeFaults();
    const guard = this.crossLayerGuard(all);
    let result: InjectedFault;
    switch (req.layer) {
      case 'proxy': {
        const registry = this.deps.proxies;
        if (!registry) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'proxy faults need a running proxy; start `faultline proxy serve` or run inside `faultline loop`');
        const proxy = String(req.target.proxy ?? '');
        guard.admit(req, []);
        const toxic = registry.addToxic(proxy, {
          type: req.kind,
          ...(typeof req.params.stream === 'string' ? { stream: req.params.stream as 'upstream' | 'downstream' } : {}),
          ...(typeof req.params.toxicity === 'number' ? { toxicity: req.params.toxicity } : {}),
          attributes: Object.fromEntries(Object.entries(req.params).filter(([k]) => k !== 'stream' && k !== 'toxicity')),
          ttl: req.ttlMs,
        });
        const fault = registry.activeFaults().find((f) => f.target.proxy === proxy && (f.params as { name?: string }).name === toxic.name) ?? {
          ...req,
          id: `${proxy}/${toxic.name}`,
          startedAt: Date.now(),
          expiresAt: Date.now() + req.ttlMs,
        };
        // the proxy and toxic names are what an early revert needs
        const entry: InjectedFault = { fault: { ...fault, params: { ...fault.params, proxy, toxic: toxic.name } } };
        this.injected.set(fault.id, entry);
        return entry;
      }
      case 'process': {
        const fault = await injectProcessFault({ ...req, actor }, { stateDir: this.deps.stateDir, ledger: this.deps.ledger, guard, services: this.deps.services });
        const crash = fault.detail.crash as ErrorRecord | undefined;
        if (crash && Array.isArray(crash.frames)) this.crashes.set(fault.id, crash);
        result = { fault };
        break;
      }
      case 'agent': {
        const agent = await this.agentFor(req);
        guard.admit(req, []);
        const fault = await agent.inject({
          kind: req.kind as AgentFaultKindName,
          target: { ...(req.target.module ? { module: req.target.module } : {}), ...(req.target.fn ? { fn: req.target.fn } : {}), ...(req.target.route ? { route: req.target.route } : {}) },
          ttlMs: req.ttlMs,
          ...(typeof req.params.probability === 'number' ? { probability: req.params.probability } : {}),
          params: Object.fromEntries(Object.entries(req.params).filter(([k]) => k !== 'probability')),
          actor,
        });
        this.deps.ledger.record({ action: 'inject', faultId: fault.id, kind: req.kind, layer: 'agent', target: `pid=${String(req.target.pid ?? '')},${fault.matched.join(';') || req.target.route || ''}`, params: req.params, actor, outcome: 'ok', ttlMs: req.ttlMs });
        result = { fault, agent };
        this.heldBy.set(fault.id, agent);
        break;
      }
      case 'network': {
        const ns = String(req.target.host ?? '');
        const fault = await applyNetworkFault(ns, { kind: req.kind as never, params: req.params, ttlMs: req.ttlMs, actor }, { stateDir: this.deps.stateDir, guard, ledger: this.deps.ledger });
        result = { fault };
        break;
      }
      case 'traffic': {
        const traffic = this.deps.traffic;
        if (!traffic) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `layer: traffic faults are applied by the load generator of a run; run them with load (faultline.yaml load, or an experiment's faultline_load_url)`);
        // safe zones see the route the requests go to (the applier knows each kind's defaults; a bad param is refused here)
        const route = traffic.routeOf?.(req);
        guard.admit(route !== undefined && req.target.route === undefined ? { ...req, target: { ...req.target, route } } : req, []);
        result = { fault: traffic.inject({ ...req, actor }) };
        break;
      }
      default:
        return assertNever(req.layer, 'fault layer');
    }
    this.injected.set(result.fault.id, result);
    return result;
  }

  private async agentFor(req: FaultRequest): Promise<AgentClient> {
    let pid = req.target.pid;
    if (pid === undefined && req.target.service !== undefined) pid = this.deps.services.runningOrThrow(req.target.service).pid;
    if (pid === undefined) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'an agent fault needs target.service or target.pid');
    const cached = this.agents.get(pid);
    if (cached) return cached;
    // the agent announces itself shortly after start: poll briefly
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        const client = await AgentClient.forPid(this.deps.stateDir, pid);
        this.agents.set(pid, client);
        return client;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Reverts one fault this engine injected. Expired faults are already gone; reverting them is a no-op. */
  async revert(id: string): Promise<void> {
    const entry = this.injected.get(id);
    if (!entry) throw new FaultlineError('FL_ERR_FAULT_NOT_FOUND', `fault "${id}" was not injected by this run`);
    this.injected.delete(id);
    const f = entry.fault;
    const actor = this.deps.actor ?? 'faultline';
    switch (f.layer) {
      case 'proxy': {
        const p = f.params as { proxy: string; toxic: string };
        if (this.deps.proxies?.findToxic(p.proxy, p.toxic)) this.deps.proxies.removeToxic(p.proxy, p.toxic);
        return;
      }
      case 'process':
        if (listActiveFaults(this.deps.stateDir).some((a) => a.id === id)) await revertFault(id, { stateDir: this.deps.stateDir, ledger: this.deps.ledger, actor });
        return;
      case 'agent': {
        if (f.expiresAt <= Date.now()) return;
        try {
          await entry.agent?.revert(id);
          this.deps.ledger.record({ action: 'revert', faultId: id, kind: f.kind, layer: 'agent', target: '', params: f.params, actor, outcome: 'ok' });
        } catch (e) {
          if (!(e instanceof FaultlineError) || (e.code !== 'FL_ERR_FAULT_NOT_FOUND' && e.code !== 'FL_ERR_AGENT_UNREACHABLE')) throw e;
        }
        return;
      }
      case 'network':
        if (activeNetworkFaults(this.deps.stateDir).some((a) => a.id === id)) await revertNetworkFault(id, { stateDir: this.deps.stateDir, ledger: this.deps.ledger, actor });
        return;
      case 'traffic':
        this.deps.traffic?.revert(id);
        return;
      default:
        assertNever(f.layer, 'fault layer');
    }
  }

  /** Reverts everything this engine injected that is still active; returns the ids reverted. */
  async revertAll(): Promise<string[]> {
    const ids = [...this.injected.keys()];
    const errors: unknown[] = [];
    for (const id of ids) {
      try {
        await this.revert(id);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
    return ids;
  }

  /**
   * The evidence (errors with stack frames) of a fault this engine injected: what the agent recorded for an agent
   * fault; for a process fault, the stack a service printed when it exited during the restart the fault made.
   */
  async evidence(id: string): Promise<Awaited<ReturnType<AgentClient['errors']>> | undefined> {
    const crash = this.crashes.get(id);
    if (crash) return { errors: [crash], dropped: 0, capacity: 1 };
    return (this.injected.get(id)?.agent ?? this.heldBy.get(id))?.errors({ faultId: id });
  }
}
