import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../../core/clock.js';
import { describeTarget, newFaultId, nullLedger, type LedgerSink } from '../../core/fault.js';
import { createRng, type Rng } from '../../core/rng.js';
import { ErrorRing, describeThrown, parseStack, type ErrorRecord, type ErrorSource } from './evidence.js';
import { FN_REQUIRED, parseFaultSpec } from './fault-spec.js';
import { compileModuleMatcher, compileNameMatcher, compileRouteMatcher } from './glob.js';
import { KINDS } from './kinds/index.js';
import { OutboundMonitor } from './outbound.js';
import { bad } from './params.js';
import type { AgentFault, FaultState, FnInfo, FnRecord } from './types.js';

export interface AgentRuntimeOptions {
  /** seed of the generator that seeds each fault without its own seed */
  seed?: number;
  /** size of the error ring (default 1000) */
  errorCapacity?: number;
  clock?: Clock;
  /** folders whose files are not application code in stack frames (faultline's own dist) */
  internalDirs?: string[];
  /** where "[faultline-agent] …" lines go (default stderr) */
  log?: (line: string) => void;
  /** how many outbound calls are kept (default 20000) */
  outboundCapacity?: number;
  /** receives an `expire` event when a fault ends by TTL or maxHits (register.ts appends to <stateDir>/events.jsonl); default: none */
  ledger?: LedgerSink;
}

export interface ModuleInfo {
  module: string;
  url: string;
  format: 'esm' | 'cjs';
  functions: number;
}

export interface EndedFault {
  id: string;
  kind: string;
  reason: 'expired' | 'reverted' | 'maxHits';
  endedAt: number;
  hits: number;
}

/** What instrumented modules call: w(value, url, names) re-binds, m(url, n) notes a module, x(err, url, name) reports a failure. */
export interface AgentBridge {
  w(value: unknown, url: string, names: string[]): unknown;
  m(url: string, bindings: number): void;
  x(err: unknown, url: string, name: string): void;
}

type AnyFn = (...args: unknown[]) => unknown;

const MAX_ENDED = 100;
/** how long the control API waits for the asynchronous stops of ended faults (profile) before answering anyway */
const SETTLE_MAX_MS = 10_000;

function pathOf(url: string): string {
  if (!url.startsWith('file:')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

function isClass(fn: AnyFn): boolean {
  try {
    return /^class[\s{]/.test(Function.prototype.toString.call(fn));
  } catch {
    return false;
  }
}

function isAsync(fn: AnyFn): boolean {
  return (fn as unknown as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'AsyncFunction';
}

/**
 * The agent's state inside the target process: instrumented functions, active faults with their TTL
 * timers, and the error evidence. The wrappers it hands out check one property (`state.on`) while no
 * fault is active.
 */
export class AgentRuntime {
  /** true while at least one fault is active; the only thing an idle wrapper reads */
  readonly state = { on: false };
  readonly startedAt: number;
  readonly seed: number;
  readonly errors: ErrorRing;
  /** outbound HTTP calls and their call sites, recorded while a controller watches (POST /v1/outbound/watch) */
  readonly outbound: OutboundMonitor;
  readonly skipped: Array<{ module: string; reason: string }> = [];
  private readonly rng: Rng;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly ledger: LedgerSink;
  private readonly internalDirs: string[];
  private readonly faults = new Map<string, FaultState>();
  private routeFaults: FaultState[] = [];
  private readonly fns: FnRecord[] = [];
  private readonly fnIds = new Set<string>();
  private readonly modules = new Map<string, ModuleInfo>();
  private readonly ended: EndedFault[] = [];
  private readonly wrappers = new WeakSet<object>();
  private readonly recorded = new WeakSet<object>();
  private readonly injected = new WeakSet<object>();
  private readonly logged = new Set<string>();
  private readonly activeListeners: Array<(on: boolean) => void> = [];
  /** the asynchronous stops still running, by fault id (a kind's stop that returned a promise: it may still record) */
  private readonly stopping = new Map<string, Promise<void>>();

  constructor(opts: AgentRuntimeOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.rng = createRng(opts.seed);
    this.seed = this.rng.seed;
    this.errors = new ErrorRing(opts.errorCapacity ?? 1000);
    this.internalDirs = opts.internalDirs ?? [];
    this.log = opts.log ?? ((line) => void process.stderr.write(`${line}\n`));
    this.ledger = opts.ledger ?? nullLedger;
    this.outbound = new OutboundMonitor(this.isApp, opts.outboundCapacity ?? 20_000, this.clock);
  }

  /** Logs a line once per key with the `[faultline-agent]` prefix. */
  logOnce(key: string, message: string): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    try {
      this.log(`[faultline-agent] ${message}`);
    } catch {
      // a closed stderr must not break the target
    }
  }

  /** Calls `fn(true)` when the first fault starts and `fn(false)` when the last one ends (e.g. to patch node:http only while needed). */
  onActiveChange(fn: (on: boolean) => void): void {
    this.activeListeners.push(fn);
  }

  private setActive(on: boolean): void {
    if (this.state.on === on) return;
    this.state.on = on;
    for (const fn of this.activeListeners) {
      try {
        fn(on);
      } catch (e) {
        this.logOnce('active-listener', `could not ${on ? 'prepare for' : 'clean up after'} faults: ${describeThrown(e).message}`);
      }
    }
  }

  bridge(): AgentBridge {
    return {
      w: (value, url, names) => this.wrap(value, url, names, 'esm'),
      m: (url) => this.noteModule(url, 'esm'),
      x: (err, url, name) => this.logOnce(`x:${url}#${name}`, `could not instrument ${name} in ${pathOf(url)}: ${describeThrown(err).message}`),
    };
  }

  noteModule(url: string, format: 'esm' | 'cjs'): void {
    const module = pathOf(url);
    if (!this.modules.has(module)) this.modules.set(module, { module, url, format, functions: 0 });
  }

  /** Lists a module left uninstrumented; logs it unless the loader thread already did. */
  noteSkipped(url: string, reason: string, logged = false): void {
    const module = pathOf(url);
    this.skipped.push({ module, reason });
    if (!logged) this.logOnce(`skip:${module}`, `left ${module} uninstrumented: ${reason}`);
  }

  /**
   * Returns the value to re-bind an exported binding to: a wrapper for a function, the same class
   * (its methods wrapped in place) for a class, anything else unchanged.
   */
  wrap(value: unknown, url: string, names: string[], format: 'esm' | 'cjs' = 'esm'): unknown {
    if (typeof value !== 'function' || this.wrappers.has(value)) return value;
    const fn = value as AnyFn;
    this.noteModule(url, format);
    if (isClass(fn)) {
      this.wrapClass(fn, url, names, format);
      return value;
    }
    const rec = this.register(url, format, names, isAsync(fn));
    return rec ? this.makeWrapper(fn, rec) : value;
  }

  private wrapClass(cls: AnyFn, url: string, names: string[], format: 'esm' | 'cjs'): void {
    this.wrappers.add(cls);
    const wrapMembers = (holder: object, prefix: (n: string) => string, skip: Set<string>): void => {
      for (const key of Object.getOwnPropertyNames(holder)) {
        if (skip.has(key)) continue;
        const d = Object.getOwnPropertyDescriptor(holder, key);
        if (!d || typeof d.value !== 'function' || !d.writable || !d.configurable || isClass(d.value as AnyFn)) continue;
        const orig = d.value as AnyFn;
        const rec = this.register(url, format, names.map((n) => `${prefix(n)}${key}`), isAsync(orig));
        if (rec) Object.defineProperty(holder, key, { ...d, value: this.makeWrapper(orig, rec) });
      }
    };
    const proto = (cls as unknown as { prototype?: object }).prototype;
    if (proto) wrapMembers(proto, (n) => `${n}.prototype.`, new Set(['constructor']));
    wrapMembers(cls, (n) => `${n}.`, new Set(['length', 'name', 'prototype', 'caller', 'arguments']));
  }

  private register(url: string, format: 'esm' | 'cjs', names: string[], async: boolean): FnRecord | undefined {
    const module = pathOf(url);
    const id = `${module}#${names[0] ?? '?'}`;
    if (this.fnIds.has(id)) return undefined;
    this.fnIds.add(id);
    const rec: FnRecord = { id, module, url, format, names, async, faults: [] };
    this.fns.push(rec);
    const m = this.modules.get(module);
    if (m) m.functions++;
    for (const fs of this.faults.values()) {
      if (fs.on === 'function' && fs.matchFn(rec) && (fs.kind.applies?.(fs.params, rec) ?? true)) {
        rec.faults = [...rec.faults, fs];
        fs.fault.matched.push(rec.id);
      }
    }
    return rec;
  }

  private makeWrapper(orig: AnyFn, rec: FnRecord): AnyFn {
    const S = this.state;
    const rt = this;
    // idle path: one property read, then a direct call by arity (cheaper for V8 than Reflect.apply with a
    // materialised `arguments`; arguments.length keeps explicit undefined arguments and extra ones exact)
    const wrapper = function (this: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown): unknown {
      if (!S.on) {
        switch (arguments.length) {
          case 0:
            return orig.call(this);
          case 1:
            return orig.call(this, a);
          case 2:
            return orig.call(this, a, b);
          case 3:
            return orig.call(this, a, b, c);
          case 4:
            return orig.call(this, a, b, c, d);
          default:
            return Reflect.apply(orig, this, arguments);
        }
      }
      return rt.call(rec, orig, this, arguments, wrapper);
    };
    try {
      Object.defineProperty(wrapper, 'name', { value: orig.name, configurable: true });
      Object.defineProperty(wrapper, 'length', { value: orig.length, configurable: true });
      // static properties (fn.cache = …) stay reachable through the prototype chain, and `new` keeps working
      Object.setPrototypeOf(wrapper, orig);
      (wrapper as unknown as { prototype: unknown }).prototype = (orig as unknown as { prototype?: unknown }).prototype;
    } catch (e) {
      this.logOnce(`props:${rec.id}`, `could not copy the properties of ${rec.id}: ${describeThrown(e).message}`);
    }
    this.wrappers.add(wrapper);
    return wrapper;
  }

  /** The slow path of a wrapper: some fault is active somewhere. */
  private call(rec: FnRecord, orig: AnyFn, self: unknown, args: IArguments, wrapper: AnyFn): unknown {
    let chosen: FaultState | undefined;
    try {
      chosen = this.draw(rec.faults);
    } catch (e) {
      this.logOnce('draw', `fault selection failed: ${describeThrown(e).message}`);
    }
    const invoke = (): unknown => Reflect.apply(orig, self, args);
    let result: unknown;
    try {
      result = chosen?.kind.call
        ? chosen.kind.call({
            params: chosen.params,
            fault: chosen.fault,
            rng: chosen.rng,
            rec,
            invoke,
            wrapper,
            markInjected: (e) => void this.injected.add(e),
          })
        : invoke();
    } catch (e) {
      this.recordError(e, 'function', { module: rec.module, fn: rec.names[0] ?? '' });
      throw e;
    }
    if (result instanceof Promise) {
      return result.then(undefined, (e: unknown) => {
        this.recordError(e, 'function', { module: rec.module, fn: rec.names[0] ?? '' });
        throw e;
      });
    }
    return result;
  }

  /** The first fault (in creation order) whose probability draw succeeds; counts calls and hits. */
  private draw(list: readonly FaultState[]): FaultState | undefined {
    for (const fs of list) {
      fs.fault.calls++;
      if (fs.rng.next() < fs.fault.probability) {
        fs.fault.hits++;
        if (fs.fault.maxHits !== undefined && fs.fault.hits >= fs.fault.maxHits) this.endFault(fs.fault.id, 'maxHits');
        return fs;
      }
    }
    return undefined;
  }

  /** The slow path of the patched Server#emit('request'): route faults and 5xx evidence. */
  onRequest(server: Server, origEmit: AnyFn, args: IArguments): boolean {
    const req = args[1] as IncomingMessage;
    const res = args[2] as ServerResponse;
    const pass = (): boolean => Reflect.apply(origEmit, server, args) as boolean;
    let chosen: FaultState | undefined;
    try {
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      chosen = this.draw(this.routeFaults.filter((fs) => fs.matchRoute(method, path)));
      const startSeq = this.errors.lastSeq;
      const injectedStatus = chosen?.kind.name === 'status';
      res.once('finish', () => {
        if (res.statusCode >= 500) this.recordResponse(`${method} ${path}`, res.statusCode, startSeq, injectedStatus);
      });
    } catch (e) {
      this.logOnce('route', `route fault selection failed: ${describeThrown(e).message}`);
    }
    if (!chosen?.kind.request) return pass();
    return chosen.kind.request({
      params: chosen.params,
      fault: chosen.fault,
      rng: chosen.rng,
      server,
      req,
      res,
      pass,
      markInjected: (e) => void this.injected.add(e),
    });
  }

  private isApp = (file: string): boolean =>
    file.startsWith('/') && !file.includes('/node_modules/') && !this.internalDirs.some((d) => file.startsWith(d));

  /** Records an error seen while a fault is active (each error object once). */
  recordError(e: unknown, source: ErrorSource, where: { module?: string; fn?: string } = {}): ErrorRecord | undefined {
    if (!this.state.on) return undefined;
    try {
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
        if (this.recorded.has(e)) return undefined;
        this.recorded.add(e);
      }
      const d = describeThrown(e);
      return this.errors.push({
        ts: new Date(this.clock.now()).toISOString(),
        source,
        faultIds: [...this.faults.keys()],
        injected: e !== null && typeof e === 'object' && this.injected.has(e),
        class: d.class,
        message: d.message,
        ...(d.code === undefined ? {} : { code: d.code }),
        ...(d.stack === undefined ? {} : { stack: d.stack }),
        frames: parseStack(d.stack, this.isApp),
        ...where,
      });
    } catch (err) {
      this.logOnce('record', `could not record an error: ${describeThrown(err).message}`);
      return undefined;
    }
  }

  /** Records evidence a process-wide kind observed (not a thrown error), attributed to `faultId` first (also while its asynchronous stop runs). */
  recordObservation(faultId: string, r: { source: ErrorSource; class: string; message: string; stack?: string }): ErrorRecord | undefined {
    if (!this.state.on && !this.stopping.has(faultId)) return undefined;
    try {
      return this.errors.push({
        ts: new Date(this.clock.now()).toISOString(),
        source: r.source,
        faultIds: [faultId, ...[...this.faults.keys()].filter((id) => id !== faultId)],
        injected: false,
        class: r.class,
        message: r.message,
        ...(r.stack === undefined ? {} : { stack: r.stack }),
        frames: parseStack(r.stack, this.isApp),
      });
    } catch (err) {
      this.logOnce('record', `could not record an error: ${describeThrown(err).message}`);
      return undefined;
    }
  }

  private recordResponse(route: string, status: number, startSeq: number, injected: boolean): void {
    if (!this.state.on) return;
    const related = this.errors.list({ sinceSeq: startSeq }).filter((r) => r.source !== 'response').pop();
    this.errors.push({
      ts: new Date(this.clock.now()).toISOString(),
      source: 'response',
      faultIds: [...this.faults.keys()],
      injected,
      class: related?.class ?? 'HttpResponse',
      message: related ? `${status} ${route}: ${related.message}` : `${status} ${route}`,
      frames: related?.frames ?? [],
      ...(related?.stack === undefined ? {} : { stack: related.stack }),
      route,
      status,
      ...(related ? { relatedSeq: related.seq } : {}),
    });
  }

  /** Validates and activates a fault (POST /v1/faults). Throws FL_ERR_AGENT_FAULT / FL_ERR_TTL_REQUIRED naming the attribute. */
  addFault(body: unknown): AgentFault {
    const spec = parseFaultSpec(body);
    const kind = KINDS[spec.kind];
    if (spec.on === 'process' && !kind.start) throw bad('target.fn', FN_REQUIRED);
    if (spec.on !== 'process' && kind.start) throw bad('target', `${spec.kind} acts on the whole process; give an empty target ({}) instead of target.${spec.on === 'route' ? 'route' : 'fn'}`);
    if (spec.on === 'process' && spec.probability !== 1) throw bad('probability', `${spec.kind} acts on the whole process, not per call; leave probability out`);
    if (spec.on === 'process' && spec.maxHits !== undefined) throw bad('maxHits', `${spec.kind} acts on the whole process, not per call; end it with its TTL or a revert`);
    if (spec.on === 'function' && !kind.call) throw bad('kind', `${spec.kind} applies to HTTP routes only; give target.route ("GET /path") instead of target.fn`);
    if (spec.on === 'route' && !kind.request) throw bad('kind', `${spec.kind} applies to functions only; give target.fn (and target.module) instead of target.route`);
    const moduleMatch = compileModuleMatcher(spec.target.module ?? '*');
    const nameMatch = compileNameMatcher(spec.target.fn ?? '*');
    const matchFn = (rec: FnRecord): boolean => moduleMatch(rec.module) && rec.names.some(nameMatch);
    const route = spec.target.route === undefined ? undefined : compileRouteMatcher(spec.target.route);
    const matched = spec.on === 'function' ? this.fns.filter(matchFn) : [];
    // an exact name that matches nothing is a mistake; a * pattern may aim at modules that load later
    if (spec.on === 'function' && matched.length === 0 && !(spec.target.fn ?? '').includes('*')) {
      throw bad(
        'target.fn',
        `no instrumented function matches fn=${JSON.stringify(spec.target.fn)}${spec.target.module ? ` in module=${JSON.stringify(spec.target.module)}` : ''}; GET /v1/functions (faultline agent functions) lists the ${this.fns.length} instrumented functions (a * pattern also aims at functions loaded later)`,
      );
    }
    const params = kind.parse(spec.params, spec.on, matched);
    const seed = spec.seed ?? this.rng.int(0, 4_294_967_295);
    const now = this.clock.now();
    const fault: AgentFault = {
      id: newFaultId('agent'),
      kind: spec.kind,
      layer: 'agent',
      target: spec.target,
      params: spec.params,
      ttlMs: spec.ttlMs,
      startedAt: now,
      expiresAt: now + spec.ttlMs,
      probability: spec.probability,
      seed,
      calls: 0,
      hits: 0,
      matched: matched.map((r) => r.id),
      ...(spec.maxHits === undefined ? {} : { maxHits: spec.maxHits }),
      ...(spec.actor === undefined ? {} : { actor: spec.actor }),
    };
    // a process-wide kind starts now; if it cannot, nothing is left behind
    const rng = createRng(seed);
    const stop =
      spec.on === 'process'
        ? kind.start?.({
            params,
            fault,
            clock: this.clock,
            logOnce: (key, message) => this.logOnce(key, message),
            rng,
            record: (r) => this.recordObservation(fault.id, r),
            isInternal: (file) => this.internalDirs.some((d) => file.startsWith(d)),
            isApp: this.isApp,
          })
        : undefined;
    // the TTL is enforced here, inside the target: the fault ends even if its controller is gone
    const timer = this.clock.setTimeout(() => this.endFault(fault.id, 'expired'), spec.ttlMs);
    const fs: FaultState = {
      fault,
      kind,
      params,
      rng,
      on: spec.on,
      matchFn,
      matchRoute: (method, path) => route?.match(method, path) ?? false,
      cancel: () => {
        timer.cancel();
        const done = stop?.();
        if (done instanceof Promise) this.settleLater(fault.id, done);
      },
    };
    this.faults.set(fault.id, fs);
    if (spec.on === 'route') this.routeFaults = [...this.routeFaults, fs];
    for (const rec of matched) rec.faults = [...rec.faults, fs];
    this.setActive(true);
    return fault;
  }

  /** Ends a fault (revert, expiry, maxHits); returns it, or undefined when it is not active. */
  endFault(id: string, reason: EndedFault['reason']): AgentFault | undefined {
    const fs = this.faults.get(id);
    if (!fs) return undefined;
    fs.cancel();
    this.faults.delete(id);
    this.setActive(this.faults.size > 0);
    if (fs.on === 'route') this.routeFaults = this.routeFaults.filter((f) => f !== fs);
    else for (const rec of this.fns) if (rec.faults.includes(fs)) rec.faults = rec.faults.filter((f) => f !== fs);
    this.ended.push({ id, kind: fs.fault.kind, reason, endedAt: this.clock.now(), hits: fs.fault.hits });
    if (this.ended.length > MAX_ENDED) this.ended.shift();
    if (reason !== 'reverted') this.recordExpiry(fs.fault, reason);
    return fs.fault;
  }

  /** An `expire` event for a fault that ended inside the target; a failing sink is logged once and never reaches the caller. */
  private recordExpiry(f: AgentFault, reason: 'expired' | 'maxHits'): void {
    try {
      this.ledger.record({
        action: 'expire',
        faultId: f.id,
        kind: f.kind,
        layer: 'agent',
        target: describeTarget(f.target),
        params: f.params,
        actor: 'agent',
        outcome: 'ok',
        ttlMs: f.ttlMs,
        detail: `${reason === 'expired' ? `TTL of ${f.ttlMs} ms reached` : `maxHits ${f.maxHits ?? '?'} reached`}; ${f.hits} hits in ${f.calls} calls`,
      });
    } catch (e) {
      this.logOnce('ledger', `could not record the end of fault ${f.id} in the ledger (later failures are not logged): ${describeThrown(e).message}`);
    }
  }

  /** Keeps an asynchronous stop until it settles (its failure is logged once, never thrown). */
  private settleLater(id: string, done: Promise<void>): void {
    const p = done
      .catch((e: unknown) => this.logOnce(`stop:${id}`, `fault ${id} did not stop cleanly: ${describeThrown(e).message}`))
      .finally(() => {
        if (this.stopping.get(id) === p) this.stopping.delete(id);
      });
    this.stopping.set(id, p);
  }

  /**
   * Resolves once the asynchronous stops of ended faults have settled (what they record is then in the ring), or after
   * `maxMs`; at once when none runs. The control API awaits it before answering a revert and GET /v1/errors.
   */
  async settled(maxMs = SETTLE_MAX_MS): Promise<void> {
    if (this.stopping.size === 0) return;
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<void>((r) => {
      timer = this.clock.setTimeout(r, maxMs);
    });
    await Promise.race([Promise.all([...this.stopping.values()]), timeout]);
    timer?.cancel();
  }

  revertAll(): AgentFault[] {
    return [...this.faults.keys()].map((id) => this.endFault(id, 'reverted')).filter((f): f is AgentFault => f !== undefined);
  }

  listFaults(): AgentFault[] {
    return [...this.faults.values()].map((fs) => fs.fault);
  }

  endedFaults(): EndedFault[] {
    return this.ended.slice();
  }

  functions(): FnInfo[] {
    return this.fns.map((r) => ({ id: r.id, module: r.module, format: r.format, names: r.names, async: r.async }));
  }

  moduleList(): ModuleInfo[] {
    return [...this.modules.values()];
  }
}
