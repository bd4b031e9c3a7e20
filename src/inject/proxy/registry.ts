/**
 * The proxies and their toxics, usable without HTTP. Every toxic passes the InjectionGuard, carries a TTL the
 * registry enforces itself, and is recorded in the ledger (inject, update, revert, expire, refuse).
 */
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../../core/clock.js';
import { FaultlineError, isFaultlineError } from '../../core/errors.js';
import { allowAll, describeTarget, newFaultId, type ActiveFault, type FaultRequest, type FaultTarget, type InjectionGuard, type LedgerAction, type LedgerSink } from '../../core/fault.js';
import { assertLocalTarget, isLoopback, splitHostPort } from '../../core/net.js';
import { createRng, type Rng } from '../../core/rng.js';
import { MAX_TIMER_MS, validateAttributes } from './attributes.js';
import { toxicJson, type ToxicEntry } from './entry.js';
import { describeRoute, type HttpRoute } from './http/route.js';
import { normalizeListen, Proxy } from './proxy.js';
import { findToxicDefinitionOrThrow } from './toxics/index.js';
import type { ProxyJson, ProxyPatch, ProxySpec, StreamDirection, ToxicDefinition, ToxicJson, ToxicPatch, ToxicSpec } from './types.js';

export const DEFAULT_TOXIC_TTL_MS = 15 * 60_000;

export interface RegistryOptions {
  /** seed of the generator behind toxicity draws, jitter, slicing, loss; random when absent */
  seed?: number;
  /** TTL of toxics created without `ttl` (ms, default 15 minutes) */
  defaultToxicTtlMs?: number;
  guard?: InjectionGuard;
  /** where injections are recorded; can be set later with setLedger() (events wait until then) */
  ledger?: LedgerSink;
  clock?: Clock;
  /** recorded as the actor of ledger events */
  actor?: string;
  /** allow proxies to listen on non-loopback addresses (set when the API runs with a token) */
  allowNonLoopbackListen?: boolean;
}

const GUARD_CODES = new Set(['FL_ERR_SAFE_ZONE', 'FL_ERR_MAX_CONCURRENT_FAULTS', 'FL_ERR_TTL_REQUIRED']);

/** True for errors raised by an InjectionGuard refusal (the API answers them 403). */
export function isGuardRefusal(e: unknown): e is FaultlineError {
  return isFaultlineError(e) && e.context.refused === true;
}

function invalid(field: string, message: string): FaultlineError {
  return new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: ${message}`, { context: { attribute: field } });
}

interface NormalizedToxic {
  name: string;
  type: string;
  stream: StreamDirection;
  toxicity: number;
  attributes: Record<string, unknown>;
  ttlMs: number;
  def: ToxicDefinition;
}

export class ProxyRegistry {
  readonly rng: Rng;
  readonly defaultToxicTtlMs: number;
  private readonly proxies = new Map<string, Proxy>();
  private readonly reserved = new Set<string>();
  private readonly guard: InjectionGuard;
  private readonly clock: Clock;
  private readonly actor: string;
  private ledger: LedgerSink | undefined;
  private pending: Array<Parameters<LedgerSink['record']>[0]> = [];
  private allowNonLoopbackListen: boolean;
  /** toxics removed by their TTL since start */
  expiredTotal = 0;

  constructor(opts: RegistryOptions = {}) {
    this.rng = createRng(opts.seed);
    const ttl = opts.defaultToxicTtlMs ?? DEFAULT_TOXIC_TTL_MS;
    if (!(ttl > 0 && ttl <= MAX_TIMER_MS)) throw new FaultlineError('FL_ERR_TTL_REQUIRED', `defaultToxicTtlMs: must be between 1 and ${MAX_TIMER_MS} ms, got ${ttl}`);
    this.defaultToxicTtlMs = ttl;
    this.guard = opts.guard ?? allowAll;
    this.clock = opts.clock ?? systemClock;
    this.actor = opts.actor ?? 'proxy';
    this.ledger = opts.ledger;
    this.allowNonLoopbackListen = opts.allowNonLoopbackListen === true;
  }

  /** Sets the ledger (e.g. once the server listens, so opening it does not delay start-up); flushes waiting events. */
  setLedger(ledger: LedgerSink): void {
    this.ledger = ledger;
    for (const e of this.pending.splice(0)) ledger.record(e);
  }

  setAllowNonLoopbackListen(allow: boolean): void {
    this.allowNonLoopbackListen = allow;
  }

  // ── proxies ──────────────────────────────────────────────────────────────

  list(): ProxyJson[] {
    return [...this.proxies.values()].sort((a, b) => a.name.localeCompare(b.name)).map((p) => p.toJSON());
  }

  findProxy(name: string): Proxy | undefined {
    return this.proxies.get(name);
  }

  findProxyOrThrow(name: string): Proxy {
    const p = this.proxies.get(name);
    if (!p) throw new FaultlineError('FL_ERR_PROXY_NOT_FOUND', `proxy not found: ${name}`, { context: { proxy: name } });
    return p;
  }

  /** Creates a proxy (and its toxics, a faultline extension); nothing is left behind when any part fails. */
  async createProxy(spec: ProxySpec): Promise<ProxyJson> {
    const s = this.normalizeProxySpec(spec);
    const toxics = (s.toxics ?? []).map((t, i) => this.normalizeToxic(t, `toxics[${i}].`));
    const names = new Set<string>();
    for (const t of toxics) {
      if (names.has(t.name)) throw new FaultlineError('FL_ERR_TOXIC_EXISTS', `toxic already exists: ${t.name}`, { context: { toxic: t.name } });
      names.add(t.name);
    }
    if (this.proxies.has(s.name) || this.reserved.has(s.name)) {
      throw new FaultlineError('FL_ERR_PROXY_EXISTS', `proxy already exists: ${s.name}`, { context: { proxy: s.name } });
    }
    this.reserved.add(s.name);
    try {
      const p = new Proxy(s.name, s.listen, s.upstream, this.rng.fork());
      if (s.enabled) await p.start();
      this.proxies.set(s.name, p);
      try {
        for (const t of toxics) this.install(p, t);
      } catch (e) {
        await this.deleteProxy(s.name);
        throw e;
      }
      return p.toJSON();
    } finally {
      this.reserved.delete(s.name);
    }
  }

  /** Toxiproxy's /populate: creates each proxy, replaces one whose listen or upstream differ, keeps identical ones. */
  async populate(specs: unknown): Promise<ProxyJson[]> {
    if (!Array.isArray(specs)) throw invalid('body', 'expected a JSON array of proxies');
    const norm = specs.map((sp, i) => this.normalizeProxySpec(sp as ProxySpec, `[${i}].`));
    const out: ProxyJson[] = [];
    for (const s of norm) {
      const existing = this.proxies.get(s.name);
      if (existing) {
        if (!this.differs(existing, s.listen, s.upstream)) {
          out.push(existing.toJSON());
          continue;
        }
        await this.deleteProxy(s.name);
      }
      try {
        out.push(await this.createProxy(s));
      } catch (e) {
        if (e instanceof FaultlineError) e.context.created = out;
        throw e;
      }
    }
    return out;
  }

  /** Toxiproxy's proxy update: a new listen or upstream restarts the proxy (closing its connections). */
  async updateProxy(name: string, patch: ProxyPatch): Promise<ProxyJson> {
    const p = this.findProxyOrThrow(name);
    if (typeof patch !== 'object' || patch === null) throw invalid('body', 'expected a JSON object');
    const listen = patch.listen === undefined ? p.listen : this.checkListen(patch.listen, 'listen');
    const upstream = patch.upstream === undefined ? p.upstream : this.checkUpstream(patch.upstream, 'upstream');
    if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean') throw invalid('enabled', 'expected true or false');
    const enabled = patch.enabled ?? p.enabled;
    if (this.differs(p, listen, upstream)) {
      await p.stop();
      p.listen = listen;
      p.upstream = upstream;
    }
    if (enabled && !p.enabled) await p.start();
    else if (!enabled && p.enabled) await p.stop();
    return p.toJSON();
  }

  async deleteProxy(name: string): Promise<void> {
    const p = this.findProxyOrThrow(name);
    for (const t of [...p.toxics]) this.dropToxic(p, t, 'revert');
    this.proxies.delete(name);
    await p.stop();
  }

  /** Toxiproxy's /reset: every proxy enabled, every toxic removed (recorded as reverts). */
  async reset(): Promise<void> {
    for (const p of this.proxies.values()) {
      for (const t of [...p.toxics]) this.dropToxic(p, t, 'revert');
      await p.start();
    }
  }

  /** Removes every toxic of every proxy; returns how many. */
  removeAllToxics(action: 'revert' | 'abort' = 'revert'): number {
    let n = 0;
    for (const p of this.proxies.values()) for (const t of [...p.toxics]) n += this.dropToxic(p, t, action) ? 1 : 0;
    return n;
  }

  /** Reverts every toxic and closes every proxy. */
  async close(): Promise<void> {
    this.removeAllToxics('revert');
    const all = [...this.proxies.values()];
    this.proxies.clear();
    await Promise.all(all.map((p) => p.stop()));
  }

  // ── toxics ───────────────────────────────────────────────────────────────

  listToxics(proxy: string): ToxicJson[] {
    return this.findProxyOrThrow(proxy).toxics.map(toxicJson);
  }

  findToxic(proxy: string, toxic: string): ToxicEntry | undefined {
    return this.proxies.get(proxy)?.toxics.find((t) => t.name === toxic);
  }

  findToxicOrThrow(proxy: string, toxic: string): ToxicEntry {
    const t = this.findProxyOrThrow(proxy).toxics.find((x) => x.name === toxic);
    if (!t) throw new FaultlineError('FL_ERR_TOXIC_NOT_FOUND', `toxic not found: ${toxic} on proxy ${proxy}`, { context: { proxy, toxic } });
    return t;
  }

  addToxic(proxy: string, spec: ToxicSpec): ToxicJson {
    const p = this.findProxyOrThrow(proxy);
    return toxicJson(this.install(p, this.normalizeToxic(spec)));
  }

  /** Toxiproxy's toxic update: attributes merge into the current ones; toxicity and ttl (resets the expiry) optional. */
  updateToxic(proxy: string, toxic: string, patch: ToxicPatch): ToxicJson {
    const p = this.findProxyOrThrow(proxy);
    const t = this.findToxicOrThrow(proxy, toxic);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw invalid('body', 'expected a JSON object');
    const attributes = validateAttributes(t.type, t.def.attributes, patch.attributes, t.attributes, t.def.check);
    const toxicity = patch.toxicity === undefined ? t.toxicity : this.checkToxicity(patch.toxicity);
    const ttlMs = patch.ttl === undefined ? undefined : this.checkTtl(patch.ttl);
    t.attributes = attributes;
    t.toxicity = toxicity;
    if (ttlMs !== undefined) {
      t.ttlMs = ttlMs;
      this.armExpiry(p, t);
    }
    p.updateToxic(t);
    this.record('update', p, t);
    return toxicJson(t);
  }

  removeToxic(proxy: string, toxic: string): void {
    const p = this.findProxyOrThrow(proxy);
    this.dropToxic(p, this.findToxicOrThrow(proxy, toxic), 'revert');
  }

  /** The toxics as ActiveFaults (what the guard counts). */
  activeFaults(): ActiveFault[] {
    const out: ActiveFault[] = [];
    for (const p of this.proxies.values()) {
      for (const t of p.toxics) out.push({ ...this.request(p, t), id: t.id, startedAt: t.startedAt, expiresAt: t.expiresAt });
    }
    return out;
  }

  // ── internals ────────────────────────────────────────────────────────────

  private install(p: Proxy, n: NormalizedToxic): ToxicEntry {
    if (p.toxics.some((t) => t.name === n.name)) throw new FaultlineError('FL_ERR_TOXIC_EXISTS', `toxic already exists: ${n.name}`, { context: { proxy: p.name, toxic: n.name } });
    const now = this.clock.now();
    const entry: ToxicEntry = { id: newFaultId('tx'), ...n, startedAt: now, expiresAt: now + n.ttlMs, addedAt: performance.now() };
    const req = this.request(p, entry);
    try {
      this.guard.admit(req, this.activeFaults());
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.emit({ action: 'refuse', faultId: entry.id, kind: req.kind, layer: 'proxy', target: describeTarget(req.target), params: req.params, actor: this.actor, outcome: 'refused', ttlMs: req.ttlMs, detail: message });
      if (isFaultlineError(e) && GUARD_CODES.has(e.code)) e.context.refused = true;
      throw e;
    }
    this.armExpiry(p, entry);
    p.addToxic(entry);
    this.record('inject', p, entry);
    return entry;
  }

  private armExpiry(p: Proxy, t: ToxicEntry): void {
    t.cancelExpiry?.();
    t.startedAt = this.clock.now();
    t.expiresAt = t.startedAt + t.ttlMs;
    const timer = this.clock.setTimeout(() => {
      if (p.toxics.includes(t)) {
        this.expiredTotal++;
        this.dropToxic(p, t, 'expire');
      }
    }, t.ttlMs);
    t.cancelExpiry = () => timer.cancel();
  }

  private dropToxic(p: Proxy, t: ToxicEntry, action: LedgerAction): boolean {
    if (!p.removeToxic(t)) return false;
    this.record(action, p, t);
    return true;
  }

  private request(p: Proxy, t: Pick<ToxicEntry, 'type' | 'name' | 'stream' | 'toxicity' | 'attributes' | 'ttlMs' | 'def'>): FaultRequest {
    const target: FaultTarget = { proxy: p.name, host: p.upstream };
    if (t.def.kind === 'http') target.route = describeRoute(t.attributes as unknown as HttpRoute);
    return { kind: t.type, layer: 'proxy', target, params: { name: t.name, stream: t.stream, toxicity: t.toxicity, attributes: t.attributes }, ttlMs: t.ttlMs, actor: this.actor };
  }

  private record(action: LedgerAction, p: Proxy, t: ToxicEntry): void {
    const req = this.request(p, t);
    this.emit({ action, faultId: t.id, kind: req.kind, layer: 'proxy', target: describeTarget(req.target), params: req.params, actor: this.actor, outcome: 'ok', ttlMs: t.ttlMs });
  }

  private emit(e: Parameters<LedgerSink['record']>[0]): void {
    const event = { ts: new Date(this.clock.now()).toISOString(), ...e };
    if (this.ledger) this.ledger.record(event);
    else this.pending.push(event);
  }

  private differs(p: Proxy, listen: string, upstream: string): boolean {
    return normalizeListen(listen) !== p.listen || upstream !== p.upstream;
  }

  private checkListen(v: unknown, field: string): string {
    if (typeof v !== 'string' || v === '') throw invalid(field, 'expected "host:port", e.g. "127.0.0.1:0"');
    const { host } = splitHostPort(v, field);
    if (!isLoopback(host) && !this.allowNonLoopbackListen) {
      throw invalid(field, `${v} is not a loopback address; start the proxy API with a token (--token) to listen elsewhere`);
    }
    return v;
  }

  private checkUpstream(v: unknown, field: string): string {
    if (typeof v !== 'string' || v === '') throw invalid(field, 'missing required field');
    assertLocalTarget(v, field);
    return v;
  }

  private normalizeProxySpec(spec: ProxySpec, prefix = ''): Required<Omit<ProxySpec, 'toxics'>> & Pick<ProxySpec, 'toxics'> {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalid(`${prefix}body`, 'expected a JSON object with name, listen, upstream');
    if (typeof spec.name !== 'string' || spec.name === '') throw invalid(`${prefix}name`, 'missing required field');
    if (spec.name.length > 200 || /[/\s?#%]/.test(spec.name)) throw invalid(`${prefix}name`, `${JSON.stringify(spec.name)} must be at most 200 characters without /, ?, #, % or spaces`);
    const upstream = this.checkUpstream(spec.upstream, `${prefix}upstream`);
    const listen = spec.listen === undefined || spec.listen === '' ? '127.0.0.1:0' : this.checkListen(spec.listen, `${prefix}listen`);
    if (spec.enabled !== undefined && typeof spec.enabled !== 'boolean') throw invalid(`${prefix}enabled`, 'expected true or false');
    if (spec.toxics !== undefined && !Array.isArray(spec.toxics)) throw invalid(`${prefix}toxics`, 'expected an array of toxics');
    return { name: spec.name, listen, upstream, enabled: spec.enabled ?? true, toxics: spec.toxics };
  }

  private checkToxicity(v: unknown, prefix = ''): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw new FaultlineError('FL_ERR_TOXIC_ATTRIBUTE', `${prefix}toxicity: must be a number between 0 and 1 (the share of connections affected), got ${JSON.stringify(v)}`, { context: { attribute: 'toxicity' } });
    }
    return v;
  }

  private checkTtl(v: unknown, prefix = ''): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > MAX_TIMER_MS) {
      throw new FaultlineError('FL_ERR_TTL_REQUIRED', `${prefix}ttl: must be a whole number of milliseconds between 1 and ${MAX_TIMER_MS}, got ${JSON.stringify(v)}`, { context: { attribute: 'ttl' } });
    }
    return v;
  }

  private normalizeToxic(spec: ToxicSpec, prefix = ''): NormalizedToxic {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalid(`${prefix}body`, 'expected a JSON object with type, stream, toxicity, attributes');
    const stream = spec.stream ?? 'downstream';
    if (stream !== 'upstream' && stream !== 'downstream') {
      throw new FaultlineError('FL_ERR_TOXIC_ATTRIBUTE', `${prefix}stream: stream was invalid, can be either upstream or downstream (got ${JSON.stringify(stream)})`, { context: { attribute: 'stream' } });
    }
    if (typeof spec.type !== 'string') throw new FaultlineError('FL_ERR_TOXIC_TYPE', `${prefix}type: missing required field`, { context: { attribute: 'type' } });
    const def = findToxicDefinitionOrThrow(spec.type);
    const name = spec.name === undefined || spec.name === '' ? `${spec.type}_${stream}` : spec.name;
    if (typeof name !== 'string' || name.length > 200 || /[/\s?#%]/.test(name)) throw invalid(`${prefix}name`, 'must be at most 200 characters without /, ?, #, % or spaces');
    const toxicity = spec.toxicity === undefined ? 1 : this.checkToxicity(spec.toxicity, prefix);
    const ttlMs = spec.ttl === undefined ? this.defaultToxicTtlMs : this.checkTtl(spec.ttl, prefix);
    const attributes = validateAttributes(spec.type, def.attributes, spec.attributes, undefined, def.check);
    return { name, type: spec.type, stream, toxicity, attributes, ttlMs, def };
  }
}
